/* netaddr: address:port parsing. */
#include "config.h"
#include "provd/base/netaddr.h"
#include "provd/base/strparse.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

int ipv4_parse(const char *s, uint32_t *be)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*be = a.s_addr;
	return 0;
}

int netaddr_parse(const char *s, const char *default_addr, uint16_t default_port,
		  struct netaddr *out)
{
	char host[64];
	const char *port = NULL;
	uint64_t p = default_port;
	size_t hl;

	memset(out, 0, sizeof(*out));
	if (!s)
		return -EINVAL;
	if (s[0] == '[') {
		const char *e = strchr(s, ']');
		if (!e || (size_t)(e - s - 1) >= sizeof(host))
			return -EINVAL;
		hl = (size_t)(e - s - 1);
		memcpy(host, s + 1, hl);
		host[hl] = '\0';
		if (e[1] == ':')
			port = e + 2;
		else if (e[1])
			return -EINVAL;
	} else {
		const char *c = strrchr(s, ':');
		if (c) {
			hl = (size_t)(c - s);
			port = c + 1;
		} else if (s[0] >= '0' && s[0] <= '9' && !strchr(s, '.')) {
			hl = 0;
			port = s;
		} else {
			hl = strlen(s);
		}
		if (hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, hl);
		host[hl] = '\0';
	}
	if (!host[0]) {
		if (!default_addr || strlen(default_addr) >= sizeof(host))
			return -EINVAL;
		strcpy(host, default_addr);
	}
	if (port && parse_u64(port, 0, 65535, &p) < 0)
		return -EINVAL;
	if (strchr(host, ':')) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&out->ss;
		if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
			return -EINVAL;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)p);
		out->len = sizeof(*a6);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&out->ss;
		if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
			return -EINVAL;
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)p);
		out->len = sizeof(*a4);
	}
	return 0;
}

uint16_t netaddr_port(const struct netaddr *a)
{
	if (a->ss.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
}

const char *netaddr_format(const struct netaddr *a, char *buf, unsigned long len)
{
	char h[INET6_ADDRSTRLEN] = "?";

	if (a->ss.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)&a->ss)->sin6_addr, h, sizeof(h));
		snprintf(buf, len, "[%s]:%u", h, netaddr_port(a));
	} else {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)&a->ss)->sin_addr, h, sizeof(h));
		snprintf(buf, len, "%s:%u", h, netaddr_port(a));
	}
	return buf;
}
