/*
 * kvm/probe.c - measure guest kernel-mode (CPL0) speed on /dev/kvm.
 *
 * A one-page real-mode guest (CPL0, no paging) counts a loop of 200,000
 * iterations (dec/jnz: 400,000 instructions) then executes hlt. Hardware
 * virtualisation finishes in well under a millisecond; an emulating KVM
 * such as kvm_pvm takes a large fraction of a second or cannot run the
 * guest at all. Either way the VMM refuses instead of "hanging".
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kvm/probe.h"

#define LOOPS 200000u

#define PROBE_MAX_S 5	/* a KVM_RUN that takes longer is interrupted */

static void on_alarm(int sig)
{
	(void)sig;	/* only there to make KVM_RUN return EINTR */
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int kvm_probe(const char *dev, double *ips, const char **why)
{
	/* mov ecx, LOOPS (66 b9 imm32); l: dec ecx (66 49); jnz l (75 fc);
	 * hlt (f4) */
	static const unsigned char code[] = {
		0x66, 0xb9, LOOPS & 0xff, (LOOPS >> 8) & 0xff,
		(LOOPS >> 16) & 0xff, LOOPS >> 24,
		0x66, 0x49, 0x75, 0xfc, 0xf4,
	};
	struct kvm_userspace_memory_region reg = { 0 };
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run = MAP_FAILED;
	struct sigaction sa, old_sa;
	bool alarm_set = false;
	void *mem = MAP_FAILED;
	int kvm = -1, vm = -1, cpu = -1, r = -ENODEV, rr, mmap_size;
	double t0, dt;

	*ips = 0;
	*why = NULL;
	kvm = open(dev, O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		r = -errno;
		*why = "cannot open /dev/kvm";
		goto out;
	}
	if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		*why = "unexpected KVM API version";
		goto out;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		*why = "KVM_CREATE_VM failed";
		goto out;
	}
	mem = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		r = -ENOMEM;
		*why = "out of memory";
		goto out;
	}
	memcpy(mem, code, sizeof(code));
	reg.guest_phys_addr = 0x1000;
	reg.memory_size = 0x1000;
	reg.userspace_addr = (unsigned long)mem;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &reg) < 0) {
		*why = "KVM_SET_USER_MEMORY_REGION failed";
		goto out;
	}
	cpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	mmap_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (cpu < 0 || mmap_size <= 0) {
		*why = "KVM_CREATE_VCPU failed";
		goto out;
	}
	run = mmap(NULL, (size_t)mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   cpu, 0);
	if (run == MAP_FAILED || ioctl(cpu, KVM_GET_SREGS, &sregs) < 0) {
		*why = "cannot set up a vCPU";
		goto out;
	}
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(cpu, KVM_SET_SREGS, &sregs) < 0) {
		*why = "KVM_SET_SREGS failed";
		goto out;
	}
	memset(&regs, 0, sizeof(regs));
	regs.rip = 0x1000;
	regs.rflags = 2;
	if (ioctl(cpu, KVM_SET_REGS, &regs) < 0) {
		*why = "KVM_SET_REGS failed";
		goto out;
	}
	/* never hang the caller: a guest that does not halt in time is as
	 * good as one that cannot run */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, &old_sa) == 0) {
		alarm_set = true;
		alarm(PROBE_MAX_S);
	}
	/* Twice: the first KVM_RUN also pays for the first VM entry, which
	 * under nested virtualisation (the test rig: KVM inside a TCG guest)
	 * costs more than the loop; the faster run is the guest's speed. */
	for (int pass = 0; pass < 2; pass++) {
		if (pass && ioctl(cpu, KVM_SET_REGS, &regs) < 0) {
			*why = "KVM_SET_REGS failed";
			goto out;
		}
		t0 = now();
		rr = ioctl(cpu, KVM_RUN, 0);
		if (rr < 0 && errno == EINTR) {
			*why = "the probe guest did not finish within 5 s (an "
			       "emulating KVM such as kvm_pvm, or a stuck one)";
			r = -ETIMEDOUT;
			goto out;
		}
		if (rr < 0 || run->exit_reason != KVM_EXIT_HLT) {
			*why = "this KVM cannot run a real-mode (CPL0) guest; "
			       "it is probably kvm_pvm, which only runs "
			       "PVM-aware kernels";
			goto out;
		}
		dt = now() - t0;
		if (2.0 * LOOPS / (dt > 1e-9 ? dt : 1e-9) > *ips)
			*ips = 2.0 * LOOPS / (dt > 1e-9 ? dt : 1e-9);
		if (*ips >= KVM_PROBE_MIN_IPS)
			break;
	}
	if (*ips < KVM_PROBE_MIN_IPS) {
		*why = "this KVM emulates guest kernel-mode code (measured "
		       "speed far below hardware virtualisation; kvm_pvm "
		       "does this)";
		r = -EOPNOTSUPP;
		goto out;
	}
	r = 0;
out:
	if (alarm_set) {
		alarm(0);
		sigaction(SIGALRM, &old_sa, NULL);
	}
	if (run != MAP_FAILED)
		munmap(run, (size_t)mmap_size);
	if (cpu >= 0)
		close(cpu);
	if (mem != MAP_FAILED)
		munmap(mem, 0x1000);
	if (vm >= 0)
		close(vm);
	if (kvm >= 0)
		close(kvm);
	return r;
}
