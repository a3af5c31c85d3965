/* autoinstall: /autoinstall/system/<name>, /autoinstall/profile/<name>,
 * /autoinstall/mac/<mac> — kickstart/preseed answers rendered per request
 * from the snapshot (nothing on disk). */
#include "config.h"

#include "http/serve.h"

int autoinstall_handle(struct http_req *req, struct http_resp *resp, void *arg)
{
	(void)req;
	(void)arg;
	return http_resp_error(resp, 503, "renderer not available yet");
}
