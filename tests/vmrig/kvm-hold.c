/*
 * tests/vmrig/kvm-hold.c - keeps one idle KVM VM open inside the rig's L1.
 *
 * Why: KVM flips kernel static keys when the first VM (or vCPU with an
 * in-kernel LAPIC) appears and when the last one goes: preempt_notifier_key,
 * whose jump site sits in __schedule, and the LAPIC's apic_sw_disabled and
 * apic_hw_disabled. Each flip live-patches kernel text with INT3
 * (text_poke_bp). Under QEMU's multi-threaded TCG that patching now and
 * then leaves a vCPU trapping on the INT3 for ever: both L1 vCPUs were
 * found looping through asm_exc_int3 -> poke_int3_handler at __schedule's
 * jump site, and L1 never recovers (docs/vmrig.md, "L1 wedges"). Every L2
 * boot created and destroyed two VMs (provd's speed probe and the VM), so
 * the keys flipped four times per boot. With this VM held for L1's whole
 * life (in-kernel irqchip and one vCPU that never runs, so its LAPIC is
 * disabled as a new L2 vCPU's is), the counts never return to zero and
 * the text is never patched again.
 *
 * Its own VM flips the keys once more, 0 to 1; rig.sh starts it while
 * L1's second vCPU is offline, so that one patch runs with nothing else
 * executing kernel text, and waits for READY-FILE (argument 1, created
 * once the VM exists) before it brings the vCPU back.
 *
 * Runs until killed; prints nothing unless it fails.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kvm.h>

int main(int argc, char **argv)
{
	int kvm, vm, fd;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		fprintf(stderr, "kvm-hold: /dev/kvm: %s\n", strerror(errno));
		return 1;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0 || ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0 ||
	    ioctl(vm, KVM_CREATE_VCPU, 0) < 0) {
		fprintf(stderr, "kvm-hold: cannot create the VM: %s\n",
			strerror(errno));
		return 1;
	}
	if (argc > 1) {
		fd = open(argv[1], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd >= 0)
			close(fd);
	}
	for (;;)
		pause();
}
