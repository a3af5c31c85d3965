/*
 * kvm/mptable.h - Intel MultiProcessor Specification 1.4 tables so a stock
 * kernel finds every vCPU's local APIC and the I/O APIC without ACPI.
 */
#ifndef PROVD_KVM_MPTABLE_H
#define PROVD_KVM_MPTABLE_H

#include <stddef.h>
#include <stdint.h>

#define MPTABLE_GPA 0xf0000u		/* in the BIOS area Linux scans */
#define MPTABLE_MAX_CPUS 254		/* APIC ids 0..n-1, I/O APIC id n */
#define MPTABLE_LAPIC_ADDR 0xfee00000u
#define MPTABLE_IOAPIC_ADDR 0xfec00000u

/*
 * Writes the floating pointer and configuration table for ncpus vCPUs
 * (APIC id == vCPU index, CPU 0 the BSP) into buf, which will be at guest
 * address gpa. Returns the bytes used, -EINVAL for a bad ncpus, -ENOSPC if
 * len is too small.
 */
int mptable_build(uint8_t *buf, size_t len, uint32_t gpa, unsigned int ncpus);

#endif
