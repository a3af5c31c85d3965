/* server: provd's HTTP server on libmicrohttpd: its own epoll thread pool,
 * connection and per-IP limits, idle timeout, header and body caps, an access
 * log, and the current snapshot that every request takes a reference to.
 *
 * The daemon (provd/cmd/daemon.c) builds a route table (http/route.h: the
 * boot/autoinstall/ipxe routes from http_serve_routes_add() below, the API
 * from http/api.h), creates the server with the first snapshot, and on every
 * reload calls http_server_set_snapshot(); requests already running keep the
 * snapshot they started with. Shutdown: http_server_quiesce() stops
 * accepting, http_server_active() tells when in-flight transfers are done,
 * http_server_free() cuts whatever is left.
 *
 * Threads: handlers run on the pool's threads. Block the signals the daemon
 * handles (loop_signal_add) BEFORE http_server_new so the pool inherits the
 * mask.
 */
#ifndef PROVD_HTTP_SERVER_H
#define PROVD_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/route.h"

struct snapshot;

struct http_server_opts {
	const char *listen;	/* "ADDR:PORT" (netaddr_parse); required */
	const char *state_dir;	/* required */
	const char *base_url;	/* public base URL; NULL: "http://<listen>" */
	unsigned threads;	/* pool size; 0: number of CPUs (2..16) */
	unsigned max_conns;	/* 0: 1024 */
	unsigned per_ip_max;	/* 0: unlimited */
	unsigned timeout_s;	/* idle connection timeout; 0: 60 */
	size_t header_max;	/* request line + headers; 0: 8 KiB (bigger: 431) */
	bool access_log;	/* one info line per request */
};

struct http_server;

/* Bind, start the pool, serve rt (ownership of rt passes to the server, also
 * on failure) with snap (the server takes its own reference). 0 and *out, or
 * a negative errno with an error logged (-EADDRINUSE, -EACCES, ...). */
int http_server_new(const struct http_server_opts *o, struct http_router *rt,
		    struct snapshot *snap, struct http_server **out);
/* Swap in a new snapshot (takes its own reference; the old one is released
 * when its last request finishes). Thread-safe. */
void http_server_set_snapshot(struct http_server *s, struct snapshot *snap);
/* The current snapshot with a new reference (caller unrefs). */
struct snapshot *http_server_snapshot(struct http_server *s);
/* Stop accepting new connections; running ones continue. */
void http_server_quiesce(struct http_server *s);
/* Connections currently open. */
unsigned http_server_active(struct http_server *s);
/* Requests started and not yet finished (idle keep-alive connections do
 * not count): the shutdown grace period waits for this to reach 0. */
unsigned http_server_inflight(struct http_server *s);
/* Stop the pool, close every connection, free. NULL-safe. */
void http_server_free(struct http_server *s);
/* The bound port (useful with port 0). */
uint16_t http_server_port(const struct http_server *s);

/* Counters for /metrics (http/metrics.c). */
struct http_server_stats {
	unsigned active_conns;
	uint64_t conns_total;
	uint64_t requests_total;
	uint64_t bytes_sent;	/* response body bytes of requests that completed */
};
void http_server_stats(struct http_server *s, struct http_server_stats *out);

/* Called once per finished request on a pool thread (metrics). route is
 * "none" for 404s without a route and "bad" for rejected paths. */
struct http_observation {
	const char *route;
	enum http_method method;
	unsigned status;
	uint64_t bytes;		/* body bytes sent; 0 when the transfer was cut */
	bool completed;		/* false: client went away / timeout / shutdown */
	double seconds;
};
typedef void http_observer_fn(const struct http_observation *o, void *arg);
/* Set before traffic starts (not synchronised against running requests). */
void http_server_set_observer(struct http_server *s, http_observer_fn *fn, void *arg);

/* The boot-serving routes this folder implements: /boot/ (static.c),
 * /autoinstall/ (autoinstall.c), /ipxe/, /pxelinux.cfg/, /grub/ (ipxe.c)
 * and /healthz. 0 or negative errno. */
int http_serve_routes_add(struct http_router *rt);

#endif
