/*
 * kvm/ecam.c - PCI config space through ECAM (MCFG), read without exits.
 *
 * A stock Linux boot makes ~800 config accesses, mostly reads: enumeration,
 * BAR and capability walks, virtio's vendor capabilities. Through conf1 or
 * plain MMIO each costs a VM exit (a microsecond or two on hardware, more
 * under nested virtualisation). Here bus 0's config space is also a
 * 1 MiB image in VMM memory that KVM maps read-only into the guest
 * (KVM_MEM_READONLY): reads are plain memory reads, and only writes exit
 * (as MMIO, to ecam_io), after which the device's slot in the image is
 * refreshed before the vCPU resumes. Linux then has no conf1 to prefer
 * (arch/x86/pci/common.c uses conf1 for the first 256 bytes whenever it
 * exists), so the conf1 ports stay unclaimed unless --pci-conf1 asks.
 *
 * The window covers VM_ECAM_BUSES buses; only bus 0 is backed by the
 * image, any other exits and reads all-ones. Without KVM_CAP_READONLY_MEM
 * the whole window exits (one exit per access, still no address write).
 */
#include "config.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <linux/kvm.h>

#include "kvm/vm.h"
#include "provd/base/log.h"

#define ECAM_SLOT 2	/* KVM memslot: 0 and 1 are RAM below/above 4 GiB */

/* for the debug line at the end: how many config accesses still exited */
static _Atomic unsigned long n_reads, n_writes;

static void ecam_io(void *opaque, uint64_t off, bool write, uint8_t *data,
		    unsigned int len)
{
	struct vmm *vm = opaque;
	uint32_t val = 0;

	if (len > 4) {		/* 8-byte config accesses are not PCI */
		if (!write)
			memset(data, 0xff, len);
		return;
	}
	memcpy(&val, data, len);
	(void)atomic_fetch_add_explicit(write ? &n_writes : &n_reads, 1,
					memory_order_relaxed);
	pthread_mutex_lock(&vm->pci_lock);
	pci_ecam_io(&vm->pci, off, write, len, &val);
	if (write && off < PCI_ECAM_BUS_SIZE && !(off & 0x7000)) {
		unsigned int slot = (unsigned int)(off >> 15);

		vm_pci_follow_bars(vm, slot);
		if (vm->ecam)
			pci_ecam_sync(&vm->pci, slot, vm->ecam);
	}
	pthread_mutex_unlock(&vm->pci_lock);
	if (!write)
		memcpy(data, &val, len);
}

int vm_ecam_setup(struct vmm *vm)
{
	struct kvm_userspace_memory_region reg = { 0 };
	uint8_t *img;
	int r;

	/* fixed: a config write may move a BAR, which locks the movable
	 * regions' table */
	r = bus_mmio_add_fixed(&vm->bus, VM_ECAM_BASE,
			       (uint64_t)VM_ECAM_BUSES << 20, ecam_io, vm);
	if (r < 0) {
		log_err("vm: cannot register the ECAM window: %s", strerror(-r));
		return r;
	}
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) <= 0) {
		log_debug("vm: no KVM_CAP_READONLY_MEM: every config access exits");
		return 0;
	}
	img = mmap(NULL, PCI_ECAM_BUS_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (img == MAP_FAILED)
		return -ENOMEM;
	/* no vCPU runs yet: the image and the memslot go in before any
	 * device is told its reads no longer trap */
	pci_ecam_fill(&vm->pci, img);
	reg.slot = ECAM_SLOT;
	reg.flags = KVM_MEM_READONLY;
	reg.guest_phys_addr = VM_ECAM_BASE;
	reg.memory_size = PCI_ECAM_BUS_SIZE;
	reg.userspace_addr = (uintptr_t)img;
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &reg) < 0) {
		log_debug("vm: read-only ECAM slot refused (%s): every config "
			  "access exits", strerror(errno));
		munmap(img, PCI_ECAM_BUS_SIZE);
		return 0;
	}
	pthread_mutex_lock(&vm->pci_lock);
	for (unsigned int s = 0; s < PCI_MAX_DEVS; s++)
		if (vm->pci.dev[s])
			vm->pci.dev[s]->cfg_reads_snapshot = true;
	vm->ecam = img;
	pthread_mutex_unlock(&vm->pci_lock);
	log_debug("vm: ECAM at %#x, bus 0 read without exits",
		  (unsigned int)VM_ECAM_BASE);
	return 0;
}

void vm_ecam_free(struct vmm *vm)
{
	if (atomic_load(&n_reads) || atomic_load(&n_writes))
		log_debug("vm: ECAM accesses that exited: %lu writes, %lu reads",
			  atomic_load(&n_writes), atomic_load(&n_reads));
	if (vm->ecam)
		munmap(vm->ecam, PCI_ECAM_BUS_SIZE);
	vm->ecam = NULL;
}
