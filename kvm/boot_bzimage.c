/*
 * kvm/boot_bzimage.c - bzImage setup header and zero page (Linux boot
 * protocol, Documentation/arch/x86/boot.rst and zero-page.rst).
 *
 * The image is untrusted input: every offset is checked against len.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "kvm/boot_bzimage.h"

/* setup header offsets (boot.rst "The real-mode kernel header") */
#define HDR_SETUP_SECTS 0x1f1
#define HDR_BOOT_FLAG 0x1fe
#define HDR_JUMP 0x200
#define HDR_MAGIC 0x202
#define HDR_VERSION 0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS 0x211
#define HDR_RAMDISK_IMAGE 0x218
#define HDR_RAMDISK_SIZE 0x21c
#define HDR_HEAP_END_PTR 0x224
#define HDR_CMD_LINE_PTR 0x228
#define HDR_INITRD_ADDR_MAX 0x22c
#define HDR_XLOADFLAGS 0x236
#define HDR_CMDLINE_SIZE 0x238
#define HDR_INIT_SIZE 0x260

/* zero page (zero-page.rst) */
#define ZP_EXT_RAMDISK_IMAGE 0x0c0
#define ZP_EXT_RAMDISK_SIZE 0x0c4
#define ZP_EXT_CMD_LINE_PTR 0x0c8
#define ZP_E820_ENTRIES 0x1e8
#define ZP_E820_TABLE 0x2d0
#define ZP_E820_MAX 128

#define LOADED_HIGH 0x01
#define CAN_USE_HEAP 0x80
#define XLF_KERNEL_64 0x01

static uint32_t rd32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t rd16(const uint8_t *p)
{
	return p[0] | p[1] << 8;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

int bzimage_parse(const uint8_t *img, size_t len, struct bzimage_info *bi,
		  const char **why)
{
	const char *dummy;

	if (why == NULL)
		why = &dummy;
	memset(bi, 0, sizeof(*bi));
	if (len < HDR_INIT_SIZE + 4) {
		*why = "file too short for a Linux setup header";
		return -ENOEXEC;
	}
	if (rd16(img + HDR_BOOT_FLAG) != 0xaa55 ||
	    memcmp(img + HDR_MAGIC, "HdrS", 4) != 0) {
		*why = "no Linux setup header (boot flag/HdrS magic missing)";
		return -ENOEXEC;
	}
	bi->version = rd16(img + HDR_VERSION);
	/* 2.12 brought xloadflags; the 64-bit entry needs it */
	if (bi->version < 0x020c) {
		*why = "boot protocol older than 2.12";
		return -ENOEXEC;
	}
	if (!(img[HDR_XLOADFLAGS] & XLF_KERNEL_64)) {
		*why = "kernel has no 64-bit entry point (not an x86-64 bzImage)";
		return -ENOEXEC;
	}
	if (!(img[HDR_LOADFLAGS] & LOADED_HIGH)) {
		*why = "zImage (loaded low) is not supported";
		return -ENOEXEC;
	}
	bi->setup_sects = img[HDR_SETUP_SECTS] ? img[HDR_SETUP_SECTS] : 4;
	bi->pm_offset = (size_t)(bi->setup_sects + 1) * 512;
	if (bi->pm_offset >= len) {
		*why = "setup sectors run past the end of the file";
		return -ENOEXEC;
	}
	bi->pm_size = len - bi->pm_offset;
	/* the header ends where the jump at 0x200 lands (boot.rst) */
	bi->hdr_end = 0x202 + img[HDR_JUMP + 1];
	if (bi->hdr_end > len || bi->hdr_end > BOOT_ZERO_PAGE_SIZE)
		bi->hdr_end = HDR_INIT_SIZE + 4;
	bi->initrd_addr_max = rd32(img + HDR_INITRD_ADDR_MAX);
	bi->cmdline_size = rd32(img + HDR_CMDLINE_SIZE);
	bi->init_size = rd32(img + HDR_INIT_SIZE);
	if (bi->init_size < bi->pm_size)
		bi->init_size = bi->pm_size;
	return 0;
}

uint64_t bzimage_initrd_addr(const struct bzimage_info *bi, uint64_t mem_bytes,
			     uint64_t size)
{
	uint64_t top = e820_low_ram(mem_bytes), floor, a;

	if ((uint64_t)bi->initrd_addr_max + 1 < top)
		top = (uint64_t)bi->initrd_addr_max + 1;
	floor = BOOT_KERNEL_ADDR + bi->init_size;
	if (size == 0 || size > top)
		return 0;
	a = (top - size) & ~0xfffull;
	return a >= floor ? a : 0;
}

int bzimage_zero_page(uint8_t *zp, const uint8_t *img,
		      const struct bzimage_info *bi,
		      const struct boot_layout *l)
{
	struct e820_entry e[ZP_E820_MAX];
	int n;

	if (l->cmdline_len > bi->cmdline_size)
		return -EINVAL;
	n = e820_build(e, ZP_E820_MAX, l->mem_bytes, l->ecam_gpa,
		       l->ecam_size);
	if (n < 0)
		return n;
	memset(zp, 0, BOOT_ZERO_PAGE_SIZE);
	/* boot.rst: copy the setup header as found in the file */
	memcpy(zp + HDR_SETUP_SECTS, img + HDR_SETUP_SECTS,
	       bi->hdr_end - HDR_SETUP_SECTS);
	zp[HDR_TYPE_OF_LOADER] = 0xff;	/* undefined boot loader */
	zp[HDR_LOADFLAGS] |= CAN_USE_HEAP;
	wr16(zp + HDR_HEAP_END_PTR, 0xe000 - 0x200);
	wr32(zp + HDR_CMD_LINE_PTR, (uint32_t)l->cmdline_gpa);
	wr32(zp + ZP_EXT_CMD_LINE_PTR, (uint32_t)(l->cmdline_gpa >> 32));
	wr32(zp + HDR_RAMDISK_IMAGE, (uint32_t)l->initrd_gpa);
	wr32(zp + ZP_EXT_RAMDISK_IMAGE, (uint32_t)(l->initrd_gpa >> 32));
	wr32(zp + HDR_RAMDISK_SIZE, (uint32_t)l->initrd_size);
	wr32(zp + ZP_EXT_RAMDISK_SIZE, (uint32_t)(l->initrd_size >> 32));
	zp[ZP_E820_ENTRIES] = (uint8_t)n;
	memcpy(zp + ZP_E820_TABLE, e, sizeof(e[0]) * (size_t)n);
	return 0;
}
