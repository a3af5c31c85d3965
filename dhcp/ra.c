/* ra: IPv6 router advertisements (see ra.h). */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dhcp/ra.h"
#include "provd/base/log.h"
#include "provd/base/loop.h"

int ra_prefix_parse(const char *txt, struct ra_cfg *cfg)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash = strchr(txt, '/');
	char *end = NULL;
	long len;
	size_t n;

	if (!slash)
		return -EINVAL;
	n = (size_t)(slash - txt);
	if (n == 0 || n >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, txt, n);
	addr[n] = '\0';
	errno = 0;
	len = strtol(slash + 1, &end, 10);
	if (errno || !end || *end || end == slash + 1 || len < 1 || len > 128)
		return -EINVAL;
	if (inet_pton(AF_INET6, addr, cfg->prefix) != 1)
		return -EINVAL;
	/* Clear the host bits: the prefix option carries a prefix only. */
	for (unsigned i = (unsigned)len; i < 128; i++)
		cfg->prefix[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
	cfg->prefix_len = (unsigned)len;
	cfg->has_prefix = true;
	return 0;
}

static void put32(uint8_t *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, 4);
}

size_t ra_build(const struct ra_cfg *cfg, uint8_t *buf, size_t cap)
{
	size_t need = 16 + 8 + (cfg->has_prefix ? 32 : 0);

	if (cap < need || need > RA_MAX_LEN)
		return 0;
	memset(buf, 0, need);
	/* RFC 4861 §4.2: type, code, checksum, cur hop limit, M|O flags,
	 * router lifetime, reachable time, retrans timer. */
	buf[0] = ND_ROUTER_ADVERT;
	buf[4] = 64;		/* hop limit for hosts that use ours */
	buf[5] = 0;		/* M and O off: no DHCPv6 */
	/* router lifetime 0 (bytes 6-7): not a default router */
	/* Source link-layer address (type 1, 8 bytes). */
	buf[16] = ND_OPT_SOURCE_LINKADDR;
	buf[17] = 1;
	memcpy(buf + 18, cfg->mac, 6);
	if (cfg->has_prefix) {
		/* Prefix information (RFC 4861 §4.6.2): on-link and
		 * autonomous (SLAAC, RFC 4862 §5.5.3). */
		uint8_t *o = buf + 24;
		o[0] = ND_OPT_PREFIX_INFORMATION;
		o[1] = 4;
		o[2] = (uint8_t)cfg->prefix_len;
		o[3] = ND_OPT_PI_FLAG_ONLINK | ND_OPT_PI_FLAG_AUTO;
		put32(o + 4, cfg->valid_s ? cfg->valid_s : 86400);
		put32(o + 8, cfg->preferred_s ? cfg->preferred_s : 14400);
		memcpy(o + 16, cfg->prefix, 16);
	}
	return need;
}

int ra_check_rs(const uint8_t *buf, size_t len)
{
	size_t off = 8;

	if (len < 8 || buf[0] != ND_ROUTER_SOLICIT || buf[1] != 0)
		return -EINVAL;
	while (off < len) {
		size_t olen;
		if (len - off < 2)
			return -EINVAL;
		olen = (size_t)buf[off + 1] * 8;
		if (olen == 0 || olen > len - off)
			return -EINVAL;
		off += olen;
	}
	return 0;
}

/* ---- socket ---- */

struct ra_sock {
	int fd;
	unsigned ifindex;
	struct loop_src *rd, *timer;
	uint8_t msg[RA_MAX_LEN];
	size_t len;
	uint64_t sent, solicited;
	char iface[IF_NAMESIZE];
};

static void ra_send(struct ra_sock *s)
{
	struct sockaddr_in6 to = { .sin6_family = AF_INET6, .sin6_scope_id = s->ifindex };

	/* RFC 4861 §6.2.6 allows a unicast answer; all-nodes is simpler and
	 * reaches every waiting firmware at once. */
	inet_pton(AF_INET6, "ff02::1", &to.sin6_addr);
	if (sendto(s->fd, s->msg, s->len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		log_debug("ra %s: cannot send: %s", s->iface, strerror(errno));
	else
		s->sent++;
}

static void on_timer(struct loop *l, void *arg)
{
	(void)l;
	ra_send(arg);
}

static void on_readable(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct ra_sock *s = arg;
	uint8_t buf[1280];

	(void)l;
	(void)events;
	for (int i = 0; i < 16; i++) {	/* bounded work per wakeup */
		struct sockaddr_in6 from;
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
		if (n < 0)
			return;
		if (ra_check_rs(buf, (size_t)n) < 0)
			continue;
		s->solicited++;
		log_debug("ra %s: router solicitation, answering", s->iface);
		ra_send(s);
	}
}

static int iface_mac(const char *iface, uint8_t mac[6])
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = 0;

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", iface);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		r = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
	return r;
}

int ra_start(struct loop *l, const char *iface, const struct ra_cfg *cfg_in, struct ra_sock **out)
{
	struct ra_cfg cfg = *cfg_in;
	struct ra_sock *s;
	struct icmp6_filter filt;
	struct ipv6_mreq mr;
	int hops = 255, loop_off = 0, r;

	if (strlen(iface) >= IF_NAMESIZE)
		return -ENAMETOOLONG;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	snprintf(s->iface, sizeof(s->iface), "%s", iface);
	s->fd = -1;
	s->ifindex = if_nametoindex(iface);
	if (!s->ifindex) {
		r = -errno;
		goto fail;
	}
	if (!cfg.mac[0] && !cfg.mac[1] && !cfg.mac[2] && !cfg.mac[3] && !cfg.mac[4] && !cfg.mac[5])
		iface_mac(iface, cfg.mac);
	s->len = ra_build(&cfg, s->msg, sizeof(s->msg));
	s->fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_ICMPV6);
	if (s->fd < 0) {
		r = -errno;
		goto fail;
	}
	ICMP6_FILTER_SETBLOCKALL(&filt);
	ICMP6_FILTER_SETPASS(ND_ROUTER_SOLICIT, &filt);
	memset(&mr, 0, sizeof(mr));
	inet_pton(AF_INET6, "ff02::2", &mr.ipv6mr_multiaddr);	/* all-routers: RSs go there */
	mr.ipv6mr_interface = s->ifindex;
	/* RFC 4861 §6.1.2 / §7.1.1: ND messages carry hop limit 255. */
	if (setsockopt(s->fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filt, sizeof(filt)) < 0 ||
	    setsockopt(s->fd, SOL_SOCKET, SO_BINDTODEVICE, iface, (socklen_t)strlen(iface)) < 0 ||
	    setsockopt(s->fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) < 0 ||
	    setsockopt(s->fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof(hops)) < 0 ||
	    setsockopt(s->fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &s->ifindex, sizeof(s->ifindex)) < 0 ||
	    setsockopt(s->fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &loop_off, sizeof(loop_off)) < 0 ||
	    setsockopt(s->fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof(mr)) < 0) {
		r = -errno;
		goto fail;
	}
	r = loop_fd_add(l, s->fd, EPOLLIN, on_readable, s, &s->rd);
	if (r == 0)	/* the first one soon: firmware may already be waiting */
		r = loop_timer_add(l, 100, RA_INTERVAL_MS, on_timer, s, &s->timer);
	if (r < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	ra_stop(s);
	return r;
}

void ra_stop(struct ra_sock *s)
{
	if (!s)
		return;
	loop_src_del(s->timer);
	loop_src_del(s->rd);
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

void ra_counts(const struct ra_sock *s, uint64_t *sent, uint64_t *solicited)
{
	*sent = s ? s->sent : 0;
	*solicited = s ? s->solicited : 0;
}
