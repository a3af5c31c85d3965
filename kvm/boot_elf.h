/*
 * kvm/boot_elf.h - an uncompressed x86-64 Linux kernel (ELF vmlinux) as
 * --kernel, as Firecracker boots: the PT_LOAD segments go to their physical
 * addresses and the vCPU starts at the ELF entry point (startup_64, the
 * same 64-bit entry the bzImage decompressor jumps to: long mode,
 * identity-mapped page tables, RSI = zero page). This skips the guest's
 * own XZ decompression of the bzImage payload.
 */
#ifndef PROVD_KVM_BOOT_ELF_H
#define PROVD_KVM_BOOT_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvm/boot_bzimage.h"

#define ELF_KERNEL_MAX_SEGS 16

struct elf_kernel_seg {
	uint64_t paddr, offset, filesz, memsz;
};

struct elf_kernel {
	uint64_t entry;			/* physical */
	uint64_t lo, hi;		/* [lo, hi): every PT_LOAD in memory */
	unsigned int nseg;
	struct elf_kernel_seg seg[ELF_KERNEL_MAX_SEGS];
};

/* Whether img starts with the ELF magic (then it is parsed as ELF). */
bool elf_kernel_is_elf(const uint8_t *img, size_t len);

/*
 * Validates an ELF64 little-endian x86-64 executable: at most
 * ELF_KERNEL_MAX_SEGS PT_LOAD segments, each inside the file (no sum that
 * wraps), filesz <= memsz, loaded at or above 1 MiB, the entry point
 * inside one of them. -ENOEXEC with a reason in *why otherwise.
 */
int elf_kernel_parse(const uint8_t *img, size_t len, struct elf_kernel *k,
		     const char **why);

/*
 * A setup header for the zero page (boot.rst: the kernel reads these
 * fields; a vmlinux carries no setup header of its own) and a matching
 * bzimage_info, so bzimage_initrd_addr() and bzimage_zero_page() serve an
 * ELF kernel too: protocol 2.15, 64-bit, command line up to 2047 bytes,
 * initrd anywhere below 2 GiB above the kernel's end.
 */
void elf_kernel_boot_info(const struct elf_kernel *k,
			  uint8_t hdr[BOOT_ZERO_PAGE_SIZE],
			  struct bzimage_info *bi);

#endif
