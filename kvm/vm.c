/*
 * kvm/vm.c - vm_run(): one VM from a vm_config, start to exit status.
 *
 * Order (what the kernel and KVM expect): VM, TSS and identity-map pages,
 * in-kernel irqchip (PIC, IOAPIC, LAPICs) and PIT, guest RAM (one
 * MAP_NORESERVE mapping, zeroed lazily by the host kernel, split around the
 * 3-4 GiB PCI hole into two KVM slots), the kernel, initrd, command line and
 * zero page, identity page tables and GDT, MP table and ACPI tables, the
 * platform devices and the configured virtio devices, then the vCPUs. The
 * calling thread becomes the event thread (kvm/vmm.h) and runs the loop
 * until something asks the VM to stop.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvm/acpi.h"
#include "kvm/boot_bzimage.h"
#include "kvm/boot_elf.h"
#include "kvm/cpu.h"
#include "kvm/e820.h"
#include "kvm/kcache.h"
#include "kvm/mptable.h"
#include "kvm/vm.h"
#include "provd/base/log.h"
#include "provd/base/loop.h"

#define HUGE_2M 0x200000ull

struct defer {
	void (*fn)(void *arg);
	void *arg;
	struct defer *next;
};

/* --- the vmm.h contract ------------------------------------------- */

const struct guest_mem *vmm_mem(struct vmm *vm)
{
	return &vm->mem;
}

struct loop *vmm_loop(struct vmm *vm)
{
	return vm->loop;
}

const struct vm_config *vmm_config(struct vmm *vm)
{
	return vm->cfg;
}

int vmm_pio_register(struct vmm *vm, uint16_t port, uint16_t len,
		     vmm_io_fn *fn, void *opaque)
{
	return bus_pio_add(&vm->bus, port, len, fn, opaque);
}

int vmm_mmio_register(struct vmm *vm, uint64_t gpa, uint64_t len,
		      vmm_io_fn *fn, void *opaque)
{
	return bus_mmio_add(&vm->bus, gpa, len, fn, opaque);
}

int vmm_mmio_move(struct vmm *vm, void *opaque, uint64_t old_gpa,
		  uint64_t new_gpa)
{
	return bus_mmio_move(&vm->bus, opaque, old_gpa, new_gpa);
}

int vmm_ioeventfd(struct vmm *vm, uint64_t gpa, unsigned int len, int fd,
		  bool deassign)
{
	struct kvm_ioeventfd e = {
		.addr = gpa,
		.len = len,
		.fd = fd,
		.flags = deassign ? KVM_IOEVENTFD_FLAG_DEASSIGN : 0,
	};

	return ioctl(vm->vm_fd, KVM_IOEVENTFD, &e) < 0 ? -errno : 0;
}

static void wake(struct vmm *vm)
{
	uint64_t one = 1;

	if (write(vm->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_debug("vm: eventfd write: %s", strerror(errno));
}

int vmm_defer(struct vmm *vm, void (*fn)(void *arg), void *arg)
{
	struct defer *d = malloc(sizeof(*d));

	if (d == NULL)
		return -ENOMEM;
	d->fn = fn;
	d->arg = arg;
	d->next = NULL;
	pthread_mutex_lock(&vm->defer_lock);
	*vm->defer_tail = d;
	vm->defer_tail = &d->next;
	pthread_mutex_unlock(&vm->defer_lock);
	wake(vm);
	return 0;
}

void vmm_request_exit(struct vmm *vm, enum vm_exit why)
{
	int none = -1;

	if (!atomic_compare_exchange_strong(&vm->exit_code, &none, (int)why))
		return;		/* the first reason wins */
	vcpus_kick(vm);
	wake(vm);
}

/* event thread: deferred work, then stop the loop if asked to */
static void on_wake(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct vmm *vm = arg;
	struct defer *d, *next;
	uint64_t v;

	(void)events;
	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_debug("vm: eventfd read: %s", strerror(errno));
	pthread_mutex_lock(&vm->defer_lock);
	d = vm->defer_head;
	vm->defer_head = NULL;
	vm->defer_tail = &vm->defer_head;
	pthread_mutex_unlock(&vm->defer_lock);
	for (; d; d = next) {
		next = d->next;
		d->fn(d->arg);
		free(d);
	}
	if (atomic_load(&vm->exit_code) >= 0)
		loop_quit(l, 0);
}

static void on_timeout(struct loop *l, void *arg)
{
	struct vmm *vm = arg;

	(void)l;
	log_info("vm: --timeout of %u s elapsed, stopping the guest",
		 vm->cfg->timeout_s);
	vmm_request_exit(vm, VM_EXIT_TIMEOUT);
}

static void on_signal(struct loop *l, int signo, void *arg)
{
	(void)l;
	log_info("vm: %s received, stopping the guest", strsignal(signo));
	vmm_request_exit(arg, VM_EXIT_STOPPED);
}

/* --- PCI ---------------------------------------------------------- */

static void bar_io(void *opaque, uint64_t off, bool write, uint8_t *data,
		   unsigned int len)
{
	struct pci_bar_ref *ref = opaque;
	struct pci_slot *s = &ref->vm->slots[ref->slot];

	s->fn(s->opaque, ref->bar, off, write, data, len);
}

/* After a config write: follow BARs the guest moved (or is sizing). */
void vm_pci_follow_bars(struct vmm *vm, unsigned int slot)
{
	struct pci_slot *s = &vm->slots[slot];

	for (unsigned int b = 0; b < 6; b++) {
		uint32_t a;

		if (!s->dev || !s->dev->bar_size[b])
			continue;
		a = pci_bar_addr(s->dev, b);
		if (a == s->bar_gpa[b])
			continue;
		if (bus_mmio_move(&vm->bus, &s->ref[b], s->bar_gpa[b], a) == 0)
			s->bar_gpa[b] = a;
	}
}

void vm_pci_conf1(void *opaque, uint64_t off, bool write, uint8_t *data,
		  unsigned int len)
{
	struct vmm *vm = opaque;
	uint32_t val = 0, a;

	memcpy(&val, data, len);
	pthread_mutex_lock(&vm->pci_lock);
	pci_conf1_io(&vm->pci, (uint16_t)(PCI_CONF1_ADDR + off), write, len,
		     &val);
	a = vm->pci.conf1_addr;
	if (write && off >= 4 && (a & 0x80000000u) && !(a & 0x00ff0700u))
		vm_pci_follow_bars(vm, (a >> 11) & 0x1f);
	pthread_mutex_unlock(&vm->pci_lock);
	if (!write)
		memcpy(data, &val, len);
}

int vmm_pci_add(struct vmm *vm, struct pci_dev *dev, vmm_bar_fn *fn,
		void *opaque)
{
	unsigned int slot;
	int r = -ENOSPC;

	pthread_mutex_lock(&vm->pci_lock);
	for (slot = 1; slot < PCI_MAX_DEVS; slot++)
		if (vm->pci.dev[slot] == NULL)
			break;
	if (slot == PCI_MAX_DEVS)
		goto out;
	for (unsigned int b = 0; b < 6; b++) {
		uint64_t size = dev->bar_size[b], a;

		if (!size)
			continue;
		a = (vm->mmio_next + size - 1) & ~(size - 1);
		if (a + size > VM_PCI_MMIO_END) {
			r = -ENOSPC;
			goto out;
		}
		r = pci_dev_set_bar(dev, b, (uint32_t)a, (uint32_t)size);
		if (r < 0)
			goto out;
		vm->slots[slot].ref[b] = (struct pci_bar_ref){ vm, slot, b };
		r = bus_mmio_add(&vm->bus, a, size, bar_io,
				 &vm->slots[slot].ref[b]);
		if (r < 0)
			goto out;	/* regions already added stay unused */
		vm->slots[slot].bar_gpa[b] = (uint32_t)a;
		vm->mmio_next = a + size;
	}
	vm->slots[slot].dev = dev;
	vm->slots[slot].fn = fn;
	vm->slots[slot].opaque = opaque;
	vm->pci.dev[slot] = dev;
	r = (int)slot;
out:
	pthread_mutex_unlock(&vm->pci_lock);
	return r;
}

/* --- memory and boot images --------------------------------------- */

static int mem_setup(struct vmm *vm)
{
	uint64_t size = vm->cfg->memory_mib << 20;
	uint64_t low = e820_low_ram(size), high = e820_high_ram(size);
	struct kvm_userspace_memory_region reg = { 0 };
	void *p;
	int r;

	/* 2 MiB-aligned, so transparent huge pages can back it and KVM can
	 * map guest RAM with 2 MiB nested pages: far fewer faults */
	p = mmap(NULL, size + HUGE_2M, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		log_err("vm: cannot map %llu MiB of guest RAM: %s; lower --memory",
			(unsigned long long)vm->cfg->memory_mib, strerror(errno));
		return -ENOMEM;
	}
	{
		uintptr_t a = (uintptr_t)p, al = (a + HUGE_2M - 1) & ~(HUGE_2M - 1);

		if (al > a)
			munmap(p, al - a);
		if (a + HUGE_2M > al)
			munmap((void *)(al + size), a + HUGE_2M - al);
		p = (void *)al;
	}
	vm->ram = p;
	vm->ram_size = size;
	/* as QEMU does: fewer nested page faults; never in core dumps */
	madvise(p, size, MADV_HUGEPAGE);
	madvise(p, size, MADV_DONTDUMP);
	r = guest_mem_add(&vm->mem, 0, low, p);
	if (r == 0 && high)
		r = guest_mem_add(&vm->mem, E820_4G, high, vm->ram + low);
	if (r < 0)
		return r;
	reg.slot = 0;
	reg.guest_phys_addr = 0;
	reg.memory_size = low;
	reg.userspace_addr = (uintptr_t)p;
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &reg) < 0)
		goto fail;
	if (high) {
		reg.slot = 1;
		reg.guest_phys_addr = E820_4G;
		reg.memory_size = high;
		reg.userspace_addr = (uintptr_t)(vm->ram + low);
		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &reg) < 0)
			goto fail;
	}
	return 0;
fail:
	r = -errno;
	log_err("vm: KVM_SET_USER_MEMORY_REGION failed: %s", strerror(errno));
	return r;
}

static int read_full(int fd, uint8_t *dst, uint64_t len)
{
	uint64_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, dst + done, len - done, (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		done += (uint64_t)n;
	}
	return 0;
}

static int load_initrd(struct vmm *vm, const struct bzimage_info *bi,
		       struct boot_layout *l)
{
	const char *path = vm->cfg->initrd;
	struct stat st;
	uint8_t *dst;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		r = -errno;
		log_err("vm: cannot read initrd %s: %s", path, strerror(errno));
		goto out;
	}
	l->initrd_size = (uint64_t)st.st_size;
	l->initrd_gpa = bzimage_initrd_addr(bi, vm->ram_size, l->initrd_size);
	dst = guest_mem_ptr(&vm->mem, l->initrd_gpa, l->initrd_size);
	if (l->initrd_gpa == 0 || dst == NULL) {
		log_err("vm: initrd %s (%llu bytes) does not fit below the "
			"kernel's limit with %llu MiB of RAM; raise --memory",
			path, (unsigned long long)l->initrd_size,
			(unsigned long long)vm->cfg->memory_mib);
		r = -E2BIG;
		goto out;
	}
	r = read_full(fd, dst, l->initrd_size);
	if (r < 0)
		log_err("vm: reading initrd %s: %s", path, strerror(-r));
out:
	if (fd >= 0)
		close(fd);
	return r;
}

/* An uncompressed vmlinux (kvm/boot_elf.h): its segments to their
 * physical addresses, bss zeroed; bi and hdr stand in for a bzImage's. */
static int load_elf(struct vmm *vm, const uint8_t *img, size_t len,
		    struct bzimage_info *bi, uint8_t *hdr)
{
	const char *path = vm->cfg->kernel, *why = NULL;
	struct elf_kernel k;
	unsigned int i;
	int r;

	r = elf_kernel_parse(img, len, &k, &why);
	if (r < 0) {
		log_err("vm: %s is not a bootable x86-64 Linux kernel: %s", path,
			why);
		return r;
	}
	if (k.hi > e820_low_ram(vm->ram_size)) {
		log_err("vm: kernel %s needs RAM up to %llu MiB; raise --memory",
			path, (unsigned long long)(k.hi >> 20) + 1);
		return -E2BIG;
	}
	for (i = 0; i < k.nseg; i++) {
		const struct elf_kernel_seg *s = &k.seg[i];
		uint8_t *dst = guest_mem_ptr(&vm->mem, s->paddr, s->memsz);

		if (dst == NULL) {
			log_err("vm: kernel %s: a segment at %#llx is not in "
				"guest RAM", path, (unsigned long long)s->paddr);
			return -E2BIG;
		}
		memcpy(dst, img + s->offset, s->filesz);
		/* RAM starts zeroed, but say so: bss is the loader's job */
		memset(dst + s->filesz, 0, s->memsz - s->filesz);
	}
	elf_kernel_boot_info(&k, hdr, bi);
	vm->boot_entry = k.entry;
	log_debug("vm: ELF kernel %s: %u segments in [%#llx, %#llx), entry "
		  "%#llx", path, k.nseg, (unsigned long long)k.lo,
		  (unsigned long long)k.hi, (unsigned long long)k.entry);
	return 0;
}

/* A bzImage unpacked earlier (kvm/kcache.h): its ELF loaded instead, 0;
 * -ENOENT when there is none (or it was damaged: then the cache is filled
 * once the guest runs), load_elf's error when it does not fit. */
static int load_cached(struct vmm *vm, const uint8_t *img,
		       const struct stat *st, struct bzimage_info *bi,
		       uint8_t *hdr)
{
	const char *dir = vm->cfg->kernel_cache, *why = NULL;
	char *cpath = vm->kcache_entry;
	struct elf_kernel k;
	struct stat cst;
	uint8_t *m;
	int cfd, r = -ENOENT;

	if (dir == NULL ||
	    (vm->cfg->kernel_cache_by_content
		     ? kcache_path_content(dir, img, (size_t)st->st_size, cpath,
					   sizeof(vm->kcache_entry))
		     : kcache_path(dir, st, cpath, sizeof(vm->kcache_entry))) < 0)
		return -ENOENT;
	cfd = open(cpath, O_RDONLY | O_CLOEXEC);
	if (cfd < 0 || fstat(cfd, &cst) < 0 || cst.st_size <= 0) {
		if (cfd >= 0)
			close(cfd);
		vm->kcache_st = *st;
		vm->kcache_fill = true;
		return -ENOENT;
	}
	m = mmap(NULL, (size_t)cst.st_size, PROT_READ, MAP_PRIVATE, cfd, 0);
	close(cfd);
	if (m == MAP_FAILED)
		return -ENOENT;
	if (!elf_kernel_is_elf(m, (size_t)cst.st_size) ||
	    elf_kernel_parse(m, (size_t)cst.st_size, &k, &why) < 0) {
		/* damaged entry: gone, and this boot refills it */
		log_info("vm: removing the unusable cached kernel %s", cpath);
		unlink(cpath);
		vm->kcache_st = *st;
		vm->kcache_fill = true;
	} else {
		/* a kernel too big for --memory fails here as it would from
		 * the bzImage; the entry itself stays */
		r = load_elf(vm, m, (size_t)cst.st_size, bi, hdr);
		if (r == 0) {
			log_debug("vm: kernel %s unpacked earlier: %s",
				  vm->cfg->kernel, cpath);
			utimensat(AT_FDCWD, cpath, NULL, 0);	/* recently used */
		}
	}
	munmap(m, (size_t)cst.st_size);
	return r;
}

/* The cache filler: idle priority, so that it only takes CPU time the
 * guest leaves. */
static void *kcache_main(void *arg)
{
	struct vmm *vm = arg;
	struct sched_param sp = { 0 };
	int r;

	pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);
	r = kcache_fill(vm->cfg->kernel_cache, vm->kcache_entry, vm->cfg->kernel,
			&vm->kcache_st, &vm->kcache_stop);
	if (r < 0 && r != -ECANCELED)
		log_debug("vm: cannot unpack %s into %s: %s", vm->cfg->kernel,
			  vm->cfg->kernel_cache, strerror(-r));
	else if (r == 0)
		log_debug("vm: %s unpacked into %s for the next boot",
			  vm->cfg->kernel, vm->cfg->kernel_cache);
	return NULL;
}

/* Loads kernel (bzImage or ELF vmlinux), initrd and command line; builds
 * the zero page. */
static int load_kernel(struct vmm *vm)
{
	const char *path = vm->cfg->kernel, *why = NULL;
	const char *append = vm->cfg->append ? vm->cfg->append : "console=ttyS0";
	struct boot_layout l = {
		.mem_bytes = vm->ram_size,
		.ecam_gpa = VM_ECAM_BASE,
		.ecam_size = vm->cfg->pci_conf1 ? 0 : (uint64_t)VM_ECAM_BUSES << 20,
	};
	struct bzimage_info bi;
	uint8_t *img = MAP_FAILED, *dst, *zp, elf_hdr[BOOT_ZERO_PAGE_SIZE];
	const uint8_t *hdr = NULL;
	struct stat st;
	size_t alen = strlen(append);
	bool is_elf;
	int fd, r = -ENOEXEC;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size == 0) {
		r = fd < 0 ? -errno : -ENOEXEC;
		log_err("vm: cannot read kernel %s: %s", path,
			fd < 0 ? strerror(errno) : "empty file");
		goto out;
	}
	img = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (img == MAP_FAILED) {
		r = -errno;
		log_err("vm: cannot map kernel %s: %s", path, strerror(errno));
		goto out;
	}
	is_elf = elf_kernel_is_elf(img, (size_t)st.st_size);
	if (!is_elf && (r = load_cached(vm, img, &st, &bi, elf_hdr)) != -ENOENT) {
		if (r < 0)
			goto out;
		hdr = elf_hdr;
	} else if (is_elf) {
		r = load_elf(vm, img, (size_t)st.st_size, &bi, elf_hdr);
		if (r < 0)
			goto out;
		hdr = elf_hdr;
	} else {
		r = bzimage_parse(img, (size_t)st.st_size, &bi, &why);
		if (r < 0) {
			log_err("vm: %s is not a bootable x86-64 Linux kernel: "
				"%s", path, why);
			goto out;
		}
		dst = guest_mem_ptr(&vm->mem, BOOT_KERNEL_ADDR, bi.init_size);
		if (dst == NULL || BOOT_KERNEL_ADDR + bi.init_size >
				       e820_low_ram(vm->ram_size)) {
			log_err("vm: kernel %s needs %u MiB from 1 MiB; raise "
				"--memory", path,
				(unsigned int)(bi.init_size >> 20) + 1);
			r = -E2BIG;
			goto out;
		}
		memcpy(dst, img + bi.pm_offset, bi.pm_size);
		hdr = img;
		vm->boot_entry = BOOT_KERNEL_ADDR + BOOT_ENTRY_64_OFFSET;
	}
	if (alen > bi.cmdline_size || alen >= VM_CMDLINE_MAX) {
		log_err("vm: --append is %zu bytes; this kernel takes at most %u",
			alen, bi.cmdline_size);
		r = -E2BIG;
		goto out;
	}
	guest_mem_write(&vm->mem, VM_CMDLINE_GPA, append, alen + 1);
	l.cmdline_gpa = VM_CMDLINE_GPA;
	l.cmdline_len = (uint32_t)alen;
	if (vm->cfg->initrd && (r = load_initrd(vm, &bi, &l)) < 0)
		goto out;
	zp = guest_mem_ptr(&vm->mem, VM_ZERO_PAGE_GPA, BOOT_ZERO_PAGE_SIZE);
	r = bzimage_zero_page(zp, hdr, &bi, &l);
	if (r < 0) {
		log_err("vm: cannot build the zero page: %s", strerror(-r));
		goto out;
	}
	/* boot protocol 2.14+: acpi_rsdp_addr saves the kernel a scan */
	if (bi.version >= 0x020e) {
		uint64_t rsdp = ACPI_GPA;

		memcpy(zp + 0x070, &rsdp, 8);
	}
out:
	if (img != MAP_FAILED)
		munmap(img, (size_t)st.st_size);
	if (fd >= 0)
		close(fd);
	return r;
}

/* Identity map of the first 4 GiB with 2 MiB pages (PML4, PDPT, 4 PDs)
 * and the boot GDT: null, null, __BOOT_CS 64-bit, __BOOT_DS, TSS. */
static void build_boot_tables(struct vmm *vm)
{
	uint64_t *pml4 = guest_mem_ptr(&vm->mem, VM_PML4_GPA, 6 * 4096);
	uint64_t *pdpt = pml4 + 512, *pd = pml4 + 1024;
	uint64_t *gdt = guest_mem_ptr(&vm->mem, VM_GDT_GPA, 6 * 8);

	memset(pml4, 0, 6 * 4096);
	pml4[0] = (VM_PML4_GPA + 0x1000) | 3;		/* present, writable */
	for (unsigned int i = 0; i < 4; i++)
		pdpt[i] = (VM_PML4_GPA + 0x2000 + 0x1000ull * i) | 3;
	for (unsigned int i = 0; i < 4 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | 0x83;	/* 2 MiB page */
	gdt[0] = 0;
	gdt[1] = 0;
	gdt[2] = 0x00af9b000000ffffull;	/* code, long mode */
	gdt[3] = 0x00cf93000000ffffull;	/* data, 4 GiB flat */
	gdt[4] = 0x00008b000000ffffull;	/* TSS (busy) */
	gdt[5] = 0;
}

static int build_firmware_tables(struct vmm *vm)
{
	struct acpi_config ac = {
		.ncpus = vm->cfg->vcpus,
		.ioapic_id = (uint8_t)vm->cfg->vcpus,	/* as in the MP table */
		.ioapic_addr = MPTABLE_IOAPIC_ADDR,
		.lapic_addr = MPTABLE_LAPIC_ADDR,
		.pci_mmio_base = VM_PCI_MMIO_BASE,
		.pci_mmio_size = VM_PCI_MMIO_END - VM_PCI_MMIO_BASE,
		.conf1 = vm->cfg->pci_conf1,
		.ecam_base = vm->cfg->pci_conf1 ? 0 : VM_ECAM_BASE,
		.ecam_buses = VM_ECAM_BUSES,
		/* no keyboard consumer yet (no display): Linux then skips
		 * its i8042 probe, ~100 exits; the reset pulse still works */
		.i8042 = false,
	};
	uint8_t *p;
	int r;

	p = guest_mem_ptr(&vm->mem, MPTABLE_GPA, 0x10000);
	r = p ? mptable_build(p, 0x10000, MPTABLE_GPA, vm->cfg->vcpus) : -EFAULT;
	if (r < 0) {
		log_err("vm: cannot build the MP table: %s", strerror(-r));
		return r;
	}
	p = guest_mem_ptr(&vm->mem, ACPI_GPA, ACPI_MAX_SIZE);
	r = p ? acpi_build(p, ACPI_MAX_SIZE, ACPI_GPA, &ac) : -EFAULT;
	if (r < 0) {
		log_err("vm: cannot build the ACPI tables: %s", strerror(-r));
		return r;
	}
	return 0;
}

/* --- KVM ---------------------------------------------------------- */

static int kvm_open(struct vmm *vm)
{
	static const struct {
		int cap;
		const char *name;
	} caps[] = {
		{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
		{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
		{ KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
		{ KVM_CAP_PIT2, "KVM_CAP_PIT2" },
		{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
		{ KVM_CAP_SIGNAL_MSI, "KVM_CAP_SIGNAL_MSI" },
		{ KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD" },
		{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
	};
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	int max_cpus;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		log_err("vm: cannot open /dev/kvm: %s", strerror(errno));
		return -errno;
	}
	if (ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		log_err("vm: /dev/kvm speaks an unknown KVM API version");
		return -ENOTSUP;
	}
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, caps[i].cap) <= 0) {
			log_err("vm: this KVM lacks %s (a Linux 4.11+ host "
				"kernel has it)", caps[i].name);
			return -ENOTSUP;
		}
	max_cpus = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (max_cpus <= 0)
		max_cpus = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	if (max_cpus > 0 && vm->cfg->vcpus > (unsigned int)max_cpus) {
		log_err("vm: --vcpus %u is more than this KVM allows (%d)",
			vm->cfg->vcpus, max_cpus);
		return -EINVAL;
	}
	vm->run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_size <= 0) {
		log_err("vm: KVM_GET_VCPU_MMAP_SIZE failed");
		return -EIO;
	}
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		log_err("vm: KVM_CREATE_VM failed: %s", strerror(errno));
		return -errno;
	}
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)VM_TSS_ADDR) < 0) {
		log_err("vm: KVM_SET_TSS_ADDR failed: %s", strerror(errno));
		return -errno;
	}
	{
		uint64_t idmap = VM_IDENTITY_MAP_ADDR;

		if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0)
			log_debug("vm: KVM_SET_IDENTITY_MAP_ADDR: %s",
				  strerror(errno));
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		log_err("vm: KVM_CREATE_IRQCHIP failed: %s", strerror(errno));
		return -errno;
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
		log_err("vm: KVM_CREATE_PIT2 failed: %s", strerror(errno));
		return -errno;
	}
	return irq_routes_init(vm);
}

static int check_config(const struct vm_config *c)
{
	if (c->kernel == NULL) {
		log_err("vm: no kernel given (--kernel)");
		return -EINVAL;
	}
	if (c->vcpus < 1 || c->vcpus > MPTABLE_MAX_CPUS) {
		log_err("vm: --vcpus must be 1 to %d", MPTABLE_MAX_CPUS);
		return -EINVAL;
	}
	if (c->memory_mib < 32 || c->memory_mib > (1ull << 20)) {
		log_err("vm: --memory must be 32 MiB to 1 TiB");
		return -EINVAL;
	}
	return 0;
}

static void vm_free(struct vmm *vm)
{
	struct defer *d, *next;

	vcpus_join_free(vm);
	platform_free(vm->plat);
	vm_ecam_free(vm);
	loop_free(vm->loop);
	for (d = vm->defer_head; d; d = next) {	/* never run: VM is gone */
		next = d->next;
		free(d);
	}
	if (vm->wake_fd >= 0)
		close(vm->wake_fd);
	if (vm->ram)
		munmap(vm->ram, vm->ram_size);
	irq_routes_free(vm);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	bus_destroy(&vm->bus);
	pthread_mutex_destroy(&vm->pci_lock);
	pthread_mutex_destroy(&vm->cring_lock);
	pthread_mutex_destroy(&vm->defer_lock);
	free(vm);
}

int vm_run(const struct vm_config *c)
{
	/* --pxe: the firmware (kvm/fw/netboot.c) fetches what to boot first */
	return c->pxe || c->localboot ? vm_run_pxe(c) : vm_boot(c);
}

int vm_boot(const struct vm_config *c)
{
	struct vmm *vm;
	void *devs = NULL;
	bool devs_added = false;
	int r, code;

	uint64_t t0 = loop_now_ms();

	if (check_config(c) < 0)
		return VM_EXIT_USAGE;
	vm = calloc(1, sizeof(*vm));
	if (vm == NULL)
		return VM_EXIT_SETUP;
	vm->cfg = c;
	vm->kvm_fd = vm->vm_fd = vm->wake_fd = -1;
	atomic_init(&vm->exit_code, -1);
	vm->defer_tail = &vm->defer_head;
	vm->mmio_next = VM_PCI_MMIO_BASE;
	pthread_mutex_init(&vm->pci_lock, NULL);
	pthread_mutex_init(&vm->cring_lock, NULL);
	pthread_mutex_init(&vm->defer_lock, NULL);
	r = bus_init(&vm->bus);
	if (r < 0)
		goto setup_failed;
	/* a console reader that went away must not kill the VMM */
	signal(SIGPIPE, SIG_IGN);
	vm->loop = loop_new();
	vm->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->loop == NULL || vm->wake_fd < 0) {
		log_err("vm: cannot set up the event loop: %s", strerror(errno));
		goto setup_failed;
	}
	/* signals first: threads created later inherit the blocked mask */
	if (loop_signal_add(vm->loop, SIGINT, on_signal, vm, NULL) < 0 ||
	    loop_signal_add(vm->loop, SIGTERM, on_signal, vm, NULL) < 0 ||
	    loop_fd_add(vm->loop, vm->wake_fd, EPOLLIN, on_wake, vm, NULL) < 0) {
		log_err("vm: cannot set up the event loop");
		goto setup_failed;
	}
	if (c->timeout_s &&
	    loop_timer_add(vm->loop, (uint64_t)c->timeout_s * 1000, 0,
			   on_timeout, vm, NULL) < 0)
		goto setup_failed;
	if (kvm_open(vm) < 0 || mem_setup(vm) < 0 || load_kernel(vm) < 0)
		goto setup_failed;
	build_boot_tables(vm);
	if (build_firmware_tables(vm) < 0)
		goto setup_failed;
	if (platform_add(vm) < 0)
		goto setup_failed;
	r = vmm_devices_add(vm, c, &devs);
	devs_added = true;
	if (r < 0) {
		log_err("vm: adding devices failed: %s", strerror(-r));
		goto setup_failed;
	}
	if (!c->pci_conf1 && vm_ecam_setup(vm) < 0)
		goto setup_failed;
	if (vcpus_create(vm, vm->boot_entry,
			 VM_ZERO_PAGE_GPA) < 0)
		goto setup_failed;
	if (vcpus_start(vm) < 0) {
		vmm_request_exit(vm, VM_EXIT_SETUP);
	} else {
		if (vm->kcache_fill &&
		    pthread_create(&vm->kcache_thread, NULL, kcache_main, vm) == 0)
			vm->kcache_running = true;
		log_debug("vm: %u vCPUs, %llu MiB, kernel %s; set-up took "
			  "%llu ms", vm->ncpus, (unsigned long long)c->memory_mib,
			  c->kernel, (unsigned long long)(loop_now_ms() - t0));
		r = loop_run(vm->loop);
		if (r < 0) {
			log_err("vm: event loop failed: %s", strerror(-r));
			vmm_request_exit(vm, VM_EXIT_CRASH);
		}
	}
	vmm_request_exit(vm, VM_EXIT_CRASH);	/* no-op if a reason is set */
	vcpus_join_free(vm);
	code = atomic_load(&vm->exit_code);
	if (vm->kcache_running) {
		/* a short first boot waits for the unpacking (about a second
		 * natively); a stopped one drops it */
		if (code == VM_EXIT_STOPPED || code == VM_EXIT_SETUP)
			atomic_store(&vm->kcache_stop, true);
		pthread_join(vm->kcache_thread, NULL);
	}
	if (vm->plat)
		platform_console_flush(vm->plat);
	vmm_devices_free(devs);
	vm_free(vm);
	return code;

setup_failed:
	atomic_store(&vm->exit_code, VM_EXIT_SETUP);
	vcpus_kick(vm);
	vcpus_join_free(vm);
	if (devs_added)
		vmm_devices_free(devs);
	vm_free(vm);
	return VM_EXIT_SETUP;
}
