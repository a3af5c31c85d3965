/*
 * kvm/cpu.h - vCPUs (internal to kvm/): creation with per-vCPU CPUID, boot
 * MSRs, FPU and LAPIC virtual wire; the BSP in 64-bit mode at the kernel's
 * entry, the APs left to the in-kernel LAPIC's INIT/SIPI; one thread each
 * running KVM_RUN. The entry points are declared in kvm/vm.h.
 */
#ifndef PROVD_KVM_CPU_H
#define PROVD_KVM_CPU_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct kvm_run;
struct vmm;

struct vcpu {
	struct vmm *vm;
	unsigned int index;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
	/* exits to user space, by kind; read after the thread ended */
	unsigned long n_pio, n_mmio, n_other;
	uint32_t *port_count;		/* 65536 counters, debug level only */
};

#endif
