/*
 * kvm/vmm.h - what a device model sees of a running VM (internal to kvm/).
 *
 * The contract between the VM core (vm.c, cpu.c, bus.c: one owner) and the
 * device files (virtio/pci.c, virtio/blk.c, virtio/net.c, virtio/rng.c,
 * net/slirp.c, net/tap.c: another owner). Devices include only this header,
 * kvm/mem.h, kvm/pci.h, kvm/virtio/queue.h and provd/base; they never issue
 * KVM ioctls themselves.
 *
 * Threads (docs/vmm.md): each vCPU thread runs KVM_RUN and calls the PIO/MMIO
 * handlers registered here for exits that hit them; ONE event thread runs
 * vmm_loop() (ioeventfd notifications, TAP and libslirp fds, timers). A
 * device whose state is touched from both (register writes on a vCPU thread,
 * queue work on the event thread) guards it with its own mutex. Handlers must
 * not block: disk I/O is done on the event thread or an I/O thread, never on
 * a vCPU thread.
 */
#ifndef PROVD_KVM_VMM_H
#define PROVD_KVM_VMM_H

#include <stdbool.h>
#include <stdint.h>

#include "kvm/mem.h"
#include "kvm/pci.h"
#include "kvm/vmconfig.h"

struct vmm;
struct loop;

/*
 * One guest access of len (1, 2, 4 or 8) bytes at off inside a registered
 * region. For a write, data holds the value (little-endian bytes); for a
 * read, the handler fills data (it is pre-filled with 0xff).
 */
typedef void vmm_io_fn(void *opaque, uint64_t off, bool write, uint8_t *data,
		       unsigned int len);

/* Port I/O region [port, port+len). -EEXIST on overlap, -ENOSPC if full. */
int vmm_pio_register(struct vmm *vm, uint16_t port, uint16_t len,
		     vmm_io_fn *fn, void *opaque);
/* MMIO region [gpa, gpa+len); may be re-registered at a new gpa with
 * vmm_mmio_move() when the guest reprograms a BAR. */
int vmm_mmio_register(struct vmm *vm, uint64_t gpa, uint64_t len,
		      vmm_io_fn *fn, void *opaque);
int vmm_mmio_move(struct vmm *vm, void *opaque, uint64_t old_gpa,
		  uint64_t new_gpa);

/* Guest RAM: THE translator (kvm/mem.h) for every guest address. */
const struct guest_mem *vmm_mem(struct vmm *vm);

/* Legacy interrupt line (ISA IRQ n = GSI n on the in-kernel IOAPIC/PIC). */
int vmm_irq_line(struct vmm *vm, unsigned int gsi, int level);
/* Deliver one MSI (KVM_SIGNAL_MSI). Callable from any thread. */
int vmm_msi(struct vmm *vm, uint64_t addr, uint32_t data);
/*
 * irqfd (KVM_SET_GSI_ROUTING + KVM_IRQFD): once vmm_irqfd_msi(vm, fd, addr,
 * data) returned 0, writing 1 to the eventfd fd (any thread) interrupts the
 * guest with that MSI, injected by KVM without an ioctl. Calling it again
 * for the same fd changes the message; on failure fd is left unbound.
 * vmm_irqfd_clear unbinds fd (writes to it then reach nobody). -ENOSYS when
 * this KVM has no irqfd or GSI routing, -ENOSPC when the table is full: the
 * device keeps using vmm_msi(). Thread-safe.
 */
int vmm_irqfd_msi(struct vmm *vm, int fd, uint64_t addr, uint32_t data);
int vmm_irqfd_clear(struct vmm *vm, int fd);

/*
 * ioeventfd: a guest write of len bytes to MMIO gpa signals fd (eventfd)
 * instead of exiting to a vCPU handler (KVM_IOEVENTFD, no datamatch).
 * deassign=true removes it. Devices poll fd on the event loop.
 */
int vmm_ioeventfd(struct vmm *vm, uint64_t gpa, unsigned int len, int fd,
		  bool deassign);

/* The event thread's loop (provd/base/loop.h); only touch it from that
 * thread, or from a device's init before the VM starts. */
struct loop *vmm_loop(struct vmm *vm);
/* Run fn(arg) on the event thread soon (thread-safe; used by a vCPU
 * handler that must kick device work, e.g. a queue notify when ioeventfd is
 * not available). */
int vmm_defer(struct vmm *vm, void (*fn)(void *arg), void *arg);

/*
 * PCI: places dev at the next free slot on bus 0 (00:00.0 is the host
 * bridge), gives each BAR whose bar_size is set an aligned address in the
 * 32-bit MMIO window below 4 GiB (pci_dev_set_bar) and routes guest
 * accesses to it to fn(opaque, bar, off-inside-the-BAR, ...). Config-space
 * accesses go to pci_cfg_read/write on dev (the core moves the BAR's MMIO
 * region when the guest reprograms it). Returns the slot or negative errno.
 */
typedef void vmm_bar_fn(void *opaque, unsigned int bar, uint64_t off,
			bool write, uint8_t *data, unsigned int len);
int vmm_pci_add(struct vmm *vm, struct pci_dev *dev, vmm_bar_fn *fn,
		void *opaque);

/* Ask the VM to stop with this status (any thread); vm_run() returns it. */
void vmm_request_exit(struct vmm *vm, enum vm_exit why);

/* The configuration the VM was started with (read-only). */
const struct vm_config *vmm_config(struct vmm *vm);

/*
 * kvm/virtio/devices.c: adds every device c asks for (its disks, its NIC
 * when c->net is set, and always a virtio-rng) after memory and the irqchip
 * exist and before vCPUs start. 0 or a negative errno (logged, nothing left
 * half-added that vmm_devices_free cannot undo). vmm_devices_free runs after
 * the vCPUs stopped; NULL-safe.
 */
int vmm_devices_add(struct vmm *vm, const struct vm_config *c, void **state);
void vmm_devices_free(void *state);

/*
 * Entry points of the device files (owned by the virtio side). Each adds
 * its device to vm (PCI, interrupts, queues, fds on vmm_loop()) and
 * returns an opaque state freed by the matching *_free after vCPUs stop.
 * NULL with errno set and a log line on failure.
 */
struct virtio_blk;
struct virtio_net;
struct virtio_rng;
struct virtio_blk *virtio_blk_add(struct vmm *vm,
				  const struct vm_disk_config *disk,
				  unsigned int index);
void virtio_blk_free(struct virtio_blk *b);
struct virtio_net *virtio_net_add(struct vmm *vm, const struct vm_config *c);
void virtio_net_free(struct virtio_net *n);
struct virtio_rng *virtio_rng_add(struct vmm *vm);
void virtio_rng_free(struct virtio_rng *r);

#endif
