/* netaddr: "ADDR:PORT", "[v6]:PORT", ":PORT" and "PORT" into a sockaddr. */
#ifndef PROVD_BASE_NETADDR_H
#define PROVD_BASE_NETADDR_H

#include <stdint.h>
#include <sys/socket.h>

struct netaddr {
	struct sockaddr_storage ss;
	socklen_t len;
};

/* Missing address means default_addr (e.g. "0.0.0.0"); missing port means
 * default_port. 0 or -EINVAL. */
int netaddr_parse(const char *s, const char *default_addr, uint16_t default_port,
		  struct netaddr *out);
/* "a.b.c.d:port" or "[v6]:port" into buf. */
const char *netaddr_format(const struct netaddr *a, char *buf, unsigned long len);
uint16_t netaddr_port(const struct netaddr *a);
/* Parse a dotted IPv4 address into network byte order. */
int ipv4_parse(const char *s, uint32_t *be);

#endif
