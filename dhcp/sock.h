/* sock: the DHCP server's sockets on one interface: UDP 67 (and 4011 for
 * proxyDHCP) bound with SO_BINDTODEVICE, replies broadcast on that
 * interface when the client has no address yet (RFC 2131 §4.1). Reads run
 * on the daemon's event loop and go through dhcp_server_handle(). */
#ifndef PROVD_DHCP_SOCK_H
#define PROVD_DHCP_SOCK_H

#include <stdint.h>

#include "dhcp/server.h"

struct loop;
struct dhcp_sock;

/* The interface's IPv4 address and netmask (network order). */
int dhcp_iface_addr(const char *iface, uint32_t *ip, uint32_t *mask);

/* Called after each reply sent (for the event timeline). */
typedef void dhcp_reply_fn(const struct dhcp_reply *r, void *arg);

int dhcp_sock_start(struct loop *l, const char *iface, struct dhcp_server *srv, int proxy,
		    dhcp_reply_fn *fn, void *arg, struct dhcp_sock **out);
void dhcp_sock_stop(struct dhcp_sock *s);

#endif
