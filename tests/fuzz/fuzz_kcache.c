/* fuzz_kcache: the unpacked-kernel cache's payload decoders
 * (kvm/kcache.c) on a bzImage whose payload the input controls. Input:
 * 4 bytes payload_offset slack, 4 bytes payload_length, then the payload
 * bytes (XZ, zstd, gzip or anything). Whatever it holds, kcache_unpack
 * must return 0 only for output that parses as an ELF kernel, and never
 * read outside the image. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm/boot_bzimage.h"
#include "kvm/kcache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PM 1024		/* setup_sects 1: the protected-mode part at 1 KiB */

static void wr32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bzimage_info bi;
	atomic_bool stop;
	uint32_t slack, plen;
	const char *why;
	uint8_t *img;
	size_t len;
	int fd, r;

	if (size < 8 || size > (1 << 20))
		return 0;
	memcpy(&slack, data, 4);
	memcpy(&plen, data + 4, 4);
	slack %= 64;
	len = PM + slack + (size - 8) + 1;	/* + a byte: never an empty part */
	img = calloc(1, len);	/* exactly sized: ASan sees any overread */
	if (img == NULL)
		return 0;
	img[0x1f1] = 1;
	img[0x1fe] = 0x55;
	img[0x1ff] = 0xaa;
	memcpy(img + 0x202, "HdrS", 4);
	img[0x206] = 0x0f;
	img[0x207] = 0x02;
	img[0x211] = 0x01;	/* LOADED_HIGH */
	img[0x236] = 0x01;	/* XLF_KERNEL_64 */
	wr32(img + 0x248, slack);
	wr32(img + 0x24c, plen);
	memcpy(img + PM + slack, data + 8, size - 8);
	if (bzimage_parse(img, len, &bi, &why) != 0)
		abort();
	fd = memfd_create("fuzz_kcache", 0);
	if (fd >= 0) {
		atomic_init(&stop, false);
		r = kcache_unpack(img, len, &bi, fd, &stop);
		if (r != 0 && r != -ENOTSUP && r != -EBADMSG && r != -ENOMEM)
			abort();
		close(fd);
	}
	free(img);
	return 0;
}
