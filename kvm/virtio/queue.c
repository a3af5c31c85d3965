/*
 * kvm/virtio/queue.c - split virtqueues (virtio 1.2 §2.7) over hostile
 * guest memory.
 *
 * Layout (§2.7.5-2.7.8): descriptor table of 16-byte entries; avail ring
 * {flags, idx, ring[size], used_event}; used ring {flags, idx,
 * ring[size] of {id, len}, avail_event}. Indices are free-running u16.
 * The driver writes avail->idx after the ring entries, so we load it with
 * acquire order; we publish used->idx with release order after the entry.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "kvm/virtio/queue.h"

struct vdesc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

#define VIRTQ_AVAIL_F_NO_INTERRUPT 1

static uint16_t *avail_field(const struct virtq *vq, const struct guest_mem *m,
			     unsigned int i)
{
	/* i: 0 flags, 1 idx, 2.. ring, 2+size used_event */
	return guest_mem_ptr(m, vq->avail_gpa + 2ull * i, 2);
}

static uint16_t load16(const uint16_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

int virtq_setup(struct virtq *vq, const struct guest_mem *m, uint16_t size,
		uint64_t desc, uint64_t avail, uint64_t used, bool event_idx)
{
	memset(vq, 0, sizeof(*vq));
	if (size == 0 || size > VIRTQ_MAX_SIZE || (size & (size - 1)))
		return -EINVAL;
	/* §2.7.2 alignment: desc 16, avail 2, used 4 */
	if ((desc & 15) || (avail & 1) || (used & 3))
		return -EINVAL;
	if (!guest_mem_ptr(m, desc, 16ull * size) ||
	    !guest_mem_ptr(m, avail, 6 + 2ull * size) ||
	    !guest_mem_ptr(m, used, 6 + 8ull * size))
		return -EINVAL;
	vq->size = size;
	vq->desc_gpa = desc;
	vq->avail_gpa = avail;
	vq->used_gpa = used;
	vq->event_idx = event_idx;
	return 0;
}

static int desc_read(const struct guest_mem *m, uint64_t table, uint32_t n,
		     uint32_t i, struct vdesc *d)
{
	if (i >= n)
		return -EBADMSG;
	if (guest_mem_read(m, table + 16ull * i, d, sizeof(*d)) < 0)
		return -EBADMSG;
	return 0;
}

static int chain_add(struct virtq_chain *c, const struct guest_mem *m,
		     const struct vdesc *d)
{
	bool w = d->flags & VIRTQ_DESC_F_WRITE;
	uint8_t *p;

	/* §2.7.4.2: device-readable descriptors come before writable ones */
	if (!w && c->nseg > c->nread)
		return -EBADMSG;
	if (c->nseg >= VIRTQ_MAX_SEGS)
		return -EBADMSG;
	p = guest_mem_ptr(m, d->addr, d->len);
	if (p == NULL)
		return -EBADMSG;
	c->seg[c->nseg].ptr = p;
	c->seg[c->nseg].len = d->len;
	c->seg[c->nseg].write = w;
	c->nseg++;
	if (w)
		c->write_len += d->len;
	else {
		c->nread++;
		c->read_len += d->len;
	}
	return 0;
}

/* Walks a table of n descriptors from index i; at most n steps, so a loop
 * ends as an error. Indirect is allowed only at the top level. */
static int chain_walk(struct virtq_chain *c, const struct guest_mem *m,
		      uint64_t table, uint32_t n, uint32_t i, bool top)
{
	struct vdesc d;
	uint32_t steps;
	int r;

	for (steps = 0; steps < n; steps++) {
		r = desc_read(m, table, n, i, &d);
		if (r < 0)
			return r;
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			/* §2.7.5.3.1: not nested, not with NEXT, whole
			 * entries, and the only thing in the chain */
			if (!top || (d.flags & VIRTQ_DESC_F_NEXT) ||
			    c->nseg != 0 || d.len == 0 || (d.len % 16) ||
			    d.len / 16 > VIRTQ_MAX_SIZE)
				return -EBADMSG;
			if (!guest_mem_ptr(m, d.addr, d.len))
				return -EBADMSG;
			return chain_walk(c, m, d.addr, d.len / 16, 0, false);
		}
		r = chain_add(c, m, &d);
		if (r < 0)
			return r;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		i = d.next;
	}
	return -EBADMSG;	/* longer than the table: a loop */
}

int virtq_pop(struct virtq *vq, const struct guest_mem *m,
	      struct virtq_chain *c)
{
	uint16_t *idxp, *ringp, avail_idx, head;
	int r;

	memset(c, 0, offsetof(struct virtq_chain, seg));
	if (vq->size == 0 || vq->broken)
		return -EPROTO;
	idxp = avail_field(vq, m, 1);
	if (idxp == NULL)
		return -EPROTO;
	/* avail_event, stored by the last pop, must be visible before avail
	 * idx is read: otherwise a driver adding a buffer right now could
	 * read the old avail_event and skip its notify while we find the
	 * ring empty and wait for one (the driver has the mirror fence) */
	if (vq->event_idx)
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	avail_idx = load16(idxp);
	if (avail_idx == vq->last_avail)
		return 0;
	if ((uint16_t)(avail_idx - vq->last_avail) > vq->size) {
		vq->broken = true;
		return -EPROTO;
	}
	ringp = avail_field(vq, m, 2 + (vq->last_avail & (vq->size - 1)));
	if (ringp == NULL)
		return -EPROTO;
	head = __atomic_load_n(ringp, __ATOMIC_RELAXED);
	vq->last_avail++;
	if (vq->event_idx) {
		/* avail_event (§2.7.10): tell the driver how far we read */
		uint16_t *ae = guest_mem_ptr(m, vq->used_gpa + 4 +
					     8ull * vq->size, 2);

		if (ae)
			__atomic_store_n(ae, vq->last_avail, __ATOMIC_RELEASE);
	}
	if (head >= vq->size) {
		/* nothing sane to complete: 0 keeps the ring moving */
		c->head = 0;
		vq->broken = true;
		return -EPROTO;
	}
	c->head = head;
	r = chain_walk(c, m, vq->desc_gpa, vq->size, head, true);
	if (r < 0)
		return r;
	return 1;
}

int virtq_fill(struct virtq *vq, const struct guest_mem *m, uint16_t i,
	       uint16_t head, uint32_t len)
{
	uint8_t *e;
	uint32_t id = head;

	if (vq->size == 0 || head >= vq->size || i >= vq->size)
		return -EINVAL;
	e = guest_mem_ptr(m, vq->used_gpa + 4 +
			  8ull * ((uint16_t)(vq->used_idx + i) & (vq->size - 1)),
			  8);
	if (e == NULL)
		return -EFAULT;
	memcpy(e, &id, 4);
	memcpy(e + 4, &len, 4);
	return 0;
}

void virtq_flush(struct virtq *vq, const struct guest_mem *m, uint16_t n)
{
	uint16_t *idxp = guest_mem_ptr(m, vq->used_gpa + 2, 2);

	if (idxp == NULL || n == 0)
		return;
	vq->used_idx = (uint16_t)(vq->used_idx + n);
	/* release: the entries are visible before the index that covers
	 * them */
	__atomic_store_n(idxp, vq->used_idx, __ATOMIC_RELEASE);
}

int virtq_push(struct virtq *vq, const struct guest_mem *m, uint16_t head,
	       uint32_t len)
{
	int r = virtq_fill(vq, m, 0, head, len);

	if (r < 0)
		return r;
	if (guest_mem_ptr(m, vq->used_gpa + 2, 2) == NULL)
		return -EFAULT;
	virtq_flush(vq, m, 1);
	return 0;
}

void virtq_unpop(struct virtq *vq, uint16_t n)
{
	vq->last_avail = (uint16_t)(vq->last_avail - n);
}

bool virtq_should_notify(struct virtq *vq, const struct guest_mem *m)
{
	uint16_t old = vq->signalled_used, new = vq->used_idx, ev;
	bool valid = vq->signalled_valid;
	uint16_t *p;

	/* the used idx store must be visible before we read used_event */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	vq->signalled_used = new;
	vq->signalled_valid = true;
	if (!vq->event_idx) {
		p = avail_field(vq, m, 0);
		return p == NULL || !(load16(p) & VIRTQ_AVAIL_F_NO_INTERRUPT);
	}
	if (!valid)
		return true;
	p = avail_field(vq, m, 2 + vq->size);
	if (p == NULL)
		return true;
	ev = load16(p);
	/* §2.7.10.1 vring_need_event: interrupt iff used_event in [old, new) */
	return (uint16_t)(new - ev - 1) < (uint16_t)(new - old);
}
