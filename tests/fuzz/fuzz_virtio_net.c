/* fuzz_virtio_net: hostile virtio-net transmit and receive chains through
 * guest memory. The input is byte 0: queue size log2 (1..256), byte 1:
 * feature bits the driver takes (bit 0 EVENT_IDX, bit 1 INDIRECT_DESC),
 * then the guest RAM image (64 KiB; rx rings at 0x0000, tx rings at
 * 0x4000: desc +0, avail +0x1000, used +0x2000). The backend is an echo
 * stub standing in for libslirp (linked in its place): every transmitted
 * frame, header included, comes straight back to the guest from inside
 * tx, the way slirp answers inside slirp_input. Nothing may touch memory
 * outside guest RAM (ASan), crash, hang or deadlock. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "kvm/net/backend.h"
#include "tests/unit/fake_vmm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_RAM 0x10000u

struct echo {
	struct net_backend b;
	uint8_t frame[NET_VNET_HDR_LEN + NET_FRAME_MAX];
};

static int echo_tx(struct net_backend *b, const struct iovec *iov, int cnt)
{
	struct echo *e = (struct echo *)b;
	struct iovec one = { .iov_base = e->frame, .iov_len = 0 };
	int i;

	for (i = 0; i < cnt; i++) {
		if (iov[i].iov_len > sizeof(e->frame) - one.iov_len)
			return -EMSGSIZE;
		memcpy(e->frame + one.iov_len, iov[i].iov_base, iov[i].iov_len);
		one.iov_len += iov[i].iov_len;
	}
	e->b.rx(e->b.rx_dev, &one, 1);
	return 0;
}

static int echo_fill(struct net_backend *b, struct pollfd *pfd, int max,
		     int *timeout_ms, bool rx_ok)
{
	(void)b, (void)pfd, (void)max, (void)timeout_ms, (void)rx_ok;
	return 0;
}

static void echo_done(struct net_backend *b, struct pollfd *pfd, int n,
		      bool err)
{
	(void)b, (void)pfd, (void)n, (void)err;
}

static int echo_features(struct net_backend *b, uint64_t f)
{
	(void)b, (void)f;
	return 0;
}

static void echo_free(struct net_backend *b)
{
	free(b);
}

static const struct net_backend_ops echo_ops = {
	.name = "echo",
	.tx = echo_tx,
	.poll_fill = echo_fill,
	.poll_done = echo_done,
	.set_features = echo_features,
	.free = echo_free,
};

/* replaces kvm/net/slirp.c at link time */
struct net_backend *net_slirp_new(const struct vm_config *c, net_rx_fn *rx,
				  void *dev)
{
	struct echo *e = calloc(1, sizeof(*e));

	(void)c;
	if (e == NULL)
		return NULL;
	e->b.ops = &echo_ops;
	e->b.rx = rx;
	e->b.rx_dev = dev;
	return &e->b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vm_config c = { 0 };
	struct fake_drv drv;
	struct virtio_net *n;
	struct vmm *vm;
	uint64_t feat = 1ull << VIRTIO_F_VERSION_1;

	if (size < 2)
		return 0;
	if (data[1] & 1)
		feat |= 1ull << VIRTIO_RING_F_EVENT_IDX;
	if (data[1] & 2)
		feat |= 1ull << VIRTIO_RING_F_INDIRECT_DESC;
	c.net = VM_NET_SLIRP;
	vm = fake_vmm_new(FUZZ_RAM, &c);
	if (vm == NULL)
		return 0;
	memcpy(fake_vmm_ram(vm), data + 2,
	       size - 2 < FUZZ_RAM ? size - 2 : FUZZ_RAM);
	n = virtio_net_add(vm, &c);
	if (n == NULL)
		abort();
	/* DRIVER_OK kicks both queues; the net thread handles them before
	 * it sees the stop that virtio_net_free sends after */
	if (fake_drv_init(&drv, vm, 0, feat, (uint16_t)(1u << (data[0] % 9)),
			  0) == 0) {
		fake_drv_kick(&drv, 1);
		fake_drv_kick(&drv, 0);
	}
	virtio_net_free(n);
	fake_vmm_free(vm);
	return 0;
}
