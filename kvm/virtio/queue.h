/*
 * kvm/virtio/queue.h - split virtqueue walker (virtio 1.2 §2.7) with
 * VIRTIO_F_EVENT_IDX, against hostile guest memory.
 *
 * All ring and buffer addresses go through guest_mem_ptr(); a malformed
 * chain (loop, out-of-range index, bad indirect table, readable after
 * writable, buffer outside RAM) is reported so the device drops it, never
 * followed.
 */
#ifndef PROVD_KVM_VIRTIO_QUEUE_H
#define PROVD_KVM_VIRTIO_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "kvm/mem.h"

#define VIRTQ_MAX_SIZE 1024	/* queue sizes are powers of two up to this */
#define VIRTQ_MAX_SEGS 256	/* segments handed to a device per chain */

#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4

struct virtq {
	uint16_t size;		/* 0 = not configured */
	uint64_t desc_gpa;
	uint64_t avail_gpa;
	uint64_t used_gpa;
	bool event_idx;		/* VIRTIO_F_EVENT_IDX negotiated */
	uint16_t last_avail;	/* next avail entry to consume */
	uint16_t used_idx;	/* our copy of used->idx */
	uint16_t signalled_used; /* used_idx at the last interrupt */
	bool signalled_valid;
	bool broken;		/* avail idx jumped more than size ahead */
};

struct virtq_seg {
	uint8_t *ptr;		/* host pointer, valid for len bytes */
	uint32_t len;
	bool write;		/* device-writable */
};

struct virtq_chain {
	uint16_t head;
	unsigned int nseg;
	unsigned int nread;	/* leading device-readable segments */
	uint64_t read_len;	/* sum of readable lengths */
	uint64_t write_len;	/* sum of writable lengths */
	struct virtq_seg seg[VIRTQ_MAX_SEGS];
};

/* Checks size (power of two, <= VIRTQ_MAX_SIZE) and that the rings are in
 * guest RAM and aligned; -EINVAL otherwise. Resets the indices. */
int virtq_setup(struct virtq *vq, const struct guest_mem *m, uint16_t size,
		uint64_t desc, uint64_t avail, uint64_t used, bool event_idx);

/*
 * Takes the next available chain. Returns 1 with *c filled, 0 when the ring
 * is empty, -EBADMSG when the chain is malformed (c->head is valid: complete
 * it with virtq_push(vq, m, c->head, 0) to drop it), -EPROTO when the ring
 * itself is unusable (the device should stop using the queue).
 */
int virtq_pop(struct virtq *vq, const struct guest_mem *m,
	      struct virtq_chain *c);

/* Returns a chain to the driver with len bytes written; -EFAULT/-EINVAL. */
int virtq_push(struct virtq *vq, const struct guest_mem *m, uint16_t head,
	       uint32_t len);

/*
 * Several chains returned at once (virtio-net MRG_RXBUF: the buffers of one
 * frame must become visible together): virtq_fill writes the used entry
 * i places after the last published one, virtq_flush then publishes n
 * entries with one used idx store. -EFAULT/-EINVAL.
 */
int virtq_fill(struct virtq *vq, const struct guest_mem *m, uint16_t i,
	       uint16_t head, uint32_t len);
void virtq_flush(struct virtq *vq, const struct guest_mem *m, uint16_t n);

/* Gives back the last n chains taken with virtq_pop (not pushed): they
 * are popped again next time. avail_event keeps its high-water mark, so
 * the driver's next addition is still notified. */
void virtq_unpop(struct virtq *vq, uint16_t n);

/* Whether the driver wants an interrupt for what was pushed since the last
 * call that returned true (used_event with EVENT_IDX, else the
 * VIRTQ_AVAIL_F_NO_INTERRUPT flag). */
bool virtq_should_notify(struct virtq *vq, const struct guest_mem *m);

#endif
