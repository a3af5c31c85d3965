/*
 * kvm/virtio/pci.c - virtio 1.x modern PCI transport (virtio 1.2 §4.1).
 *
 * One memory BAR (BAR 0, VIRTIO_PCI_BAR_SIZE) carries every structure; the
 * vendor-specific capabilities (§4.1.4) point into it. Notifications: each
 * queue has an eventfd bound to its notify address with KVM ioeventfd once
 * the driver sets DRIVER_OK (so the BAR address the guest chose is known);
 * a notify write that still reaches the MMIO handler signals the same
 * eventfd, so device work never runs on a vCPU thread. Interrupts: MSI-X
 * only (config vector and one per queue, §4.1.5.1.2). Each vector has an
 * eventfd bound by the VMM to an MSI route (vmm_irqfd_msi) while MSI-X is
 * enabled and the vector unmasked, so raising it is one write(2); the
 * route follows the guest's table writes. Without irqfd, vmm_msi()
 * (KVM_SIGNAL_MSI). Masking stays in this file either way: a masked
 * vector's interrupt sets its PBA bit and is delivered on unmask (PCI 3.0
 * §6.8.2.9). There is no INTx pin: every kernel with virtio_pci has MSI-X.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>

#include "kvm/virtio/pci.h"
#include "kvm/vmm.h"
#include "provd/base/log.h"
#include "provd/base/loop.h"

#define PCI_VENDOR_REDHAT_QUMRANET 0x1af4
#define PCI_DEVICE_VIRTIO_MODERN 0x1040
#define PCI_CAP_ID_VNDR 0x09
#define NO_VECTOR VIRTIO_MSI_NO_VECTOR
#define VP_LOG_MAX 10
#define VIRTIO_PCI_ISR_QUEUE 0x1	/* §4.1.4.5 */

/* transport features every device gets (§6) */
#define TRANSPORT_FEATURES                                                    \
	((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_RING_F_EVENT_IDX) |   \
	 (1ull << VIRTIO_RING_F_INDIRECT_DESC))

struct vp_queue {
	struct virtio_pci *vp;
	unsigned int index;
	struct virtq vq;		/* set up at queue_enable */
	uint16_t size;			/* queue_size register */
	uint16_t vector;		/* queue_msix_vector */
	bool enabled;
	uint64_t desc, driver, device;	/* ring addresses as written */
	int efd;			/* notification eventfd */
	struct loop_src *src;		/* efd on the VMM loop */
	uint64_t ioevent_gpa;		/* 0 = no ioeventfd assigned */
};

/* An MSI-X vector's irqfd (regs lock). */
struct vp_vec {
	int fd;				/* eventfd, -1 if none */
	bool routed;			/* fd is bound to (addr, data) */
	uint64_t addr;
	uint32_t data;
};

struct virtio_pci {
	struct vmm *vm;
	const struct virtio_dev_ops *ops;
	void *opaque;
	struct pci_dev pci;
	pthread_mutex_t work;
	pthread_mutex_t regs;
	uint64_t dev_features;
	uint64_t drv_features;
	uint32_t dfselect, gfselect;
	uint16_t config_vector;
	uint16_t queue_select;
	uint8_t status;
	uint8_t isr;
	uint8_t generation;
	unsigned int nlogged;		/* guest-caused warnings so far */
	uint32_t ioev_bar;		/* BAR 0 when ioeventfds were bound */
	bool no_irqfd;			/* the VMM cannot route MSIs to fds */
	uint8_t cfgcap;			/* the PCI_CFG capability's offset */
	struct vp_vec vec[VIRTIO_PCI_MAX_QUEUES + 1];
	struct vp_queue q[VIRTIO_PCI_MAX_QUEUES];
};

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static uint64_t get_le(const uint8_t *data, unsigned int len)
{
	uint64_t v = 0;

	memcpy(&v, data, len > 8 ? 8 : len);
	return v;
}

/* --- interrupts (regs lock held) ------------------------------------- */

static void msix_fire(struct virtio_pci *vp, unsigned int vec)
{
	const struct pci_msix_entry *e = &vp->pci.msix[vec];
	uint64_t one = 1;

	if (vp->vec[vec].routed &&
	    write(vp->vec[vec].fd, &one, sizeof(one)) == sizeof(one))
		return;
	vmm_msi(vp->vm, ((uint64_t)e->addr_hi << 32) | e->addr_lo, e->data);
}

/*
 * One MSI route per vector that can fire now: MSI-X enabled, neither the
 * function nor the vector masked. A masked vector has no route (its
 * interrupts go to the PBA here), a rewritten entry gets its new message.
 * Called after anything that changes that: table writes, the MSI-X
 * control word.
 */
static void msix_routes_sync(struct virtio_pci *vp)
{
	unsigned int v;

	for (v = 0; v < vp->pci.msix_nvec; v++) {
		const struct pci_msix_entry *e = &vp->pci.msix[v];
		struct vp_vec *x = &vp->vec[v];
		uint64_t addr = ((uint64_t)e->addr_hi << 32) | e->addr_lo;
		int r;

		if (x->fd < 0)
			continue;
		if (!pci_msix_enabled(&vp->pci) || pci_msix_masked(&vp->pci, v)) {
			if (x->routed)
				vmm_irqfd_clear(vp->vm, x->fd);
			x->routed = false;
			continue;
		}
		if (vp->no_irqfd ||
		    (x->routed && x->addr == addr && x->data == e->data))
			continue;
		r = vmm_irqfd_msi(vp->vm, x->fd, addr, e->data);
		x->routed = r == 0;
		x->addr = addr;
		x->data = e->data;
		if (r == -ENOSYS)
			vp->no_irqfd = true;	/* KVM_SIGNAL_MSI from now on */
	}
}

/* Delivers pending vectors the driver has unmasked since. */
static void msix_flush(struct virtio_pci *vp)
{
	unsigned int v;

	if (!vp->pci.msix_pending || !pci_msix_enabled(&vp->pci))
		return;
	for (v = 0; v < vp->pci.msix_nvec; v++) {
		if (!(vp->pci.msix_pending & (1ull << v)) ||
		    pci_msix_masked(&vp->pci, v))
			continue;
		vp->pci.msix_pending &= ~(1ull << v);
		msix_fire(vp, v);
	}
}

static void raise_vector(struct virtio_pci *vp, uint16_t vec, uint8_t isr)
{
	vp->isr |= isr;
	if (!pci_msix_enabled(&vp->pci) || vec == NO_VECTOR ||
	    vec >= vp->pci.msix_nvec)
		return;
	if (pci_msix_masked(&vp->pci, vec)) {
		vp->pci.msix_pending |= 1ull << vec;	/* §6.8.2.9 PBA */
		return;
	}
	msix_fire(vp, vec);
}

void virtio_pci_queue_interrupt(struct virtio_pci *vp, unsigned int q)
{
	if (q >= vp->ops->nqueues ||
	    !virtq_should_notify(&vp->q[q].vq, vmm_mem(vp->vm)))
		return;
	pthread_mutex_lock(&vp->regs);
	raise_vector(vp, vp->q[q].vector, VIRTIO_PCI_ISR_QUEUE);
	pthread_mutex_unlock(&vp->regs);
}

/* Work and regs locks held. */
static void needs_reset_locked(struct virtio_pci *vp, const char *why,
			       unsigned int q)
{
	if (vp->status & VIRTIO_CONFIG_S_NEEDS_RESET)
		return;
	/* a guest can break and reset a ring in a loop: bounded logging */
	if (vp->nlogged < VP_LOG_MAX)
		log_warn("vm: virtio-%s queue %u: %s; device needs reset%s",
			 vp->ops->name, q, why,
			 ++vp->nlogged == VP_LOG_MAX ? " (further reports "
						       "suppressed)" : "");
	vp->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	/* §2.1.2: notify the driver with a configuration change */
	raise_vector(vp, vp->config_vector, VIRTIO_PCI_ISR_CONFIG);
}

/* Work lock held. */
static void needs_reset(struct virtio_pci *vp, const char *why, unsigned int q)
{
	pthread_mutex_lock(&vp->regs);
	needs_reset_locked(vp, why, q);
	pthread_mutex_unlock(&vp->regs);
}

bool virtio_pci_pop_failed(struct virtio_pci *vp, unsigned int q, int r,
			   const struct virtq_chain *c)
{
	struct virtq *vq = &vp->q[q].vq;

	if (r == -EBADMSG) {
		/* a malformed chain: fail it, keep the queue */
		if (virtq_push(vq, vmm_mem(vp->vm), c->head, 0) == 0)
			return false;
		r = -EPROTO;
	}
	if (r == -EPROTO) {
		needs_reset(vp, "driver broke the ring", q);
		return true;
	}
	return r <= 0;
}

/* --- queues ------------------------------------------------------------ */

struct virtq *virtio_pci_queue(struct virtio_pci *vp, unsigned int q)
{
	if (q >= vp->ops->nqueues || !vp->q[q].enabled || vp->q[q].vq.broken)
		return NULL;
	if ((vp->status & (VIRTIO_CONFIG_S_DRIVER_OK |
			   VIRTIO_CONFIG_S_NEEDS_RESET)) !=
	    VIRTIO_CONFIG_S_DRIVER_OK)
		return NULL;
	return &vp->q[q].vq;
}

int virtio_pci_queue_fd(struct virtio_pci *vp, unsigned int q)
{
	return q < vp->ops->nqueues ? vp->q[q].efd : -1;
}

uint64_t virtio_pci_features(struct virtio_pci *vp)
{
	return vp->drv_features;
}

const struct guest_mem *virtio_pci_mem(struct virtio_pci *vp)
{
	return vmm_mem(vp->vm);
}

struct pci_dev *virtio_pci_dev(struct virtio_pci *vp)
{
	return &vp->pci;
}

void virtio_pci_work_lock(struct virtio_pci *vp)
{
	pthread_mutex_lock(&vp->work);
}

void virtio_pci_work_unlock(struct virtio_pci *vp)
{
	pthread_mutex_unlock(&vp->work);
}

static void kick(struct vp_queue *pq)
{
	uint64_t one = 1;

	if (write(pq->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("vm: virtio queue eventfd: %s", strerror(errno));
}

void virtio_pci_queue_kick(struct virtio_pci *vp, unsigned int q)
{
	if (q < vp->ops->nqueues)
		kick(&vp->q[q]);
}

static void on_notify(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct vp_queue *pq = arg;
	struct virtio_pci *vp = pq->vp;
	uint64_t n;

	(void)l;
	(void)events;
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&vp->work);
	if (virtio_pci_queue(vp, pq->index))
		vp->ops->notify(vp->opaque, pq->index);
	pthread_mutex_unlock(&vp->work);
}

static void ioevents_assign(struct virtio_pci *vp)
{
	uint32_t bar = pci_bar_addr(&vp->pci, 0);
	unsigned int i;

	vp->ioev_bar = bar;

	for (i = 0; i < vp->ops->nqueues; i++) {
		struct vp_queue *pq = &vp->q[i];
		uint64_t gpa = (uint64_t)bar + VIRTIO_PCI_NOTIFY_OFF +
			       VIRTIO_PCI_NOTIFY_MULT * i;

		if (pq->ioevent_gpa || !pq->enabled || !bar)
			continue;
		/* on failure the MMIO handler signals the eventfd instead */
		if (vmm_ioeventfd(vp->vm, gpa, 2, pq->efd, false) == 0)
			pq->ioevent_gpa = gpa;
	}
}

static void ioevents_deassign(struct virtio_pci *vp)
{
	unsigned int i;

	for (i = 0; i < vp->ops->nqueues; i++) {
		struct vp_queue *pq = &vp->q[i];

		if (!pq->ioevent_gpa)
			continue;
		vmm_ioeventfd(vp->vm, pq->ioevent_gpa, 2, pq->efd, true);
		pq->ioevent_gpa = 0;
	}
	vp->ioev_bar = 0;
}

/* Regs held. The guest moved BAR 0 after DRIVER_OK (its first notify at
 * the new place reached us through the MMIO fallback): bind the
 * ioeventfds there, and free the old addresses for whatever the guest
 * puts at them. */
static void ioevents_follow_bar(struct virtio_pci *vp)
{
	if (!vp->ioev_bar || pci_bar_addr(&vp->pci, 0) == vp->ioev_bar)
		return;
	ioevents_deassign(vp);
	ioevents_assign(vp);
}

/* §4.1.4.3.2 / §2.4: back to the initial state. Work and regs held. */
static void device_reset(struct virtio_pci *vp)
{
	unsigned int i;
	uint64_t n;

	ioevents_deassign(vp);
	if (vp->ops->reset)
		vp->ops->reset(vp->opaque);
	vp->drv_features = 0;
	vp->dfselect = vp->gfselect = 0;
	vp->config_vector = NO_VECTOR;
	vp->queue_select = 0;
	vp->status = 0;
	vp->isr = 0;
	for (i = 0; i < vp->ops->nqueues; i++) {
		struct vp_queue *pq = &vp->q[i];

		memset(&pq->vq, 0, sizeof(pq->vq));
		pq->size = vp->ops->queue_size;
		pq->vector = NO_VECTOR;
		pq->enabled = false;
		pq->desc = pq->driver = pq->device = 0;
		/* drop notifications of the old driver */
		while (read(pq->efd, &n, sizeof(n)) > 0)
			;
	}
}

static void queue_enable(struct virtio_pci *vp, struct vp_queue *pq)
{
	bool ev = vp->drv_features & (1ull << VIRTIO_RING_F_EVENT_IDX);
	int r;

	if (pq->enabled)
		return;
	r = virtq_setup(&pq->vq, vmm_mem(vp->vm), pq->size, pq->desc,
			pq->driver, pq->device, ev);
	if (r < 0) {
		/* size not a power of two or rings outside RAM/misaligned */
		needs_reset_locked(vp, "rings outside guest RAM or bad size",
				   pq->index);
		return;
	}
	pq->enabled = true;
	if (vp->status & VIRTIO_CONFIG_S_DRIVER_OK)
		kick(pq);
}

/* Status write (§2.1, §3.1.1). Work and regs held. */
static void status_write(struct virtio_pci *vp, uint8_t v)
{
	uint8_t old = vp->status, set = (uint8_t)(v & ~old);
	unsigned int i;

	if (v == 0) {
		device_reset(vp);
		return;
	}
	/* the device owns NEEDS_RESET; the driver cannot clear bits but by
	 * writing 0 */
	v = (uint8_t)((v & ~VIRTIO_CONFIG_S_NEEDS_RESET) | old);
	if (set & VIRTIO_CONFIG_S_FEATURES_OK) {
		uint64_t f = vp->drv_features;

		if ((f & ~vp->dev_features) ||
		    !(f & (1ull << VIRTIO_F_VERSION_1)) ||
		    (vp->ops->features_ok && !vp->ops->features_ok(vp->opaque, f))) {
			/* §3.1.1: the driver re-reads and gives up */
			if (vp->nlogged < VP_LOG_MAX && ++vp->nlogged)
				log_warn("vm: virtio-%s: driver features %#llx "
					 "refused (device offers %#llx, "
					 "VERSION_1 required)", vp->ops->name,
					 (unsigned long long)f,
					 (unsigned long long)vp->dev_features);
			v &= (uint8_t)~VIRTIO_CONFIG_S_FEATURES_OK;
		}
	}
	if ((set & VIRTIO_CONFIG_S_DRIVER_OK) &&
	    !(v & VIRTIO_CONFIG_S_FEATURES_OK)) {
		needs_reset_locked(vp, "DRIVER_OK without FEATURES_OK", 0);
		v = vp->status | (v & ~VIRTIO_CONFIG_S_DRIVER_OK);
	}
	vp->status = v;
	if ((set & VIRTIO_CONFIG_S_DRIVER_OK) &&
	    (v & VIRTIO_CONFIG_S_DRIVER_OK)) {
		ioevents_assign(vp);
		if (vp->ops->driver_ok)
			vp->ops->driver_ok(vp->opaque, vp->drv_features);
		/* buffers made available before DRIVER_OK (§3.1.1) */
		for (i = 0; i < vp->ops->nqueues; i++)
			if (vp->q[i].enabled)
				kick(&vp->q[i]);
	}
}

/* --- common configuration (§4.1.4.3) ------------------------------------ */

#define CC(field) offsetof(struct virtio_pci_common_cfg, field)

static struct vp_queue *selected(struct virtio_pci *vp)
{
	return vp->queue_select < vp->ops->nqueues ? &vp->q[vp->queue_select]
						    : NULL;
}

static void common_read(struct virtio_pci *vp, uint64_t off, uint8_t *data,
			unsigned int len)
{
	uint8_t b[VIRTIO_PCI_COMMON_LEN] = { 0 };
	struct vp_queue *pq = selected(vp);

	put32(b + CC(device_feature_select), vp->dfselect);
	if (vp->dfselect < 2)
		put32(b + CC(device_feature),
		      (uint32_t)(vp->dev_features >> (32 * vp->dfselect)));
	put32(b + CC(guest_feature_select), vp->gfselect);
	if (vp->gfselect < 2)
		put32(b + CC(guest_feature),
		      (uint32_t)(vp->drv_features >> (32 * vp->gfselect)));
	put16(b + CC(msix_config), vp->config_vector);
	put16(b + CC(num_queues), (uint16_t)vp->ops->nqueues);
	b[CC(device_status)] = vp->status;
	b[CC(config_generation)] = vp->generation;
	put16(b + CC(queue_select), vp->queue_select);
	if (pq) {
		/* an absent queue reads size 0 (§4.1.4.3.1) */
		put16(b + CC(queue_size), pq->size);
		put16(b + CC(queue_msix_vector), pq->vector);
		put16(b + CC(queue_enable), pq->enabled);
		put16(b + CC(queue_notify_off), (uint16_t)pq->index);
		put64(b + CC(queue_desc_lo), pq->desc);
		put64(b + CC(queue_avail_lo), pq->driver);
		put64(b + CC(queue_used_lo), pq->device);
	}
	if (off + len <= sizeof(b))
		memcpy(data, b + off, len);
}

static uint16_t vector_ok(struct virtio_pci *vp, uint16_t v)
{
	/* §4.1.5.1.2: an unusable vector reads back as NO_VECTOR */
	return v < vp->pci.msix_nvec ? v : NO_VECTOR;
}

static void set_half(uint64_t *r, uint64_t off_in_field, uint64_t v,
		     unsigned int len)
{
	if (len == 8 && off_in_field == 0)
		*r = v;
	else if (len == 4 && off_in_field == 0)
		*r = (*r & ~0xffffffffull) | (uint32_t)v;
	else if (len == 4 && off_in_field == 4)
		*r = (*r & 0xffffffffull) | (v << 32);
}

/* Work and regs held. Accesses must have the field's width (§4.1.3.1). */
static void common_write(struct virtio_pci *vp, uint64_t off, uint64_t v,
			 unsigned int len)
{
	struct vp_queue *pq = selected(vp);
	bool q_writable = pq && !pq->enabled &&
			  !(vp->status & VIRTIO_CONFIG_S_DRIVER_OK);

	switch (off) {
	case CC(device_feature_select):
		if (len == 4)
			vp->dfselect = (uint32_t)v;
		return;
	case CC(guest_feature_select):
		if (len == 4)
			vp->gfselect = (uint32_t)v;
		return;
	case CC(guest_feature):
		if (len != 4 || vp->gfselect >= 2 ||
		    (vp->status & VIRTIO_CONFIG_S_FEATURES_OK))
			return;
		vp->drv_features &= ~(0xffffffffull << (32 * vp->gfselect));
		vp->drv_features |= (v & 0xffffffffull) << (32 * vp->gfselect);
		return;
	case CC(msix_config):
		if (len == 2)
			vp->config_vector = vector_ok(vp, (uint16_t)v);
		return;
	case CC(device_status):
		if (len == 1)
			status_write(vp, (uint8_t)v);
		return;
	case CC(queue_select):
		if (len == 2)
			vp->queue_select = (uint16_t)v;
		return;
	case CC(queue_size):
		/* validated (power of two) when the queue is enabled */
		if (len == 2 && q_writable && v && v <= vp->ops->queue_size)
			pq->size = (uint16_t)v;
		return;
	case CC(queue_msix_vector):
		if (len == 2 && pq)
			pq->vector = vector_ok(vp, (uint16_t)v);
		return;
	case CC(queue_enable):
		if (len == 2 && pq && v == 1)
			queue_enable(vp, pq);
		return;
	}
	if (!q_writable)
		return;
	if (off >= CC(queue_desc_lo) && off < CC(queue_desc_lo) + 8)
		set_half(&pq->desc, off - CC(queue_desc_lo), v, len);
	else if (off >= CC(queue_avail_lo) && off < CC(queue_avail_lo) + 8)
		set_half(&pq->driver, off - CC(queue_avail_lo), v, len);
	else if (off >= CC(queue_used_lo) && off < CC(queue_used_lo) + 8)
		set_half(&pq->device, off - CC(queue_used_lo), v, len);
}

/* --- BAR 0 ------------------------------------------------------------- */

static void bar_io(void *opaque, unsigned int bar, uint64_t off, bool write,
		   uint8_t *data, unsigned int len)
{
	struct virtio_pci *vp = opaque;
	uint64_t v;

	if (bar != 0 || len == 0 || len > 8 || off >= VIRTIO_PCI_BAR_SIZE ||
	    len > VIRTIO_PCI_BAR_SIZE - off)
		return;
	v = write ? get_le(data, len) : 0;
	if (off >= VIRTIO_PCI_NOTIFY_OFF &&
	    off < VIRTIO_PCI_NOTIFY_OFF +
			  VIRTIO_PCI_NOTIFY_MULT * vp->ops->nqueues) {
		/* no ioeventfd for it (yet): same eventfd, same thread */
		if (!write)
			return;
		kick(&vp->q[(off - VIRTIO_PCI_NOTIFY_OFF) /
			    VIRTIO_PCI_NOTIFY_MULT]);
		pthread_mutex_lock(&vp->regs);
		ioevents_follow_bar(vp);
		pthread_mutex_unlock(&vp->regs);
		return;
	}
	if (off < VIRTIO_PCI_COMMON_LEN && write) {
		pthread_mutex_lock(&vp->work);
		pthread_mutex_lock(&vp->regs);
		common_write(vp, off, v, len);
		msix_flush(vp);
		pthread_mutex_unlock(&vp->regs);
		pthread_mutex_unlock(&vp->work);
		return;
	}
	pthread_mutex_lock(&vp->regs);
	if (off < VIRTIO_PCI_COMMON_LEN) {
		common_read(vp, off, data, len);
	} else if (off == VIRTIO_PCI_ISR_OFF && !write) {
		/* §4.1.4.5: read to clear */
		memset(data, 0, len);
		data[0] = vp->isr;
		vp->isr = 0;
	} else if (off >= VIRTIO_PCI_DEVICE_OFF &&
		   off - VIRTIO_PCI_DEVICE_OFF < vp->ops->cfg_size &&
		   len <= vp->ops->cfg_size - (off - VIRTIO_PCI_DEVICE_OFF)) {
		if (!write && vp->ops->cfg_read)
			vp->ops->cfg_read(vp->opaque,
					  (uint32_t)(off - VIRTIO_PCI_DEVICE_OFF),
					  data, len);
		else if (write && vp->ops->cfg_write)
			vp->ops->cfg_write(vp->opaque,
					   (uint32_t)(off - VIRTIO_PCI_DEVICE_OFF),
					   data, len);
	} else if (off >= VIRTIO_PCI_MSIX_OFF &&
		   off < VIRTIO_PCI_MSIX_OFF + 16u * vp->pci.msix_nvec) {
		/* §6.8.2: table entries are accessed as dwords (or qwords) */
		uint32_t t = (uint32_t)(off - VIRTIO_PCI_MSIX_OFF);

		if (len == 4 && write) {
			pci_msix_table_write(&vp->pci, t, (uint32_t)v);
			msix_routes_sync(vp);
		} else if (len == 8 && write) {
			pci_msix_table_write(&vp->pci, t, (uint32_t)v);
			pci_msix_table_write(&vp->pci, t + 4,
					     (uint32_t)(v >> 32));
			msix_routes_sync(vp);
		} else if (len == 4 || len == 8) {
			uint64_t r = pci_msix_table_read(&vp->pci, t);

			if (len == 8)
				r |= (uint64_t)pci_msix_table_read(&vp->pci,
								   t + 4)
				     << 32;
			memcpy(data, &r, len);
		}
	} else if (off >= VIRTIO_PCI_PBA_OFF && off < VIRTIO_PCI_PBA_OFF + 8 &&
		   !write) {
		uint64_t p = vp->pci.msix_pending >> (8 * (off - VIRTIO_PCI_PBA_OFF));

		memcpy(data, &p, len);
	} else if (!write) {
		memset(data, 0, len);
	}
	msix_flush(vp);
	pthread_mutex_unlock(&vp->regs);
}

/* --- config space: MSI-X control and the PCI_CFG window ------------------ */

#define VP_OF_PCI(d) \
	((struct virtio_pci *)((char *)(d) - offsetof(struct virtio_pci, pci)))
/* struct virtio_pci_cfg_cap fields, from the capability's start */
#define WIN_BAR 4u
#define WIN_OFFSET 8u
#define WIN_LENGTH 12u
#define WIN_DATA 16u
#define WIN_END 20u

/*
 * §4.1.4.9: an access to pci_cfg_data is an access of cap.length bytes at
 * cap.offset in BAR cap.bar, done here exactly as if it came through the
 * BAR (bar_io takes the device locks). A window that does not name cap.length
 * = 1, 2 or 4 bytes, aligned, inside BAR 0 (the only BAR), is ignored: the
 * driver must not use it so (§4.1.4.9.2), and nothing may reach outside
 * the BAR. Called with only the VMM's PCI lock held.
 */
static void window_access(struct virtio_pci *vp, bool write)
{
	uint8_t *cap = vp->pci.cfg + vp->cfgcap, data[8];
	uint32_t off, len;

	memcpy(&off, cap + WIN_OFFSET, 4);
	memcpy(&len, cap + WIN_LENGTH, 4);
	if (cap[WIN_BAR] != 0 || (len != 1 && len != 2 && len != 4) ||
	    (off & (len - 1)) || off >= VIRTIO_PCI_BAR_SIZE ||
	    len > VIRTIO_PCI_BAR_SIZE - off)
		return;
	memset(data, 0xff, sizeof(data));	/* as an MMIO read starts */
	if (write)
		memcpy(data, cap + WIN_DATA, len);
	bar_io(vp, 0, off, write, data, len);
	if (!write)
		memcpy(cap + WIN_DATA, data, len);
}

static uint32_t vp_cfg_read(struct pci_dev *d, unsigned int off,
			    unsigned int len)
{
	struct virtio_pci *vp = VP_OF_PCI(d);

	if (vp->cfgcap && off < vp->cfgcap + WIN_END &&
	    off + len > vp->cfgcap + WIN_DATA)
		window_access(vp, false);
	return pci_cfg_read(d, off, len);
}

static void vp_cfg_write(struct pci_dev *d, unsigned int off,
			 unsigned int len, uint32_t val)
{
	struct virtio_pci *vp = VP_OF_PCI(d);
	unsigned int c = vp->cfgcap, m = d->msix_cap, i;

	if (c && off >= c + WIN_BAR && off < c + WIN_END) {
		/* cap.bar, cap.offset, cap.length and pci_cfg_data are
		 * the driver's (accesses are aligned: one field each) */
		for (i = 0; i < len; i++) {
			unsigned int at = off + i - c;

			if (at == WIN_BAR || at >= WIN_OFFSET)
				d->cfg[off + i] = (uint8_t)(val >> (8 * i));
		}
		if (off >= c + WIN_DATA)
			window_access(vp, true);
		else if (d->cfg_reads_snapshot)
			/* ECAM reads never trap (kvm/ecam.c): the window's
			 * data is read when the driver points it somewhere */
			window_access(vp, false);
		return;
	}
	pthread_mutex_lock(&vp->regs);
	pci_cfg_write(d, off, len, val);
	if (m && off < m + 4u && off + len > m + 2u) {
		/* MSI-X enable or function mask changed: routes follow,
		 * and what was pending goes out once unmasked (§6.8.2.9) */
		msix_routes_sync(vp);
		msix_flush(vp);
	}
	pthread_mutex_unlock(&vp->regs);
}

/* --- capabilities and life cycle --------------------------------------- */

static int add_vcap(struct pci_dev *d, uint8_t type, uint32_t off,
		    uint32_t len, const uint8_t *extra, unsigned int nextra)
{
	uint8_t c[24] = { 0 };
	unsigned int clen = 16 + nextra;

	/* struct virtio_pci_cap (§4.1.4) */
	c[2] = (uint8_t)clen;
	c[3] = type;
	c[4] = 0;			/* bar */
	put32(c + 8, off);
	put32(c + 12, len);
	if (nextra)
		memcpy(c + 16, extra, nextra);
	return pci_dev_add_cap(d, PCI_CAP_ID_VNDR, c, clen);
}

static int add_caps(struct virtio_pci *vp)
{
	const struct virtio_dev_ops *o = vp->ops;
	uint8_t mult[4], zero[4] = { 0 };
	int r;

	put32(mult, VIRTIO_PCI_NOTIFY_MULT);
	if (add_vcap(&vp->pci, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_COMMON_OFF,
		     VIRTIO_PCI_COMMON_LEN, NULL, 0) < 0 ||
	    add_vcap(&vp->pci, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_NOTIFY_OFF,
		     VIRTIO_PCI_NOTIFY_MULT * o->nqueues, mult, 4) < 0 ||
	    add_vcap(&vp->pci, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_ISR_OFF, 4,
		     NULL, 0) < 0 ||
	    (o->cfg_size &&
	     add_vcap(&vp->pci, VIRTIO_PCI_CAP_DEVICE_CFG,
		      VIRTIO_PCI_DEVICE_OFF, o->cfg_size, NULL, 0) < 0))
		return -ENOSPC;
	/* §4.1.4.9: the access window, for drivers (firmware) that cannot
	 * map the BAR; vp_cfg_read/write make it work */
	r = add_vcap(&vp->pci, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, zero, 4);
	if (r < 0)
		return -ENOSPC;
	vp->cfgcap = (uint8_t)r;
	return pci_dev_add_msix(&vp->pci, 1 + o->nqueues, 0,
				VIRTIO_PCI_MSIX_OFF, VIRTIO_PCI_PBA_OFF);
}

struct virtio_pci *virtio_pci_new(struct vmm *vm,
				  const struct virtio_dev_ops *ops,
				  void *opaque)
{
	struct virtio_pci *vp;
	unsigned int i;
	int r;

	if (ops->nqueues == 0 || ops->nqueues > VIRTIO_PCI_MAX_QUEUES ||
	    ops->queue_size == 0 || ops->queue_size > VIRTQ_MAX_SIZE ||
	    (ops->queue_size & (ops->queue_size - 1)) ||
	    ops->cfg_size > VIRTIO_PCI_NOTIFY_OFF - VIRTIO_PCI_DEVICE_OFF ||
	    (!ops->own_notify && !ops->notify)) {
		errno = EINVAL;
		return NULL;
	}
	vp = calloc(1, sizeof(*vp));
	if (vp == NULL)
		return NULL;
	vp->vm = vm;
	vp->ops = ops;
	vp->opaque = opaque;
	vp->dev_features = ops->features | TRANSPORT_FEATURES;
	pthread_mutex_init(&vp->work, NULL);
	pthread_mutex_init(&vp->regs, NULL);
	for (i = 0; i < VIRTIO_PCI_MAX_QUEUES; i++) {
		vp->q[i].vp = vp;
		vp->q[i].index = i;
		vp->q[i].efd = -1;
	}
	for (i = 0; i <= VIRTIO_PCI_MAX_QUEUES; i++)
		vp->vec[i].fd = -1;
	pci_dev_init(&vp->pci, PCI_VENDOR_REDHAT_QUMRANET,
		     (uint16_t)(PCI_DEVICE_VIRTIO_MODERN + ops->type),
		     (ops->class_code << 8) | 1,	/* revision 1 (§4.1.2) */
		     PCI_VENDOR_REDHAT_QUMRANET, 0x1100);
	vp->pci.bar_size[0] = VIRTIO_PCI_BAR_SIZE;
	vp->pci.cfg_read_fn = vp_cfg_read;
	vp->pci.cfg_write_fn = vp_cfg_write;
	r = add_caps(vp);
	if (r < 0)
		goto fail;
	for (i = 0; i < vp->pci.msix_nvec; i++) {
		vp->vec[i].fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (vp->vec[i].fd < 0) {
			r = -errno;
			goto fail;
		}
	}
	for (i = 0; i < ops->nqueues; i++) {
		vp->q[i].efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (vp->q[i].efd < 0) {
			r = -errno;
			goto fail;
		}
		if (!ops->own_notify) {
			r = loop_fd_add(vmm_loop(vm), vp->q[i].efd, EPOLLIN,
					on_notify, &vp->q[i], &vp->q[i].src);
			if (r < 0)
				goto fail;
		}
	}
	device_reset(vp);
	r = vmm_pci_add(vm, &vp->pci, bar_io, vp);
	if (r < 0)
		goto fail;
	return vp;
fail:
	log_err("vm: virtio-%s: cannot add the PCI device: %s", ops->name,
		strerror(-r));
	virtio_pci_free(vp);
	errno = -r;
	return NULL;
}

void virtio_pci_free(struct virtio_pci *vp)
{
	unsigned int i;

	if (vp == NULL)
		return;
	pthread_mutex_lock(&vp->work);
	pthread_mutex_lock(&vp->regs);
	if (vp->q[0].efd >= 0)
		device_reset(vp);
	for (i = 0; i <= VIRTIO_PCI_MAX_QUEUES; i++) {
		if (vp->vec[i].routed)
			vmm_irqfd_clear(vp->vm, vp->vec[i].fd);
		if (vp->vec[i].fd >= 0)
			close(vp->vec[i].fd);
	}
	pthread_mutex_unlock(&vp->regs);
	pthread_mutex_unlock(&vp->work);
	for (i = 0; i < VIRTIO_PCI_MAX_QUEUES; i++) {
		loop_src_del(vp->q[i].src);
		if (vp->q[i].efd >= 0)
			close(vp->q[i].efd);
	}
	pthread_mutex_destroy(&vp->work);
	pthread_mutex_destroy(&vp->regs);
	free(vp);
}
