/*
 * kvm/net/tap.c - attach to an existing TAP interface (typically created by
 * an administrator with `ip tuntap add dev NAME mode tap user USER` and
 * enslaved to a bridge), so running the VM needs no privileges.
 *
 * IFF_VNET_HDR with a 12-byte header (TUNSETVNETHDRSZ) makes the kernel
 * speak virtio_net_hdr_v1 itself: transmit frames go to the TAP unchanged
 * (the kernel validates the header: a bogus one is an error for that
 * frame), received frames come with the header the guest expects.
 * TUNSETOFFLOAD follows the features the guest negotiated: the TAP may
 * hand us partially checksummed or TSO frames only if the guest accepts
 * them (GUEST_CSUM, GUEST_TSO4/6). UFO is not offered (Linux dropped it
 * from virtio-net hosts' defaults and TAP treats it specially).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm/net/backend.h"
#include "provd/base/log.h"

#define TAP_READ_BURST 64

struct net_tap {
	struct net_backend b;
	int fd;
	char name[IFNAMSIZ];
	uint8_t buf[NET_VNET_HDR_LEN + NET_FRAME_MAX];
};

static int tap_tx(struct net_backend *b, const struct iovec *iov, int cnt)
{
	struct net_tap *t = (struct net_tap *)b;
	ssize_t r;

	do
		r = writev(t->fd, iov, cnt);
	while (r < 0 && errno == EINTR);
	/* EAGAIN: the TAP queue is full; drop like a busy wire would */
	return r < 0 ? -errno : 0;
}

static int tap_poll_fill(struct net_backend *b, struct pollfd *pfd, int max,
			 int *timeout_ms, bool rx_ok)
{
	struct net_tap *t = (struct net_tap *)b;

	(void)timeout_ms;
	if (!rx_ok || max < 1)
		return 0;	/* the guest has no buffers: leave frames queued */
	pfd[0].fd = t->fd;
	pfd[0].events = POLLIN;
	pfd[0].revents = 0;
	return 1;
}

static void tap_poll_done(struct net_backend *b, struct pollfd *pfd, int n,
			  bool err)
{
	struct net_tap *t = (struct net_tap *)b;
	unsigned int i;

	if (err || n < 1 || !(pfd[0].revents & POLLIN))
		return;
	for (i = 0; i < TAP_READ_BURST; i++) {
		ssize_t r = read(t->fd, t->buf, sizeof(t->buf));
		struct iovec iov = { .iov_base = t->buf };

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= NET_VNET_HDR_LEN)
			return;		/* EAGAIN, or a runt */
		iov.iov_len = (size_t)r;
		if (!t->b.rx(t->b.rx_dev, &iov, 1))
			return;
	}
}

static int tap_set_features(struct net_backend *b, uint64_t f)
{
	struct net_tap *t = (struct net_tap *)b;
	unsigned int off = 0;

	/* what the TAP may send us = what the guest accepts */
	if (f & (1ull << VIRTIO_NET_F_GUEST_CSUM)) {
		off |= TUN_F_CSUM;
		if (f & (1ull << VIRTIO_NET_F_GUEST_TSO4))
			off |= TUN_F_TSO4;
		if (f & (1ull << VIRTIO_NET_F_GUEST_TSO6))
			off |= TUN_F_TSO6;
	}
	if (ioctl(t->fd, TUNSETOFFLOAD, (unsigned long)off) < 0) {
		log_warn("vm: tap %s: TUNSETOFFLOAD %#x: %s", t->name, off,
			 strerror(errno));
		return -errno;
	}
	return 0;
}

static void tap_free(struct net_backend *b)
{
	struct net_tap *t = (struct net_tap *)b;

	if (t->fd >= 0)
		close(t->fd);
	free(t);
}

static const struct net_backend_ops tap_ops = {
	.name = "tap",
	.tx = tap_tx,
	.poll_fill = tap_poll_fill,
	.poll_done = tap_poll_done,
	.set_features = tap_set_features,
	.free = tap_free,
};

struct net_backend *net_tap_new(const char *ifname, net_rx_fn *rx, void *dev)
{
	struct net_tap *t;
	struct ifreq ifr;
	unsigned int feat = 0;
	int hdr = NET_VNET_HDR_LEN, e;

	if (ifname == NULL || !*ifname || strlen(ifname) >= IFNAMSIZ ||
	    strchr(ifname, '/')) {
		log_err("vm: tap: bad interface name '%s'", ifname ? ifname : "");
		errno = EINVAL;
		return NULL;
	}
	/* attach only: never create an interface behind the admin's back
	 * (if_nametoindex looks in our network namespace; /sys may show
	 * another one) */
	if (if_nametoindex(ifname) == 0) {
		log_err("vm: tap %s: no such interface; create it first, e.g. "
			"ip tuntap add dev %s mode tap user $USER", ifname, ifname);
		errno = ENODEV;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->b.ops = &tap_ops;
	t->b.rx = rx;
	t->b.rx_dev = dev;
	t->b.features = (1ull << VIRTIO_NET_F_CSUM) |
			(1ull << VIRTIO_NET_F_GUEST_CSUM) |
			(1ull << VIRTIO_NET_F_HOST_TSO4) |
			(1ull << VIRTIO_NET_F_HOST_TSO6) |
			(1ull << VIRTIO_NET_F_GUEST_TSO4) |
			(1ull << VIRTIO_NET_F_GUEST_TSO6);
	snprintf(t->name, sizeof(t->name), "%s", ifname);
	t->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (t->fd < 0) {
		e = errno;
		log_err("vm: tap %s: /dev/net/tun: %s", ifname, strerror(e));
		goto fail;
	}
	if (ioctl(t->fd, TUNGETFEATURES, &feat) < 0 || !(feat & IFF_VNET_HDR)) {
		e = EOPNOTSUPP;
		log_err("vm: tap %s: the kernel's TUN driver lacks IFF_VNET_HDR",
			ifname);
		goto fail;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(t->fd, TUNSETIFF, &ifr) < 0) {
		e = errno;
		log_err("vm: tap %s: cannot attach: %s (is it a TAP owned by "
			"your user or group, and not in use by another VM?)",
			ifname, strerror(e));
		goto fail;
	}
	if (ioctl(t->fd, TUNSETVNETHDRSZ, &hdr) < 0 ||
	    ioctl(t->fd, TUNSETOFFLOAD, 0ul) < 0) {
		e = errno;
		log_err("vm: tap %s: vnet header setup: %s", ifname, strerror(e));
		goto fail;
	}
	return &t->b;
fail:
	tap_free(&t->b);
	errno = e;
	return NULL;
}
