/* sock: DHCP sockets on the event loop (see sock.h). */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dhcp/sock.h"
#include "provd/base/log.h"
#include "provd/base/loop.h"

struct dhcp_sock {
	struct dhcp_server *srv;
	int fd67, fd4011;
	struct loop_src *src67, *src4011;
	dhcp_reply_fn *fn;
	void *arg;
};

int dhcp_iface_addr(const char *iface, uint32_t *ip, uint32_t *mask)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = 0;

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	if (strlen(iface) >= IFNAMSIZ) {
		close(fd);
		return -ENAMETOOLONG;
	}
	strcpy(ifr.ifr_name, iface);
	if (ioctl(fd, SIOCGIFADDR, &ifr) < 0)
		r = -errno;
	else
		*ip = ((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr.s_addr;
	if (r == 0 && ioctl(fd, SIOCGIFNETMASK, &ifr) < 0)
		r = -errno;
	else if (r == 0)
		*mask = ((struct sockaddr_in *)&ifr.ifr_netmask)->sin_addr.s_addr;
	close(fd);
	return r;
}

static int open_port(const char *iface, uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), one = 1;

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, iface, (socklen_t)strlen(iface)) < 0 ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

static void on_readable(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct dhcp_sock *s = arg;
	uint8_t buf[DHCP_MAX_LEN + 1];

	(void)l;
	(void)events;
	for (int i = 0; i < 64; i++) {	/* bounded work per wakeup */
		struct sockaddr_in from;
		socklen_t flen = sizeof(from);
		struct dhcp_reply rep;
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
		if (n < 0)
			return;
		struct dhcp_meta meta = {
			.src_ip = from.sin_addr.s_addr, .src_port = ntohs(from.sin_port),
			.local_port = fd == s->fd4011 ? 4011 : 67,
		};
		int r = dhcp_server_handle(s->srv, buf, (size_t)n, &meta, time(NULL), &rep);
		log_debug("dhcp: %zd bytes from %s:%u on port %u: %s%s", n, inet_ntoa(from.sin_addr),
			  meta.src_port, meta.local_port, r >= 0 ? "handled " : "bad: ",
			  r >= 0 ? (r ? dhcp_msg_name(r) : "no reply") : dhcp_parse_strerror(r));
		if (r < 0) {
			log_debug("dhcp: dropped a bad packet from %s: %s", inet_ntoa(from.sin_addr),
				  dhcp_parse_strerror(r));
			continue;
		}
		if (r == 0)
			continue;
		struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(rep.dst_port),
					  .sin_addr.s_addr = rep.dst_ip };
		if (sendto(fd, rep.buf, rep.len, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
			log_warn("dhcp %s: cannot send %s: %s", rep.mac, dhcp_msg_name(rep.type), strerror(errno));
			continue;
		}
		struct in_addr ya = { rep.yiaddr }, da = { rep.dst_ip };
		char relay[INET_ADDRSTRLEN] = "";
		/* Replies to a relay go to its giaddr, port 67 (RFC 2131 §4.1). */
		if (rep.dst_port == 67)
			inet_ntop(AF_INET, &da, relay, sizeof(relay));
		log_info("dhcp %s: %s %s%s%s%s%s%s%s%s", rep.mac, dhcp_msg_name(rep.type), inet_ntoa(ya),
			 rep.system[0] ? " system " : "", rep.system, rep.bootfile[0] ? " boot " : "",
			 rep.bootfile, rep.local_port == 4011 ? " (ProxyDHCP, port 4011)" : "",
			 relay[0] ? " via relay " : "", relay);
		if (s->fn)
			s->fn(&rep, s->arg);
	}
}

int dhcp_sock_start(struct loop *l, const char *iface, struct dhcp_server *srv, int proxy,
		    dhcp_reply_fn *fn, void *arg, struct dhcp_sock **out)
{
	struct dhcp_sock *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	s->srv = srv;
	s->fn = fn;
	s->arg = arg;
	s->fd4011 = -1;
	s->fd67 = open_port(iface, 67);
	if (s->fd67 < 0) {
		r = s->fd67;
		free(s);
		return r;
	}
	if (proxy) {
		s->fd4011 = open_port(iface, 4011);
		if (s->fd4011 < 0) {
			r = s->fd4011;
			close(s->fd67);
			free(s);
			return r;
		}
	}
	r = loop_fd_add(l, s->fd67, EPOLLIN, on_readable, s, &s->src67);
	if (r == 0 && s->fd4011 >= 0)
		r = loop_fd_add(l, s->fd4011, EPOLLIN, on_readable, s, &s->src4011);
	if (r < 0) {
		dhcp_sock_stop(s);
		return r;
	}
	*out = s;
	return 0;
}

void dhcp_sock_stop(struct dhcp_sock *s)
{
	if (!s)
		return;
	loop_src_del(s->src67);
	loop_src_del(s->src4011);
	if (s->fd67 >= 0)
		close(s->fd67);
	if (s->fd4011 >= 0)
		close(s->fd4011);
	free(s);
}
