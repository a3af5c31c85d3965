/* serve: registers the boot-serving routes of this folder (server.h). */
#include "config.h"

#include <stddef.h>

#include "http/serve.h"
#include "http/server.h"

int http_serve_routes_add(struct http_router *rt)
{
	static const struct http_route routes[] = {
		{ .name = "boot", .pattern = "/boot/", .flags = HTTP_ROUTE_PREFIX,
		  .methods = HTTP_GET, .fn = static_boot_handle },
		{ .name = "autoinstall", .pattern = "/autoinstall/", .flags = HTTP_ROUTE_PREFIX,
		  .methods = HTTP_GET, .fn = autoinstall_handle },
		{ .name = "ipxe", .pattern = "/ipxe/", .flags = HTTP_ROUTE_PREFIX,
		  .methods = HTTP_GET, .fn = ipxe_handle },
		/* lpxelinux and GRUB over HTTP: the rendered TFTP tree. */
		{ .name = "pxelinux", .pattern = "/pxelinux.cfg/", .flags = HTTP_ROUTE_PREFIX,
		  .methods = HTTP_GET, .fn = static_boot_handle, .arg = (void *)"tftp/pxelinux.cfg" },
		{ .name = "grub", .pattern = "/grub/", .flags = HTTP_ROUTE_PREFIX,
		  .methods = HTTP_GET, .fn = static_boot_handle, .arg = (void *)"tftp/grub" },
		/* UEFI HTTP boot (DHCP arch 16) loads iPXE (when the tree
		 * has it) or GRUB from here. */
		{ .name = "loader", .pattern = "/grubnetx64.efi",
		  .methods = HTTP_GET, .fn = static_loader_handle, .arg = (void *)"grubnetx64.efi" },
		{ .name = "loader-ipxe", .pattern = "/ipxe.efi",
		  .methods = HTTP_GET, .fn = static_loader_handle, .arg = (void *)"ipxe.efi" },
		{ .name = "healthz", .pattern = "/healthz", .flags = HTTP_ROUTE_NOLOG,
		  .methods = HTTP_GET, .fn = static_healthz_handle },
	};
	int r;

	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		r = http_router_add(rt, &routes[i]);
		if (r < 0)
			return r;
	}
	return 0;
}
