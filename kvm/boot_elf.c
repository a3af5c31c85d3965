/*
 * kvm/boot_elf.c - ELF vmlinux kernels (see boot_elf.h): ELF-64 object
 * file format (System V gABI, x86-64 psABI) headers read against the file
 * length, and a synthetic Linux setup header (Documentation/arch/x86/
 * boot.rst) for the zero page.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "kvm/boot_elf.h"

#define EHDR_SIZE 64
#define PHDR_SIZE 56
#define ET_EXEC 2
#define EM_X86_64 62
#define PT_LOAD 1

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16;
}

static uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

bool elf_kernel_is_elf(const uint8_t *img, size_t len)
{
	return len >= 4 && memcmp(img, "\x7f" "ELF", 4) == 0;
}

int elf_kernel_parse(const uint8_t *img, size_t len, struct elf_kernel *k,
		     const char **why)
{
	const char *dummy;
	uint64_t phoff;
	unsigned int phnum, phentsize, i;
	bool entry_ok = false;

	if (why == NULL)
		why = &dummy;
	memset(k, 0, sizeof(*k));
	if (len < EHDR_SIZE || !elf_kernel_is_elf(img, len)) {
		*why = "not an ELF file";
		return -ENOEXEC;
	}
	/* e_ident: ELFCLASS64, ELFDATA2LSB, EV_CURRENT */
	if (img[4] != 2 || img[5] != 1 || img[6] != 1) {
		*why = "not a little-endian ELF64 file";
		return -ENOEXEC;
	}
	if (rd16(img + 16) != ET_EXEC || rd16(img + 18) != EM_X86_64) {
		*why = "not an x86-64 executable (an uncompressed vmlinux)";
		return -ENOEXEC;
	}
	k->entry = rd64(img + 24);
	phoff = rd64(img + 32);
	phentsize = rd16(img + 54);
	phnum = rd16(img + 56);
	if (phentsize < PHDR_SIZE || phnum == 0 || phoff > len ||
	    (uint64_t)phnum * phentsize > len - phoff) {
		*why = "program headers missing or past the end of the file";
		return -ENOEXEC;
	}
	k->lo = UINT64_MAX;
	for (i = 0; i < phnum; i++) {
		const uint8_t *ph = img + phoff + (uint64_t)i * phentsize;
		struct elf_kernel_seg s;

		if (rd32(ph) != PT_LOAD)
			continue;
		s.offset = rd64(ph + 8);
		s.paddr = rd64(ph + 24);
		s.filesz = rd64(ph + 32);
		s.memsz = rd64(ph + 40);
		if (s.memsz == 0)
			continue;
		if (k->nseg == ELF_KERNEL_MAX_SEGS) {
			*why = "too many PT_LOAD segments";
			return -ENOEXEC;
		}
		if (s.offset > len || s.filesz > len - s.offset ||
		    s.filesz > s.memsz) {
			*why = "a segment lies outside the file";
			return -ENOEXEC;
		}
		/* below 1 MiB live the zero page, tables and ACPI; the
		 * top bound (guest RAM) is the loader's to check */
		if (s.paddr < BOOT_KERNEL_ADDR || s.memsz > UINT64_MAX - s.paddr ||
		    s.paddr + s.memsz > (1ull << 40)) {
			*why = "a segment's physical address is below 1 MiB "
			       "or absurd";
			return -ENOEXEC;
		}
		if (k->entry >= s.paddr && k->entry - s.paddr < s.filesz)
			entry_ok = true;
		if (s.paddr < k->lo)
			k->lo = s.paddr;
		if (s.paddr + s.memsz > k->hi)
			k->hi = s.paddr + s.memsz;
		k->seg[k->nseg++] = s;
	}
	if (k->nseg == 0) {
		*why = "no loadable segment";
		return -ENOEXEC;
	}
	if (!entry_ok) {
		*why = "the entry point is not a physical address inside the "
		       "kernel (not a Linux vmlinux?)";
		return -ENOEXEC;
	}
	return 0;
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void wr32(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)v);
	wr16(p + 2, (uint16_t)(v >> 16));
}

void elf_kernel_boot_info(const struct elf_kernel *k,
			  uint8_t hdr[BOOT_ZERO_PAGE_SIZE],
			  struct bzimage_info *bi)
{
	memset(hdr, 0, BOOT_ZERO_PAGE_SIZE);
	memset(bi, 0, sizeof(*bi));
	wr16(hdr + 0x1fe, 0xaa55);		/* boot_flag */
	hdr[0x201] = 0x6a;			/* jump: header ends at 0x26c */
	memcpy(hdr + 0x202, "HdrS", 4);
	wr16(hdr + 0x206, 0x020f);		/* version */
	hdr[0x211] = 0x01;			/* loadflags: LOADED_HIGH */
	wr32(hdr + 0x214, (uint32_t)k->lo);	/* code32_start */
	wr32(hdr + 0x22c, 0x7fffffff);		/* initrd_addr_max */
	wr32(hdr + 0x230, 0x200000);		/* kernel_alignment */
	wr16(hdr + 0x236, 0x0001);		/* xloadflags: XLF_KERNEL_64 */
	wr32(hdr + 0x238, 2047);		/* cmdline_size */
	/* setup_data (0x250) stays 0: the kernel walks that list early */
	wr32(hdr + 0x258, (uint32_t)k->lo);	/* pref_address */
	wr32(hdr + 0x25c, (uint32_t)(k->lo >> 32));
	wr32(hdr + 0x260, (uint32_t)(k->hi - k->lo));	/* init_size */
	bi->version = 0x020f;
	bi->initrd_addr_max = 0x7fffffff;
	bi->cmdline_size = 2047;
	/* bzimage_initrd_addr keeps the initrd above load + init_size */
	bi->init_size = (uint32_t)(k->hi - BOOT_KERNEL_ADDR);
	bi->hdr_end = 0x26c;
}
