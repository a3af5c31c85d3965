/* serve: the boot-serving route handlers of http/ (internal to the folder;
 * http_serve_routes_add() in server.h registers them). */
#ifndef PROVD_HTTP_SERVE_H
#define PROVD_HTTP_SERVE_H

#include "http/route.h"

/* static.c: GET/HEAD /boot/<distro>/<file> from <state>/files; with arg
 * "tftp/pxelinux.cfg" or "tftp/grub" (a folder under the state dir) the
 * same for /pxelinux.cfg/ and /grub/. */
int static_boot_handle(struct http_req *req, struct http_resp *resp, void *arg);
/* static.c: GET/HEAD of one loader file at the root of the rendered TFTP
 * tree, named by the exact route (/ipxe.efi or /grubnetx64.efi for UEFI
 * HTTP boot, which DHCP option 93 arch 16 is sent to). */
int static_loader_handle(struct http_req *req, struct http_resp *resp, void *arg);
/* static.c: GET /healthz. */
int static_healthz_handle(struct http_req *req, struct http_resp *resp, void *arg);
/* autoinstall.c: /autoinstall/{system,profile,mac}/NAME. */
int autoinstall_handle(struct http_req *req, struct http_resp *resp, void *arg);
/* ipxe.c: /ipxe/<mac> and /ipxe/default. */
int ipxe_handle(struct http_req *req, struct http_resp *resp, void *arg);

/* The system whose interface has IPv4 address ip (text), or NULL. For
 * attributing boot-file fetches in the event timeline. */
struct snapshot;
struct system;
const struct system *serve_system_by_ip(const struct snapshot *s, const char *ip);

#endif
