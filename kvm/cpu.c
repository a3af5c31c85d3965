/*
 * kvm/cpu.c - vCPU set-up and the KVM_RUN loop.
 *
 * Set-up follows what a stock kernel expects of firmware (and what the
 * Linux boot protocol's 64-bit entry requires, boot.rst "64-bit BOOT
 * PROTOCOL"): CPUID from KVM_GET_SUPPORTED_CPUID with this vCPU's APIC id,
 * the topology of N single-thread cores in one package, the hypervisor bit
 * and KVM's signature leaves kept (kvm-clock, PV EOI, no port-0x80 delays);
 * MTRRs enabled with write-back default (else Linux maps all RAM
 * uncached-minus); LINT0 ExtINT and LINT1 NMI as the MP table and MADT say.
 * The BSP starts in long mode with flat segments and identity-mapped page
 * tables; APs wait for INIT/SIPI in the in-kernel LAPIC.
 *
 * Stopping: vmm_request_exit() sets exit_code, then vcpus_kick() sets
 * kvm_run.immediate_exit and signals each thread, so a vCPU in or about to
 * enter KVM_RUN returns with EINTR and its thread ends.
 */
#include "config.h"

#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm/boot_bzimage.h"
#include "kvm/cpu.h"
#include "kvm/vm.h"
#include "provd/base/log.h"

static void coalesced_setup(struct vmm *vm, struct kvm_run *run);

#define KICK_SIGNAL SIGUSR1
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MSR_MTRR_DEF_TYPE 0x2ff
#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_MODE_MASK 0x700
#define APIC_MODE_NMI 0x400
#define APIC_MODE_EXTINT 0x700

static struct kvm_cpuid2 *supported_cpuid(int kvm_fd)
{
	struct kvm_cpuid2 *c;
	unsigned int n = 64;

	for (;;) {
		c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
		if (c == NULL)
			return NULL;
		c->nent = n;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		free(c);
		if (errno != E2BIG || n >= 4096)
			return NULL;
		n *= 2;
	}
}

static unsigned int id_bits(unsigned int n)
{
	unsigned int s = 0;

	while ((1u << s) < n)
		s++;
	return s;
}

/* Per-vCPU view: APIC ids 0..n-1, one package of n cores, 1 thread each */
static void cpuid_adjust(struct kvm_cpuid2 *c, unsigned int idx,
			 unsigned int n, bool tsc_deadline)
{
	unsigned int shift = id_bits(n);

	for (unsigned int i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		switch (e->function) {
		case 1:
			e->ebx = (e->ebx & 0xffff) | idx << 24 |
				 (n > 255 ? 255 : n) << 16;
			if (n > 1)
				e->edx |= 1u << 28;	/* HTT: >1 logical */
			e->ecx |= 1u << 31;		/* hypervisor */
			/* KVM emulates the TSC-deadline timer but reports it
			 * only as a capability; without it Linux calibrates
			 * the LAPIC timer against the PIT, which fails under
			 * nested virtualisation ("APIC timer disabled") */
			if (tsc_deadline)
				e->ecx |= 1u << 24;
			break;
		case 4:	/* Intel caches: cores per package - 1 */
			e->eax = (e->eax & 0x03ffffff) |
				 ((n - 1 > 63 ? 63 : n - 1) << 26);
			e->eax &= ~(0xfffu << 14);	/* cache not shared */
			break;
		case 0xb:
		case 0x1f:	/* x2APIC topology: SMT level, core level */
			e->edx = idx;
			if (e->index == 0) {
				e->eax = 0;
				e->ebx = 1;
				e->ecx = 1u << 8;
			} else if (e->index == 1) {
				e->eax = shift;
				e->ebx = n;
				e->ecx = 2u << 8 | 1;
			} else {
				e->eax = 0;
				e->ebx = 0;
				e->ecx = e->index & 0xff;
			}
			break;
		case 0x80000008:	/* AMD: cores per package, APIC id size */
			e->ecx = shift << 12 | (n - 1);
			break;
		case 0x8000001e:	/* AMD topology extension */
			e->eax = idx;
			e->ebx = idx & 0xff;
			e->ecx = 0;
			break;
		default:
			break;
		}
	}
}

static int set_msrs(int fd)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[2];
	} m;
	int r;

	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = 2;
	m.e[0].index = MSR_IA32_MISC_ENABLE;
	m.e[0].data = 1;			/* fast strings */
	m.e[1].index = MSR_MTRR_DEF_TYPE;
	m.e[1].data = 1u << 11 | 6;		/* MTRRs on, default WB */
	r = ioctl(fd, KVM_SET_MSRS, &m);
	if (r < 0)
		return -errno;
	if (r != 2)
		log_debug("vm: KVM_SET_MSRS set %d of 2 boot MSRs", r);
	return 0;
}

static int set_fpu(int fd)
{
	struct kvm_fpu f;

	memset(&f, 0, sizeof(f));
	f.fcw = 0x37f;		/* FNINIT state */
	f.mxcsr = 0x1f80;	/* all SSE exceptions masked */
	return ioctl(fd, KVM_SET_FPU, &f) < 0 ? -errno : 0;
}

static int set_lapic(int fd)
{
	struct kvm_lapic_state l;
	uint32_t v;

	if (ioctl(fd, KVM_GET_LAPIC, &l) < 0)
		return -errno;
	memcpy(&v, l.regs + APIC_LVT_LINT0, 4);
	v = (v & ~APIC_MODE_MASK) | APIC_MODE_EXTINT;
	memcpy(l.regs + APIC_LVT_LINT0, &v, 4);
	memcpy(&v, l.regs + APIC_LVT_LINT1, 4);
	v = (v & ~APIC_MODE_MASK) | APIC_MODE_NMI;
	memcpy(l.regs + APIC_LVT_LINT1, &v, 4);
	return ioctl(fd, KVM_SET_LAPIC, &l) < 0 ? -errno : 0;
}

static void seg_flat(struct kvm_segment *s, uint16_t sel, uint8_t type,
		     bool code64)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->g = 1;
	s->l = code64;
	s->db = !code64;
}

/* boot.rst 64-bit protocol: long mode, paging on, flat __BOOT_CS (0x10)
 * and __BOOT_DS (0x18), RSI = zero page, interrupts off */
static int set_boot_regs(int fd, uint64_t entry, uint64_t zero_page)
{
	struct kvm_sregs s;
	struct kvm_regs r;

	if (ioctl(fd, KVM_GET_SREGS, &s) < 0)
		return -errno;
	seg_flat(&s.cs, 0x10, 0xb, true);
	seg_flat(&s.ds, 0x18, 0x3, false);
	s.es = s.fs = s.gs = s.ss = s.ds;
	memset(&s.tr, 0, sizeof(s.tr));
	s.tr.selector = 0x20;
	s.tr.limit = 0xffff;
	s.tr.type = 0xb;	/* busy 64-bit TSS, as VM entry requires */
	s.tr.present = 1;
	s.gdt.base = VM_GDT_GPA;
	s.gdt.limit = 6 * 8 - 1;
	s.idt.base = 0;
	s.idt.limit = 0;
	s.cr3 = VM_PML4_GPA;
	s.cr4 = 0x20;				/* PAE */
	s.cr0 = 0x80000000u | 0x20 | 0x10 | 0x1;	/* PG, NE, ET, PE */
	s.efer = 0x500;				/* LME, LMA */
	if (ioctl(fd, KVM_SET_SREGS, &s) < 0)
		return -errno;
	memset(&r, 0, sizeof(r));
	r.rip = entry;
	r.rsi = zero_page;
	r.rflags = 2;
	return ioctl(fd, KVM_SET_REGS, &r) < 0 ? -errno : 0;
}

static void kick_handler(int sig)
{
	(void)sig;	/* only there to make KVM_RUN return EINTR */
}

int vcpus_create(struct vmm *vm, uint64_t entry, uint64_t zero_page)
{
	struct kvm_cpuid2 *sup, *c = NULL;
	struct sigaction sa;
	size_t csize;
	bool tsc_deadline;
	int r = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler;
	sigemptyset(&sa.sa_mask);
	if (sigaction(KICK_SIGNAL, &sa, NULL) < 0)
		return -errno;
	sup = supported_cpuid(vm->kvm_fd);
	if (sup == NULL) {
		log_err("vm: KVM_GET_SUPPORTED_CPUID failed: %s", strerror(errno));
		return -EIO;
	}
	tsc_deadline = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION,
			     KVM_CAP_TSC_DEADLINE_TIMER) > 0;
	csize = sizeof(*sup) + sup->nent * sizeof(sup->entries[0]);
	c = malloc(csize);
	vm->cpus = calloc(vm->cfg->vcpus, sizeof(*vm->cpus));
	if (c == NULL || vm->cpus == NULL) {
		r = -ENOMEM;
		goto out;
	}
	for (unsigned int i = 0; i < vm->cfg->vcpus; i++) {
		struct vcpu *v = &vm->cpus[i];
		const char *step;

		v->vm = vm;
		v->index = i;
		v->run = MAP_FAILED;
		if (log_get_level() >= PLOG_DEBUG)
			v->port_count = calloc(65536, sizeof(uint32_t));
		v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)i);
		vm->ncpus = i + 1;
		step = "KVM_CREATE_VCPU";
		if (v->fd < 0)
			goto fail;
		v->run = mmap(NULL, (size_t)vm->run_size, PROT_READ | PROT_WRITE,
			      MAP_SHARED, v->fd, 0);
		step = "mmap of kvm_run";
		if (v->run == MAP_FAILED)
			goto fail;
		if (i == 0)
			coalesced_setup(vm, v->run);
		memcpy(c, sup, csize);
		cpuid_adjust(c, i, vm->cfg->vcpus, tsc_deadline);
		step = "KVM_SET_CPUID2";
		if (ioctl(v->fd, KVM_SET_CPUID2, c) < 0)
			goto fail;
		step = "KVM_SET_MSRS";
		if ((r = set_msrs(v->fd)) < 0)
			goto fail_r;
		step = "KVM_SET_FPU";
		if ((r = set_fpu(v->fd)) < 0)
			goto fail_r;
		step = "KVM_SET_LAPIC";
		if ((r = set_lapic(v->fd)) < 0)
			goto fail_r;
		step = "boot registers";
		if (i == 0 && (r = set_boot_regs(v->fd, entry, zero_page)) < 0)
			goto fail_r;
		continue;
fail:
		r = -errno;
fail_r:
		log_err("vm: vCPU %u: %s failed: %s", i, step, strerror(-r));
		goto out;
	}
out:
	free(c);
	free(sup);
	return r;
}

static const char *exit_name(uint32_t reason)
{
	switch (reason) {
	case KVM_EXIT_SHUTDOWN:
		return "triple fault (KVM_EXIT_SHUTDOWN)";
	case KVM_EXIT_FAIL_ENTRY:
		return "VM entry failed";
	case KVM_EXIT_INTERNAL_ERROR:
		return "KVM internal error";
	default:
		return "unexpected exit";
	}
}

static void crash(struct vcpu *v)
{
	struct kvm_regs r;
	struct kvm_run *run = v->run;

	memset(&r, 0, sizeof(r));
	ioctl(v->fd, KVM_GET_REGS, &r);
	log_err("vm: vCPU %u: %s (exit reason %u, suberror %u, hw reason "
		"0x%llx) at rip 0x%llx", v->index, exit_name(run->exit_reason),
		run->exit_reason,
		run->exit_reason == KVM_EXIT_INTERNAL_ERROR ?
			run->internal.suberror : 0,
		run->exit_reason == KVM_EXIT_FAIL_ENTRY ?
			(unsigned long long)run->fail_entry.hardware_entry_failure_reason : 0ull,
		(unsigned long long)r.rip);
	vmm_request_exit(v->vm, VM_EXIT_CRASH);
}

/* Exit statistics are for `--log-level debug` (which device makes the
 * guest slow); per-port counters exist only then, one add per exit. */
/*
 * Coalesced PIO for the conf1 address port (used by early quirks even with
 * ECAM, and by --pci-conf1 guests). Every PCI config access is an
 * address write to 0xCF8 then a data access at 0xCFC: two exits. KVM can
 * queue the first in a ring instead (KVM_CAP_COALESCED_PIO, Linux 4.20;
 * QEMU does the same for 0xCF8), so an access costs one exit: the data
 * exit drains the ring first. The zone is 0xCF8-0xCFB (a 4-byte write must
 * fit inside it); nothing else of the VMM lives in 0xCF9-0xCFB.
 */
static void coalesced_setup(struct vmm *vm, struct kvm_run *run)
{
	struct kvm_coalesced_mmio_zone z = { .addr = PCI_CONF1_ADDR, .size = 4, .pio = 1 };
	/* the CMOS index port likewise: each RTC/CMOS read is an index write
	 * then a data read at 0x71, which drains the ring first */
	struct kvm_coalesced_mmio_zone rtc = { .addr = 0x70, .size = 1, .pio = 1 };
	long page = sysconf(_SC_PAGESIZE);
	int off = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_MMIO);

	if (off <= 0 || page <= 0 || (long)(off + 1) * page > vm->run_size ||
	    ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_PIO) <= 0 ||
	    ioctl(vm->vm_fd, KVM_REGISTER_COALESCED_MMIO, &z) < 0) {
		log_debug("vm: conf1 address writes exit (no coalesced PIO)");
		return;
	}
	if (ioctl(vm->vm_fd, KVM_REGISTER_COALESCED_MMIO, &rtc) < 0)
		log_debug("vm: CMOS index writes exit: %s", strerror(errno));
	vm->cring = (struct kvm_coalesced_mmio_ring *)((uint8_t *)run + (size_t)off * (size_t)page);
	vm->cring_max = (uint32_t)(((size_t)page - sizeof(struct kvm_coalesced_mmio_ring)) /
				   sizeof(struct kvm_coalesced_mmio));
	log_debug("vm: conf1 address writes coalesced (ring of %u)", vm->cring_max);
}

/* Replays what KVM queued, in order, as the exits it saved. */
static void coalesced_drain(struct vmm *vm)
{
	struct kvm_coalesced_mmio_ring *r = vm->cring;

	if (r == NULL || __atomic_load_n(&r->first, __ATOMIC_ACQUIRE) ==
			 __atomic_load_n(&r->last, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&vm->cring_lock);
	for (;;) {
		uint32_t first = __atomic_load_n(&r->first, __ATOMIC_RELAXED);
		struct kvm_coalesced_mmio e;
		uint8_t data[8];

		if (first == __atomic_load_n(&r->last, __ATOMIC_ACQUIRE))
			break;
		if (first >= vm->cring_max) {	/* cannot happen: KVM owns last */
			__atomic_store_n(&r->first, 0, __ATOMIC_RELEASE);
			continue;
		}
		e = r->coalesced_mmio[first];
		memcpy(data, e.data, sizeof(data));
		if (e.len <= sizeof(data)) {
			if (e.pio)
				bus_pio(&vm->bus, (uint16_t)e.phys_addr, true, data, e.len);
			else
				bus_mmio(&vm->bus, e.phys_addr, true, data, e.len);
		}
		__atomic_store_n(&r->first, (first + 1) % vm->cring_max, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&vm->cring_lock);
}

static void count_port(struct vcpu *v, uint16_t port)
{
	v->n_pio++;
	if (v->port_count)
		v->port_count[port]++;
}

/* One debug line per vCPU when it ends: exit counts and the five busiest
 * ports (the counters are consumed). */
static void log_exits(const struct vcpu *v)
{
	char top[160] = "";
	size_t len = 0;

	for (int k = 0; v->port_count && k < 5 && len < sizeof(top); k++) {
		unsigned int best = 0;

		for (unsigned int p = 1; p < 65536; p++)
			if (v->port_count[p] > v->port_count[best])
				best = p;
		if (v->port_count[best] == 0)
			break;
		len += (size_t)snprintf(top + len, sizeof(top) - len,
					"%s0x%x: %u", k ? ", " : "", best,
					v->port_count[best]);
		v->port_count[best] = 0;
	}
	log_debug("vm: vCPU %u exits to the VMM: %lu port (%s), %lu MMIO, "
		  "%lu other", v->index, v->n_pio, top, v->n_mmio, v->n_other);
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vmm *vm = v->vm;
	struct kvm_run *run = v->run;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	while (atomic_load(&vm->exit_code) < 0) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			log_err("vm: vCPU %u: KVM_RUN failed: %s", v->index,
				strerror(errno));
			vmm_request_exit(vm, VM_EXIT_CRASH);
			break;
		}
		coalesced_drain(vm);
		switch (run->exit_reason) {
		case KVM_EXIT_IO: {
			uint8_t *p = (uint8_t *)run + run->io.data_offset;

			count_port(v, run->io.port);
			for (uint32_t k = 0; k < run->io.count; k++) {
				bus_pio(&vm->bus, run->io.port,
					run->io.direction == KVM_EXIT_IO_OUT,
					p, run->io.size);
				p += run->io.size;
			}
			break;
		}
		case KVM_EXIT_MMIO:
			v->n_mmio++;
			bus_mmio(&vm->bus, run->mmio.phys_addr,
				 run->mmio.is_write, run->mmio.data,
				 run->mmio.len);
			break;
		case KVM_EXIT_HLT:
		case KVM_EXIT_INTR:
		case KVM_EXIT_IRQ_WINDOW_OPEN:
			v->n_other++;
			break;
		case KVM_EXIT_SYSTEM_EVENT:
			switch (run->system_event.type) {
			case KVM_SYSTEM_EVENT_SHUTDOWN:
				vmm_request_exit(vm, VM_EXIT_POWEROFF);
				break;
			case KVM_SYSTEM_EVENT_RESET:
				vmm_request_exit(vm, VM_EXIT_REBOOT);
				break;
			default:
				crash(v);
				break;
			}
			break;
		default:
			crash(v);
			break;
		}
	}
	return NULL;
}

int vcpus_start(struct vmm *vm)
{
	for (unsigned int i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->cpus[i];
		int r = pthread_create(&v->thread, NULL, vcpu_thread, v);

		if (r != 0) {
			log_err("vm: cannot start vCPU thread %u: %s", i,
				strerror(r));
			return -r;
		}
		/* release: a kicker that sees started also sees thread */
		__atomic_store_n(&v->started, true, __ATOMIC_RELEASE);
	}
	return 0;
}

void vcpus_kick(struct vmm *vm)
{
	for (unsigned int i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->cpus[i];

		if (v->run != MAP_FAILED)
			__atomic_store_n(&v->run->immediate_exit, 1,
					 __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&v->started, __ATOMIC_ACQUIRE) &&
		    !pthread_equal(v->thread, pthread_self()))
			pthread_kill(v->thread, KICK_SIGNAL);
	}
}

void vcpus_join_free(struct vmm *vm)
{
	if (vm->cpus == NULL)
		return;
	for (unsigned int i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->cpus[i];

		if (v->started) {
			pthread_join(v->thread, NULL);
			log_exits(v);
		}
		free(v->port_count);
		if (v->run != MAP_FAILED)
			munmap(v->run, (size_t)vm->run_size);
		if (v->fd >= 0)
			close(v->fd);
	}
	free(vm->cpus);
	vm->cpus = NULL;
	vm->ncpus = 0;
}
