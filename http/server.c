/* server: libmicrohttpd glue. One MHD daemon with an internal epoll thread
 * pool; every request goes through the same steps (see route.h): raw target
 * -> decode once + canonicalise -> route -> (body) -> handler with a
 * snapshot reference -> MHD response (buffer or sendfile fd). Nothing in
 * here knows what a route does. */
#include "config.h"
#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http/path.h"
#include "provd/base/log.h"
#include "provd/base/netaddr.h"
#include "provd/core/snapshot.h"

struct http_server {
	struct MHD_Daemon *mhd;
	struct http_router *rt;
	int listen_fd;
	uint16_t port;
	char *state_dir;
	char *base_url;
	bool access_log;

	pthread_mutex_t snap_lock;	/* guards snap: take ref under it */
	struct snapshot *snap;

	http_observer_fn *obs;
	void *obs_arg;

	atomic_uint active_conns;
	atomic_uint inflight;
	atomic_uint_fast64_t conns_total;
	atomic_uint_fast64_t requests_total;
	atomic_uint_fast64_t bytes_sent;
};

/* Per-request state, created by the URI-log callback (the first thing MHD
 * tells us about a request, with the target exactly as received) and freed
 * in the completion callback. */
struct req_ctx {
	struct http_server *srv;
	char *raw;			/* raw request target */
	char path[HTTP_PATH_MAX + 1];
	const struct http_route *route;
	const char *route_name;
	bool started;			/* first access-handler call seen */
	bool body_too_big;
	bool answered;			/* a response is queued */
	unsigned err_status;		/* decided in the first call, sent in the last */
	const char *err_msg;
	struct buf body;
	struct snapshot *snap;
	enum http_method method;
	char method_str[16];
	char client[INET6_ADDRSTRLEN];
	unsigned status;
	uint64_t bytes;
	uint64_t t0_ns;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------------ */
/* request accessors (route.h) */

const char *http_req_query(const struct http_req *r, const char *key)
{
	const char *v = NULL;

	if (!r->priv)
		return NULL;
	if (MHD_lookup_connection_value_n(r->priv, MHD_GET_ARGUMENT_KIND, key, strlen(key), &v,
					  NULL) != MHD_YES)
		return NULL;
	return v ? v : "";
}

const char *http_req_header(const struct http_req *r, const char *name)
{
	if (!r->priv)
		return NULL;
	return MHD_lookup_connection_value(r->priv, MHD_HEADER_KIND, name);
}

/* ------------------------------------------------------------------ */
/* snapshot */

void http_server_set_snapshot(struct http_server *s, struct snapshot *snap)
{
	struct snapshot *old;

	snapshot_ref(snap);
	pthread_mutex_lock(&s->snap_lock);
	old = s->snap;
	s->snap = snap;
	pthread_mutex_unlock(&s->snap_lock);
	snapshot_unref(old);
}

struct snapshot *http_server_snapshot(struct http_server *s)
{
	struct snapshot *snap;

	/* A mutex, not a bare atomic pointer: between loading the pointer
	 * and taking the reference a reload could drop the last reference. */
	pthread_mutex_lock(&s->snap_lock);
	snap = snapshot_ref(s->snap);
	pthread_mutex_unlock(&s->snap_lock);
	return snap;
}

/* ------------------------------------------------------------------ */
/* responses */

static enum MHD_Result send_resp(struct MHD_Connection *conn, struct req_ctx *c,
				 struct http_resp *resp)
{
	struct MHD_Response *mr;
	enum MHD_Result ret;
	const char *ct = resp->content_type ? resp->content_type : "text/plain; charset=utf-8";

	if (resp->fd >= 0) {
		mr = MHD_create_response_from_fd_at_offset64(resp->fd_len, resp->fd,
							     resp->fd_off);
		if (mr)
			resp->fd = -1;	/* MHD closes it now */
		resp->body_bytes = resp->fd_len;
	} else {
		size_t len = 0;
		char *p = NULL;

		if (resp->body.len) {
			p = buf_steal(&resp->body, &len);
			if (!p)
				return MHD_NO;
		}
		mr = MHD_create_response_from_buffer(len, p, MHD_RESPMEM_MUST_FREE);
		if (!mr)
			free(p);
		resp->body_bytes = len;
	}
	if (!mr)
		return MHD_NO;
	/* 304 carries no Content-Type (RFC 9110 §15.4.5); others do. */
	if (resp->status != 304)
		MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, ct);
	for (size_t i = 0; i < resp->nhdrs; i++)
		MHD_add_response_header(mr, resp->hdrs[i].name, resp->hdrs[i].value);
	c->status = resp->status;
	c->bytes = c->method == HTTP_HEAD ? 0 : resp->body_bytes;
	ret = MHD_queue_response(conn, resp->status, mr);
	MHD_destroy_response(mr);
	return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *conn, struct req_ctx *c,
				  unsigned status, const char *msg)
{
	struct http_resp resp = HTTP_RESP_INIT;
	enum MHD_Result ret;

	http_resp_error(&resp, status, "%s", msg);
	ret = send_resp(conn, c, &resp);
	http_resp_clear(&resp);
	return ret;
}

static void client_text(struct MHD_Connection *conn, char *out, size_t len)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(out, len, "?");
	if (!sa)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)len);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out,
			  (socklen_t)len);
}

static enum MHD_Result run_handler(struct MHD_Connection *conn, struct req_ctx *c,
				   const char *rest)
{
	struct http_server *s = c->srv;
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	struct http_resp resp = HTTP_RESP_INIT;
	struct http_req req = {
		.method = c->method,
		.method_str = c->method_str,
		.path = c->path,
		.rest = rest,
		.route = c->route->name,
		.raw_target = c->raw,
		.state_dir = s->state_dir,
		.base_url = s->base_url,
		.client_addr = ci ? ci->client_addr : NULL,
		.client = c->client,
		.server = s,
		.priv = conn,
	};
	enum MHD_Result ret;
	int r;

	c->snap = http_server_snapshot(s);
	req.snap = c->snap;
	if (c->route->flags & HTTP_ROUTE_BODY) {
		req.body = buf_str(&c->body);
		req.body_len = c->body.len;
	}
	r = c->route->fn(&req, &resp, c->route->arg);
	if (r < 0) {
		char esc[256];
		log_escape(esc, sizeof(esc), c->path, strlen(c->path));
		log_err("http %s %s: handler %s failed: %s", c->method_str, esc, c->route->name,
			strerror(-r));
		http_resp_clear(&resp);
		resp = (struct http_resp)HTTP_RESP_INIT;
		http_resp_error(&resp, 500, "internal error");
	}
	ret = send_resp(conn, c, &resp);
	http_resp_clear(&resp);
	return ret;
}

/* ------------------------------------------------------------------ */
/* MHD callbacks */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct http_server *s = cls;
	struct req_ctx *c = calloc(1, sizeof(*c));

	(void)conn;
	if (!c)
		return NULL;
	c->srv = s;
	c->raw = strdup(uri ? uri : "");
	c->route_name = "none";
	c->t0_ns = now_ns();
	atomic_fetch_add(&s->inflight, 1);
	return c;
}

/* libmicrohttpd calls the access handler at least twice per request: once
 * after the headers, then once per body chunk, then with no data. A
 * response queued in the FIRST call makes MHD (0.9.75) close the connection
 * (it cannot know the body was consumed), so the first call only decides
 * and the answer goes out in the last call, keeping the connection alive
 * — pxelinux over HTTP probes many 404s in a row. Only an oversized body is
 * refused at once, on purpose: closing is what we want there. */
static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
				 const char *method, const char *version,
				 const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct http_server *s = cls;
	struct req_ctx *c = *con_cls;
	const char *rest = "";
	const char *q;
	int n;

	(void)url;
	(void)version;
	if (!c || !c->raw)
		return MHD_NO;	/* out of memory in on_uri: drop the connection */

	if (!c->started) {
		c->started = true;
		snprintf(c->method_str, sizeof(c->method_str), "%s", method);
		c->method = http_method_parse(method);
		client_text(conn, c->client, sizeof(c->client));

		q = strchr(c->raw, '?');
		n = http_path_clean(c->raw, q ? (size_t)(q - c->raw) : strlen(c->raw), c->path,
				    sizeof(c->path));
		if (n < 0) {
			snprintf(c->path, sizeof(c->path), "-");
			c->route_name = "bad";
			if (n == -ENAMETOOLONG) {
				c->err_status = 414;
				c->err_msg = "path too long";
			} else {
				c->err_status = 400;
				c->err_msg = n == -EACCES ? "path escapes the root" :
					     n == -EILSEQ ? "NUL in path" : "malformed path";
			}
			return MHD_YES;
		}
		c->route = http_router_match(s->rt, c->path, &rest);
		if (!c->route) {
			c->err_status = 404;
			c->err_msg = "no such resource";
			return MHD_YES;
		}
		c->route_name = c->route->name;
		if (!c->method) {
			c->err_status = 501;
			c->err_msg = "method not implemented";
		} else if (!http_route_allows(c->route, c->method)) {
			c->err_status = 405;
			c->err_msg = "method not allowed here";
		} else if (c->route->flags & HTTP_ROUTE_BODY) {
			const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
								     MHD_HTTP_HEADER_CONTENT_LENGTH);
			buf_init(&c->body, c->route->body_max);
			if (cl && strtoull(cl, NULL, 10) > c->route->body_max) {
				c->answered = true;
				return send_error(conn, c, 413, "request body too large");
			}
		}
		return MHD_YES;
	}

	if (*upload_data_size) {
		if (c->route && (c->route->flags & HTTP_ROUTE_BODY) && !c->err_status &&
		    !c->body_too_big && buf_append(&c->body, upload_data, *upload_data_size) < 0)
			c->body_too_big = true;
		*upload_data_size = 0;	/* consumed (or discarded) */
		return MHD_YES;
	}
	if (c->answered)
		return MHD_YES;
	c->answered = true;
	if (c->err_status == 405) {
		struct http_resp resp = HTTP_RESP_INIT;
		char allow[64];
		enum MHD_Result ret;

		http_resp_error(&resp, 405, "method %s not allowed here", c->method_str);
		http_resp_header(&resp, "Allow", http_route_allow_str(c->route, allow, sizeof(allow)));
		ret = send_resp(conn, c, &resp);
		http_resp_clear(&resp);
		return ret;
	}
	if (c->err_status)
		return send_error(conn, c, c->err_status, c->err_msg);
	if (c->body_too_big)
		return send_error(conn, c, 413, "request body too large");
	http_router_match(s->rt, c->path, &rest);
	return run_handler(conn, c, rest);
}


/* Install callbacks carry the per-system token in the query (token=...):
 * whoever reads the log must not be able to replay them. */
static void redact_token(const char *raw, char *out, size_t len)
{
	size_t o = 0;

	for (const char *p = raw; *p && o + 1 < len;) {
		if ((p == raw || p[-1] == '?' || p[-1] == '&') && strncmp(p, "token=", 6) == 0) {
			const char *e = p + 6;
			while (*e && *e != '&')
				e++;
			int n = snprintf(out + o, len - o, "token=REDACTED");
			o += n > 0 && (size_t)n < len - o ? (size_t)n : 0;
			p = e;
			continue;
		}
		out[o++] = *p++;
	}
	out[o] = '\0';
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http_server *s = cls;
	struct req_ctx *c = *con_cls;
	bool ok = toe == MHD_REQUEST_TERMINATED_COMPLETED_OK;
	double secs;

	(void)conn;
	if (!c)
		return;
	*con_cls = NULL;
	secs = (double)(now_ns() - c->t0_ns) / 1e9;
	if (c->started) {
		atomic_fetch_add(&s->requests_total, 1);
		if (ok)
			atomic_fetch_add(&s->bytes_sent, c->bytes);
		if (s->obs) {
			struct http_observation o = {
				.route = c->route_name,
				.method = c->method,
				.status = c->status,
				.bytes = ok ? c->bytes : 0,
				.completed = ok,
				.seconds = secs,
			};
			s->obs(&o, s->obs_arg);
		}
		if (s->access_log && !(c->route && (c->route->flags & HTTP_ROUTE_NOLOG))) {
			char esc[256], target[512];
			redact_token(c->raw, target, sizeof(target));
			log_escape(esc, sizeof(esc), target, strlen(target));
			log_info("http %s \"%s %s\" %u %llu %.3fs%s", c->client, c->method_str, esc,
				 c->status, (unsigned long long)c->bytes, secs,
				 ok ? "" : " (cut)");
		}
	}
	snapshot_unref(c->snap);
	buf_free(&c->body);
	free(c->raw);
	free(c);
	atomic_fetch_sub(&s->inflight, 1);
}

static void on_conn(void *cls, struct MHD_Connection *conn, void **socket_context,
		    enum MHD_ConnectionNotificationCode toe)
{
	struct http_server *s = cls;

	(void)conn;
	(void)socket_context;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		atomic_fetch_add(&s->active_conns, 1);
		atomic_fetch_add(&s->conns_total, 1);
	} else {
		atomic_fetch_sub(&s->active_conns, 1);
	}
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	size_t n;

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	log_debug("http: libmicrohttpd: %s", line);
}

/* ------------------------------------------------------------------ */

static int listen_socket(const char *spec, int *fd_out, uint16_t *port_out)
{
	struct netaddr a;
	int fd, one = 1, r;
	char txt[64];

	r = netaddr_parse(spec, "0.0.0.0", 8080, &a);
	if (r < 0) {
		log_err("http: bad listen address '%s' (want ADDR:PORT)", spec);
		return r;
	}
	fd = socket(a.ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a.ss, a.len) < 0 || listen(fd, 1024) < 0) {
		r = -errno;
		log_err("http: cannot listen on %s: %s%s", netaddr_format(&a, txt, sizeof(txt)),
			strerror(-r),
			r == -EACCES ? " (ports below 1024 need root or CAP_NET_BIND_SERVICE)" : "");
		close(fd);
		return r;
	}
	a.len = sizeof(a.ss);
	getsockname(fd, (struct sockaddr *)&a.ss, &a.len);
	*port_out = netaddr_port(&a);
	*fd_out = fd;
	return 0;
}

int http_server_new(const struct http_server_opts *o, struct http_router *rt,
		    struct snapshot *snap, struct http_server **out)
{
	struct http_server *s;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned threads = o->threads;
	size_t header_max = o->header_max ? o->header_max : 8 * 1024;
	int r;

	if (!threads)
		threads = ncpu < 2 ? 2 : ncpu > 16 ? 16 : (unsigned)ncpu;
	s = calloc(1, sizeof(*s));
	if (!s) {
		http_router_free(rt);
		return -ENOMEM;
	}
	s->rt = rt;
	s->listen_fd = -1;
	s->access_log = o->access_log;
	pthread_mutex_init(&s->snap_lock, NULL);
	s->snap = snapshot_ref(snap);
	s->state_dir = strdup(o->state_dir);
	r = listen_socket(o->listen, &s->listen_fd, &s->port);
	if (r < 0)
		goto fail;
	if (o->base_url) {
		s->base_url = strdup(o->base_url);
	} else {
		struct netaddr a;
		char txt[64];
		netaddr_parse(o->listen, "0.0.0.0", s->port, &a);
		/* "0.0.0.0" is no address a client can use: callers that care
		 * (the daemon) pass config base_url or server_address. */
		if (asprintf(&s->base_url, "http://%s", netaddr_format(&a, txt, sizeof(txt))) < 0)
			s->base_url = NULL;
		if (s->base_url) {
			char *colon = strrchr(s->base_url, ':');
			if (colon && strcmp(colon + 1, "0") == 0)
				snprintf(colon + 1, 6, "%u", s->port);
		}
	}
	if (!s->state_dir || !s->base_url) {
		r = -ENOMEM;
		goto fail;
	}
	/* Memory per connection bounds the request line + headers: MHD
	 * answers 431 past it. Response headers and the send buffer use the
	 * same pool, hence the extra room. */
	s->mhd = MHD_start_daemon(
		MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_USE_ITC, 0, NULL, NULL,
		on_access, s, MHD_OPTION_LISTEN_SOCKET, s->listen_fd,
		MHD_OPTION_THREAD_POOL_SIZE, threads,
		MHD_OPTION_CONNECTION_LIMIT, o->max_conns ? o->max_conns : 1024u,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, o->per_ip_max,
		MHD_OPTION_CONNECTION_TIMEOUT, o->timeout_s ? o->timeout_s : 60u,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, header_max + 8 * 1024,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
		MHD_OPTION_NOTIFY_CONNECTION, on_conn, s,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
		MHD_OPTION_END);
	if (!s->mhd) {
		log_err("http: libmicrohttpd failed to start on %s", o->listen);
		r = -EIO;
		goto fail;
	}
	log_info("http: listening on %s (port %u, %u threads), base URL %s", o->listen, s->port,
		 threads, s->base_url);
	*out = s;
	return 0;
fail:
	http_server_free(s);
	return r;
}

void http_server_set_observer(struct http_server *s, http_observer_fn *fn, void *arg)
{
	s->obs = fn;
	s->obs_arg = arg;
}

void http_server_quiesce(struct http_server *s)
{
	MHD_socket fd;

	if (!s->mhd || s->listen_fd < 0)
		return;
	fd = MHD_quiesce_daemon(s->mhd);
	if (fd >= 0)
		close(fd);
	s->listen_fd = -1;
}

unsigned http_server_active(struct http_server *s)
{
	return atomic_load(&s->active_conns);
}

unsigned http_server_inflight(struct http_server *s)
{
	return atomic_load(&s->inflight);
}

uint16_t http_server_port(const struct http_server *s)
{
	return s->port;
}

void http_server_stats(struct http_server *s, struct http_server_stats *out)
{
	out->active_conns = atomic_load(&s->active_conns);
	out->conns_total = atomic_load(&s->conns_total);
	out->requests_total = atomic_load(&s->requests_total);
	out->bytes_sent = atomic_load(&s->bytes_sent);
}

void http_server_free(struct http_server *s)
{
	if (!s)
		return;
	if (s->mhd)
		MHD_stop_daemon(s->mhd);
	else if (s->listen_fd >= 0)
		close(s->listen_fd);
	/* With the daemon stopped MHD closed the listen socket itself unless
	 * it was quiesced (then we closed it). */
	http_router_free(s->rt);
	snapshot_unref(s->snap);
	pthread_mutex_destroy(&s->snap_lock);
	free(s->state_dir);
	free(s->base_url);
	free(s);
}
