/*
 * kvm/virtio/net.c - virtio-net (virtio 1.2 §5.1): one receive and one
 * transmit queue, virtio_net_hdr_v1 (12 bytes, VERSION_1), MAC and STATUS
 * (link up) in config space, and the backend's offloads (none for slirp;
 * checksum and TSO for TAP).
 *
 * Thread: the device runs its own net thread (own_notify). It polls the
 * two queue eventfds, a wake eventfd and whatever the backend asks for,
 * and is the only thread that ever touches the backend (libslirp is not
 * thread-safe, and its set of fds changes each round, which the VMM's epoll
 * loop cannot follow cleanly; docs/virtio.md). Queue work holds the
 * transport's work lock; a frame the backend produces while we transmit
 * (slirp answers ARP inside slirp_input) is delivered under the same lock.
 *
 * Receive: without MRG_RXBUF each frame takes one chain; a frame that does
 * not fit the chain completes it with length 0 (the guest counts an
 * error). With MRG_RXBUF (§5.1.6.4) a frame fills as many chains as it
 * needs, num_buffers in the header says how many, and all of them are
 * published with one used idx store. When the guest has no buffers (or not
 * enough for the frame), up to RX_PENDING frames wait here and the TAP is
 * not read until the guest adds buffers.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>

#include "kvm/net/backend.h"
#include "kvm/virtio/pci.h"
#include "kvm/vmm.h"
#include "provd/base/log.h"

#define NET_QUEUE_SIZE 256
#define NET_RXQ 0
#define NET_TXQ 1
#define NET_CFG_SIZE 10
#define RX_PENDING 64
#define NET_POLL_MAX 256
#define PCI_CLASS_NETWORK_ETHERNET 0x0200

struct pending {
	uint8_t *data;
	size_t len;
};

struct virtio_net {
	struct virtio_pci *vp;
	struct virtio_dev_ops ops;
	struct net_backend *be;
	uint8_t cfg[NET_CFG_SIZE];
	pthread_t thread;
	bool thread_started;
	int wake_fd;
	bool stop;			/* set before wake_fd is written */
	bool locked;			/* net thread holds the work lock */
	bool rx_irq;			/* frames pushed since the last rx irq */
	struct pending pend[RX_PENDING];
	unsigned int pend_head, pend_count;
	/* separate: slirp answers inside slirp_input, so a receive can
	 * happen while a transmit chain is still being handled */
	struct virtq_chain rx_chain;
	struct virtq_chain tx_chain;
	/* MRG_RXBUF: the chains one frame went into */
	uint16_t mrg_head[NET_QUEUE_SIZE];
	uint32_t mrg_len[NET_QUEUE_SIZE];
	struct iovec iov[VIRTQ_MAX_SEGS];
	struct pollfd pfd[NET_POLL_MAX];
	uint64_t tx_dropped, rx_dropped;
};

static void lock(struct virtio_net *n)
{
	virtio_pci_work_lock(n->vp);
	n->locked = true;
}

static void unlock(struct virtio_net *n)
{
	n->locked = false;
	virtio_pci_work_unlock(n->vp);
}

/* A received frame as a byte stream: the 12-byte header, then iov after
 * its first skip bytes (the backend's own header). */
struct rx_src {
	const struct iovec *iov;
	int cnt, i;			/* i = -1: in the header */
	const uint8_t *p;
	size_t left, skip;
};

static void src_init(struct rx_src *s, const uint8_t *hdr,
		     const struct iovec *iov, int cnt, size_t skip)
{
	*s = (struct rx_src){ .iov = iov, .cnt = cnt, .i = -1, .p = hdr,
			      .left = NET_VNET_HDR_LEN, .skip = skip };
}

/* False once every byte was taken. */
static bool src_more(struct rx_src *s)
{
	while (s->left == 0) {
		if (++s->i >= s->cnt)
			return false;
		s->p = (const uint8_t *)s->iov[s->i].iov_base;
		s->left = s->iov[s->i].iov_len;
		if (s->skip) {
			size_t k = s->left < s->skip ? s->left : s->skip;

			s->p += k;
			s->left -= k;
			s->skip -= k;
		}
	}
	return true;
}

/* Copies from s into the chain's writable segments until either is used
 * up; returns the bytes written. */
static uint32_t copy_chain(const struct virtq_chain *c, struct rx_src *s)
{
	unsigned int seg = c->nread;
	uint32_t so = 0, total = 0;

	while (src_more(s)) {
		size_t n;

		while (seg < c->nseg && so == c->seg[seg].len) {
			seg++;
			so = 0;
		}
		if (seg >= c->nseg)
			break;
		n = c->seg[seg].len - so;
		if (n > s->left)
			n = s->left;
		memcpy(c->seg[seg].ptr + so, s->p, n);
		so += (uint32_t)n;
		s->p += n;
		s->left -= n;
		total += (uint32_t)n;
	}
	return total;
}

/* Copies hdr (12 bytes) then the bytes of iov after its first skip bytes
 * into the chain's writable segments; false if they do not fit. */
static bool copy_in(const struct virtq_chain *c, const uint8_t *hdr,
		    const struct iovec *iov, int cnt, size_t skip, uint32_t *len)
{
	struct rx_src s;

	src_init(&s, hdr, iov, cnt, skip);
	*len = copy_chain(c, &s);
	return !src_more(&s);
}

/* The writable byte at offset off of chain c, or NULL. */
static uint8_t *chain_wbyte(const struct virtq_chain *c, uint32_t off)
{
	unsigned int seg;

	for (seg = c->nread; seg < c->nseg; seg++) {
		if (off < c->seg[seg].len)
			return c->seg[seg].ptr + off;
		off -= c->seg[seg].len;
	}
	return NULL;
}

/*
 * MRG_RXBUF (§5.1.6.4): the frame into as many chains as it needs. Chains
 * taken for a frame that then finds the ring empty are given back (the
 * frame waits for more buffers); a frame that does not fit even the whole
 * ring, or meets a malformed chain half-way, completes every chain it took
 * with length 0 (the guest counts errors). Returns like rx_one. Work lock
 * held.
 */
static int rx_mrg(struct virtio_net *n, struct virtq *vq, const uint8_t *hdr,
		  const struct iovec *iov, int cnt)
{
	const struct guest_mem *m = virtio_pci_mem(n->vp);
	struct virtq_chain *c = &n->rx_chain;
	uint8_t *nb_lo = NULL, *nb_hi = NULL;
	struct rx_src s;
	uint16_t k = 0, i;
	bool bad = false;
	int r;

	src_init(&s, hdr, iov, cnt, NET_VNET_HDR_LEN);
	do {
		if (k == vq->size) {
			bad = true;	/* bigger than all the driver's buffers */
			break;
		}
		r = virtq_pop(vq, m, c);
		if (r == 0) {
			virtq_unpop(vq, k);
			return 0;
		}
		if (r < 0 && k == 0) {
			if (virtio_pci_pop_failed(n->vp, NET_RXQ, r, c))
				return -1;
			continue;	/* dropped with length 0: next chain */
		}
		if (r == -EBADMSG) {
			n->mrg_head[k] = c->head;
			n->mrg_len[k++] = 0;
			bad = true;
			break;
		}
		if (r < 0) {
			virtio_pci_pop_failed(n->vp, NET_RXQ, r, c);
			return -1;
		}
		if (k == 0) {
			/* num_buffers (le16 at 10), known at the end */
			nb_lo = chain_wbyte(c, 10);
			nb_hi = chain_wbyte(c, 11);
		}
		n->mrg_head[k] = c->head;
		n->mrg_len[k++] = copy_chain(c, &s);
	} while (src_more(&s));
	if (bad || nb_lo == NULL || nb_hi == NULL) {
		n->rx_dropped++;
		for (i = 0; i < k; i++)
			n->mrg_len[i] = 0;
	} else {
		*nb_lo = (uint8_t)k;
		*nb_hi = (uint8_t)(k >> 8);
	}
	for (i = 0; i < k; i++)
		virtq_fill(vq, m, i, n->mrg_head[i], n->mrg_len[i]);
	virtq_flush(vq, m, k);
	n->rx_irq = true;
	return 1;
}

/* One frame (12-byte header + frame in iov) into the next rx chain.
 * Returns 1 delivered, 0 no buffer, -1 queue unusable. Work lock held. */
static int rx_one(struct virtio_net *n, const struct iovec *iov, int cnt)
{
	const struct guest_mem *m = virtio_pci_mem(n->vp);
	struct virtq *vq = virtio_pci_queue(n->vp, NET_RXQ);
	uint8_t hdr[NET_VNET_HDR_LEN] = { 0 };
	size_t have = 0;
	uint32_t len = 0;
	uint16_t one = htole16(1);
	int i, r;

	if (vq == NULL)
		return -1;
	/* the backend's header; num_buffers = 1 unless MRG_RXBUF says
	 * otherwise (§5.1.6.4) */
	for (i = 0; i < cnt && have < sizeof(hdr); i++) {
		size_t k = iov[i].iov_len < sizeof(hdr) - have ?
				   iov[i].iov_len : sizeof(hdr) - have;

		memcpy(hdr + have, iov[i].iov_base, k);
		have += k;
	}
	memcpy(hdr + 10, &one, 2);
	if (virtio_pci_features(n->vp) & (1ull << VIRTIO_NET_F_MRG_RXBUF)) {
		if (have < sizeof(hdr)) {
			n->rx_dropped++;
			return 1;	/* no header: not a frame */
		}
		return rx_mrg(n, vq, hdr, iov, cnt);
	}
	for (;;) {
		r = virtq_pop(vq, m, &n->rx_chain);
		if (r == 1)
			break;
		if (virtio_pci_pop_failed(n->vp, NET_RXQ, r, &n->rx_chain))
			return r == 0 ? 0 : -1;
	}
	if (have < sizeof(hdr) || !copy_in(&n->rx_chain, hdr, iov, cnt,
					   sizeof(hdr), &len)) {
		n->rx_dropped++;
		len = 0;
	}
	virtq_push(vq, m, n->rx_chain.head, len);
	n->rx_irq = true;	/* one interrupt per poll round, see net_thread */
	return 1;
}

static void pending_drop_all(struct virtio_net *n)
{
	while (n->pend_count) {
		free(n->pend[n->pend_head].data);
		n->pend_head = (n->pend_head + 1) % RX_PENDING;
		n->pend_count--;
	}
}

/* Work lock held. */
static void pending_flush(struct virtio_net *n)
{
	while (n->pend_count) {
		struct pending *p = &n->pend[n->pend_head];
		struct iovec iov = { .iov_base = p->data, .iov_len = p->len };
		int r = rx_one(n, &iov, 1);

		if (r == 0)
			return;
		free(p->data);
		n->pend_head = (n->pend_head + 1) % RX_PENDING;
		n->pend_count--;
		if (r < 0)
			pending_drop_all(n);
	}
}

static bool pending_add(struct virtio_net *n, const struct iovec *iov, int cnt)
{
	struct pending *p;
	size_t len = 0, off = 0;
	int i;

	for (i = 0; i < cnt; i++)
		len += iov[i].iov_len;
	if (n->pend_count >= RX_PENDING || len > NET_VNET_HDR_LEN + NET_FRAME_MAX)
		return false;
	p = &n->pend[(n->pend_head + n->pend_count) % RX_PENDING];
	p->data = malloc(len);
	if (p->data == NULL)
		return false;
	for (i = 0; i < cnt; i++) {
		memcpy(p->data + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	p->len = len;
	n->pend_count++;
	return true;
}

/* Backend -> guest (net thread). */
static bool net_rx(void *dev, const struct iovec *iov, int cnt)
{
	struct virtio_net *n = dev;
	bool had_lock = n->locked;
	bool ok = false;
	int r;

	if (!had_lock)
		lock(n);
	if (n->pend_count == 0) {
		r = rx_one(n, iov, cnt);
		if (r == 1)
			ok = true;
		else if (r < 0)
			goto out;	/* no driver: the frame goes nowhere */
	}
	if (!ok && !pending_add(n, iov, cnt))
		n->rx_dropped++;
out:
	if (!had_lock)
		unlock(n);
	return ok;
}

/* Guest -> backend: every chain on the tx queue. Work lock held. */
static void tx_all(struct virtio_net *n)
{
	const struct guest_mem *m = virtio_pci_mem(n->vp);
	struct virtq *vq;
	unsigned int budget;
	bool pushed = false;
	int r;

	for (budget = 0; budget < 2 * NET_QUEUE_SIZE; budget++) {
		unsigned int i;

		/* re-fetched: a frame handed to the backend may have led to
		 * a receive that found the device needing a reset */
		vq = virtio_pci_queue(n->vp, NET_TXQ);
		if (vq == NULL)
			break;
		r = virtq_pop(vq, m, &n->tx_chain);
		if (r != 1) {
			if (virtio_pci_pop_failed(n->vp, NET_TXQ, r, &n->tx_chain))
				break;
			pushed = true;
			continue;
		}
		/* §5.1.6.2: header then frame, device-readable */
		if (n->tx_chain.read_len < NET_VNET_HDR_LEN ||
		    n->tx_chain.read_len > NET_VNET_HDR_LEN + NET_FRAME_MAX) {
			n->tx_dropped++;
		} else {
			for (i = 0; i < n->tx_chain.nread; i++) {
				n->iov[i].iov_base = n->tx_chain.seg[i].ptr;
				n->iov[i].iov_len = n->tx_chain.seg[i].len;
			}
			if (n->be->ops->tx(n->be, n->iov, (int)n->tx_chain.nread) < 0)
				n->tx_dropped++;
		}
		virtq_push(vq, m, n->tx_chain.head, 0);
		pushed = true;
	}
	if (pushed)
		virtio_pci_queue_interrupt(n->vp, NET_TXQ);
	if (budget == 2 * NET_QUEUE_SIZE)
		/* more to send: come back after the others had a turn */
		virtio_pci_queue_kick(n->vp, NET_TXQ);
}

static void drain(int fd)
{
	uint64_t v;

	while (read(fd, &v, sizeof(v)) > 0)
		;
}

static void *net_thread(void *arg)
{
	struct virtio_net *n = arg;
	int rxfd = virtio_pci_queue_fd(n->vp, NET_RXQ);
	int txfd = virtio_pci_queue_fd(n->vp, NET_TXQ);

	/* stop is looked at after a round: queue kicks written before the
	 * stop's wake-up are always handled */
	for (;;) {
		int timeout = -1, nb, r;
		bool rx_ok;

		n->pfd[0] = (struct pollfd){ .fd = n->wake_fd, .events = POLLIN };
		n->pfd[1] = (struct pollfd){ .fd = rxfd, .events = POLLIN };
		n->pfd[2] = (struct pollfd){ .fd = txfd, .events = POLLIN };
		lock(n);
		rx_ok = n->pend_count == 0;
		unlock(n);
		nb = n->be->ops->poll_fill(n->be, n->pfd + 3, NET_POLL_MAX - 3,
					   &timeout, rx_ok);
		r = poll(n->pfd, 3 + (nfds_t)nb, timeout);
		if (r < 0 && errno != EINTR) {
			log_err("vm: virtio-net: poll: %s", strerror(errno));
			break;
		}
		if (r > 0 && (n->pfd[0].revents & POLLIN))
			drain(n->wake_fd);
		if (r > 0 && (n->pfd[1].revents & POLLIN)) {
			drain(rxfd);
			lock(n);
			pending_flush(n);
			unlock(n);
		}
		if (r > 0 && (n->pfd[2].revents & POLLIN)) {
			drain(txfd);
			lock(n);
			tx_all(n);
			unlock(n);
		}
		n->be->ops->poll_done(n->be, n->pfd + 3, nb, r < 0);
		/* the frames of a whole round (a TAP burst, what slirp sent)
		 * share one interrupt; EVENT_IDX still decides if it is due */
		lock(n);
		if (n->rx_irq && virtio_pci_queue(n->vp, NET_RXQ))
			virtio_pci_queue_interrupt(n->vp, NET_RXQ);
		n->rx_irq = false;
		unlock(n);
		if (__atomic_load_n(&n->stop, __ATOMIC_ACQUIRE))
			break;
	}
	return NULL;
}

static void net_cfg_read(void *opaque, uint32_t off, uint8_t *data,
			 unsigned int len)
{
	struct virtio_net *n = opaque;

	memcpy(data, n->cfg + off, len);
}

static bool net_features_ok(void *opaque, uint64_t f)
{
	(void)opaque;
	/* §5.1.3.1: TSO/ECN on receive need GUEST_CSUM, on transmit CSUM */
	if ((f & ((1ull << VIRTIO_NET_F_GUEST_TSO4) |
		  (1ull << VIRTIO_NET_F_GUEST_TSO6))) &&
	    !(f & (1ull << VIRTIO_NET_F_GUEST_CSUM)))
		return false;
	if ((f & ((1ull << VIRTIO_NET_F_HOST_TSO4) |
		  (1ull << VIRTIO_NET_F_HOST_TSO6))) &&
	    !(f & (1ull << VIRTIO_NET_F_CSUM)))
		return false;
	return true;
}

static void net_driver_ok(void *opaque, uint64_t features)
{
	struct virtio_net *n = opaque;

	n->be->ops->set_features(n->be, features);
}

static void net_reset(void *opaque)
{
	struct virtio_net *n = opaque;

	/* work lock held: the net thread is not inside the queues */
	pending_drop_all(n);
	if (n->be)
		n->be->ops->set_features(n->be, 0);
}

struct virtio_net *virtio_net_add(struct vmm *vm, const struct vm_config *c)
{
	struct virtio_net *n;
	uint16_t st = htole16(VIRTIO_NET_S_LINK_UP), pairs = htole16(1);
	int e = EINVAL, r;

	n = calloc(1, sizeof(*n));
	if (n == NULL)
		return NULL;
	n->wake_fd = -1;
	n->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (n->wake_fd < 0) {
		e = errno;
		goto fail;
	}
	if (c->net == VM_NET_SLIRP)
		n->be = net_slirp_new(c, net_rx, n);
	else if (c->net == VM_NET_TAP)
		n->be = net_tap_new(c->tap_name, net_rx, n);
	else
		errno = EINVAL;
	if (n->be == NULL) {
		e = errno;
		goto fail;
	}
	/* struct virtio_net_config (§5.1.4) */
	if (c->mac_set)
		memcpy(n->cfg, c->mac, 6);
	else
		vm_config_default_mac(c, n->cfg);
	memcpy(n->cfg + 6, &st, 2);
	memcpy(n->cfg + 8, &pairs, 2);
	n->ops = (struct virtio_dev_ops){
		.name = "net",
		.type = VIRTIO_ID_NET,
		.class_code = PCI_CLASS_NETWORK_ETHERNET,
		.nqueues = 2,
		.queue_size = NET_QUEUE_SIZE,
		.cfg_size = NET_CFG_SIZE,
		.features = (1ull << VIRTIO_NET_F_MAC) |
			    (1ull << VIRTIO_NET_F_STATUS) |
			    (1ull << VIRTIO_NET_F_MRG_RXBUF) | n->be->features,
		.own_notify = true,
		.cfg_read = net_cfg_read,
		.features_ok = net_features_ok,
		.driver_ok = net_driver_ok,
		.reset = net_reset,
	};
	n->vp = virtio_pci_new(vm, &n->ops, n);
	if (n->vp == NULL) {
		e = errno;
		goto fail;
	}
	r = pthread_create(&n->thread, NULL, net_thread, n);
	if (r) {
		e = r;
		log_err("vm: virtio-net: cannot start its thread: %s", strerror(r));
		goto fail;
	}
	n->thread_started = true;
	log_info("vm: virtio-net %s, MAC %02x:%02x:%02x:%02x:%02x:%02x",
		 n->be->ops->name, n->cfg[0], n->cfg[1], n->cfg[2], n->cfg[3],
		 n->cfg[4], n->cfg[5]);
	return n;
fail:
	virtio_net_free(n);
	errno = e;
	return NULL;
}

void virtio_net_free(struct virtio_net *n)
{
	uint64_t one = 1;

	if (n == NULL)
		return;
	if (n->thread_started) {
		__atomic_store_n(&n->stop, true, __ATOMIC_RELEASE);
		if (write(n->wake_fd, &one, sizeof(one)) < 0)
			log_warn("vm: virtio-net: wake: %s", strerror(errno));
		pthread_join(n->thread, NULL);
	}
	virtio_pci_free(n->vp);		/* resets: drops pending frames */
	pending_drop_all(n);
	if (n->be)
		n->be->ops->free(n->be);
	if (n->wake_fd >= 0)
		close(n->wake_fd);
	free(n);
}
