/* route: route table and response builder. See route.h. */
#include "config.h"
#include "http/route.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

struct http_router {
	struct http_route *v;
	size_t n, cap;
};

struct http_router *http_router_new(void)
{
	return calloc(1, sizeof(struct http_router));
}

void http_router_free(struct http_router *rt)
{
	if (!rt)
		return;
	for (size_t i = 0; i < rt->n; i++) {
		free((char *)rt->v[i].name);
		free((char *)rt->v[i].pattern);
	}
	free(rt->v);
	free(rt);
}

int http_router_add(struct http_router *rt, const struct http_route *r)
{
	struct http_route c;
	bool prefix = r->flags & HTTP_ROUTE_PREFIX;
	size_t plen;

	if (!r->pattern || r->pattern[0] != '/' || !r->fn || !r->methods)
		return -EINVAL;
	plen = strlen(r->pattern);
	if (prefix && r->pattern[plen - 1] != '/')
		return -EINVAL;
	for (size_t i = 0; i < rt->n; i++)
		if (strcmp(rt->v[i].pattern, r->pattern) == 0 &&
		    !!(rt->v[i].flags & HTTP_ROUTE_PREFIX) == prefix)
			return -EEXIST;
	if (rt->n == rt->cap) {
		size_t nc = rt->cap ? rt->cap * 2 : 16;
		struct http_route *nv = realloc(rt->v, nc * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		rt->v = nv;
		rt->cap = nc;
	}
	c = *r;
	c.name = strdup(r->name ? r->name : r->pattern);
	c.pattern = strdup(r->pattern);
	if (!c.name || !c.pattern) {
		free((char *)c.name);
		free((char *)c.pattern);
		return -ENOMEM;
	}
	/* GET implies HEAD (RFC 9110 §9.3.2). */
	if (c.methods & HTTP_GET)
		c.methods |= HTTP_HEAD;
	if (!c.body_max)
		c.body_max = HTTP_BODY_MAX;
	rt->v[rt->n++] = c;
	return 0;
}

const struct http_route *http_router_match(const struct http_router *rt, const char *path,
					   const char **rest)
{
	const struct http_route *best = NULL;
	size_t best_len = 0;

	*rest = "";
	for (size_t i = 0; i < rt->n; i++) {
		const struct http_route *r = &rt->v[i];
		size_t plen = strlen(r->pattern);

		if (!(r->flags & HTTP_ROUTE_PREFIX)) {
			if (strcmp(path, r->pattern) == 0) {
				*rest = "";
				return r;	/* exact beats any prefix */
			}
			continue;
		}
		/* "/api/v1/" also matches "/api/v1" (no trailing slash). */
		if (strncmp(path, r->pattern, plen) == 0 ||
		    (strncmp(path, r->pattern, plen - 1) == 0 && path[plen - 1] == '\0')) {
			if (plen > best_len) {
				best = r;
				best_len = plen;
			}
		}
	}
	if (best)
		*rest = strlen(path) >= best_len ? path + best_len : "";
	return best;
}

bool http_route_allows(const struct http_route *r, enum http_method m)
{
	return (r->methods & (unsigned)m) != 0;
}

static const struct {
	enum http_method m;
	const char *s;
} methods[] = {
	{ HTTP_GET, "GET" },	   { HTTP_HEAD, "HEAD" },     { HTTP_POST, "POST" },
	{ HTTP_PUT, "PUT" },	   { HTTP_PATCH, "PATCH" },   { HTTP_DELETE, "DELETE" },
	{ HTTP_OPTIONS, "OPTIONS" },
};

const char *http_route_allow_str(const struct http_route *r, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		if (!(r->methods & methods[i].m))
			continue;
		int n = snprintf(buf + o, len - o, "%s%s", o ? ", " : "", methods[i].s);
		if (n < 0 || (size_t)n >= len - o)
			break;
		o += (size_t)n;
	}
	return buf;
}

enum http_method http_method_parse(const char *s)
{
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(s, methods[i].s) == 0)
			return methods[i].m;
	return 0;
}

/* Responses */

void http_resp_status(struct http_resp *r, unsigned status)
{
	r->status = status;
}

int http_resp_type(struct http_resp *r, const char *t)
{
	char *c = strdup(t);

	if (!c)
		return -ENOMEM;
	free(r->content_type);
	r->content_type = c;
	return 0;
}

static bool hdr_ok(const char *s)
{
	return s && !strpbrk(s, "\r\n");
}

int http_resp_header(struct http_resp *r, const char *name, const char *value)
{
	struct http_hdr *nv;

	if (!hdr_ok(name) || !hdr_ok(value) || !*name || strchr(name, ':'))
		return -EINVAL;
	nv = realloc(r->hdrs, (r->nhdrs + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	r->hdrs = nv;
	nv[r->nhdrs].name = strdup(name);
	nv[r->nhdrs].value = strdup(value);
	if (!nv[r->nhdrs].name || !nv[r->nhdrs].value) {
		free(nv[r->nhdrs].name);
		free(nv[r->nhdrs].value);
		return -ENOMEM;
	}
	r->nhdrs++;
	return 0;
}

static void body_init(struct http_resp *r)
{
	if (r->body.max == 0)
		buf_init(&r->body, HTTP_RESP_BODY_MAX);
}

int http_resp_append(struct http_resp *r, const void *data, size_t len)
{
	body_init(r);
	return buf_append(&r->body, data, len);
}

int http_resp_printf(struct http_resp *r, const char *fmt, ...)
{
	va_list ap;
	int rc;

	body_init(r);
	va_start(ap, fmt);
	rc = buf_vprintf(&r->body, fmt, ap);
	va_end(ap);
	return rc;
}

int http_resp_file(struct http_resp *r, int fd, uint64_t off, uint64_t len)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = fd;
	r->fd_off = off;
	r->fd_len = len;
	return 0;
}

int http_resp_error(struct http_resp *r, unsigned status, const char *fmt, ...)
{
	va_list ap;

	r->status = status;
	http_resp_type(r, "text/plain; charset=utf-8");
	body_init(r);
	buf_reset(&r->body);
	buf_printf(&r->body, "%u %s", status, http_status_reason(status));
	if (fmt && *fmt) {
		buf_puts(&r->body, ": ");
		va_start(ap, fmt);
		buf_vprintf(&r->body, fmt, ap);
		va_end(ap);
	}
	buf_putc(&r->body, '\n');
	if (r->fd >= 0) {
		close(r->fd);
		r->fd = -1;
	}
	return 0;
}

void http_resp_clear(struct http_resp *r)
{
	free(r->content_type);
	r->content_type = NULL;
	buf_free(&r->body);
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	for (size_t i = 0; i < r->nhdrs; i++) {
		free(r->hdrs[i].name);
		free(r->hdrs[i].value);
	}
	free(r->hdrs);
	r->hdrs = NULL;
	r->nhdrs = 0;
}

const char *http_status_reason(unsigned status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 416: return "Range Not Satisfiable";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}
