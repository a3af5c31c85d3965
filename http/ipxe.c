/* ipxe: iPXE scripts over HTTP, rendered per request: /ipxe/<mac> and
 * /ipxe/default. */
#include "config.h"

#include "http/serve.h"

int ipxe_handle(struct http_req *req, struct http_resp *resp, void *arg)
{
	(void)req;
	(void)arg;
	return http_resp_error(resp, 503, "renderer not available yet");
}
