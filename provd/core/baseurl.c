/* baseurl: pick the public base URL (see baseurl.h). */
#include <config.h>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provd/base/netaddr.h"
#include "provd/core/baseurl.h"
#include "provd/core/config.h"

char *base_url_pick(const struct config *c, const char *listen)
{
	char host[INET6_ADDRSTRLEN] = "127.0.0.1";
	struct netaddr a;
	struct ifaddrs *ifs = NULL;
	uint16_t port = 8080;
	char *url = NULL;

	if (c->base_url)
		return strdup(c->base_url);
	if (!listen)
		listen = c->http_listen ? c->http_listen : "0.0.0.0:8080";
	if (netaddr_parse(listen, "0.0.0.0", 8080, &a) == 0) {
		port = netaddr_port(&a);
		if (a.ss.ss_family == AF_INET) {
			const struct sockaddr_in *sin = (const struct sockaddr_in *)&a.ss;
			if (c->server_address) {
				snprintf(host, sizeof(host), "%s", c->server_address);
				goto done;
			}
			if (sin->sin_addr.s_addr != htonl(INADDR_ANY)) {
				inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
				goto done;
			}
		}
	}
	if (c->server_address) {
		snprintf(host, sizeof(host), "%s", c->server_address);
		goto done;
	}
	if (getifaddrs(&ifs) == 0) {
		for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
			if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET ||
			    (i->ifa_flags & IFF_LOOPBACK) || !(i->ifa_flags & IFF_UP))
				continue;
			inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, host,
				  sizeof(host));
			break;
		}
		freeifaddrs(ifs);
	}
done:
	if (asprintf(&url, "http://%s:%u", host, port) < 0)
		return NULL;
	return url;
}
