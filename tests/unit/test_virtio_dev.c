/* test_virtio_dev: the virtio-pci transport and the blk, rng and net devices
 * driven through their BAR like a Linux driver would (tests/unit/fake_vmm.c
 * stands in for KVM): PCI identity and capabilities, feature negotiation,
 * queue setup, requests against a temp image file checked on the file,
 * out-of-range and malformed requests, read-only disks, MSI-X masking, a
 * broken ring leading to DEVICE_NEEDS_RESET and recovery by reset, the
 * MMIO notify fallback, rng fill, and a DHCP DISCOVER through virtio-net
 * into the real libslirp, answered by an OFFER on the receive queue. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>

#include "kvm/virtio/pci.h"
#include "kvm/vmm.h"
#include "tests/unit/fake_vmm.h"

#define RAM (4u << 20)
#define RINGS 0x10000ull
#define HDR 0x100000ull
#define DATA 0x101000ull
#define STATUS 0x180000ull
#define CC(f) offsetof(struct virtio_pci_common_cfg, f)
#define F(b) (1ull << (b))
#define STD_FEATURES (F(VIRTIO_F_VERSION_1) | F(VIRTIO_RING_F_EVENT_IDX) | \
		      F(VIRTIO_RING_F_INDIRECT_DESC))
#define IMG_SECTORS 2048u

struct fx {
	char dir[64];
	char img[96];
	struct vm_config cfg;
	struct vmm *vm;
	void *devs;
	struct fake_drv drv;
	uint8_t *ram;
};

static int make_image(struct fx *f, size_t size)
{
	int fd;

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_virtio.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->img, sizeof(f->img), "%s/disk0.img", f->dir);
	fd = open(f->img, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0)
		return -1;
	close(fd);
	return 0;
}

static struct fx *fx_new_cfg(bool ro, enum vm_net_kind net,
			     const struct vm_hostfwd *fwd)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(make_image(f, IMG_SECTORS * 512u), 0);
	f->cfg.kernel = "/nonexistent/bzImage";
	f->cfg.disks[0].path = f->img;
	f->cfg.disks[0].readonly = ro;
	f->cfg.ndisks = 1;
	f->cfg.net = net;
	if (fwd) {
		f->cfg.hostfwd[0] = *fwd;
		f->cfg.nhostfwd = 1;
	}
	f->vm = fake_vmm_new(RAM, &f->cfg);
	assert_non_null(f->vm);
	f->ram = fake_vmm_ram(f->vm);
	assert_int_equal(vmm_devices_add(f->vm, &f->cfg, &f->devs), 0);
	return f;
}

static struct fx *fx_new(bool ro, enum vm_net_kind net)
{
	return fx_new_cfg(ro, net, NULL);
}

static void fx_free(struct fx *f)
{
	vmm_devices_free(f->devs);
	fake_vmm_free(f->vm);
	unlink(f->img);
	rmdir(f->dir);
	free(f);
}

static void put_blk_hdr(struct fx *f, uint32_t type, uint64_t sector)
{
	struct virtio_blk_outhdr h = { .type = type, .sector = sector };

	memcpy(f->ram + HDR, &h, sizeof(h));
}

/* One request: header, data (len bytes at DATA, device-writable for
 * reads), status; returns the status byte, used length in *used. */
static int blk_req(struct fx *f, uint32_t type, uint64_t sector, uint32_t len,
		   bool data_write, uint32_t *used)
{
	struct fake_buf b[3] = {
		{ HDR, sizeof(struct virtio_blk_outhdr), false },
		{ DATA, len, data_write },
		{ STATUS, 1, true },
	};
	uint32_t id, l;

	put_blk_hdr(f, type, sector);
	f->ram[STATUS] = 0xaa;
	if (len) {
		fake_drv_add(&f->drv, 0, b, 3);
	} else {
		b[1] = b[2];
		fake_drv_add(&f->drv, 0, b, 2);
	}
	fake_drv_kick(&f->drv, 0);
	if (fake_drv_wait(&f->drv, 0, &id, &l, 2000) < 0)
		return -1;
	if (used)
		*used = l;
	return f->ram[STATUS];
}

static void read_file(const char *path, off_t off, void *buf, size_t len)
{
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, len, off), (ssize_t)len);
	close(fd);
}

/* Device threads raise interrupts after publishing used entries: wait for
 * at least want MSIs with this data (2 s), return the count. */
static unsigned int wait_msi(struct fx *f, uint32_t data, unsigned int want)
{
	unsigned int n, i;

	for (i = 0; i < 200; i++) {
		n = fake_vmm_msi_count(f->vm, data);
		if (n >= want)
			return n;
		usleep(10000);
	}
	return fake_vmm_msi_count(f->vm, data);
}

static bool wait_pba(struct fx *f, uint32_t bit)
{
	uint64_t pba = fake_vmm_bar(f->vm, 0) + VIRTIO_PCI_PBA_OFF;
	unsigned int i;

	for (i = 0; i < 200; i++) {
		if (fake_mmio_read(f->vm, pba, 4) & bit)
			return true;
		usleep(10000);
	}
	return false;
}

/* devices are added in the order: disks, NIC, rng */
static void test_pci_identity(void **state)
{
	struct fx *f = fx_new(false, VM_NET_NONE);
	struct pci_dev *blk = fake_vmm_dev(f->vm, 0), *rng = fake_vmm_dev(f->vm, 1);

	(void)state;
	assert_int_equal(fake_vmm_ndevs(f->vm), 2);
	assert_int_equal(pci_cfg_read(blk, 0, 2), 0x1af4);
	assert_int_equal(pci_cfg_read(blk, 2, 2), 0x1042);
	assert_int_equal(pci_cfg_read(blk, 8, 1), 1);		/* revision */
	assert_int_equal(pci_cfg_read(blk, 0x2e, 2) >= 0x40, 1);
	assert_int_equal(pci_cfg_read(rng, 2, 2), 0x1044);
	assert_int_equal(pci_cfg_read(blk, 0x10, 4) & 0xf, 0);	/* 32-bit mem */
	assert_int_equal(fake_drv_init(&f->drv, f->vm, 0, STD_FEATURES, 64,
				       RINGS), 0);
	assert_true(f->drv.device != 0);
	assert_int_equal(f->drv.notify_mult, 4);
	assert_int_equal(fake_drv_read(&f->drv, CC(num_queues), 2), 1);
	/* one ioeventfd per enabled queue once DRIVER_OK */
	assert_int_equal(fake_vmm_nioeventfds(f->vm), 1);
	fx_free(f);
}

static void test_features(void **state)
{
	struct fx *f = fx_new(false, VM_NET_NONE);
	uint64_t fe;

	(void)state;
	/* a legacy-only driver (no VERSION_1) is refused at FEATURES_OK */
	assert_int_equal(fake_drv_init(&f->drv, f->vm, 0, F(VIRTIO_BLK_F_FLUSH),
				       64, RINGS), -EPROTO);
	/* features the device did not offer are refused too */
	fake_drv_write(&f->drv, CC(device_status), 0, 1);
	fake_drv_write(&f->drv, CC(device_status), 3, 1);
	fake_drv_write(&f->drv, CC(guest_feature_select), 1, 4);
	fake_drv_write(&f->drv, CC(guest_feature), 1 | 0x80000000u, 4);
	fake_drv_write(&f->drv, CC(device_status), 3 | 8, 1);
	assert_int_equal(fake_drv_read(&f->drv, CC(device_status), 1) & 8, 0);
	/* the offer: transport bits and blk's */
	assert_int_equal(fake_drv_init(&f->drv, f->vm, 0, ~0ull, 64, RINGS), 0);
	fe = f->drv.features;
	assert_true(fe & F(VIRTIO_F_VERSION_1));
	assert_true(fe & F(VIRTIO_RING_F_EVENT_IDX));
	assert_true(fe & F(VIRTIO_BLK_F_FLUSH));
	assert_true(fe & F(VIRTIO_BLK_F_DISCARD));
	assert_false(fe & F(VIRTIO_BLK_F_RO));
	/* driver features are frozen after FEATURES_OK */
	fake_drv_write(&f->drv, CC(guest_feature_select), 0, 4);
	fake_drv_write(&f->drv, CC(guest_feature), 0, 4);
	assert_int_equal(fake_drv_read(&f->drv, CC(guest_feature), 4),
			 (uint32_t)fe);
	fx_free(f);
}

static void test_blk_rw(void **state)
{
	struct fx *f = fx_new(false, VM_NET_NONE);
	uint8_t pat[4096], back[4096];
	uint64_t cap;
	uint32_t used, i;
	char id[21] = { 0 };

	(void)state;
	assert_int_equal(fake_drv_init(&f->drv, f->vm, 0, ~0ull, 64, RINGS), 0);
	cap = fake_mmio_read(f->vm, f->drv.device, 4) |
	      fake_mmio_read(f->vm, f->drv.device + 4, 4) << 32;
	assert_int_equal(cap, IMG_SECTORS);
	assert_int_equal(fake_mmio_read(f->vm, f->drv.device + 20, 4), 512);
	for (i = 0; i < sizeof(pat); i++)
		pat[i] = (uint8_t)(i * 7 + 3);
	memcpy(f->ram + DATA, pat, sizeof(pat));
	assert_int_equal(blk_req(f, VIRTIO_BLK_T_OUT, 8, 4096, false, &used),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(used, 1);
	read_file(f->img, 8 * 512, back, sizeof(back));
	assert_memory_equal(back, pat, sizeof(pat));
	/* interrupt on vector 1 (queue 0) */
	assert_true(wait_msi(f, FAKE_MSI_DATA(0, 1), 1) >= 1);
	memset(f->ram + DATA, 0, sizeof(pat));
	assert_int_equal(blk_req(f, VIRTIO_BLK_T_IN, 8, 4096, true, &used),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(used, 4097);
	assert_memory_equal(f->ram + DATA, pat, sizeof(pat));
	/* the last sector is readable, one past it is not */
	assert_int_equal(blk_req(f, VIRTIO_BLK_T_IN, IMG_SECTORS - 1, 512, true,
				 NULL), VIRTIO_BLK_S_OK);
	assert_int_equal(blk_req(f, VIRTIO_BLK_T_IN, IMG_SECTORS - 1, 1024, true,
				 NULL), VIRTIO_BLK_S_IOERR);
	assert_int_equal(blk_req(f, VIRTIO_BLK_T_OUT, IMG_SECTORS, 512, false,
				 NULL), VIRTIO_BLK_S_IOERR);
	/* sector * 512 and sector + count must not wrap */
	assert_int_equal(blk_req(f, VIRTIO_BLK_T_IN, UINT64_MAX, 512, true,
				 NULL), VIRTIO_BLK_S_IOERR);
	assert_int_equal(blk_req(f, VIRTIO_BLK_T_OUT, UINT64_MAX / 512 + 1,
				 512, false, NULL), VIRTIO_BLK_S_IOERR);
	/* not a whole sector */
	assert_int_equal(blk_req(f, VIRTIO_BLK_T_IN, 0, 100, true, NULL),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(blk_req(f, VIRTIO_BLK_T_FLUSH, 0, 0, false, NULL),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(blk_req(f, 0x77, 0, 0, false, NULL),
			 VIRTIO_BLK_S_UNSUPP);
	assert_int_equal(blk_req(f, VIRTIO_BLK_T_GET_ID, 0, 20, true, &used),
			 VIRTIO_BLK_S_OK);
	memcpy(id, f->ram + DATA, 20);
	assert_string_equal(id, "disk0.img");
	/* EVENT_IDX: a driver that asks for no interrupt until used entry
	 * used_seen + 100 gets none now */
	{
		unsigned int before = fake_vmm_msi_count(f->vm,
							 FAKE_MSI_DATA(0, 1));
		uint16_t ev = (uint16_t)(f->drv.q[0].used_seen + 100);

		assert_true(f->drv.features & F(VIRTIO_RING_F_EVENT_IDX));
		assert_int_equal(blk_req(f, VIRTIO_BLK_T_FLUSH, 0, 0, false,
					 NULL), VIRTIO_BLK_S_OK);
		assert_int_equal(wait_msi(f, FAKE_MSI_DATA(0, 1), before + 1),
				 before + 1);
		memcpy(f->ram + f->drv.q[0].avail + 4 + 2 * f->drv.q[0].size,
		       &ev, 2);
		put_blk_hdr(f, VIRTIO_BLK_T_FLUSH, 0);
		{
			struct fake_buf b[2] = { { HDR, 16, false },
						 { STATUS, 1, true } };

			uint16_t *used_idx = (uint16_t *)(f->ram +
						f->drv.q[0].used + 2);
			int n;

			fake_drv_add(&f->drv, 0, b, 2);
			fake_drv_kick(&f->drv, 0);
			/* look at the ring without re-arming used_event */
			for (n = 0; n < 200 &&
				    __atomic_load_n(used_idx, __ATOMIC_ACQUIRE) ==
					    f->drv.q[0].used_seen;
			     n++)
				usleep(10000);
			assert_int_equal(__atomic_load_n(used_idx, __ATOMIC_ACQUIRE),
					 (uint16_t)(f->drv.q[0].used_seen + 1));
			usleep(50000);	/* an interrupt would be out by now */
			assert_int_equal(fake_vmm_msi_count(f->vm,
							    FAKE_MSI_DATA(0, 1)),
					 before + 1);
		}
	}
	fx_free(f);
}

static void test_blk_discard(void **state)
{
	struct fx *f = fx_new(false, VM_NET_NONE);
	struct virtio_blk_discard_write_zeroes d = { .sector = 8, .num_sectors = 8 };
	uint8_t back[4096], zero[4096] = { 0 };

	(void)state;
	assert_int_equal(fake_drv_init(&f->drv, f->vm, 0, ~0ull, 64, RINGS), 0);
	memset(f->ram + DATA, 0x5a, 4096);
	assert_int_equal(blk_req(f, VIRTIO_BLK_T_OUT, 8, 4096, false, NULL),
			 VIRTIO_BLK_S_OK);
	memcpy(f->ram + DATA, &d, sizeof(d));
	assert_int_equal(blk_req(f, VIRTIO_BLK_T_DISCARD, 0, sizeof(d), false,
				 NULL), VIRTIO_BLK_S_OK);
	read_file(f->img, 8 * 512, back, sizeof(back));
	assert_memory_equal(back, zero, sizeof(zero));
	/* beyond the end, and unknown flags */
	d.sector = IMG_SECTORS - 4;
	memcpy(f->ram + DATA, &d, sizeof(d));
	assert_int_equal(blk_req(f, VIRTIO_BLK_T_WRITE_ZEROES, 0, sizeof(d),
				 false, NULL), VIRTIO_BLK_S_IOERR);
	d.sector = 0;
	d.flags = 2;
	memcpy(f->ram + DATA, &d, sizeof(d));
	assert_int_equal(blk_req(f, VIRTIO_BLK_T_DISCARD, 0, sizeof(d), false,
				 NULL), VIRTIO_BLK_S_UNSUPP);
	fx_free(f);
}

static void test_blk_ro(void **state)
{
	struct fx *f = fx_new(true, VM_NET_NONE);
	uint8_t back[512], zero[512] = { 0 };

	(void)state;
	assert_int_equal(fake_drv_init(&f->drv, f->vm, 0, ~0ull, 64, RINGS), 0);
	assert_true(f->drv.features & F(VIRTIO_BLK_F_RO));
	assert_false(f->drv.features & F(VIRTIO_BLK_F_DISCARD));
	memset(f->ram + DATA, 0x77, 512);
	assert_int_equal(blk_req(f, VIRTIO_BLK_T_OUT, 0, 512, false, NULL),
			 VIRTIO_BLK_S_IOERR);
	read_file(f->img, 0, back, sizeof(back));
	assert_memory_equal(back, zero, sizeof(zero));
	assert_int_equal(blk_req(f, VIRTIO_BLK_T_IN, 0, 512, true, NULL),
			 VIRTIO_BLK_S_OK);
	fx_free(f);
}

/* Hostile chains: a buffer outside RAM fails that request only; an avail
 * index jumping ahead breaks the ring: NEEDS_RESET, config interrupt, and
 * a reset brings the device back. */
static void test_blk_hostile(void **state)
{
	struct fx *f = fx_new(false, VM_NET_NONE);
	struct fake_buf bad[3] = {
		{ HDR, 16, false }, { RAM - 256, 4096, true }, { STATUS, 1, true },
	};
	uint32_t id, len;
	unsigned int i;
	uint8_t st = 0;

	(void)state;
	assert_int_equal(fake_drv_init(&f->drv, f->vm, 0, ~0ull, 64, RINGS), 0);
	put_blk_hdr(f, VIRTIO_BLK_T_IN, 0);
	fake_drv_add(&f->drv, 0, bad, 3);
	fake_drv_kick(&f->drv, 0);
	assert_int_equal(fake_drv_wait(&f->drv, 0, &id, &len, 2000), 0);
	assert_int_equal(len, 0);
	/* status byte missing (no writable buffer): completed with length 0 */
	bad[1] = (struct fake_buf){ DATA, 512, false };
	put_blk_hdr(f, VIRTIO_BLK_T_OUT, 0);
	fake_drv_add(&f->drv, 0, bad, 2);
	fake_drv_kick(&f->drv, 0);
	assert_int_equal(fake_drv_wait(&f->drv, 0, &id, &len, 2000), 0);
	assert_int_equal(len, 0);
	/* the queue still works */
	assert_int_equal(blk_req(f, VIRTIO_BLK_T_IN, 0, 512, true, NULL),
			 VIRTIO_BLK_S_OK);
	/* avail idx 1000 ahead of a 64-entry ring */
	__atomic_add_fetch((uint16_t *)(f->ram + f->drv.q[0].avail + 2), 1000,
			   __ATOMIC_RELEASE);
	fake_drv_kick(&f->drv, 0);
	for (i = 0; i < 200; i++) {	/* the disk's I/O thread sees it */
		st = (uint8_t)fake_drv_read(&f->drv, CC(device_status), 1);
		if (st & VIRTIO_CONFIG_S_NEEDS_RESET)
			break;
		usleep(10000);
	}
	assert_true(st & VIRTIO_CONFIG_S_NEEDS_RESET);
	assert_true(fake_vmm_msi_count(f->vm, FAKE_MSI_DATA(0, 0)) >= 1);
	/* reset and start over */
	memset(f->ram + RINGS, 0, 0x4000);
	assert_int_equal(fake_drv_init(&f->drv, f->vm, 0, ~0ull, 64, RINGS), 0);
	assert_int_equal(fake_drv_read(&f->drv, CC(device_status), 1) & 0x40, 0);
	assert_int_equal(blk_req(f, VIRTIO_BLK_T_IN, 0, 512, true, NULL),
			 VIRTIO_BLK_S_OK);
	/* ring addresses outside RAM: refused at queue_enable */
	fake_drv_write(&f->drv, CC(device_status), 0, 1);
	fake_drv_write(&f->drv, CC(device_status), 3, 1);
	fake_drv_write(&f->drv, CC(guest_feature_select), 1, 4);
	fake_drv_write(&f->drv, CC(guest_feature), 1, 4);
	fake_drv_write(&f->drv, CC(device_status), 11, 1);
	fake_drv_write(&f->drv, CC(queue_select), 0, 2);
	fake_drv_write(&f->drv, CC(queue_desc_lo), RAM - 16, 4);
	fake_drv_write(&f->drv, CC(queue_enable), 1, 2);
	assert_int_equal(fake_drv_read(&f->drv, CC(queue_enable), 2), 0);
	assert_true(fake_drv_read(&f->drv, CC(device_status), 1) & 0x40);
	fx_free(f);
}

/* Without irqfd (a KVM lacking it): every MSI goes through vmm_msi. A
 * masked vector sets its PBA bit and fires on unmask, also when the
 * function mask is cleared; notify without an ioeventfd goes through the
 * MMIO handler. */
static void test_msix_mask_and_fallback(void **state)
{
	struct fx *f = fx_new(false, VM_NET_NONE);
	struct pci_dev *p = fake_vmm_dev(f->vm, 0);
	uint64_t e1, pba;
	unsigned int before;

	(void)state;
	fake_vmm_allow_ioeventfd(f->vm, false);
	fake_vmm_allow_irqfd(f->vm, false);
	assert_int_equal(fake_drv_init(&f->drv, f->vm, 0, ~0ull, 64, RINGS), 0);
	assert_int_equal(fake_vmm_nioeventfds(f->vm), 0);
	assert_int_equal(fake_vmm_nirqfds(f->vm), 0);
	e1 = fake_vmm_bar(f->vm, 0) + VIRTIO_PCI_MSIX_OFF + 16;
	pba = fake_vmm_bar(f->vm, 0) + VIRTIO_PCI_PBA_OFF;
	before = fake_vmm_msi_count(f->vm, FAKE_MSI_DATA(0, 1));
	assert_int_equal(blk_req(f, VIRTIO_BLK_T_IN, 0, 512, true, NULL),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(wait_msi(f, FAKE_MSI_DATA(0, 1), before + 1),
			 before + 1);
	before++;
	fake_mmio_write(f->vm, e1 + 12, 1, 4);		/* mask vector 1 */
	assert_int_equal(blk_req(f, VIRTIO_BLK_T_IN, 0, 512, true, NULL),
			 VIRTIO_BLK_S_OK);
	assert_true(wait_pba(f, 2));
	assert_int_equal(fake_vmm_msi_count(f->vm, FAKE_MSI_DATA(0, 1)), before);
	fake_mmio_write(f->vm, e1 + 12, 0, 4);		/* unmask */
	assert_int_equal(fake_vmm_msi_count(f->vm, FAKE_MSI_DATA(0, 1)),
			 before + 1);
	assert_int_equal(fake_mmio_read(f->vm, pba, 4) & 2, 0);
	/* function mask (MSI-X control in config space): pending, then
	 * delivered as soon as the driver clears it */
	before = fake_vmm_msi_count(f->vm, FAKE_MSI_DATA(0, 1));
	pci_dev_cfg_write(p, p->msix_cap + 2u, 2, 0xc000);
	assert_int_equal(blk_req(f, VIRTIO_BLK_T_IN, 0, 512, true, NULL),
			 VIRTIO_BLK_S_OK);
	assert_true(wait_pba(f, 2));
	assert_int_equal(fake_vmm_msi_count(f->vm, FAKE_MSI_DATA(0, 1)), before);
	pci_dev_cfg_write(p, p->msix_cap + 2u, 2, 0x8000);
	assert_int_equal(fake_vmm_msi_count(f->vm, FAKE_MSI_DATA(0, 1)),
			 before + 1);
	assert_int_equal(fake_mmio_read(f->vm, pba, 4) & 2, 0);
	assert_int_equal(fake_vmm_irqfd_msi_count(f->vm, FAKE_MSI_DATA(0, 1)), 0);
	/* a vector beyond the table reads back as NO_VECTOR */
	fake_drv_write(&f->drv, CC(queue_select), 0, 2);
	fake_drv_write(&f->drv, CC(queue_msix_vector), 40, 2);
	assert_int_equal(fake_drv_read(&f->drv, CC(queue_msix_vector), 2),
			 VIRTIO_MSI_NO_VECTOR);
	fx_free(f);
}

/* irqfd: one MSI route per enabled, unmasked vector; interrupts are
 * eventfd writes; masking removes the route (the interrupt goes to the
 * PBA), unmasking brings it back and delivers what was pending; a
 * rewritten entry's route carries the new message; disabling MSI-X drops
 * every route. */
static void test_msix_irqfd(void **state)
{
	struct fx *f = fx_new(false, VM_NET_NONE);
	struct pci_dev *p = fake_vmm_dev(f->vm, 0);
	uint32_t d1 = FAKE_MSI_DATA(0, 1), nd = 0x7e;
	uint64_t e1;
	unsigned int before;

	(void)state;
	assert_int_equal(fake_drv_init(&f->drv, f->vm, 0, ~0ull, 64, RINGS), 0);
	/* blk: the config vector and queue 0's */
	assert_int_equal(fake_vmm_nirqfds(f->vm), 2);
	assert_true(fake_vmm_has_irqfd(f->vm, FAKE_MSI_DATA(0, 0)));
	assert_true(fake_vmm_has_irqfd(f->vm, d1));
	e1 = fake_vmm_bar(f->vm, 0) + VIRTIO_PCI_MSIX_OFF + 16;

	assert_int_equal(blk_req(f, VIRTIO_BLK_T_IN, 0, 512, true, NULL),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(wait_msi(f, d1, 1), 1);
	assert_int_equal(fake_vmm_irqfd_msi_count(f->vm, d1), 1);

	/* masked: no route, the interrupt is pending in the PBA */
	fake_mmio_write(f->vm, e1 + 12, 1, 4);
	assert_int_equal(fake_vmm_nirqfds(f->vm), 1);
	assert_false(fake_vmm_has_irqfd(f->vm, d1));
	assert_int_equal(blk_req(f, VIRTIO_BLK_T_IN, 0, 512, true, NULL),
			 VIRTIO_BLK_S_OK);
	assert_true(wait_pba(f, 2));
	assert_int_equal(fake_vmm_msi_count(f->vm, d1), 1);
	/* unmasked: route back, the pending interrupt through it */
	fake_mmio_write(f->vm, e1 + 12, 0, 4);
	assert_true(fake_vmm_has_irqfd(f->vm, d1));
	assert_int_equal(fake_vmm_irqfd_msi_count(f->vm, d1), 2);
	assert_int_equal(fake_mmio_read(f->vm, fake_vmm_bar(f->vm, 0) +
					VIRTIO_PCI_PBA_OFF, 4) & 2, 0);

	/* the driver rewrites the message (as x86 Linux does on an affinity
	 * change, unmasked): the route follows */
	fake_mmio_write(f->vm, e1 + 8, nd, 4);
	assert_true(fake_vmm_has_irqfd(f->vm, nd));
	assert_false(fake_vmm_has_irqfd(f->vm, d1));
	assert_int_equal(fake_vmm_nirqfds(f->vm), 2);
	assert_int_equal(blk_req(f, VIRTIO_BLK_T_IN, 0, 512, true, NULL),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(wait_msi(f, nd, 1), 1);
	assert_int_equal(fake_vmm_irqfd_msi_count(f->vm, nd), 1);
	assert_int_equal(fake_vmm_msi_count(f->vm, d1), 2);

	/* function mask: every route goes, pending until it is cleared */
	pci_dev_cfg_write(p, p->msix_cap + 2u, 2, 0xc000);
	assert_int_equal(fake_vmm_nirqfds(f->vm), 0);
	assert_int_equal(blk_req(f, VIRTIO_BLK_T_IN, 0, 512, true, NULL),
			 VIRTIO_BLK_S_OK);
	assert_true(wait_pba(f, 2));
	before = fake_vmm_msi_count(f->vm, nd);
	assert_int_equal(before, 1);
	pci_dev_cfg_write(p, p->msix_cap + 2u, 2, 0x8000);
	assert_int_equal(fake_vmm_nirqfds(f->vm), 2);
	assert_int_equal(fake_vmm_irqfd_msi_count(f->vm, nd), 2);

	/* MSI-X disabled: no routes at all */
	pci_dev_cfg_write(p, p->msix_cap + 2u, 2, 0);
	assert_int_equal(fake_vmm_nirqfds(f->vm), 0);
	fx_free(f);
}

/* §4.1.4.9: the VIRTIO_PCI_CAP_PCI_CFG window reaches BAR 0 through
 * config space, for reads and writes; windows the driver must not use
 * (bad length, misaligned, another BAR, past the BAR's end) do nothing. */
static unsigned int find_cfg_cap(struct pci_dev *p)
{
	unsigned int cap;

	for (cap = pci_dev_cfg_read(p, 0x34, 1); cap;
	     cap = pci_dev_cfg_read(p, cap + 1, 1))
		if (pci_dev_cfg_read(p, cap, 1) == 0x09 &&
		    pci_dev_cfg_read(p, cap + 3, 1) == VIRTIO_PCI_CAP_PCI_CFG)
			return cap;
	return 0;
}

static void win_set(struct pci_dev *p, unsigned int cap, uint8_t bar,
		    uint32_t off, uint32_t len)
{
	pci_dev_cfg_write(p, cap + 4, 1, bar);
	pci_dev_cfg_write(p, cap + 8, 4, off);
	pci_dev_cfg_write(p, cap + 12, 4, len);
}

static void test_pci_cfg_window(void **state)
{
	struct fx *f = fx_new(false, VM_NET_NONE);
	struct pci_dev *p = fake_vmm_dev(f->vm, 0);
	uint64_t bar = fake_vmm_bar(f->vm, 0);
	unsigned int cap = find_cfg_cap(p);
	uint8_t st;

	(void)state;
	assert_true(cap >= 0x40);
	assert_int_equal(pci_dev_cfg_read(p, cap + 2, 1), 20);	/* cap_len */
	assert_int_equal(fake_drv_init(&f->drv, f->vm, 0, STD_FEATURES, 64,
				       RINGS), 0);
	st = (uint8_t)fake_drv_read(&f->drv, CC(device_status), 1);
	assert_true(st & VIRTIO_CONFIG_S_DRIVER_OK);
	/* the window fields are writable and read back */
	win_set(p, cap, 0, CC(device_status), 1);
	assert_int_equal(pci_dev_cfg_read(p, cap + 8, 4), CC(device_status));
	assert_int_equal(pci_dev_cfg_read(p, cap + 12, 4), 1);
	/* read: 1 byte of common config */
	assert_int_equal(pci_dev_cfg_read(p, cap + 16, 1), st);
	/* read 2 and 4 bytes: num_queues, device_feature (select 0) */
	win_set(p, cap, 0, CC(num_queues), 2);
	assert_int_equal(pci_dev_cfg_read(p, cap + 16, 2), 1);
	fake_drv_write(&f->drv, CC(device_feature_select), 1, 4);
	win_set(p, cap, 0, CC(device_feature), 4);
	assert_int_equal(pci_dev_cfg_read(p, cap + 16, 4),
			 fake_drv_read(&f->drv, CC(device_feature), 4));
	assert_true(pci_dev_cfg_read(p, cap + 16, 4) & 1);	/* VERSION_1 */
	/* device config (blk capacity, low dword) */
	win_set(p, cap, 0, VIRTIO_PCI_DEVICE_OFF, 4);
	assert_int_equal(pci_dev_cfg_read(p, cap + 16, 4), IMG_SECTORS);
	/* write 2 bytes: the config vector; read back through the BAR */
	win_set(p, cap, 0, CC(msix_config), 2);
	pci_dev_cfg_write(p, cap + 16, 2, 1);
	assert_int_equal(fake_drv_read(&f->drv, CC(msix_config), 2), 1);
	/* write 4 bytes: mask MSI-X vector 1 in the table */
	win_set(p, cap, 0, VIRTIO_PCI_MSIX_OFF + 16 + 12, 4);
	pci_dev_cfg_write(p, cap + 16, 4, 1);
	assert_int_equal(fake_mmio_read(f->vm, bar + VIRTIO_PCI_MSIX_OFF + 28,
					4), 1);
	assert_false(fake_vmm_has_irqfd(f->vm, FAKE_MSI_DATA(0, 1)));
	/* accesses the driver must not make are ignored: the status write
	 * of 0 (reset) does not happen */
	win_set(p, cap, 0, CC(device_status), 3);		/* length 3 */
	pci_dev_cfg_write(p, cap + 16, 1, 0);
	win_set(p, cap, 1, CC(device_status), 1);		/* BAR 1 */
	pci_dev_cfg_write(p, cap + 16, 1, 0);
	win_set(p, cap, 0, CC(msix_config) + 1, 2);		/* misaligned */
	pci_dev_cfg_write(p, cap + 16, 2, 0x5555);
	win_set(p, cap, 0, VIRTIO_PCI_BAR_SIZE - 2, 4);		/* past end */
	pci_dev_cfg_write(p, cap + 16, 4, 0);
	win_set(p, cap, 0, 0xfffffffcu, 4);			/* wraps */
	pci_dev_cfg_write(p, cap + 16, 4, 0);
	assert_int_equal(fake_drv_read(&f->drv, CC(device_status), 1), st);
	assert_int_equal(fake_drv_read(&f->drv, CC(msix_config), 2), 1);
	/* a read through an ignored window leaves pci_cfg_data as it was */
	assert_int_equal(pci_dev_cfg_read(p, cap + 16, 4), 0);
	/* the status write of 0 through a good window resets the device */
	win_set(p, cap, 0, CC(device_status), 1);
	pci_dev_cfg_write(p, cap + 16, 1, 0);
	assert_int_equal(fake_drv_read(&f->drv, CC(device_status), 1), 0);
	/* the other capability bytes stay read-only */
	pci_dev_cfg_write(p, cap + 3, 1, 0x77);
	assert_int_equal(pci_dev_cfg_read(p, cap + 3, 1), VIRTIO_PCI_CAP_PCI_CFG);
	fx_free(f);
}

/* The guest moves BAR 0 after DRIVER_OK: the first notify at the new
 * place comes through the MMIO handler, which moves the ioeventfds. */
static void test_bar_moved(void **state)
{
	struct fx *f = fx_new(false, VM_NET_NONE);
	struct pci_dev *p = fake_vmm_dev(f->vm, 0);
	uint64_t old, moved = 0xd0000000u, delta;

	(void)state;
	assert_int_equal(fake_drv_init(&f->drv, f->vm, 0, ~0ull, 64, RINGS), 0);
	old = f->drv.notify;
	assert_true(fake_vmm_has_ioeventfd(f->vm, old));
	delta = moved - fake_vmm_bar(f->vm, 0);
	pci_dev_cfg_write(p, 0x10, 4, (uint32_t)moved);
	assert_int_equal(fake_vmm_bar(f->vm, 0), moved);
	f->drv.common += delta;
	f->drv.notify += delta;
	f->drv.isr += delta;
	f->drv.device += delta;
	assert_int_equal(blk_req(f, VIRTIO_BLK_T_IN, 0, 512, true, NULL),
			 VIRTIO_BLK_S_OK);
	assert_false(fake_vmm_has_ioeventfd(f->vm, old));
	assert_true(fake_vmm_has_ioeventfd(f->vm, f->drv.notify));
	assert_int_equal(fake_vmm_nioeventfds(f->vm), 1);
	assert_int_equal(blk_req(f, VIRTIO_BLK_T_IN, 0, 512, true, NULL),
			 VIRTIO_BLK_S_OK);
	fx_free(f);
}

static void test_rng(void **state)
{
	struct fx *f = fx_new(false, VM_NET_NONE);
	struct fake_buf b = { DATA, 64, true };
	uint8_t zero[64] = { 0 };
	uint32_t id, len;

	(void)state;
	assert_int_equal(fake_drv_init(&f->drv, f->vm, 1, ~0ull, 16, RINGS), 0);
	memset(f->ram + DATA, 0, 64);
	fake_drv_add(&f->drv, 0, &b, 1);
	fake_drv_kick(&f->drv, 0);
	assert_int_equal(fake_drv_wait(&f->drv, 0, &id, &len, 2000), 0);
	assert_int_equal(len, 64);
	assert_memory_not_equal(f->ram + DATA, zero, 64);
	/* a readable buffer gets nothing */
	b.write = false;
	fake_drv_add(&f->drv, 0, &b, 1);
	fake_drv_kick(&f->drv, 0);
	assert_int_equal(fake_drv_wait(&f->drv, 0, &id, &len, 2000), 0);
	assert_int_equal(len, 0);
	fx_free(f);
}

/* --- virtio-net over libslirp --------------------------------------------- */

static uint16_t ip_csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Ethernet + IPv4 + UDP 68->67 + BOOTP DISCOVER for mac; returns length. */
static size_t dhcp_discover(uint8_t *p, const uint8_t mac[6])
{
	size_t bootp = 240 + 4, udp = 8 + bootp, ip = 20 + udp;
	uint8_t *iph = p + 14, *u = iph + 20, *b = u + 8;
	uint16_t c;

	memset(p, 0, 14 + ip);
	memset(p, 0xff, 6);
	memcpy(p + 6, mac, 6);
	p[12] = 0x08;
	iph[0] = 0x45;
	iph[2] = (uint8_t)(ip >> 8);
	iph[3] = (uint8_t)ip;
	iph[8] = 64;
	iph[9] = 17;
	memset(iph + 16, 0xff, 4);
	c = ip_csum(iph, 20);
	iph[10] = (uint8_t)(c >> 8);
	iph[11] = (uint8_t)c;
	u[1] = 68;
	u[3] = 67;
	u[4] = (uint8_t)(udp >> 8);
	u[5] = (uint8_t)udp;
	b[0] = 1;
	b[1] = 1;
	b[2] = 6;
	memcpy(b + 4, "\x12\x34\x56\x78", 4);
	memcpy(b + 28, mac, 6);
	memcpy(b + 236, "\x63\x82\x53\x63", 4);
	memcpy(b + 240, "\x35\x01\x01\xff", 4);
	return 14 + ip;
}

static void test_net_slirp_dhcp(void **state)
{
	struct fx *f = fx_new(false, VM_NET_SLIRP);
	struct fake_buf rx[4], tx[2];
	uint8_t mac[6], *frame, *bp;
	uint32_t id, len, i;
	uint16_t head;
	size_t flen;

	(void)state;
	/* devices: blk 0, net 1, rng 2 */
	assert_int_equal(fake_vmm_ndevs(f->vm), 3);
	assert_int_equal(pci_cfg_read(fake_vmm_dev(f->vm, 1), 2, 2), 0x1041);
	/* one chain per frame here; test_net_mrg_rxbuf does the other */
	assert_int_equal(fake_drv_init(&f->drv, f->vm, 1,
				       ~F(VIRTIO_NET_F_MRG_RXBUF), 64, RINGS), 0);
	assert_true(f->drv.features & F(VIRTIO_NET_F_MAC));
	assert_false(f->drv.features & F(VIRTIO_NET_F_MRG_RXBUF));
	/* slirp: no checksum offloads */
	assert_false(f->drv.features & F(VIRTIO_NET_F_CSUM));
	assert_false(f->drv.features & F(VIRTIO_NET_F_GUEST_CSUM));
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)fake_mmio_read(f->vm, f->drv.device + i, 1);
	assert_int_equal(mac[0], 0x52);
	assert_int_equal(mac[1], 0x54);
	assert_int_equal(fake_mmio_read(f->vm, f->drv.device + 6, 2) &
			 VIRTIO_NET_S_LINK_UP, VIRTIO_NET_S_LINK_UP);
	for (i = 0; i < 4; i++) {
		rx[i] = (struct fake_buf){ DATA + 0x1000 * i, 1526, true };
		fake_drv_add(&f->drv, 0, &rx[i], 1);
	}
	fake_drv_kick(&f->drv, 0);
	memset(f->ram + HDR, 0, 12);
	/* a runt first, dropped, so the DISCOVER's tx head (2) differs from
	 * the rx head slirp's answer takes (0) */
	tx[0] = (struct fake_buf){ HDR, 12, false };
	tx[1] = (struct fake_buf){ STATUS, 4, false };
	fake_drv_add(&f->drv, 1, tx, 2);
	fake_drv_kick(&f->drv, 1);
	assert_int_equal(fake_drv_wait(&f->drv, 1, &id, &len, 3000), 0);
	assert_int_equal(id, 0);
	flen = dhcp_discover(f->ram + STATUS, mac);
	tx[1] = (struct fake_buf){ STATUS, (uint32_t)flen, false };
	head = fake_drv_add(&f->drv, 1, tx, 2);
	assert_int_equal(head, 2);
	fake_drv_kick(&f->drv, 1);
	assert_int_equal(fake_drv_wait(&f->drv, 1, &id, &len, 3000), 0);
	assert_int_equal(id, head);
	assert_int_equal(fake_drv_wait(&f->drv, 0, &id, &len, 3000), 0);
	assert_true(len > 12 + 14 + 20 + 8 + 240);
	frame = f->ram + DATA + 0x1000 * (id % 4);
	/* num_buffers = 1 in the header */
	assert_int_equal(frame[10], 1);
	frame += 12;
	assert_true(memcmp(frame, mac, 6) == 0 ||
		    memcmp(frame, "\xff\xff\xff\xff\xff\xff", 6) == 0);
	assert_int_equal(frame[12], 0x08);
	assert_int_equal(frame[14 + 9], 17);			/* UDP */
	assert_int_equal(frame[14 + 20 + 1], 67);		/* from server */
	bp = frame + 14 + 20 + 8;
	assert_int_equal(bp[0], 2);				/* BOOTREPLY */
	assert_memory_equal(bp + 16, "\x0a\x00\x02\x0f", 4);	/* 10.0.2.15 */
	assert_memory_equal(bp + 240, "\x35\x01\x02", 3);	/* OFFER */
	assert_true(wait_msi(f, FAKE_MSI_DATA(1, 1), 1) >= 1);
	fx_free(f);
}

/* MRG_RXBUF (§5.1.6.4): slirp's OFFER spread over several 128-byte
 * chains of two 64-byte descriptors each, num_buffers in the first
 * chain's header; with too few buffers the frame waits (nothing is
 * published) until the driver adds more. */
#define MRG_SEG 64u
#define MRG_CHAIN (2 * MRG_SEG)
static uint64_t mrg_gpa(unsigned int chain, unsigned int seg)
{
	return DATA + 0x200ull * chain + 0x100ull * seg;
}

static void mrg_add(struct fx *f, unsigned int chain)
{
	struct fake_buf b[2] = {
		{ mrg_gpa(chain, 0), MRG_SEG, true },
		{ mrg_gpa(chain, 1), MRG_SEG, true },
	};

	assert_int_equal(fake_drv_add(&f->drv, 0, b, 2), (2 * chain) % 64);
}

static void test_net_mrg_rxbuf(void **state)
{
	struct fx *f = fx_new(false, VM_NET_SLIRP);
	uint8_t mac[6], frame[4096], *bp;
	struct fake_buf tx[2];
	uint32_t id, len, total = 0, i, nb;
	size_t flen;

	(void)state;
	assert_int_equal(fake_drv_init(&f->drv, f->vm, 1, ~0ull, 64, RINGS), 0);
	assert_true(f->drv.features & F(VIRTIO_NET_F_MRG_RXBUF));
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)fake_mmio_read(f->vm, f->drv.device + i, 1);
	/* two chains: 256 bytes, far less than a DHCP OFFER */
	mrg_add(f, 0);
	mrg_add(f, 1);
	fake_drv_kick(&f->drv, 0);
	memset(f->ram + HDR, 0, 12);
	flen = dhcp_discover(f->ram + STATUS, mac);
	tx[0] = (struct fake_buf){ HDR, 12, false };
	tx[1] = (struct fake_buf){ STATUS, (uint32_t)flen, false };
	fake_drv_add(&f->drv, 1, tx, 2);
	fake_drv_kick(&f->drv, 1);
	assert_int_equal(fake_drv_wait(&f->drv, 1, &id, &len, 3000), 0);
	/* the OFFER is there but does not fit: nothing is published */
	assert_int_equal(fake_drv_wait(&f->drv, 0, &id, &len, 300), -ETIMEDOUT);
	for (i = 2; i < 12; i++)
		mrg_add(f, i);
	fake_drv_kick(&f->drv, 0);
	/* the first chain given back is taken first again */
	assert_int_equal(fake_drv_wait(&f->drv, 0, &id, &len, 3000), 0);
	assert_int_equal(id, 0);
	nb = f->ram[mrg_gpa(0, 0) + 10] | (uint32_t)f->ram[mrg_gpa(0, 0) + 11] << 8;
	assert_true(nb >= 3 && nb <= 12);
	for (i = 0;; i++) {
		/* every chain but the last is full; reassemble */
		assert_int_equal(id, 2 * i);
		assert_true(len > 0 && len <= MRG_CHAIN);
		assert_true(total + len <= sizeof(frame));
		memcpy(frame + total, f->ram + mrg_gpa(i, 0),
		       len < MRG_SEG ? len : MRG_SEG);
		if (len > MRG_SEG)
			memcpy(frame + total + MRG_SEG, f->ram + mrg_gpa(i, 1),
			       len - MRG_SEG);
		total += len;
		if (i + 1 == nb)
			break;
		assert_int_equal(len, MRG_CHAIN);
		assert_int_equal(fake_drv_wait(&f->drv, 0, &id, &len, 1000), 0);
	}
	assert_int_equal(nb, (total + MRG_CHAIN - 1) / MRG_CHAIN);
	assert_true(total > 12 + 14 + 20 + 8 + 240);
	assert_int_equal(frame[12 + 12], 0x08);
	assert_int_equal(frame[12 + 14 + 9], 17);		/* UDP */
	bp = frame + 12 + 14 + 20 + 8;
	assert_int_equal(bp[0], 2);				/* BOOTREPLY */
	assert_memory_equal(bp + 16, "\x0a\x00\x02\x0f", 4);	/* 10.0.2.15 */
	assert_memory_equal(bp + 240, "\x35\x01\x02", 3);	/* OFFER */
	/* nothing more was published than the frame's chains */
	assert_int_equal(fake_drv_wait(&f->drv, 0, &id, &len, 200), -ETIMEDOUT);
	assert_true(wait_msi(f, FAKE_MSI_DATA(1, 1), 1) >= 1);
	fx_free(f);
}

/* Resets racing the net thread: a DISCOVER is sent and the device reset at
 * once, many times; after each reset the device must not touch the old
 * rings or buffers (canary stays), and at the end a fresh driver still
 * gets its OFFER. */
static void test_net_reset_races(void **state)
{
	struct fx *f = fx_new(false, VM_NET_SLIRP);
	struct fake_buf rx = { DATA, 1526, true }, tx[2];
	uint8_t mac[6], canary[0x8000];
	uint32_t id, len;
	unsigned int i, k;
	size_t flen;

	(void)state;
	memset(canary, 0xa5, sizeof(canary));
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)fake_mmio_read(f->vm, fake_vmm_bar(f->vm, 1) +
						 VIRTIO_PCI_DEVICE_OFF + i, 1);
	flen = dhcp_discover(f->ram + STATUS, mac);
	for (k = 0; k < 30; k++) {
		memset(f->ram + RINGS, 0, 0x8000);
		assert_int_equal(fake_drv_init(&f->drv, f->vm, 1, ~0ull, 64,
					       RINGS), 0);
		for (i = 0; i < 4; i++) {
			rx.gpa = DATA + 0x1000 * i;
			fake_drv_add(&f->drv, 0, &rx, 1);
		}
		fake_drv_kick(&f->drv, 0);
		memset(f->ram + HDR, 0, 12);
		tx[0] = (struct fake_buf){ HDR, 12, false };
		tx[1] = (struct fake_buf){ STATUS, (uint32_t)flen, false };
		fake_drv_add(&f->drv, 1, tx, 2);
		fake_drv_kick(&f->drv, 1);
		if (k & 1)
			usleep(1000 * (k % 5));
		fake_drv_write(&f->drv, CC(device_status), 0, 1);
		/* reset done: nothing may be written to the old queues now */
		memcpy(f->ram + RINGS, canary, sizeof(canary));
		memcpy(f->ram + DATA, canary, 0x4000);
		usleep(5000);
		assert_memory_equal(f->ram + RINGS, canary, sizeof(canary));
		assert_memory_equal(f->ram + DATA, canary, 0x4000);
	}
	memset(f->ram + RINGS, 0, 0x8000);
	assert_int_equal(fake_drv_init(&f->drv, f->vm, 1, ~0ull, 64, RINGS), 0);
	rx.gpa = DATA;
	fake_drv_add(&f->drv, 0, &rx, 1);
	fake_drv_kick(&f->drv, 0);
	fake_drv_add(&f->drv, 1, tx, 2);
	fake_drv_kick(&f->drv, 1);
	assert_int_equal(fake_drv_wait(&f->drv, 0, &id, &len, 3000), 0);
	assert_memory_equal(f->ram + DATA + 12 + 14 + 20 + 8 + 240,
			    "\x35\x01\x02", 3);
	fx_free(f);
}

static uint16_t free_tcp_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(s >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &al), 0);
	close(s);
	return ntohs(a.sin_port);
}

/* hostfwd: a connection to the forwarded host port on 127.0.0.1 makes
 * slirp look for the guest (ARP for 10.0.2.15) on the rx queue. */
static void test_net_slirp_hostfwd(void **state)
{
	struct vm_hostfwd fwd = { .host_port = free_tcp_port(), .guest_port = 22 };
	struct fx *f = fx_new_cfg(false, VM_NET_SLIRP, &fwd);
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct fake_buf rx = { DATA, 1526, true };
	uint32_t id, len;
	uint8_t *fr;
	int s;

	(void)state;
	assert_int_equal(fake_drv_init(&f->drv, f->vm, 1, ~0ull, 64, RINGS), 0);
	fake_drv_add(&f->drv, 0, &rx, 1);
	fake_drv_kick(&f->drv, 0);
	s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(s >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(fwd.host_port);
	connect(s, (struct sockaddr *)&a, sizeof(a));
	assert_int_equal(fake_drv_wait(&f->drv, 0, &id, &len, 3000), 0);
	fr = f->ram + DATA + 12;
	assert_int_equal(len, 12 + 42);
	assert_int_equal(fr[12] << 8 | fr[13], 0x0806);		/* ARP */
	assert_int_equal(fr[20] << 8 | fr[21], 1);			/* request */
	assert_memory_equal(fr + 38, "\x0a\x00\x02\x0f", 4);	/* who has .15 */
	close(s);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pci_identity),
		cmocka_unit_test(test_features),
		cmocka_unit_test(test_blk_rw),
		cmocka_unit_test(test_blk_discard),
		cmocka_unit_test(test_blk_ro),
		cmocka_unit_test(test_blk_hostile),
		cmocka_unit_test(test_msix_mask_and_fallback),
		cmocka_unit_test(test_msix_irqfd),
		cmocka_unit_test(test_pci_cfg_window),
		cmocka_unit_test(test_bar_moved),
		cmocka_unit_test(test_rng),
		cmocka_unit_test(test_net_slirp_dhcp),
		cmocka_unit_test(test_net_mrg_rxbuf),
		cmocka_unit_test(test_net_slirp_hostfwd),
		cmocka_unit_test(test_net_reset_races),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
