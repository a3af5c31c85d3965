/*
 * kvm/e820.h - the guest physical memory map (what RAM lives where).
 *
 * Layout: low RAM [0, 0x9fc00), reserved [0x9fc00, 0x100000) (EBDA, MP
 * table, legacy ROM area), RAM [1 MiB, min(size, 3 GiB)), the PCI hole
 * [3 GiB, 4 GiB), and any remainder as RAM from 4 GiB up. One extra
 * reserved range inside the hole may be listed: the PCIe ECAM window, which
 * Linux accepts at early boot only when the e820 map reserves it (else it
 * waits for ACPI and meanwhile reports no PCI config access at all).
 */
#ifndef PROVD_KVM_E820_H
#define PROVD_KVM_E820_H

#include <stdint.h>

#define E820_RAM 1
#define E820_RESERVED 2

#define E820_LOW_END 0x9fc00ull
#define E820_HIGH_START 0x100000ull
#define E820_PCI_HOLE 0xc0000000ull	/* 3 GiB: RAM below stops here */
#define E820_4G 0x100000000ull

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));

/* Fills out[] for a guest of mem_bytes RAM plus the reserved range
 * [resv, resv + resv_size) (none when resv_size is 0); returns the entry
 * count or -EINVAL (less than 2 MiB RAM, max too small, or a reserved
 * range outside the PCI hole). */
int e820_build(struct e820_entry *out, unsigned int max, uint64_t mem_bytes,
	       uint64_t resv, uint64_t resv_size);

/* Bytes of RAM below the PCI hole, and above 4 GiB, for mem_bytes. */
uint64_t e820_low_ram(uint64_t mem_bytes);
uint64_t e820_high_ram(uint64_t mem_bytes);

#endif
