/* fuzz_virtio_blk: hostile virtio-blk requests through guest memory. The
 * input is byte 0: queue size log2 (1..256), byte 1: feature bits the
 * driver takes (bit 0 EVENT_IDX, bit 1 INDIRECT_DESC), then the guest RAM
 * image (64 KiB; rings at 0: desc 0x0, avail 0x1000, used 0x2000). A real
 * virtio-blk device on a 32 KiB temp image is driven through its BAR by
 * the fake vmm's driver and every offered request is processed. Nothing
 * may touch memory outside guest RAM (ASan), crash or hang; requests
 * outside the image must fail. */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "tests/unit/fake_vmm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_RAM 0x10000u
#define IMG_SIZE 32768

static char img[64];

static void cleanup(void)
{
	if (img[0])
		unlink(img);
}

static int image(void)
{
	int fd;

	if (img[0])
		return 0;
	snprintf(img, sizeof(img), "/tmp/fuzz_virtio_blk.XXXXXX");
	fd = mkstemp(img);
	if (fd < 0 || ftruncate(fd, IMG_SIZE) < 0)
		return -1;
	close(fd);
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vm_config c = { 0 };
	struct fake_drv drv;
	struct virtio_blk *b;
	struct vmm *vm;
	uint64_t feat = 1ull << VIRTIO_F_VERSION_1;
	struct stat st;
	int i;

	if (size < 2 || image() < 0)
		return 0;
	if (data[1] & 1)
		feat |= 1ull << VIRTIO_RING_F_EVENT_IDX;
	if (data[1] & 2)
		feat |= 1ull << VIRTIO_RING_F_INDIRECT_DESC;
	c.disks[0].path = img;
	c.ndisks = 1;
	vm = fake_vmm_new(FUZZ_RAM, &c);
	if (vm == NULL)
		return 0;
	memcpy(fake_vmm_ram(vm), data + 2,
	       size - 2 < FUZZ_RAM ? size - 2 : FUZZ_RAM);
	b = virtio_blk_add(vm, &c.disks[0], 0);
	if (b == NULL)
		abort();
	/* DRIVER_OK kicks the queue: whatever the RAM offers is processed */
	if (fake_drv_init(&drv, vm, 0, feat, (uint16_t)(1u << (data[0] % 9)),
			  0) == 0)
		for (i = 0; i < 4 && fake_vmm_run_once(vm, 0) > 0; i++)
			fake_drv_kick(&drv, 0);
	virtio_blk_free(b);
	fake_vmm_free(vm);
	/* nothing was written past the end of the image */
	if (stat(img, &st) < 0 || st.st_size != IMG_SIZE)
		abort();
	return 0;
}
