/*
 * kvm/net/slirp.c - user-mode networking with libslirp: no privileges, no
 * host interface. The guest sees 10.0.2.0/24 with the host at 10.0.2.2
 * (connections there reach the host's 127.0.0.1), DNS at 10.0.2.3
 * (forwarded to the host's resolver) and gets 10.0.2.15 by DHCP; hostfwd
 * rules forward host ports to the guest.
 *
 * libslirp is not thread-safe: this backend is only used from the
 * virtio-net thread (see backend.h), whose poll(2) round is
 * slirp_pollfds_fill -> poll -> slirp_pollfds_poll -> expired timers. Its
 * fds change every round, which is why it is not on the VMM epoll loop
 * (docs/virtio.md). No checksum or segmentation offloads: slirp wants
 * whole frames with valid checksums.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <slirp/libslirp.h>

#include "kvm/net/backend.h"
#include "provd/base/log.h"

#define SLIRP_FRAME_MAX 65536
#define SLIRP_LOG_MAX 10

struct slirp_timer {
	struct slirp_timer *next;
	SlirpTimerCb cb;
	void *cb_opaque;
	int64_t expire_ms;		/* -1: not armed */
};

struct net_slirp {
	struct net_backend b;
	Slirp *slirp;
	struct slirp_timer *timers;
	struct pollfd *pfd;		/* this round's array (poll_fill) */
	int npfd, maxpfd;
	bool overflow;			/* more fds than pollfd room */
	unsigned int nlogged;		/* guest errors logged */
	bool overflow_logged;
	uint8_t frame[SLIRP_FRAME_MAX];
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
	struct net_slirp *s = opaque;
	uint8_t hdr[NET_VNET_HDR_LEN] = { 0 };
	struct iovec iov[2] = {
		{ .iov_base = hdr, .iov_len = sizeof(hdr) },
		{ .iov_base = (void *)buf, .iov_len = len },
	};

	/* a frame the guest has no buffer for is dropped; TCP retransmits */
	s->b.rx(s->b.rx_dev, iov, 2);
	return (ssize_t)len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
	struct net_slirp *s = opaque;

	/* the guest controls how often this happens: bounded logging */
	if (s->nlogged >= SLIRP_LOG_MAX)
		return;
	log_warn("vm: slirp: guest error: %s%s", msg,
		 ++s->nlogged == SLIRP_LOG_MAX ? " (further reports suppressed)"
					       : "");
}

static int64_t cb_clock_get_ns(void *opaque)
{
	(void)opaque;
	return now_ns();
}

static void *cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	struct net_slirp *s = opaque;
	struct slirp_timer *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->cb = cb;
	t->cb_opaque = cb_opaque;
	t->expire_ms = -1;
	t->next = s->timers;
	s->timers = t;
	return t;
}

static void cb_timer_free(void *timer, void *opaque)
{
	struct net_slirp *s = opaque;
	struct slirp_timer **p;

	for (p = &s->timers; *p; p = &(*p)->next)
		if (*p == timer) {
			*p = (*p)->next;
			free(timer);
			return;
		}
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	(void)opaque;
	((struct slirp_timer *)timer)->expire_ms = expire_ms;
}

static void cb_nop_fd(int fd, void *opaque)
{
	(void)fd;
	(void)opaque;
}

static void cb_notify(void *opaque)
{
	(void)opaque;	/* we re-fill the poll set every round anyway */
}

static const SlirpCb slirp_cbs = {
	.send_packet = cb_send_packet,
	.guest_error = cb_guest_error,
	.clock_get_ns = cb_clock_get_ns,
	.timer_new = cb_timer_new,
	.timer_free = cb_timer_free,
	.timer_mod = cb_timer_mod,
	.register_poll_fd = cb_nop_fd,
	.unregister_poll_fd = cb_nop_fd,
	.notify = cb_notify,
};

static int to_poll(int ev)
{
	return ((ev & SLIRP_POLL_IN) ? POLLIN : 0) |
	       ((ev & SLIRP_POLL_OUT) ? POLLOUT : 0) |
	       ((ev & SLIRP_POLL_PRI) ? POLLPRI : 0);
}

static int from_poll(short re)
{
	return ((re & POLLIN) ? SLIRP_POLL_IN : 0) |
	       ((re & POLLOUT) ? SLIRP_POLL_OUT : 0) |
	       ((re & POLLPRI) ? SLIRP_POLL_PRI : 0) |
	       ((re & POLLERR) ? SLIRP_POLL_ERR : 0) |
	       ((re & POLLHUP) ? SLIRP_POLL_HUP : 0);
}

static int cb_add_poll(int fd, int events, void *opaque)
{
	struct net_slirp *s = opaque;

	if (s->npfd >= s->maxpfd) {
		s->overflow = true;
		return -1;
	}
	s->pfd[s->npfd].fd = fd;
	s->pfd[s->npfd].events = (short)to_poll(events);
	s->pfd[s->npfd].revents = 0;
	return s->npfd++;
}

static int cb_get_revents(int idx, void *opaque)
{
	struct net_slirp *s = opaque;

	if (idx < 0 || idx >= s->npfd)
		return 0;
	return from_poll(s->pfd[idx].revents);
}

static int slirp_tx(struct net_backend *b, const struct iovec *iov, int cnt)
{
	struct net_slirp *s = (struct net_slirp *)b;
	size_t skip = NET_VNET_HDR_LEN, len = 0;
	int i;

	for (i = 0; i < cnt; i++) {
		const uint8_t *p = iov[i].iov_base;
		size_t n = iov[i].iov_len;

		if (skip) {
			size_t k = n < skip ? n : skip;

			p += k;
			n -= k;
			skip -= k;
		}
		if (n > sizeof(s->frame) - len)
			return -EMSGSIZE;
		memcpy(s->frame + len, p, n);
		len += n;
	}
	if (skip || len < 14)
		return -EINVAL;		/* no header or no Ethernet header */
	slirp_input(s->slirp, s->frame, (int)len);
	return 0;
}

static int slirp_poll_fill(struct net_backend *b, struct pollfd *pfd, int max,
			   int *timeout_ms, bool rx_ok)
{
	struct net_slirp *s = (struct net_slirp *)b;
	uint32_t t = *timeout_ms < 0 ? UINT32_MAX : (uint32_t)*timeout_ms;
	int64_t now = now_ns() / 1000000;
	struct slirp_timer *tm;

	(void)rx_ok;
	s->pfd = pfd;
	s->npfd = 0;
	s->maxpfd = max;
	slirp_pollfds_fill(s->slirp, &t, cb_add_poll, s);
	if (s->overflow) {
		if (!s->overflow_logged)
			log_warn("vm: slirp: more than %d sockets; some wait a "
				 "round (reported once)", max);
		s->overflow_logged = true;
		s->overflow = false;
		t = t > 10 ? 10 : t;
	}
	for (tm = s->timers; tm; tm = tm->next) {
		if (tm->expire_ms < 0)
			continue;
		if (tm->expire_ms <= now)
			t = 0;
		else if ((uint64_t)(tm->expire_ms - now) < t)
			t = (uint32_t)(tm->expire_ms - now);
	}
	*timeout_ms = t >= INT32_MAX ? -1 : (int)t;
	return s->npfd;
}

static void slirp_poll_done(struct net_backend *b, struct pollfd *pfd, int n,
			    bool err)
{
	struct net_slirp *s = (struct net_slirp *)b;
	int64_t now;
	struct slirp_timer *tm;
	unsigned int rounds = 0;
	bool again;

	s->pfd = pfd;
	s->npfd = n;
	slirp_pollfds_poll(s->slirp, err, cb_get_revents, s);
	s->pfd = NULL;
	s->npfd = 0;
	/* a timer callback may free or re-arm timers: restart the walk */
	do {
		again = false;
		now = now_ns() / 1000000;
		for (tm = s->timers; tm; tm = tm->next) {
			if (tm->expire_ms < 0 || tm->expire_ms > now)
				continue;
			tm->expire_ms = -1;
			tm->cb(tm->cb_opaque);
			again = true;
			break;
		}
	} while (again && ++rounds < 64);
}

static int slirp_set_features(struct net_backend *b, uint64_t features)
{
	(void)b;
	(void)features;
	return 0;
}

static void slirp_free(struct net_backend *b)
{
	struct net_slirp *s = (struct net_slirp *)b;
	struct slirp_timer *t;

	if (s->slirp)
		slirp_cleanup(s->slirp);
	while ((t = s->timers)) {
		s->timers = t->next;
		free(t);
	}
	free(s);
}

static const struct net_backend_ops slirp_ops = {
	.name = "slirp",
	.tx = slirp_tx,
	.poll_fill = slirp_poll_fill,
	.poll_done = slirp_poll_done,
	.set_features = slirp_set_features,
	.free = slirp_free,
};

struct net_backend *net_slirp_new(const struct vm_config *c, net_rx_fn *rx,
				  void *dev)
{
	SlirpConfig cfg;
	struct net_slirp *s;
	struct in_addr guest;
	unsigned int i;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->b.ops = &slirp_ops;
	s->b.rx = rx;
	s->b.rx_dev = dev;
	memset(&cfg, 0, sizeof(cfg));
	cfg.version = 1;
	cfg.in_enabled = true;
	inet_pton(AF_INET, "10.0.2.0", &cfg.vnetwork);
	inet_pton(AF_INET, "255.255.255.0", &cfg.vnetmask);
	inet_pton(AF_INET, "10.0.2.2", &cfg.vhost);
	inet_pton(AF_INET, "10.0.2.15", &cfg.vdhcp_start);
	inet_pton(AF_INET, "10.0.2.3", &cfg.vnameserver);
	cfg.vhostname = "provd-vm";
	/* slirp,tftp=DIR,bootfile=NAME: its own TFTP server and boot file, for
	 * the netboot firmware (kvm/fw) and guests that PXE-boot; siaddr is
	 * 10.0.2.2 already (libslirp leaks a tftp_server_name, so none) */
	cfg.tftp_path = c->tftp_dir;
	cfg.bootfile = c->bootfile;
	s->slirp = slirp_new(&cfg, &slirp_cbs, s);
	if (s->slirp == NULL) {
		log_err("vm: slirp: cannot start user-mode networking");
		slirp_free(&s->b);
		errno = ENOMEM;
		return NULL;
	}
	guest = cfg.vdhcp_start;
	for (i = 0; i < c->nhostfwd && i < VM_MAX_HOSTFWD; i++) {
		const struct vm_hostfwd *h = &c->hostfwd[i];
		struct in_addr host = { .s_addr = h->host_addr };

		if (host.s_addr == 0)
			host.s_addr = htonl(INADDR_LOOPBACK);
		if (slirp_add_hostfwd(s->slirp, h->udp, host, h->host_port,
				      guest, h->guest_port) < 0) {
			log_err("vm: slirp: cannot forward %s host port %u to "
				"guest port %u (is the port in use? pick another "
				"in hostfwd=)",
				h->udp ? "udp" : "tcp", h->host_port,
				h->guest_port);
			slirp_free(&s->b);
			errno = EADDRINUSE;
			return NULL;
		}
	}
	return &s->b;
}
