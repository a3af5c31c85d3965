/*
 * kvm/boot_bzimage.h - Linux x86 boot protocol (Documentation/arch/x86/
 * boot.rst): parse a bzImage's setup header and build the zero page.
 *
 * provd uses the 64-bit entry point (boot protocol 2.12+, XLF_KERNEL_64):
 * the protected-mode kernel is loaded at 1 MiB and entered at +0x200 in
 * long mode with identity-mapped page tables and RSI = zero page. No BIOS,
 * no real mode, no 32-bit hop.
 */
#ifndef PROVD_KVM_BOOT_BZIMAGE_H
#define PROVD_KVM_BOOT_BZIMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "kvm/e820.h"

#define BOOT_ZERO_PAGE_SIZE 4096
#define BOOT_KERNEL_ADDR 0x100000ull	/* protected-mode kernel */
#define BOOT_ENTRY_64_OFFSET 0x200	/* 64-bit entry = load + 0x200 */

struct bzimage_info {
	uint16_t version;		/* boot protocol, e.g. 0x020f */
	unsigned int setup_sects;
	size_t pm_offset;		/* where the protected-mode part starts */
	size_t pm_size;
	uint32_t initrd_addr_max;
	uint32_t cmdline_size;		/* max length without the NUL */
	uint32_t init_size;		/* memory the kernel needs from load */
	size_t hdr_end;			/* end of the setup header in the file */
};

/* Validates a bzImage (boot flag, "HdrS", protocol >= 2.12, 64-bit entry);
 * -ENOEXEC with a reason in *why otherwise. */
int bzimage_parse(const uint8_t *img, size_t len, struct bzimage_info *bi,
		  const char **why);

struct boot_layout {
	uint64_t mem_bytes;	/* guest RAM */
	uint64_t cmdline_gpa;
	uint32_t cmdline_len;	/* without NUL */
	uint64_t initrd_gpa;	/* 0 = none */
	uint64_t initrd_size;
	uint64_t ecam_gpa;	/* PCIe ECAM window to reserve; size 0 = none */
	uint64_t ecam_size;
};

/*
 * Where an initrd of size bytes goes: the highest page-aligned address with
 * the initrd below min(initrd_addr_max, low RAM) and above the kernel's
 * init_size; 0 if it does not fit.
 */
uint64_t bzimage_initrd_addr(const struct bzimage_info *bi, uint64_t mem_bytes,
			     uint64_t size);

/* Builds the zero page in zp from the image's setup header and layout.
 * -EINVAL if the command line is longer than cmdline_size. */
int bzimage_zero_page(uint8_t *zp, const uint8_t *img,
		      const struct bzimage_info *bi,
		      const struct boot_layout *l);

#endif
