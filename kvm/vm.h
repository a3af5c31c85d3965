/*
 * kvm/vm.h - the VM core's own view of a running VM (internal to vm.c,
 * cpu.c, platform.c; devices see only kvm/vmm.h).
 */
#ifndef PROVD_KVM_VM_H
#define PROVD_KVM_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "kvm/bus.h"
#include "kvm/mem.h"
#include "kvm/pci.h"
#include "kvm/vmm.h"

/* Guest physical layout below 1 MiB (all inside e820 RAM or reserved) */
#define VM_GDT_GPA 0x500
#define VM_ZERO_PAGE_GPA 0x7000
#define VM_PML4_GPA 0x9000		/* then PDPT, 4 PDs: 0x9000-0xefff */
#define VM_CMDLINE_GPA 0x20000
#define VM_CMDLINE_MAX 0x10000
/* KVM's private pages on Intel (TSS: 3 pages, EPT identity map: 1 page),
 * just below 4 GiB and above the LAPIC */
#define VM_TSS_ADDR 0xfffbd000u
#define VM_IDENTITY_MAP_ADDR 0xfffbc000u
/* 32-bit PCI BAR window: from 3 GiB up to the I/O APIC */
#define VM_PCI_MMIO_BASE 0xc0000000u
#define VM_PCI_MMIO_END 0xe0000000u
/* ECAM window (kvm/ecam.c): bus 0 only, 1 MiB. A wider window makes Linux
 * probe every slot of the extra buses too (32 exits per bus) */
#define VM_ECAM_BASE 0xe0000000u
#define VM_ECAM_BUSES 1u

struct vcpu;
struct platform;
struct defer;
struct irq_routes;

struct pci_slot {
	struct pci_dev *dev;
	vmm_bar_fn *fn;
	void *opaque;
	uint32_t bar_gpa[6];	/* where each BAR's MMIO region is now */
	struct pci_bar_ref {
		struct vmm *vm;
		unsigned int slot, bar;
	} ref[6];
};

struct vmm {
	const struct vm_config *cfg;
	int kvm_fd, vm_fd;
	int run_size;			/* KVM_GET_VCPU_MMAP_SIZE */
	uint8_t *ram;			/* one mapping for all guest RAM */
	uint64_t ram_size;
	struct guest_mem mem;
	struct bus bus;
	struct loop *loop;

	/* PCI bus 0: conf1 state and BAR routing, under pci_lock */
	pthread_mutex_t pci_lock;
	struct pci_bus pci;
	struct pci_slot slots[PCI_MAX_DEVS];
	struct pci_dev host_bridge;
	uint64_t mmio_next;		/* next free BAR address */
	uint8_t *ecam;			/* bus 0's ECAM image, guest read-only */

	struct vcpu *cpus;
	unsigned int ncpus;

	/* -1 while running, else the enum vm_exit asked for (first wins) */
	atomic_int exit_code;
	int wake_fd;			/* eventfd: defer queue / exit */
	pthread_mutex_t defer_lock;
	struct defer *defer_head, **defer_tail;

	struct platform *plat;
	struct irq_routes *irq;		/* irq.c: MSI routes and irqfds */

	/* coalesced PIO (cpu.c): KVM queues writes to 0xCF8-0xCFB in this
	 * ring, shared by all vCPUs, instead of exiting; drained under
	 * cring_lock before any exit is handled. NULL: not in use. */
	struct kvm_coalesced_mmio_ring *cring;
	uint32_t cring_max;
	pthread_mutex_t cring_lock;
	uint64_t boot_entry;		/* 64-bit kernel entry (load_kernel) */

	/* unpacked-kernel cache (kcache.h): fill it for this bzImage */
	bool kcache_fill, kcache_running;
	struct stat kcache_st;
	char kcache_entry[4096];	/* the cache file to fill */
	pthread_t kcache_thread;
	atomic_bool kcache_stop;
};

/* cpu.c */
int vcpus_create(struct vmm *vm, uint64_t entry, uint64_t zero_page);
int vcpus_start(struct vmm *vm);
/* Interrupts KVM_RUN on every vCPU (after exit_code is set). */
void vcpus_kick(struct vmm *vm);
void vcpus_join_free(struct vmm *vm);

/* irq.c: after KVM_CREATE_IRQCHIP (0, or -ENOMEM; without irqfd or GSI
 * routing in this KVM, vmm_irqfd_msi says -ENOSYS); free with the VM. */
int irq_routes_init(struct vmm *vm);
void irq_routes_free(struct vmm *vm);

/* vm.c: PCI config-space accesses through conf1 (0xcf8-0xcff). */
void vm_pci_conf1(void *opaque, uint64_t off, bool write, uint8_t *data,
		  unsigned int len);

/* vm.c: after a config write to slot, move the BARs the guest moved
 * (pci_lock held). */
void vm_pci_follow_bars(struct vmm *vm, unsigned int slot);

/* ecam.c: the ECAM window and its read-only image of bus 0, once every
 * device is on the bus; freed with the VM. */
int vm_ecam_setup(struct vmm *vm);
void vm_ecam_free(struct vmm *vm);

/* platform.c: UART, i8042, RTC, ACPI PM registers, PCI conf1 ports when
 * --pci-conf1 asks for them */
int platform_add(struct vmm *vm);
void platform_free(struct platform *p);
/* Flush buffered console output (event thread, and at exit). */
void platform_console_flush(struct platform *p);

/* vm_run() without the netboot step: c->kernel must be set. */
int vm_boot(const struct vm_config *c);
/* vm_run() with c->pxe: netboot (kvm/fw/netboot.c), then vm_boot(). */
int vm_run_pxe(const struct vm_config *c);

#endif
