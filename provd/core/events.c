/* events: append-only JSON-lines timeline in <state>/events.log, rotated to
 * events.log.1 past EVENTS_ROTATE_BYTES. See events.h for the format and
 * the concurrency argument (one write(2) per line on O_APPEND, line shorter
 * than PIPE_BUF; rotation under a flock). */
#include "config.h"
#include "provd/core/events.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "provd/base/buf.h"
#include "provd/base/fsutil.h"
#include "provd/base/strparse.h"

/* Reading a log never takes more than this (two files of EVENTS_ROTATE_BYTES
 * plus slack for a writer that raced past the threshold). */
#define EVENTS_READ_MAX ((size_t)EVENTS_ROTATE_BYTES + (1u << 20))

static const char *const known_kinds[] = {
	EVENT_DHCP_DISCOVER, EVENT_DHCP_OFFER, EVENT_DHCP_ACK, EVENT_DHCP_NAK, EVENT_DHCP_PROXY_ACK,
	EVENT_BOOT_FILE, EVENT_TFTP_FILE, EVENT_ANSWER,
	EVENT_CB_START, EVENT_CB_DONE, EVENT_CB_FAILED, EVENT_NETBOOT_OFF,
	EVENT_OBJECT_CHANGED, EVENT_VM_START, EVENT_VM_EXIT,
	EVENT_BUILD_START, EVENT_BUILD_DONE, EVENT_BUILD_FAILED,
};
#define N_KNOWN (sizeof(known_kinds) / sizeof(known_kinds[0]))

/* Process-lifetime counters for /metrics; the last slot is "other". */
static _Atomic uint64_t kind_count[N_KNOWN + 1];

bool event_kind_valid(const char *kind)
{
	size_t n = 0;

	if (!kind)
		return false;
	for (const char *p = kind; *p; p++, n++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return n >= 1 && n <= EVENT_KIND_MAX;
}

static void count_kind(const char *kind)
{
	size_t i;

	for (i = 0; i < N_KNOWN; i++)
		if (strcmp(known_kinds[i], kind) == 0)
			break;
	atomic_fetch_add_explicit(&kind_count[i], 1, memory_order_relaxed);
}

void events_counts(void (*fn)(const char *kind, uint64_t n, void *arg), void *arg)
{
	for (size_t i = 0; i <= N_KNOWN; i++)
		fn(i < N_KNOWN ? known_kinds[i] : "other",
		   atomic_load_explicit(&kind_count[i], memory_order_relaxed), arg);
}

static void time_now(char out[32])
{
	struct timespec ts;
	struct tm tm;
	char tmp[24];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 32, "%.19s.%03dZ", tmp, (int)(ts.tv_nsec / 1000000L) % 1000);
}

/* Cut s to at most max bytes without splitting a UTF-8 sequence; jansson
 * refuses invalid UTF-8, so bytes that are not valid UTF-8 become '?'. */
static char *text_clean(const char *s, size_t max)
{
	size_t n = strlen(s), o = 0;
	char *d;

	if (n > max)
		n = max;
	d = malloc(n + 1);
	if (!d)
		return NULL;
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 :
			     (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
		bool good = len > 0 && i + len <= n && !(len == 1 && c == 0);

		for (size_t k = 1; good && k < len; k++)
			if (((unsigned char)s[i + k] & 0xc0) != 0x80)
				good = false;
		if (good && len == 2 && c < 0xc2)
			good = false;	/* overlong */
		if (!good) {
			d[o++] = '?';
			i++;
			continue;
		}
		memcpy(d + o, s + i, len);
		o += len;
		i += len;
	}
	d[o] = '\0';
	return d;
}

static int set_text(json_t *obj, const char *key, const char *val, size_t max)
{
	char *c = text_clean(val, max);
	int r;

	if (!c)
		return -ENOMEM;
	r = json_object_set_new(obj, key, json_string(c)) < 0 ? -ENOMEM : 0;
	free(c);
	return r;
}

/* Build the line (with '\n'); detail shrinks until the line fits. */
static char *event_line(const char *system, const char *mac, const char *kind,
			const char *detail, size_t *lenp)
{
	char ts[32], macn[18];
	size_t dmax = EVENT_DETAIL_MAX;
	json_t *o = NULL;
	char *line = NULL;

	time_now(ts);
	for (;;) {
		o = json_object();
		if (!o)
			return NULL;
		json_object_set_new(o, "time", json_string(ts));
		if (system && set_text(o, "system", system, 256) < 0)
			goto fail;
		if (mac) {
			if (mac_normalise(mac, macn) == 0) {
				json_object_set_new(o, "mac", json_string(macn));
			} else if (set_text(o, "mac", mac, 64) < 0) {
				goto fail;
			}
		}
		json_object_set_new(o, "kind", json_string(kind));
		if (set_text(o, "detail", detail ? detail : "", dmax) < 0)
			goto fail;
		line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(o);
		o = NULL;
		if (!line)
			return NULL;
		size_t n = strlen(line);
		if (n + 1 < EVENT_LINE_MAX) {
			char *l2 = realloc(line, n + 2);
			if (!l2) {
				free(line);
				return NULL;
			}
			l2[n] = '\n';
			l2[n + 1] = '\0';
			*lenp = n + 1;
			return l2;
		}
		free(line);
		line = NULL;
		/* Escapes can expand a byte to six ("\u0001"): shrink and retry. */
		if (dmax == 0)
			return NULL;
		dmax /= 2;
	}
fail:
	json_decref(o);
	return NULL;
}

/* Rotate when the live file is past the limit. Only one process renames:
 * the others see, under the lock, that the path no longer names the file
 * they measured (or that it is small again) and leave it. */
static int events_rotate(const char *state_dir, const char *path, int fd, size_t len)
{
	char *lock = path_join(state_dir, EVENTS_LOCK_NAME);
	char *old = path_join(state_dir, EVENTS_LOG_OLD_NAME);
	struct stat mine, now;
	int lfd, r = 0;

	if (!lock || !old) {
		r = -ENOMEM;
		goto out;
	}
	lfd = fs_lock(lock, false);
	if (lfd < 0) {
		r = lfd;
		goto out;
	}
	if (fstat(fd, &mine) == 0 && stat(path, &now) == 0 &&
	    mine.st_ino == now.st_ino && mine.st_dev == now.st_dev &&
	    (uint64_t)now.st_size + len > EVENTS_ROTATE_BYTES) {
		if (rename(path, old) < 0)
			r = -errno;
	}
	fs_unlock(lfd);
out:
	free(lock);
	free(old);
	return r;
}

static int open_log(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);

	return fd < 0 ? -errno : fd;
}

/* One write: O_APPEND makes seek-to-end and write one step, and a
 * regular-file write below PIPE_BUF is not split between writers. */
static int write_line(int fd, const char *line, size_t len)
{
	for (;;) {
		ssize_t k = write(fd, line, len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		return (size_t)k == len ? 0 : -EIO;
	}
}

/* The log stays open between appends: an open, fstat and close per event
 * were a quarter of a small HTTP request's cost. Before each write a stat
 * of the path checks that it still names the open file (another process
 * may have rotated it, an admin may have removed it) and gives the size
 * the rotation decision needs, so lines go where they went before: the
 * file the path names at the time of the append. Appenders share the
 * descriptor under a read lock; reopening and rotating take it for
 * writing. */
static struct {
	pthread_rwlock_t lock;
	char *state_dir;	/* whose log fd is */
	char *path;		/* <state_dir>/events.log */
	int fd;
	dev_t dev;
	ino_t ino;
} lc = { .lock = PTHREAD_RWLOCK_INITIALIZER, .fd = -1 };
static pthread_once_t lc_once = PTHREAD_ONCE_INIT;

/* fork: the child keeps the descriptor (O_APPEND is shared safely) but
 * must not inherit a lock held by another thread. */
static void lc_prepare(void)
{
	pthread_rwlock_wrlock(&lc.lock);
}

static void lc_parent(void)
{
	pthread_rwlock_unlock(&lc.lock);
}

/* glibc's unlock checks the writer's thread id, which the child's thread
 * does not have: start the child with a fresh lock instead. */
static void lc_child(void)
{
	pthread_rwlock_init(&lc.lock, NULL);
}

static void lc_setup(void)
{
	pthread_atfork(lc_prepare, lc_parent, lc_child);
}

static void lc_close_locked(void)
{
	if (lc.fd >= 0)
		close(lc.fd);
	lc.fd = -1;
	free(lc.state_dir);
	free(lc.path);
	lc.state_dir = lc.path = NULL;
}

/* Fast path under the read lock: 1 if the line was written (or failed to
 * be: *r), 0 if the slow path must reopen or rotate first. */
static int append_cached(const char *state_dir, const char *line, size_t len, int *r)
{
	struct stat st;
	int done = 0;

	pthread_rwlock_rdlock(&lc.lock);
	if (lc.fd >= 0 && strcmp(lc.state_dir, state_dir) == 0 && stat(lc.path, &st) == 0 &&
	    st.st_ino == lc.ino && st.st_dev == lc.dev &&
	    (uint64_t)st.st_size + len <= EVENTS_ROTATE_BYTES) {
		*r = write_line(lc.fd, line, len);
		done = 1;
	}
	pthread_rwlock_unlock(&lc.lock);
	return done;
}

/* Slow path under the write lock: (re)open, rotate when due, write, and
 * keep the descriptor for the next appends. */
static int append_reopen(const char *state_dir, const char *line, size_t len)
{
	struct stat st;
	int fd = -1, r;

	pthread_rwlock_wrlock(&lc.lock);
	if (!lc.state_dir || strcmp(lc.state_dir, state_dir) != 0) {
		lc_close_locked();
		lc.state_dir = strdup(state_dir);
		lc.path = path_join(state_dir, EVENTS_LOG_NAME);
		if (!lc.state_dir || !lc.path) {
			lc_close_locked();
			r = -ENOMEM;
			goto out;
		}
	} else if (lc.fd >= 0) {
		close(lc.fd);
		lc.fd = -1;
	}
	fd = open_log(lc.path);
	if (fd < 0) {
		r = fd;
		goto out;
	}
	if (fstat(fd, &st) == 0 && (uint64_t)st.st_size + len > EVENTS_ROTATE_BYTES) {
		r = events_rotate(state_dir, lc.path, fd, len);
		close(fd);
		if (r < 0)
			goto out;
		fd = open_log(lc.path);
		if (fd < 0) {
			r = fd;
			goto out;
		}
	}
	r = write_line(fd, line, len);
	if (fstat(fd, &st) == 0) {
		lc.fd = fd;
		lc.dev = st.st_dev;
		lc.ino = st.st_ino;
	} else {
		close(fd);
	}
out:
	pthread_rwlock_unlock(&lc.lock);
	return r;
}

int events_append(const char *state_dir, const char *system, const char *mac,
		  const char *kind, const char *detail)
{
	char *line = NULL;
	size_t len = 0;
	int r = 0;

	if (!state_dir || !event_kind_valid(kind))
		return -EINVAL;
	count_kind(kind);
	line = event_line(system, mac, kind, detail, &len);
	if (!line)
		return -ENOMEM;
	pthread_once(&lc_once, lc_setup);
	if (!append_cached(state_dir, line, len, &r))
		r = append_reopen(state_dir, line, len);
	free(line);
	return r;
}

int events_appendf(const char *state_dir, const char *system, const char *mac,
		   const char *kind, const char *fmt, ...)
{
	char detail[EVENT_DETAIL_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return events_append(state_dir, system, mac, kind, detail);
}

static void event_free(struct event *e)
{
	free(e->time);
	free(e->system);
	free(e->mac);
	free(e->kind);
	free(e->detail);
}

void event_list_free(struct event_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		event_free(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static char *dup_field(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

static bool event_matches(const struct event *e, const struct event_filter *f)
{
	bool sys_ok, mac_ok;

	if (!f)
		return true;
	if (f->kind && strcmp(e->kind, f->kind) != 0)
		return false;
	if (f->since && strcmp(e->time, f->since) <= 0)
		return false;
	sys_ok = !f->system || (e->system && strcmp(e->system, f->system) == 0);
	mac_ok = !f->mac || (e->mac && strcasecmp(e->mac, f->mac) == 0);
	if (f->system && f->mac && f->any_of)
		return sys_ok || mac_ok;
	return sys_ok && mac_ok;
}

/* Cheap test before parsing a line: the log is written by events_append
 * only, in jansson's compact form ("key":"value", no spaces), so a line that
 * lacks "system":"NAME" cannot be NAME's. Values that JSON would escape are
 * not prefiltered (the full match after parsing decides). Reading a full
 * 8 MiB log for one system's timeline this way parses only its lines. */
struct prefilter {
	char sys[300], mac[40], kind[60];
	bool any_of;
};

static bool plain_json_text(const char *s)
{
	for (; *s; s++)
		if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

static void prefilter_init(struct prefilter *p, const struct event_filter *f)
{
	memset(p, 0, sizeof(*p));
	if (!f)
		return;
	if (f->system && plain_json_text(f->system) && strlen(f->system) < 256)
		snprintf(p->sys, sizeof(p->sys), "\"system\":\"%s\"", f->system);
	/* MACs are stored normalised (lower case); compare case-insensitively
	 * after parsing, so only prefilter an already-normalised one. */
	if (f->mac && strlen(f->mac) == 17 && plain_json_text(f->mac)) {
		bool lower = true;
		for (const char *c = f->mac; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				lower = false;
		if (lower)
			snprintf(p->mac, sizeof(p->mac), "\"mac\":\"%s\"", f->mac);
	}
	if (f->kind && event_kind_valid(f->kind))
		snprintf(p->kind, sizeof(p->kind), "\"kind\":\"%s\"", f->kind);
	p->any_of = f->any_of && f->system && f->mac;
	if (p->any_of && (!p->sys[0] || !p->mac[0]))
		p->sys[0] = p->mac[0] = '\0';	/* OR needs both to be exact */
}

static bool has(const char *line, size_t n, const char *needle)
{
	return memmem(line, n, needle, strlen(needle)) != NULL;
}

static bool prefilter_pass(const struct prefilter *p, const char *line, size_t n)
{
	if (p->kind[0] && !has(line, n, p->kind))
		return false;
	if (p->any_of)
		return !p->sys[0] || has(line, n, p->sys) || has(line, n, p->mac);
	if (p->sys[0] && !has(line, n, p->sys))
		return false;
	if (p->mac[0] && !has(line, n, p->mac))
		return false;
	return true;
}

/* A ring of the newest `limit` events, or a growing array when limit is 0. */
struct collect {
	struct event_list *l;
	size_t cap, limit, head;	/* head: oldest slot when the ring is full */
};

static int collect_push(struct collect *c, struct event *e)
{
	if (c->limit && c->l->n == c->limit) {
		event_free(&c->l->v[c->head]);
		c->l->v[c->head] = *e;
		c->head = (c->head + 1) % c->limit;
		return 0;
	}
	if (c->l->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 64;
		struct event *nv;
		if (c->limit && ncap > c->limit)
			ncap = c->limit;
		nv = realloc(c->l->v, ncap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		c->l->v = nv;
		c->cap = ncap;
	}
	c->l->v[c->l->n++] = *e;
	return 0;
}

/* One log line (without '\n') -> *e when it parses and matches f.
 * Returns 1 (e filled: caller frees), 0 (skip), or -ENOMEM. */
static int parse_line(const char *p, size_t n, const struct event_filter *f,
		      const struct prefilter *pf, struct event *e)
{
	json_t *o;

	memset(e, 0, sizeof(*e));
	if (!prefilter_pass(pf, p, n))
		return 0;
	o = json_loadb(p, n, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		return 0;
	}
	e->time = dup_field(o, "time");
	e->kind = dup_field(o, "kind");
	e->system = dup_field(o, "system");
	e->mac = dup_field(o, "mac");
	e->detail = dup_field(o, "detail");
	json_decref(o);
	if (!e->time || !e->kind) {
		event_free(e);
		return 0;
	}
	if (!e->detail && !(e->detail = strdup(""))) {
		event_free(e);
		return -ENOMEM;
	}
	if (!event_matches(e, f)) {
		event_free(e);
		return 0;
	}
	return 1;
}

/* Complete lines of data[0..len) into c; returns the bytes consumed (up to
 * and including the last '\n') or -ENOMEM. A last line without '\n' is a
 * write still in flight or a crash mid-line: left for the caller. */
static ssize_t parse_lines(const char *data, size_t len, const struct event_filter *f,
			   struct collect *c)
{
	const char *p = data, *end = data + len;
	struct prefilter pf;

	prefilter_init(&pf, f);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		struct event e;
		int r;

		if (!nl)
			break;
		r = parse_line(p, (size_t)(nl - p), f, &pf, &e);
		p = nl + 1;
		if (r < 0)
			return r;
		if (r == 0)
			continue;
		r = collect_push(c, &e);
		if (r < 0) {
			event_free(&e);
			return r;
		}
	}
	return p - data;
}

static int read_one(const char *path, const struct event_filter *f, struct collect *c)
{
	char *data = NULL;
	size_t len = 0;
	ssize_t k;
	int r = fs_read_file(path, EVENTS_READ_MAX, &data, &len);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	k = parse_lines(data, len, f, c);
	free(data);
	return k < 0 ? (int)k : 0;
}

int events_read(const char *state_dir, const struct event_filter *f,
		struct event_list *out)
{
	struct collect c = { .l = out, .limit = f ? f->limit : 0 };
	char *old = path_join(state_dir, EVENTS_LOG_OLD_NAME);
	char *cur = path_join(state_dir, EVENTS_LOG_NAME);
	int r;

	out->v = NULL;
	out->n = 0;
	if (!old || !cur) {
		r = -ENOMEM;
		goto out;
	}
	r = read_one(old, f, &c);
	if (r == 0)
		r = read_one(cur, f, &c);
	if (r < 0) {
		event_list_free(out);
		goto out;
	}
	/* Unroll the ring so the list is oldest first. */
	if (c.head) {
		struct event *nv = malloc(out->n * sizeof(*nv));
		if (!nv) {
			event_list_free(out);
			r = -ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < out->n; i++)
			nv[i] = out->v[(c.head + i) % out->n];
		free(out->v);
		out->v = nv;
	}
out:
	free(old);
	free(cur);
	return r;
}

void events_print_line(const struct event *e, FILE *f)
{
	char t[32];

	/* "2026-11-22T11:40:00.123Z" -> "2026-11-22 11:40:00.123" */
	snprintf(t, sizeof(t), "%s", e->time);
	if (strlen(t) > 10 && t[10] == 'T')
		t[10] = ' ';
	if (t[0] && t[strlen(t) - 1] == 'Z')
		t[strlen(t) - 1] = '\0';
	fprintf(f, "%-23s  %-17s  %-12s  %-15s  %s\n", t, e->mac ? e->mac : "-",
		e->system ? e->system : "-", e->kind, e->detail);
}

void events_print(const struct event_list *l, FILE *f)
{
	fprintf(f, "%-23s  %-17s  %-12s  %-15s  %s\n", "TIME", "MAC", "SYSTEM", "KIND", "DETAIL");
	for (size_t i = 0; i < l->n; i++)
		events_print_line(&l->v[i], f);
}

int events_print_timeline(const char *state_dir, const char *system, FILE *f)
{
	struct event_filter flt = { .system = system };
	struct event_list l;
	int r = events_read(state_dir, &flt, &l);

	if (r < 0)
		return r;
	if (l.n == 0)
		fprintf(f, "  (no events)\n");
	else
		events_print(&l, f);
	event_list_free(&l);
	return 0;
}

/* ---- following the live log (tail -F) ---- */

#define FOLLOW_CHUNK 65536

struct event_follow {
	char *path;
	int fd;			/* -1 until the log exists */
	dev_t dev;
	ino_t ino;
	off_t off;		/* next byte to read */
	char *pend;		/* an incomplete last line (a write in flight) */
	size_t npend;
};

static void follow_attach(struct event_follow *fw, bool at_end)
{
	struct stat st;
	int fd = open(fw->path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return;
	}
	fw->fd = fd;
	fw->dev = st.st_dev;
	fw->ino = st.st_ino;
	fw->off = at_end ? st.st_size : 0;
	fw->npend = 0;
}

int events_follow_open(const char *state_dir, struct event_follow **out)
{
	struct event_follow *fw = calloc(1, sizeof(*fw));

	if (!fw || !(fw->path = path_join(state_dir, EVENTS_LOG_NAME)) ||
	    !(fw->pend = malloc(EVENT_LINE_MAX * 2))) {
		events_follow_close(fw);
		return -ENOMEM;
	}
	fw->fd = -1;
	follow_attach(fw, true);
	*out = fw;
	return 0;
}

void events_follow_close(struct event_follow *fw)
{
	if (!fw)
		return;
	if (fw->fd >= 0)
		close(fw->fd);
	free(fw->path);
	free(fw->pend);
	free(fw);
}

/* Everything appended to fw->fd since the last read. */
static int follow_drain(struct event_follow *fw, const struct event_filter *f,
			struct collect *c)
{
	char *buf = malloc(EVENT_LINE_MAX * 2 + FOLLOW_CHUNK);
	int r = 0;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t k, used;
		size_t have;

		memcpy(buf, fw->pend, fw->npend);
		k = pread(fw->fd, buf + fw->npend, FOLLOW_CHUNK, fw->off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = -errno;
			break;
		}
		if (k == 0)
			break;
		fw->off += k;
		have = fw->npend + (size_t)k;
		used = parse_lines(buf, have, f, c);
		if (used < 0) {
			r = (int)used;
			break;
		}
		fw->npend = have - (size_t)used;
		if (fw->npend > EVENT_LINE_MAX * 2)
			fw->npend = 0;	/* not a line of ours: drop it */
		memmove(fw->pend, buf + used, fw->npend);
	}
	free(buf);
	return r;
}

int events_follow_read(struct event_follow *fw, const struct event_filter *f,
		       struct event_list *out)
{
	struct collect c = { .l = out };
	struct stat st;
	int r = 0;

	out->v = NULL;
	out->n = 0;
	if (fw->fd < 0) {
		follow_attach(fw, false);	/* created since: read it all */
		if (fw->fd < 0)
			return 0;
	}
	r = follow_drain(fw, f, &c);
	/* Rotated (renamed to .1, a new file in its place)? The old file is
	 * read to its end above; carry on at the start of the new one. */
	if (r == 0 && stat(fw->path, &st) == 0 && (st.st_ino != fw->ino || st.st_dev != fw->dev)) {
		r = follow_drain(fw, f, &c);	/* a writer that raced the rename */
		close(fw->fd);
		fw->fd = -1;
		follow_attach(fw, false);
		if (r == 0 && fw->fd >= 0)
			r = follow_drain(fw, f, &c);
	}
	if (r < 0)
		event_list_free(out);
	return r;
}
