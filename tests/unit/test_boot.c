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
	assert_int_equal(e820_build(e, 8, 5ull << 30), 4);
	assert_int_equal(e[2].addr + e[2].size, 3ull << 30);
	assert_int_equal(e[3].addr, 4ull << 30);
	assert_int_equal(e[3].size, 2ull << 30);
	assert_int_equal(e820_build(e, 8, 1 << 20), -EINVAL);
	assert_int_equal(e820_build(e, 3, 1ull << 30), -EINVAL);
	/* initrd stays below the PCI hole even with more RAM */
	assert_int_equal(e820_low_ram(8ull << 30), 3ull << 30);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_real),
		cmocka_unit_test(test_parse_damaged),
		cmocka_unit_test(test_zero_page),
		cmocka_unit_test(test_e820_high),
	};

	return cmocka_run_group_tests(tests, load_kernel, free_kernel);
}
