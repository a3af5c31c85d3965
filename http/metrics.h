/* metrics: Prometheus text exposition (version 0.0.4) for /metrics.
 *
 * Counters are process-wide, lock-free and updated from the server's pool
 * threads through metrics_observe (http/api.h): requests by route, method
 * class and status, response bytes by route, request durations. Connection
 * gauges come from http_server_stats(); events by kind from events_counts().
 */
#ifndef PROVD_HTTP_METRICS_H
#define PROVD_HTTP_METRICS_H

#include <stdint.h>

#include "http/route.h"
#include "http/server.h"
#include "provd/base/buf.h"

/* Distinct (route, status) pairs tracked; more pairs count under
 * route="overflow". */
#define METRICS_SLOTS 256

/* Render every metric into out (appends). srv may be NULL (no server
 * gauges). 0 or negative errno. */
int metrics_render(struct http_server *srv, struct buf *out);

/* Route handler for GET /metrics (registered by http_api_routes_add). */
int metrics_handle(struct http_req *req, struct http_resp *resp, void *arg);

/* For tests: the count of requests seen for route/status (0 if none). */
uint64_t metrics_requests(const char *route, unsigned status);

#endif
