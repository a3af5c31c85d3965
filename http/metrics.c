/* metrics: lock-free counters for /metrics, rendered in the Prometheus text
 * exposition format 0.0.4 (one "# HELP"/"# TYPE" pair per family, label
 * values escaped as the format requires).
 *
 * Requests are counted per (route, status) in a fixed open-addressing table:
 * a slot is claimed once with a compare-and-swap and never freed, so pool
 * threads only ever do atomic adds after the first request of a pair, and
 * the renderer reads without locking. Route names come from the route table
 * (a handful), statuses are 100..599, so the table does not fill in
 * practice; if it does, the rest counts under route="overflow".
 */
#include "config.h"
#include "http/metrics.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "http/api.h"
#include "provd/core/events.h"

#define ROUTE_NAME_MAX 32

enum slot_state { SLOT_EMPTY = 0, SLOT_BUSY = 1, SLOT_READY = 2 };

struct slot {
	_Atomic int state;
	char route[ROUTE_NAME_MAX];
	unsigned status;
	_Atomic uint64_t requests;
	_Atomic uint64_t bytes;
	_Atomic uint64_t cut;		/* transfers that did not complete */
	_Atomic uint64_t usec;		/* summed duration, microseconds */
};

static struct slot slots[METRICS_SLOTS];
static struct slot overflow = { .state = SLOT_READY, .route = "overflow" };

static unsigned slot_hash(const char *route, unsigned status)
{
	unsigned h = 2166136261u;	/* FNV-1a */

	for (const char *p = route; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	h = (h ^ status) * 16777619u;
	return h;
}

static struct slot *slot_get(const char *route, unsigned status)
{
	unsigned h = slot_hash(route, status);

	for (unsigned i = 0; i < METRICS_SLOTS; i++) {
		struct slot *s = &slots[(h + i) % METRICS_SLOTS];
		int st = atomic_load_explicit(&s->state, memory_order_acquire);

		if (st == SLOT_EMPTY) {
			int exp = SLOT_EMPTY;
			if (atomic_compare_exchange_strong(&s->state, &exp, SLOT_BUSY)) {
				snprintf(s->route, sizeof(s->route), "%s", route);
				s->status = status;
				atomic_store_explicit(&s->state, SLOT_READY, memory_order_release);
				return s;
			}
			st = exp;
		}
		/* Another thread is filling this slot: wait for its key. */
		while (st == SLOT_BUSY)
			st = atomic_load_explicit(&s->state, memory_order_acquire);
		if (s->status == status && strncmp(s->route, route, ROUTE_NAME_MAX - 1) == 0)
			return s;
	}
	return &overflow;
}

void metrics_observe(const struct http_observation *o, void *arg)
{
	struct slot *s = slot_get(o->route ? o->route : "none", o->status);

	atomic_fetch_add_explicit(&s->requests, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->bytes, o->bytes, memory_order_relaxed);
	if (!o->completed)
		atomic_fetch_add_explicit(&s->cut, 1, memory_order_relaxed);
	if (o->seconds > 0)
		atomic_fetch_add_explicit(&s->usec, (uint64_t)(o->seconds * 1e6), memory_order_relaxed);
}

uint64_t metrics_requests(const char *route, unsigned status)
{
	for (unsigned i = 0; i < METRICS_SLOTS; i++) {
		struct slot *s = &slots[i];
		if (atomic_load_explicit(&s->state, memory_order_acquire) == SLOT_READY &&
		    s->status == status && strcmp(s->route, route) == 0)
			return atomic_load_explicit(&s->requests, memory_order_relaxed);
	}
	return 0;
}

/* Label values: backslash, double quote and newline are escaped (0.0.4). */
static int put_label(struct buf *b, const char *v)
{
	int r = 0;

	for (const char *p = v; *p && r == 0; p++) {
		if (*p == '\\')
			r = buf_puts(b, "\\\\");
		else if (*p == '"')
			r = buf_puts(b, "\\\"");
		else if (*p == '\n')
			r = buf_puts(b, "\\n");
		else
			r = buf_putc(b, *p);
	}
	return r;
}

struct render {
	struct buf *b;
	int r;
};

static void render_kind(const char *kind, uint64_t n, void *arg)
{
	struct render *x = arg;

	if (x->r == 0)
		x->r = buf_puts(x->b, "provd_events_total{kind=\"");
	if (x->r == 0)
		x->r = put_label(x->b, kind);
	if (x->r == 0)
		x->r = buf_printf(x->b, "\"} %llu\n", (unsigned long long)n);
}

/* One family over all ready slots; which: 0 requests, 1 bytes, 2 cut, 3 usec. */
static int render_family(struct buf *b, const char *name, const char *help, const char *type,
			 int which, bool with_status)
{
	int r = buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
	struct slot *all[METRICS_SLOTS + 1];
	size_t n = 0;

	for (unsigned i = 0; i < METRICS_SLOTS; i++)
		if (atomic_load_explicit(&slots[i].state, memory_order_acquire) == SLOT_READY)
			all[n++] = &slots[i];
	if (atomic_load_explicit(&overflow.requests, memory_order_relaxed))
		all[n++] = &overflow;
	for (size_t i = 0; i < n && r == 0; i++) {
		struct slot *s = all[i];
		uint64_t v = which == 0 ? atomic_load(&s->requests) :
			     which == 1 ? atomic_load(&s->bytes) :
			     which == 2 ? atomic_load(&s->cut) : atomic_load(&s->usec);
		r = buf_printf(b, "%s{route=\"", name);
		if (r == 0)
			r = put_label(b, s->route);
		if (r == 0 && with_status)
			r = buf_printf(b, "\",status=\"%u", s->status);
		if (r == 0 && which == 3)
			r = buf_printf(b, "\"} %.6f\n", (double)v / 1e6);
		else if (r == 0)
			r = buf_printf(b, "\"} %llu\n", (unsigned long long)v);
	}
	return r;
}

int metrics_render(struct http_server *srv, struct buf *out)
{
	struct render x = { .b = out };
	int r;

	r = render_family(out, "provd_http_requests_total",
			  "HTTP requests answered, by route and status.", "counter", 0, true);
	if (r == 0)
		r = render_family(out, "provd_http_response_bytes_total",
				  "Response body bytes sent, by route and status.", "counter", 1, true);
	if (r == 0)
		r = render_family(out, "provd_http_requests_cut_total",
				  "Responses not completed (client gone, timeout, shutdown).",
				  "counter", 2, true);
	if (r == 0)
		r = render_family(out, "provd_http_request_duration_seconds_total",
				  "Summed request handling time, by route and status.", "counter", 3, true);
	if (r == 0 && srv) {
		struct http_server_stats st;
		http_server_stats(srv, &st);
		r = buf_printf(out,
			       "# HELP provd_http_connections_active Connections open now.\n"
			       "# TYPE provd_http_connections_active gauge\n"
			       "provd_http_connections_active %u\n"
			       "# HELP provd_http_connections_total Connections accepted.\n"
			       "# TYPE provd_http_connections_total counter\n"
			       "provd_http_connections_total %llu\n"
			       "# HELP provd_http_sent_bytes_total Response body bytes of completed requests.\n"
			       "# TYPE provd_http_sent_bytes_total counter\n"
			       "provd_http_sent_bytes_total %llu\n",
			       st.active_conns, (unsigned long long)st.conns_total,
			       (unsigned long long)st.bytes_sent);
	}
	if (r == 0)
		r = buf_puts(out, "# HELP provd_events_total Events recorded by this process, by kind.\n"
			     "# TYPE provd_events_total counter\n");
	if (r == 0) {
		events_counts(render_kind, &x);
		r = x.r;
	}
	return r;
}

int metrics_handle(struct http_req *req, struct http_resp *resp, void *arg)
{
	struct buf b;
	int r;

	buf_init(&b, 1 << 20);
	r = metrics_render(req->server, &b);
	if (r == 0)
		r = http_resp_type(resp, "text/plain; version=0.0.4; charset=utf-8");
	if (r == 0)
		r = http_resp_append(resp, b.p ? b.p : "", b.len);
	buf_free(&b);
	return r;
}
