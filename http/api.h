/* api: the REST API under /api/v1/ (distros, profiles, systems, builds,
 * events), install callbacks under /api/v1/status/<system>/<phase>, and
 * /metrics. docs/api.md is the reference.
 *
 * Reads are open; writes (POST, PUT, PATCH, DELETE) need
 * "Authorization: Bearer <token>" with the token from the config's
 * api_token_file (written by `provd init`, mode 0600): 401 without, 403 when
 * wrong. Bodies are JSON objects, converted to YAML and validated and written
 * by the object store (store_put_yaml / store_update), the same code that
 * checks YAML files; errors come back as
 *   {"errors":[{"path":"interfaces[0].mac","message":"...","hint":"..."}]}.
 *
 * After every successful write (API or "done" callback) the new validated
 * snapshot is installed in the HTTP server at once (http_server_set_snapshot)
 * and hooks->changed is called so the daemon updates the TFTP tree and DHCP
 * before the response is sent: the client that wrote sees its write served.
 */
#ifndef PROVD_HTTP_API_H
#define PROVD_HTTP_API_H

#include "http/route.h"
#include "http/server.h"
#include "provd/core/model.h"

struct snapshot;

struct http_api_hooks {
	/* Called on the request's thread after a write committed, with the
	 * new validated snapshot (borrowed: take a reference to keep it) and
	 * the object that changed (name NULL: several). For a removal the
	 * object is absent from snap. The daemon installs snap for DHCP and
	 * re-renders that object's boot files (tftp tree). May be NULL. */
	void (*changed)(void *arg, struct snapshot *snap, enum obj_kind kind, const char *name);
	void *arg;
};

/* Add the /api/v1/ routes (API and callbacks) and /metrics to rt. hooks is
 * copied (may be NULL). One API per process. 0 or negative errno. */
int http_api_routes_add(struct http_router *rt, const struct http_api_hooks *hooks);

/* The server's observer for /metrics (requests by route and status, bytes):
 *   http_server_set_observer(srv, metrics_observe, NULL);
 * Lock-free; safe from every pool thread. */
http_observer_fn metrics_observe;

#endif
