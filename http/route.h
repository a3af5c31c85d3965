/* route: the route table and the small request/response abstraction every
 * HTTP handler (static files, autoinstall, iPXE, REST API, callbacks,
 * metrics) plugs into, so no handler sees libmicrohttpd.
 *
 * How a request flows (http/server.c):
 *   1. The raw request target is split at '?'; the path part is
 *      percent-decoded ONCE and canonicalised (http/path.h). A path that
 *      decodes to NUL, climbs above '/', or is too long is answered 400
 *      before any handler runs. Handlers therefore see req->path with no
 *      "//", "/./", "/../" and no NUL; "%2e%2e" arrives as a literal ".."
 *      component only if it survived canonicalisation (it never does).
 *   2. The route whose pattern matches wins: an exact pattern beats a
 *      prefix pattern, a longer prefix beats a shorter one. No route: 404.
 *      Route found but method not allowed: 405 with an Allow header.
 *   3. HEAD is accepted wherever GET is; the handler runs with method
 *      HTTP_HEAD, fills the response as for GET, and the server sends the
 *      headers (Content-Length included) without the body.
 *   4. For routes with HTTP_ROUTE_BODY the body is collected first (capped
 *      at route->body_max, default HTTP_BODY_MAX; bigger: 413, the handler
 *      never runs).
 *   5. The handler runs on one of the server's threads with a snapshot
 *      reference that is held until the response has been sent, so it may
 *      point the response at snapshot strings only via copies (http_resp_*
 *      copy everything they are given).
 *
 * A handler fills *resp and returns 0. A negative errno return means "I
 * failed": the server logs it and answers 500 (whatever resp holds is
 * dropped). A handler never blocks for long (no network waits): the thread
 * pool is small.
 *
 * Example (a handler in http/api.c):
 *
 *	static int api_systems_get(struct http_req *req, struct http_resp *resp, void *arg)
 *	{
 *		const struct system *s = snapshot_system(req->snap, req->rest);
 *		if (!s)
 *			return http_resp_error(resp, 404, "no system '%s'", req->rest);
 *		http_resp_type(resp, "application/json");
 *		return http_resp_printf(resp, "{\"name\":\"%s\"}\n", s->name);
 *	}
 *	...
 *	static const struct http_route r = {
 *		.name = "api", .pattern = "/api/v1/systems/", .flags = HTTP_ROUTE_PREFIX,
 *		.methods = HTTP_GET, .fn = api_systems_get,
 *	};
 *	http_router_add(rt, &r);
 */
#ifndef PROVD_HTTP_ROUTE_H
#define PROVD_HTTP_ROUTE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "provd/base/buf.h"

struct snapshot;
struct http_server;

enum http_method {
	HTTP_GET = 1u << 0,
	HTTP_HEAD = 1u << 1,
	HTTP_POST = 1u << 2,
	HTTP_PUT = 1u << 3,
	HTTP_PATCH = 1u << 4,
	HTTP_DELETE = 1u << 5,
	HTTP_OPTIONS = 1u << 6,
};

#define HTTP_BODY_MAX (1u << 20)	/* default request body cap: 1 MiB */
#ifndef HTTP_PATH_MAX
#define HTTP_PATH_MAX 1024		/* decoded path, bytes (http/path.h) */
#endif
#define HTTP_RESP_BODY_MAX (64u << 20)	/* cap of an in-memory response body */

struct http_req {
	enum http_method method;
	const char *method_str;		/* "GET" ... as sent */
	const char *path;		/* decoded once, canonical; starts with '/' */
	const char *rest;		/* prefix routes: path after the pattern ("" when
					 * none); exact routes: "" */
	const char *route;		/* name of the matched route ("boot", "api", ...) */
	const char *raw_target;		/* request target as received (log only) */
	struct snapshot *snap;		/* held for the request; never NULL */
	const char *state_dir;		/* the daemon's state directory */
	const char *base_url;		/* public base URL ("http://192.0.2.1:8080"), no '/' at end */
	const struct sockaddr *client_addr;	/* may be NULL */
	const char *client;		/* client address as text ("192.0.2.9") */
	const char *body;		/* HTTP_ROUTE_BODY routes: NUL-terminated body, else NULL */
	size_t body_len;
	struct http_server *server;	/* for http_server_stats() (metrics) */
	void *priv;			/* server-private (the MHD connection) */
};

/* Decoded query argument ("?resolved=1" -> "1"; a key without '=' gives "").
 * NULL when absent. Valid during the request. */
const char *http_req_query(const struct http_req *r, const char *key);
/* Request header by case-insensitive name; NULL when absent. */
const char *http_req_header(const struct http_req *r, const char *name);

/* A response being built. Set up by the server as HTTP_RESP_INIT (status
 * 200, fd -1) before the handler runs; freed by the server. */
struct http_hdr {
	char *name;
	char *value;
};

struct http_resp {
	unsigned status;		/* 200 unless set */
	char *content_type;		/* owned; default "text/plain; charset=utf-8" */
	struct buf body;		/* in-memory body (capped at HTTP_RESP_BODY_MAX) */
	int fd;				/* file body instead of buf (sendfile), -1 if none; owned */
	uint64_t fd_off, fd_len;
	struct http_hdr *hdrs;		/* extra headers, owned */
	size_t nhdrs;
	uint64_t body_bytes;		/* set by the server: bytes the body will carry */
};

/* Initialiser for a response outside the server (tests): status 200, no fd. */
#define HTTP_RESP_INIT { .status = 200, .fd = -1 }

void http_resp_status(struct http_resp *r, unsigned status);
/* Copies t. 0 or -ENOMEM. */
int http_resp_type(struct http_resp *r, const char *t);
/* Add a header (copies; name and value must not hold CR/LF: -EINVAL). */
int http_resp_header(struct http_resp *r, const char *name, const char *value);
/* Append to the in-memory body. 0, -E2BIG past HTTP_RESP_BODY_MAX, -ENOMEM. */
int http_resp_append(struct http_resp *r, const void *data, size_t len);
int http_resp_printf(struct http_resp *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Serve len bytes of fd from off with sendfile; takes ownership of fd
 * (closed by the server, also on error). */
int http_resp_file(struct http_resp *r, int fd, uint64_t off, uint64_t len);
/* Plain-text error: sets status, text/plain and body "STATUS REASON: msg\n".
 * Returns 0 so a handler can `return http_resp_error(...)`. */
int http_resp_error(struct http_resp *r, unsigned status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Release everything a response holds (used by the server and tests). */
void http_resp_clear(struct http_resp *r);
/* "Not Found" for 404, ... ("Unknown" otherwise). */
const char *http_status_reason(unsigned status);

typedef int http_handler_fn(struct http_req *req, struct http_resp *resp, void *arg);

#define HTTP_ROUTE_PREFIX 0x1u	/* pattern ends in '/' and matches everything below */
#define HTTP_ROUTE_BODY 0x2u	/* collect the request body before calling fn */
#define HTTP_ROUTE_NOLOG 0x4u	/* no access-log line (healthz, metrics scrapes) */

struct http_route {
	const char *name;	/* short label for logs and metrics */
	const char *pattern;	/* "/healthz" (exact) or "/api/v1/" with HTTP_ROUTE_PREFIX */
	unsigned methods;	/* enum http_method bits; GET implies HEAD */
	unsigned flags;		/* HTTP_ROUTE_* */
	size_t body_max;	/* HTTP_ROUTE_BODY cap; 0: HTTP_BODY_MAX */
	http_handler_fn *fn;
	void *arg;
};

struct http_router;

struct http_router *http_router_new(void);
void http_router_free(struct http_router *rt);	/* NULL-safe */
/* Copy *r into the table (strings copied). -EEXIST when the same pattern
 * with the same prefix flag is already there; -EINVAL for a bad pattern. */
int http_router_add(struct http_router *rt, const struct http_route *r);
/* Best route for path (see above); NULL when none. *rest gets the part of
 * path after a prefix pattern ("" for exact). The method is not checked
 * here; see http_route_allows. */
const struct http_route *http_router_match(const struct http_router *rt, const char *path,
					   const char **rest);
bool http_route_allows(const struct http_route *r, enum http_method m);
/* "GET, HEAD, POST" for an Allow header, into buf. */
const char *http_route_allow_str(const struct http_route *r, char *buf, size_t len);
/* "GET" -> HTTP_GET; 0 for an unknown method. */
enum http_method http_method_parse(const char *s);

#endif
