/*
 * kvm/virtio/rng.c - virtio entropy device (virtio 1.2 §5.4): fills the
 * device-writable buffers of each request with getrandom(2) output, on the
 * VMM event thread. At most RNG_MAX_CHAIN bytes per request so one huge
 * buffer cannot keep the event thread busy.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

#include <linux/virtio_ids.h>

#include "kvm/virtio/pci.h"
#include "kvm/vmm.h"
#include "provd/base/log.h"

#define RNG_QUEUE_SIZE 64
#define RNG_MAX_CHAIN (64u * 1024)
#define PCI_CLASS_OTHERS 0xff00

struct virtio_rng {
	struct virtio_pci *vp;
	struct virtq_chain chain;
};

/* Fills the writable segments; returns the bytes written. */
static uint32_t fill(const struct virtq_chain *c)
{
	uint32_t total = 0;
	unsigned int i;

	for (i = c->nread; i < c->nseg && total < RNG_MAX_CHAIN; i++) {
		uint32_t want = c->seg[i].len, done = 0;

		if (want > RNG_MAX_CHAIN - total)
			want = RNG_MAX_CHAIN - total;
		while (done < want) {
			ssize_t r = getrandom(c->seg[i].ptr + done, want - done, 0);

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				return total + done;
			done += (uint32_t)r;
		}
		total += done;
	}
	return total;
}

static void rng_notify(void *opaque, unsigned int q)
{
	struct virtio_rng *r = opaque;
	const struct guest_mem *m = virtio_pci_mem(r->vp);
	struct virtq *vq = virtio_pci_queue(r->vp, q);
	unsigned int budget;
	bool pushed = false;
	int p;

	if (vq == NULL)
		return;
	for (budget = 0; budget < vq->size; budget++) {
		p = virtq_pop(vq, m, &r->chain);
		if (p != 1) {
			if (virtio_pci_pop_failed(r->vp, q, p, &r->chain))
				break;
			pushed = true;
			continue;
		}
		if (virtq_push(vq, m, r->chain.head, fill(&r->chain)) < 0)
			break;
		pushed = true;
	}
	if (pushed)
		virtio_pci_queue_interrupt(r->vp, q);
	if (budget == vq->size)
		virtio_pci_queue_kick(r->vp, q);	/* more next round */
}

static const struct virtio_dev_ops rng_ops = {
	.name = "rng",
	.type = VIRTIO_ID_RNG,
	.class_code = PCI_CLASS_OTHERS,
	.nqueues = 1,
	.queue_size = RNG_QUEUE_SIZE,
	.notify = rng_notify,
};

struct virtio_rng *virtio_rng_add(struct vmm *vm)
{
	struct virtio_rng *r = calloc(1, sizeof(*r));
	int e;

	if (r == NULL)
		return NULL;
	r->vp = virtio_pci_new(vm, &rng_ops, r);
	if (r->vp == NULL) {
		e = errno;
		free(r);
		errno = e;
		return NULL;
	}
	return r;
}

void virtio_rng_free(struct virtio_rng *r)
{
	if (r == NULL)
		return;
	virtio_pci_free(r->vp);
	free(r);
}
