/* ipxe: iPXE scripts over HTTP, rendered per request: /ipxe/<mac> for a
 * known machine and /ipxe/default (also for unknown MACs when provd.yaml
 * says unknown_mac: menu). The URLs inside use the request's base URL, so
 * a build-vm guest (10.0.2.2) and a lab machine each get ones they reach. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "http/serve.h"
#include "provd/base/buf.h"
#include "provd/base/err.h"
#include "provd/base/strparse.h"
#include "provd/core/config.h"
#include "provd/core/events.h"
#include "provd/core/render.h"
#include "provd/core/snapshot.h"
#include "provd/core/tmpl.h"

int ipxe_handle(struct http_req *req, struct http_resp *resp, void *arg)
{
	const struct system *sys = NULL;
	struct diags d = { 0 };
	struct buf b;
	char mac[18] = "";
	int r;

	(void)arg;
	if (strcmp(req->rest, "default") != 0) {
		if (mac_normalise(req->rest, mac) < 0)
			return http_resp_error(resp, 404, "use /ipxe/<mac> or /ipxe/default");
		sys = snapshot_system_by_mac(req->snap, mac);
		if (!sys && snapshot_config(req->snap)->unknown_mac == UNKNOWN_MAC_IGNORE)
			return http_resp_error(resp, 404, "unknown machine %s (unknown_mac: ignore)", mac);
	}
	buf_init(&b, TMPL_OUTPUT_MAX);
	r = render_ipxe(req->snap, sys ? sys->name : NULL, req->base_url, &b, &d);
	if (r < 0) {
		char *msg = d.n ? diag_format(&d.v[0]) : NULL;
		http_resp_error(resp, 500, "%s", msg ? msg : "render failed");
		free(msg);
		diags_clear(&d);
		buf_free(&b);
		return 0;
	}
	diags_clear(&d);
	http_resp_type(resp, "text/plain; charset=utf-8");
	r = http_resp_append(resp, buf_str(&b), b.len);
	buf_free(&b);
	if (r == 0 && req->method == HTTP_GET)
		events_append(req->state_dir, sys ? sys->name : NULL, mac[0] ? mac : NULL, EVENT_BOOT_FILE,
			      req->path);
	return r;
}
