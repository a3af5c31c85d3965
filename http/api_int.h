/* api_int: helpers shared by the API's own files (api.c, callback.c,
 * metrics.c); not for other folders. */
#ifndef PROVD_HTTP_API_INT_H
#define PROVD_HTTP_API_INT_H

#include <jansson.h>

#include "http/route.h"
#include "provd/core/model.h"

struct snapshot;

#define CALLBACK_BODY_MAX 4096	/* a callback may POST a short message */

/* Send j (consumed) as the JSON response with status. 0 or -ENOMEM. */
int api_send_json(struct http_resp *resp, unsigned status, json_t *j);
/* {"errors":[{"path":path,"message":...,"hint":hint}]} with status. */
int api_send_error(struct http_resp *resp, unsigned status, const char *path,
		   const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Bearer check for writes: 0 allowed; 1 when the response (401/403) is
 * filled; negative errno on failure. */
int api_check_auth(struct http_req *req, struct http_resp *resp);
/* A write committed snap: install it in the server, call the daemon hook. */
void api_committed(struct http_req *req, struct snapshot *snap, enum obj_kind kind,
		   const char *name);

/* Held from a store write until its snapshot is installed (api.c says why). */
void api_write_lock(void);
void api_write_unlock(void);

/* /api/v1/status/<system>/<phase> (callback.c). */
int callback_handle(struct http_req *req, struct http_resp *resp, void *arg);

#endif
