/*
 * tests/unit/fake_vmm.h - kvm/vmm.h over plain malloc'd guest RAM, without
 * KVM, so the virtio devices can be driven through their BARs the way a
 * Linux driver does (tests/unit/test_virtio_*.c, tests/fuzz/fuzz_virtio_*).
 * PCI devices get BAR 0 at FAKE_BAR_BASE + slot * FAKE_BAR_STRIDE; MSIs are
 * counted per data value (irqfd writes too); ioeventfds are honoured by
 * fake_mmio_write.
 */
#ifndef PROVD_TESTS_FAKE_VMM_H
#define PROVD_TESTS_FAKE_VMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvm/vmm.h"

#define FAKE_RAM_GPA 0
#define FAKE_BAR_BASE 0xe0000000u
#define FAKE_BAR_STRIDE 0x100000u
#define FAKE_MAX_DEVS 8

/* RAM of ram_size bytes at guest address 0; c is kept (not copied). */
struct vmm *fake_vmm_new(size_t ram_size, const struct vm_config *c);
void fake_vmm_free(struct vmm *vm);
uint8_t *fake_vmm_ram(struct vmm *vm);
/* Devices in the order they were added (0-based; not the PCI slot). */
unsigned int fake_vmm_ndevs(struct vmm *vm);
struct pci_dev *fake_vmm_dev(struct vmm *vm, unsigned int i);
uint64_t fake_vmm_bar(struct vmm *vm, unsigned int i);
/* A guest MMIO access of len bytes: a write hits an assigned ioeventfd
 * (same gpa and len) first, else the device's BAR handler. */
void fake_mmio_write(struct vmm *vm, uint64_t gpa, uint64_t val,
		     unsigned int len);
uint64_t fake_mmio_read(struct vmm *vm, uint64_t gpa, unsigned int len);
/* When false, vmm_ioeventfd fails (tests the MMIO fallback). */
void fake_vmm_allow_ioeventfd(struct vmm *vm, bool allow);
unsigned int fake_vmm_nioeventfds(struct vmm *vm);
bool fake_vmm_has_ioeventfd(struct vmm *vm, uint64_t gpa);
/* MSIs delivered with this data value so far (any thread), through
 * vmm_msi or an irqfd. */
unsigned int fake_vmm_msi_count(struct vmm *vm, uint32_t data);
/* Only those that came through an irqfd. */
unsigned int fake_vmm_irqfd_msi_count(struct vmm *vm, uint32_t data);
/* When false, vmm_irqfd_msi fails with -ENOSYS (a KVM without irqfd). */
void fake_vmm_allow_irqfd(struct vmm *vm, bool allow);
/* eventfds bound to an MSI route now; whether one carries data. */
unsigned int fake_vmm_nirqfds(struct vmm *vm);
bool fake_vmm_has_irqfd(struct vmm *vm, uint32_t data);
/* One round of the event loop (ioeventfd work runs here). */
int fake_vmm_run_once(struct vmm *vm, int timeout_ms);

#endif

/*
 * A minimal virtio-pci driver over the fake, doing what Linux's
 * virtio_pci_modern does: find the capabilities, enable MSI-X (vector v of
 * device i gets data FAKE_MSI_DATA(i, v)), reset, negotiate, set up queues
 * (rings at ring_gpa + q * 0x4000: desc +0, avail +0x1000, used +0x2000),
 * DRIVER_OK. Chains are direct descriptors taken in order.
 */
#define FAKE_MSI_DATA(i, v) (0x20u * ((i) + 1) + (v))
#define FAKE_DRV_MAXQ 4

struct fake_vq {
	uint16_t size;
	uint64_t desc, avail, used;
	uint16_t avail_idx, used_seen, next_desc;
};

struct fake_drv {
	struct vmm *vm;
	unsigned int dev;
	uint64_t common, notify, isr, device;	/* guest addresses */
	uint32_t notify_mult;
	uint64_t features;			/* negotiated */
	unsigned int nq;
	struct fake_vq q[FAKE_DRV_MAXQ];
};

struct fake_buf {
	uint64_t gpa;
	uint32_t len;
	bool write;
};

/* 0, -EPROTO when the device refused the features (FEATURES_OK not kept),
 * -ENODEV when a capability is missing. */
int fake_drv_init(struct fake_drv *d, struct vmm *vm, unsigned int dev,
		  uint64_t features, uint16_t qsize, uint64_t ring_gpa);
uint64_t fake_drv_read(struct fake_drv *d, uint64_t common_off,
		       unsigned int len);
void fake_drv_write(struct fake_drv *d, uint64_t common_off, uint64_t v,
		    unsigned int len);
/* Makes a chain of n buffers available on q (no kick); returns its head. */
uint16_t fake_drv_add(struct fake_drv *d, unsigned int q,
		      const struct fake_buf *b, unsigned int n);
void fake_drv_kick(struct fake_drv *d, unsigned int q);
/* Waits (running the loop) until q has a used entry the driver has not
 * seen; returns 0 with *id and *len, -ETIMEDOUT after timeout_ms. */
int fake_drv_wait(struct fake_drv *d, unsigned int q, uint32_t *id,
		  uint32_t *len, int timeout_ms);
