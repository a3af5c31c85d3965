/* autoinstall: /autoinstall/system/<name>, /autoinstall/profile/<name>,
 * /autoinstall/mac/<mac> — kickstart/preseed answers rendered per request
 * from the request's snapshot (nothing on disk), text/plain. The same
 * snapshot gives the same bytes, so `provd render autoinstall` and a client
 * can compare; the ETag is the sha256 of the body. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/serve.h"
#include "provd/base/sha256.h"
#include "provd/base/strparse.h"
#include "provd/core/events.h"
#include "provd/core/model.h"
#include "provd/core/snapshot.h"
#include "provd/core/render.h"
#include "provd/core/tmpl.h"
#include "provd/base/buf.h"

enum ai_kind { AI_SYSTEM, AI_PROFILE };

/* Render the answer for a system or profile into resp's body. Returns 0,
 * -ENOENT (no template configured), or another negative errno with a
 * message in err. */
static int ai_render(struct http_req *req, enum ai_kind kind, const char *name,
		     struct http_resp *resp, char *err, size_t errlen)
{
	struct diags d = { 0 };
	struct buf b;
	int r;

	buf_init(&b, TMPL_OUTPUT_MAX);
	r = render_autoinstall(req->snap, kind == AI_SYSTEM ? OBJ_SYSTEM : OBJ_PROFILE, name,
			       req->base_url, &b, &d);
	if (r < 0) {
		char *msg = d.n ? diag_format(&d.v[0]) : NULL;
		snprintf(err, errlen, "%s", msg ? msg : "render failed");
		free(msg);
		diags_clear(&d);
		buf_free(&b);
		return r == -ENODATA ? -ENOENT : r;
	}
	diags_clear(&d);
	http_resp_type(resp, "text/plain; charset=utf-8");
	r = http_resp_append(resp, buf_str(&b), b.len);
	buf_free(&b);
	return r;
}

int autoinstall_handle(struct http_req *req, struct http_resp *resp, void *arg)
{
	const char *rest = req->rest;
	const char *name;
	const char *mac = NULL;
	char macbuf[18];
	char err[512] = "";
	enum ai_kind kind;
	int r;

	(void)arg;
	if (strncmp(rest, "system/", 7) == 0) {
		kind = AI_SYSTEM;
		name = rest + 7;
	} else if (strncmp(rest, "profile/", 8) == 0) {
		kind = AI_PROFILE;
		name = rest + 8;
	} else if (strncmp(rest, "mac/", 4) == 0) {
		const struct system *sys;
		if (mac_normalise(rest + 4, macbuf) < 0)
			return http_resp_error(resp, 400, "not a MAC address");
		mac = macbuf;
		sys = snapshot_system_by_mac(req->snap, mac);
		if (!sys)
			return http_resp_error(resp, 404, "no system has MAC %s", mac);
		kind = AI_SYSTEM;
		name = sys->name;
	} else {
		return http_resp_error(resp, 404, "use /autoinstall/system/NAME, /autoinstall/profile/NAME or /autoinstall/mac/MAC");
	}
	if (!name_valid(name))
		return http_resp_error(resp, 404, "not an object name");
	if (kind == AI_SYSTEM ? !snapshot_system(req->snap, name) : !snapshot_profile(req->snap, name))
		return http_resp_error(resp, 404, "no %s named %s", kind == AI_SYSTEM ? "system" : "profile",
				       name);

	r = ai_render(req, kind, name, resp, err, sizeof(err));
	if (r == -ENOENT)
		return http_resp_error(resp, 404, "%s", err);
	if (r < 0)
		return http_resp_error(resp, r == -ENOSYS ? 503 : 500, "%s", err);

	if (req->method == HTTP_GET)
		events_append(req->state_dir, kind == AI_SYSTEM ? name : NULL, mac, EVENT_ANSWER,
			      req->path);
	return 0;
}
