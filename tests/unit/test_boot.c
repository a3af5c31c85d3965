/* test_boot: bzImage setup-header parsing and zero page/e820 construction
 * from a real Debian kernel (/boot/vmlinuz-*, installed by scripts/setup
 * via linux-image-amd64), plus damaged headers. */
#include "config.h"

#include <errno.h>
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kvm/boot_bzimage.h"
#include "kvm/boot_elf.h"
#include "kvm/e820.h"

static uint8_t *img;
static size_t img_len;

static int load_kernel(void **state)
{
	glob_t g;
	FILE *f;
	long n;

	(void)state;
	if (glob("/boot/vmlinuz-*", 0, NULL, &g) != 0 || g.gl_pathc == 0)
		return -1;
	f = fopen(g.gl_pathv[0], "rb");
	globfree(&g);
	if (f == NULL)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	img = malloc((size_t)n);
	if (img == NULL || fread(img, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		return -1;
	}
	fclose(f);
	img_len = (size_t)n;
	return 0;
}

static int free_kernel(void **state)
{
	(void)state;
	free(img);
	return 0;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void test_parse_real(void **state)
{
	struct bzimage_info bi;
	const char *why = NULL;

	(void)state;
	assert_int_equal(bzimage_parse(img, img_len, &bi, &why), 0);
	assert_true(bi.version >= 0x020c);
	assert_true(bi.setup_sects >= 4);
	assert_int_equal(bi.pm_offset, (bi.setup_sects + 1) * 512);
	assert_int_equal(bi.pm_size, img_len - bi.pm_offset);
	assert_true(bi.cmdline_size >= 255);
	assert_true(bi.initrd_addr_max >= 0x37ffffff);
	assert_true(bi.init_size >= bi.pm_size);
	assert_true(bi.hdr_end > 0x264 && bi.hdr_end < 0x300);
}

static void test_parse_damaged(void **state)
{
	struct bzimage_info bi;
	const char *why = NULL;
	uint8_t *copy = malloc(img_len);

	(void)state;
	assert_non_null(copy);
	assert_int_equal(bzimage_parse(img, 0x200, &bi, &why), -ENOEXEC);
	assert_non_null(why);
	memcpy(copy, img, img_len);
	copy[0x202] = 'X';
	assert_int_equal(bzimage_parse(copy, img_len, &bi, &why), -ENOEXEC);
	memcpy(copy, img, img_len);
	copy[0x236] &= ~1;	/* no 64-bit entry */
	assert_int_equal(bzimage_parse(copy, img_len, &bi, &why), -ENOEXEC);
	assert_non_null(strstr(why, "64-bit"));
	memcpy(copy, img, img_len);
	copy[0x206] = 0x0b;	/* protocol 2.11 */
	assert_int_equal(bzimage_parse(copy, img_len, &bi, &why), -ENOEXEC);
	memcpy(copy, img, img_len);
	copy[0x1f1] = 0xff;	/* setup past a short file */
	assert_int_equal(bzimage_parse(copy, 0x8000, &bi, &why), -ENOEXEC);
	free(copy);
}

static void test_zero_page(void **state)
{
	struct bzimage_info bi;
	struct boot_layout l = {
		.mem_bytes = 512ull << 20,
		.cmdline_gpa = 0x20000,
		.cmdline_len = 20,
		.initrd_size = 16ull << 20,
	};
	static uint8_t zp[BOOT_ZERO_PAGE_SIZE];
	const struct e820_entry *e = (const void *)(zp + 0x2d0);

	(void)state;
	assert_int_equal(bzimage_parse(img, img_len, &bi, NULL), 0);
	l.initrd_gpa = bzimage_initrd_addr(&bi, l.mem_bytes, l.initrd_size);
	assert_true(l.initrd_gpa != 0);
	assert_int_equal(l.initrd_gpa & 0xfff, 0);
	assert_true(l.initrd_gpa + l.initrd_size <= l.mem_bytes);
	assert_true(l.initrd_gpa >= BOOT_KERNEL_ADDR + bi.init_size);
	assert_int_equal(bzimage_zero_page(zp, img, &bi, &l), 0);
	assert_memory_equal(zp + 0x202, "HdrS", 4);
	assert_memory_equal(zp + 0x1f1, img + 0x1f1, 0x210 - 0x1f1);
	assert_int_equal(zp[0x210], 0xff);
	assert_true(zp[0x211] & 0x81);
	assert_int_equal(rd32(zp + 0x228), 0x20000);
	assert_int_equal(rd32(zp + 0x218), (uint32_t)l.initrd_gpa);
	assert_int_equal(rd32(zp + 0x21c), 16u << 20);
	assert_int_equal(zp[0x1e8], 3);
	assert_int_equal(e[0].addr, 0);
	assert_int_equal(e[0].type, E820_RAM);
	assert_int_equal(e[1].type, E820_RESERVED);
	assert_int_equal(e[2].addr, 0x100000);
	assert_int_equal(e[2].addr + e[2].size, 512ull << 20);
	/* command line longer than the kernel accepts */
	l.cmdline_len = bi.cmdline_size + 1;
	assert_int_equal(bzimage_zero_page(zp, img, &bi, &l), -EINVAL);
	/* an initrd that cannot fit */
	assert_int_equal(bzimage_initrd_addr(&bi, 64ull << 20, 60ull << 20), 0);
	assert_int_equal(bzimage_initrd_addr(&bi, 512ull << 20, 0), 0);
}

static void test_e820_high(void **state)
{
	struct e820_entry e[8];

	(void)state;
	assert_int_equal(e820_build(e, 8, 5ull << 30, 0, 0), 4);
	assert_int_equal(e[2].addr + e[2].size, 3ull << 30);
	assert_int_equal(e[3].addr, 4ull << 30);
	assert_int_equal(e[3].size, 2ull << 30);
	assert_int_equal(e820_build(e, 8, 1 << 20, 0, 0), -EINVAL);
	assert_int_equal(e820_build(e, 4, 1ull << 30, 0, 0), -EINVAL);
	/* the ECAM window is reserved in the hole, in address order */
	assert_int_equal(e820_build(e, 8, 5ull << 30, 0xe0000000, 1 << 20), 5);
	assert_int_equal(e[3].addr, 0xe0000000);
	assert_int_equal(e[3].size, 1 << 20);
	assert_int_equal(e[3].type, E820_RESERVED);
	assert_int_equal(e[4].addr, 4ull << 30);
	/* a reserved range must lie inside the hole */
	assert_int_equal(e820_build(e, 8, 1ull << 30, 0x1000000, 1 << 20),
			 -EINVAL);
	assert_int_equal(e820_build(e, 8, 1ull << 30, 0xfff00000, 2 << 20),
			 -EINVAL);
	/* initrd stays below the PCI hole even with more RAM */
	assert_int_equal(e820_low_ram(8ull << 30), 3ull << 30);
}

/* --- ELF vmlinux ---------------------------------------------------------- */

#define ELF_LEN 0x3000

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/* Program header i of a synthetic vmlinux (at 64 + 56 * i). */
static void elf_phdr(uint8_t *elf, unsigned int i, uint32_t type,
		     uint64_t off, uint64_t paddr, uint64_t filesz,
		     uint64_t memsz)
{
	uint8_t *ph = elf + 64 + 56 * i;

	put32(ph, type);
	put64(ph + 8, off);
	put64(ph + 16, 0xffffffff80000000ull + paddr);	/* vaddr */
	put64(ph + 24, paddr);
	put64(ph + 32, filesz);
	put64(ph + 40, memsz);
}

/* Like Debian's vmlinux: text at 16 MiB, entry there, a note, a data
 * segment with bss behind it. */
static void elf_make(uint8_t *elf)
{
	memset(elf, 0, ELF_LEN);
	memcpy(elf, "\x7f" "ELF", 4);
	elf[4] = 2;		/* ELFCLASS64 */
	elf[5] = 1;		/* little-endian */
	elf[6] = 1;
	put16(elf + 16, 2);	/* ET_EXEC */
	put16(elf + 18, 62);	/* EM_X86_64 */
	put64(elf + 24, 0x1000000);	/* entry: phys startup_64 */
	put64(elf + 32, 64);	/* phoff */
	put16(elf + 54, 56);
	put16(elf + 56, 3);
	elf_phdr(elf, 0, 1, 0x1000, 0x1000000, 0x1000, 0x1000);
	elf_phdr(elf, 1, 4, 0x1800, 0x1000800, 0x20, 0x20);	/* PT_NOTE */
	elf_phdr(elf, 2, 1, 0x2000, 0x1200000, 0x800, 0x100000);
}

static void test_elf_parse(void **state)
{
	uint8_t elf[ELF_LEN], hdr[BOOT_ZERO_PAGE_SIZE];
	struct elf_kernel k;
	struct bzimage_info bi;
	const char *why = NULL;

	(void)state;
	elf_make(elf);
	assert_true(elf_kernel_is_elf(elf, sizeof(elf)));
	assert_int_equal(elf_kernel_parse(elf, sizeof(elf), &k, &why), 0);
	assert_int_equal(k.nseg, 2);
	assert_int_equal(k.entry, 0x1000000);
	assert_int_equal(k.lo, 0x1000000);
	assert_int_equal(k.hi, 0x1300000);
	assert_int_equal(k.seg[1].filesz, 0x800);
	assert_int_equal(k.seg[1].memsz, 0x100000);
	elf_kernel_boot_info(&k, hdr, &bi);
	/* what bzimage_parse demands of a real header holds for this one */
	assert_int_equal(hdr[0x1fe] | hdr[0x1ff] << 8, 0xaa55);
	assert_memory_equal(hdr + 0x202, "HdrS", 4);
	assert_int_equal(bi.version, 0x020f);
	assert_true(hdr[0x236] & 1);		/* XLF_KERNEL_64 */
	assert_true(hdr[0x211] & 1);		/* LOADED_HIGH */
	assert_int_equal(bi.hdr_end, 0x202u + hdr[0x201]);
	assert_false(elf_kernel_is_elf((const uint8_t *)"MZ\0\0", 4));
}

/* An initrd goes above the ELF kernel's bss; the zero page carries the
 * synthetic header, the command line and the initrd. */
static void test_elf_zero_page(void **state)
{
	uint8_t elf[ELF_LEN], hdr[BOOT_ZERO_PAGE_SIZE], zp[BOOT_ZERO_PAGE_SIZE];
	struct boot_layout l = { .mem_bytes = 64ull << 20,
				 .cmdline_gpa = 0x20000, .cmdline_len = 12 };
	struct elf_kernel k;
	struct bzimage_info bi;
	uint32_t v;

	(void)state;
	elf_make(elf);
	assert_int_equal(elf_kernel_parse(elf, sizeof(elf), &k, NULL), 0);
	elf_kernel_boot_info(&k, hdr, &bi);
	l.initrd_size = 8u << 20;
	l.initrd_gpa = bzimage_initrd_addr(&bi, l.mem_bytes, l.initrd_size);
	assert_true(l.initrd_gpa >= k.hi);
	assert_true(l.initrd_gpa + l.initrd_size <= l.mem_bytes);
	/* one that cannot fit above the kernel is refused */
	assert_int_equal(bzimage_initrd_addr(&bi, 20ull << 20, 8u << 20), 0);
	assert_int_equal(bzimage_zero_page(zp, hdr, &bi, &l), 0);
	assert_memory_equal(zp + 0x202, "HdrS", 4);
	assert_int_equal(zp[0x210], 0xff);	/* type_of_loader */
	memcpy(&v, zp + 0x228, 4);
	assert_int_equal(v, 0x20000);		/* cmd_line_ptr */
	memcpy(&v, zp + 0x218, 4);
	assert_int_equal(v, l.initrd_gpa);	/* ramdisk_image */
	memcpy(&v, zp + 0x21c, 4);
	assert_int_equal(v, 8u << 20);
	assert_true(zp[0x1e8] >= 3);		/* e820 entries */
	/* setup_data (a list the kernel walks at its entry) is empty,
	 * pref_address is where the kernel is */
	memcpy(&v, zp + 0x250, 4);
	assert_int_equal(v, 0);
	memcpy(&v, zp + 0x254, 4);
	assert_int_equal(v, 0);
	memcpy(&v, zp + 0x258, 4);
	assert_int_equal(v, 0x1000000);
	memcpy(&v, zp + 0x260, 4);
	assert_int_equal(v, 0x300000);		/* init_size = hi - lo */
	/* a command line longer than 2047 bytes is refused */
	l.cmdline_len = 2048;
	assert_int_equal(bzimage_zero_page(zp, hdr, &bi, &l), -EINVAL);
}

/* Hostile or foreign ELF files are refused with a reason, never read
 * past their end. */
static void test_elf_damaged(void **state)
{
	uint8_t elf[ELF_LEN];
	struct elf_kernel k;
	const char *why;
	unsigned int i;

	(void)state;
	elf_make(elf);
	assert_int_equal(elf_kernel_parse(elf, 63, &k, &why), -ENOEXEC);
	elf[4] = 1;				/* ELFCLASS32 */
	assert_int_equal(elf_kernel_parse(elf, ELF_LEN, &k, &why), -ENOEXEC);
	elf_make(elf);
	put16(elf + 18, 3);			/* EM_386 */
	assert_int_equal(elf_kernel_parse(elf, ELF_LEN, &k, &why), -ENOEXEC);
	elf_make(elf);
	put16(elf + 16, 3);			/* ET_DYN */
	assert_int_equal(elf_kernel_parse(elf, ELF_LEN, &k, &why), -ENOEXEC);
	elf_make(elf);
	put64(elf + 32, ELF_LEN - 100);		/* phdrs past the end */
	assert_int_equal(elf_kernel_parse(elf, ELF_LEN, &k, &why), -ENOEXEC);
	elf_make(elf);
	put64(elf + 32, UINT64_MAX - 8);	/* phoff wraps */
	assert_int_equal(elf_kernel_parse(elf, ELF_LEN, &k, &why), -ENOEXEC);
	elf_make(elf);
	elf_phdr(elf, 2, 1, 0x2000, 0x1200000, 0x1001, 0x100000); /* past EOF */
	assert_int_equal(elf_kernel_parse(elf, ELF_LEN, &k, &why), -ENOEXEC);
	elf_make(elf);
	elf_phdr(elf, 2, 1, UINT64_MAX - 0x10, 0x1200000, 0x20, 0x100000);
	assert_int_equal(elf_kernel_parse(elf, ELF_LEN, &k, &why), -ENOEXEC);
	elf_make(elf);
	elf_phdr(elf, 2, 1, 0x2000, 0x1200000, 0x800, 0x10);	/* filesz > memsz */
	assert_int_equal(elf_kernel_parse(elf, ELF_LEN, &k, &why), -ENOEXEC);
	elf_make(elf);
	elf_phdr(elf, 2, 1, 0x2000, 0x8000, 0x800, 0x1000);	/* below 1 MiB */
	assert_int_equal(elf_kernel_parse(elf, ELF_LEN, &k, &why), -ENOEXEC);
	elf_make(elf);
	elf_phdr(elf, 2, 1, 0x2000, UINT64_MAX - 0xfff, 0x800, 0x1000); /* wraps */
	assert_int_equal(elf_kernel_parse(elf, ELF_LEN, &k, &why), -ENOEXEC);
	elf_make(elf);
	put64(elf + 24, 0xffffffff81000000ull);	/* virtual entry */
	assert_int_equal(elf_kernel_parse(elf, ELF_LEN, &k, &why), -ENOEXEC);
	assert_non_null(strstr(why, "entry"));
	elf_make(elf);
	put16(elf + 56, 0);			/* no program headers */
	assert_int_equal(elf_kernel_parse(elf, ELF_LEN, &k, &why), -ENOEXEC);
	elf_make(elf);
	elf_phdr(elf, 0, 4, 0x1000, 0x1000000, 0x1000, 0x1000);	/* no PT_LOAD */
	elf_phdr(elf, 2, 4, 0x2000, 0x1200000, 0x800, 0x1000);
	assert_int_equal(elf_kernel_parse(elf, ELF_LEN, &k, &why), -ENOEXEC);
	/* more PT_LOADs than we keep */
	elf_make(elf);
	put16(elf + 56, ELF_KERNEL_MAX_SEGS + 1);
	for (i = 0; i <= ELF_KERNEL_MAX_SEGS; i++)
		elf_phdr(elf, i, 1, 0x1000, 0x1000000 + 0x1000ull * i, 0x10, 0x10);
	assert_int_equal(elf_kernel_parse(elf, ELF_LEN, &k, &why), -ENOEXEC);
	put16(elf + 56, ELF_KERNEL_MAX_SEGS);
	assert_int_equal(elf_kernel_parse(elf, ELF_LEN, &k, &why), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_real),
		cmocka_unit_test(test_parse_damaged),
		cmocka_unit_test(test_zero_page),
		cmocka_unit_test(test_e820_high),
		cmocka_unit_test(test_elf_parse),
		cmocka_unit_test(test_elf_zero_page),
		cmocka_unit_test(test_elf_damaged),
	};

	return cmocka_run_group_tests(tests, load_kernel, free_kernel);
}
