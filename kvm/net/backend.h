/*
 * kvm/net/backend.h - what virtio-net sees of a network backend (libslirp
 * user-mode networking, or an existing TAP interface), like kvmtool's
 * net_dev_operations.
 *
 * Threads: a backend is created before the virtio-net thread starts, then
 * touched ONLY by that thread (libslirp is not thread-safe), then freed
 * after that thread was joined. The thread polls what poll_fill() asks for
 * next to the queue eventfds, and calls poll_done() after each poll(2).
 *
 * Frames cross this interface with the 12-byte virtio_net_hdr_v1 (virtio
 * 1.2 §5.1.6) in front, both ways: TAP carries it natively (IFF_VNET_HDR);
 * slirp ignores it on transmit and supplies a zero one on receive.
 */
#ifndef PROVD_KVM_NET_BACKEND_H
#define PROVD_KVM_NET_BACKEND_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "kvm/vmconfig.h"

#define NET_VNET_HDR_LEN 12
/* largest frame either way: a 64 KiB TSO super-frame plus headers */
#define NET_FRAME_MAX (65536 + 256)

struct net_backend;

/*
 * A frame for the guest (header + frame in iov). Returns false when the
 * guest had no receive buffer, so the frame was queued or dropped and the
 * backend should stop reading until poll_fill() says rx_ok again.
 */
typedef bool net_rx_fn(void *dev, const struct iovec *iov, int cnt);

struct net_backend_ops {
	const char *name;
	/* Frame from the guest; 0 or -errno (the frame is then dropped). */
	int (*tx)(struct net_backend *b, const struct iovec *iov, int cnt);
	/* Appends up to max pollfds and may lower *timeout_ms (-1 = none);
	 * rx_ok: the guest can take frames now. Returns the count. */
	int (*poll_fill)(struct net_backend *b, struct pollfd *pfd, int max,
			 int *timeout_ms, bool rx_ok);
	/* After poll(2) over what poll_fill added (n entries); err: poll
	 * failed. Frames for the guest go to the rx callback from here. */
	void (*poll_done)(struct net_backend *b, struct pollfd *pfd, int n,
			  bool err);
	/* The guest's negotiated virtio-net features (offloads). Any thread
	 * (it is called while the net thread may run); 0 or -errno. */
	int (*set_features)(struct net_backend *b, uint64_t features);
	void (*free)(struct net_backend *b);
};

struct net_backend {
	const struct net_backend_ops *ops;
	uint64_t features;	/* virtio-net offload bits it can carry */
	net_rx_fn *rx;
	void *rx_dev;
};

/*
 * libslirp: guest network 10.0.2.0/24, host (and host 127.0.0.1) at
 * 10.0.2.2, DNS 10.0.2.3, DHCP from 10.0.2.15, c's hostfwd rules. No
 * offloads. NULL with errno set and a log line on failure.
 */
struct net_backend *net_slirp_new(const struct vm_config *c, net_rx_fn *rx,
				  void *dev);
/*
 * Attaches to the existing TAP interface ifname (IFF_VNET_HDR, so a user
 * in the TAP's owner group needs no privileges). NULL with errno set and a
 * log line on failure.
 */
struct net_backend *net_tap_new(const char *ifname, net_rx_fn *rx, void *dev);

#endif
