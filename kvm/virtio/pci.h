/*
 * kvm/virtio/pci.h - the virtio 1.x modern PCI transport (virtio 1.2 §4.1)
 * shared by every virtio device file (blk.c, net.c, rng.c).
 *
 * A device fills a struct virtio_dev_ops (its type, queues, features,
 * config space and callbacks) and gets a PCI function with one 32 KiB
 * memory BAR holding the common, ISR, device and notify structures and the
 * MSI-X table and PBA. The transport owns feature negotiation, the status
 * state machine, queue setup, reset, ioeventfds and interrupt delivery.
 *
 * Locking (docs/virtio.md): two mutexes per device, always taken in this
 * order. The "work" lock serialises everything that touches the virtqueues:
 * queue processing on the event thread (or the device's own thread) and
 * the register writes that change queue state (status, queue enable) on a
 * vCPU thread. The "regs" lock guards the registers and the MSI-X table and
 * is held only for short, non-blocking sections.
 */
#ifndef PROVD_KVM_VIRTIO_PCI_H
#define PROVD_KVM_VIRTIO_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "kvm/virtio/queue.h"

struct vmm;
struct virtio_pci;

#define VIRTIO_PCI_MAX_QUEUES 8

/* Device callbacks; opaque is what was given to virtio_pci_new(). */
struct virtio_dev_ops {
	const char *name;		/* for log lines: "blk", "net", "rng" */
	uint16_t type;			/* virtio device ID (§5): 1 net, 2 blk, 4 rng */
	uint32_t class_code;		/* PCI class << 8 (revision added) */
	unsigned int nqueues;		/* 1..VIRTIO_PCI_MAX_QUEUES */
	uint16_t queue_size;		/* maximum (and default) queue size */
	uint32_t cfg_size;		/* device-specific config bytes */
	/* Device feature bits; the transport adds VERSION_1, EVENT_IDX and
	 * RING_INDIRECT_DESC. */
	uint64_t features;
	/* The device polls the queue eventfds itself (virtio_pci_queue_fd)
	 * on its own thread instead of getting notify() on the VMM loop. */
	bool own_notify;
	/* Device config access, regs lock held, off + len <= cfg_size.
	 * cfg_write may be NULL (read-only config). */
	void (*cfg_read)(void *opaque, uint32_t off, uint8_t *data,
			 unsigned int len);
	void (*cfg_write)(void *opaque, uint32_t off, const uint8_t *data,
			  unsigned int len);
	/* Optional: refuse a feature set at FEATURES_OK (return false). */
	bool (*features_ok)(void *opaque, uint64_t features);
	/* Optional: DRIVER_OK was set (work and regs locks held). */
	void (*driver_ok)(void *opaque, uint64_t features);
	/* Queue q was notified and is ready; work lock held (not regs). Not
	 * called for own_notify devices. */
	void (*notify)(void *opaque, unsigned int q);
	/* Device reset (status 0 written, or free): forget all queue state;
	 * work and regs locks held. */
	void (*reset)(void *opaque);
};

/* Creates the PCI function and registers it with vmm_pci_add; queue
 * eventfds are watched on vmm_loop() unless ops->own_notify. NULL with
 * errno set (and a log line) on failure. ops must outlive the device. */
struct virtio_pci *virtio_pci_new(struct vmm *vm,
				  const struct virtio_dev_ops *ops,
				  void *opaque);
/* Resets the device, removes its loop sources and ioeventfds, frees it.
 * Call after vCPUs stopped and after the device's own thread is joined. */
void virtio_pci_free(struct virtio_pci *vp);

void virtio_pci_work_lock(struct virtio_pci *vp);
void virtio_pci_work_unlock(struct virtio_pci *vp);

/* With the work lock held: the virtqueue q when the driver has enabled it
 * and set DRIVER_OK (and the device does not need a reset), else NULL. */
struct virtq *virtio_pci_queue(struct virtio_pci *vp, unsigned int q);
/* The eventfd signalled when the driver notifies queue q (also written
 * by the MMIO fallback when no ioeventfd could be set up). Drain it with
 * read(2) before looking at the queue. */
int virtio_pci_queue_fd(struct virtio_pci *vp, unsigned int q);
/* Signals queue q's eventfd, so it is worked on again soon (a device that
 * stopped at its per-round budget with work left; the driver will not
 * notify again for buffers it already made available). */
void virtio_pci_queue_kick(struct virtio_pci *vp, unsigned int q);
/* Negotiated features (valid once FEATURES_OK is set). */
uint64_t virtio_pci_features(struct virtio_pci *vp);
const struct guest_mem *virtio_pci_mem(struct virtio_pci *vp);

/*
 * With the work lock held, after pushing used entries on q: interrupts the
 * driver if the queue's suppression state (EVENT_IDX or the NO_INTERRUPT
 * flag) asks for it.
 */
void virtio_pci_queue_interrupt(struct virtio_pci *vp, unsigned int q);
/*
 * Handles virtq_pop() returning r: -EBADMSG completes the chain with length
 * 0 (the request fails, the guest does not hang); -EPROTO marks the device
 * DEVICE_NEEDS_RESET and interrupts with the config vector. Returns true
 * when the caller should stop working on the queue. Work lock held.
 */
bool virtio_pci_pop_failed(struct virtio_pci *vp, unsigned int q, int r,
			   const struct virtq_chain *c);

/* The PCI function (for tests and the core). */
struct pci_dev *virtio_pci_dev(struct virtio_pci *vp);

/* BAR 0 layout (offsets inside the BAR). */
#define VIRTIO_PCI_BAR_SIZE 0x8000u
#define VIRTIO_PCI_COMMON_OFF 0x0000u
#define VIRTIO_PCI_COMMON_LEN 0x0038u
#define VIRTIO_PCI_ISR_OFF 0x1000u
#define VIRTIO_PCI_DEVICE_OFF 0x2000u
#define VIRTIO_PCI_NOTIFY_OFF 0x3000u
#define VIRTIO_PCI_NOTIFY_MULT 4u
#define VIRTIO_PCI_MSIX_OFF 0x4000u
#define VIRTIO_PCI_PBA_OFF 0x5000u

#endif
