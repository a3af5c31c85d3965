/* test_virtio_tap: virtio-net on the TAP backend against the real kernel,
 * in a private network namespace (root only; skipped otherwise). A
 * persistent TAP ptap0 (192.0.2.1/24) is created first, as an admin would;
 * the device attaches to it. A UDP datagram the kernel sends to the
 * "guest" (192.0.2.2) first makes the kernel ARP: the request arrives on
 * the rx queue with a vnet header; the guest answers through the tx queue;
 * then the datagram arrives. With GUEST_CSUM negotiated it carries
 * NEEDS_CSUM (TUNSETOFFLOAD followed the guest), without it the frame is
 * complete and flagged nothing. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include "kvm/vmm.h"
#include "tests/unit/fake_vmm.h"

#define RAM (4u << 20)
#define RINGS 0x10000ull
#define RXBUF 0x100000ull
#define TXHDR 0x200000ull
#define TXFRAME 0x200100ull
#define NRX 16
#define RXLEN 2048
#define F(b) (1ull << (b))

static const uint8_t guest_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
/* each test is a new guest at a new address (192.0.2.<guest_ip>): the
 * kernel's neighbour entry for the previous one is still cached */
static uint8_t guest_ip[4] = { 192, 0, 2, 2 };

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), r;

	if (fd < 0)
		return -1;
	r = write(fd, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : -1;
	close(fd);
	return r;
}

/* A new netns with a persistent TAP ptap0 at 192.0.2.1/24, link up. */
static int netns_with_tap(void)
{
	struct ifreq ifr;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	int fd, s;

	if (geteuid() != 0 || unshare(CLONE_NEWNET) < 0)
		return -1;
	/* no IPv6 chatter (router solicitations, MLD) on the wire */
	write_file("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
	write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "ptap0");
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETPERSIST, 1) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "ptap0");
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.1", &sin->sin_addr);
	if (ioctl(s, SIOCSIFADDR, &ifr) < 0)
		goto fail;
	inet_pton(AF_INET, "255.255.255.0", &sin->sin_addr);
	if (ioctl(s, SIOCSIFNETMASK, &ifr) < 0)
		goto fail;
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		goto fail;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		goto fail;
	close(s);
	return 0;
fail:
	close(s);
	return -1;
}

struct tapfx {
	struct vm_config cfg;
	struct vmm *vm;
	void *devs;
	struct fake_drv drv;
	uint8_t *ram;
};

static void fx_start(struct tapfx *f, uint64_t features)
{
	unsigned int i;

	memset(f, 0, sizeof(*f));
	f->cfg.kernel = "/nonexistent";
	f->cfg.net = VM_NET_TAP;
	f->cfg.tap_name = "ptap0";
	memcpy(f->cfg.mac, guest_mac, 6);
	f->cfg.mac_set = true;
	f->vm = fake_vmm_new(RAM, &f->cfg);
	assert_non_null(f->vm);
	f->ram = fake_vmm_ram(f->vm);
	assert_int_equal(vmm_devices_add(f->vm, &f->cfg, &f->devs), 0);
	/* net is device 0 (no disks), rng 1 */
	assert_int_equal(fake_drv_init(&f->drv, f->vm, 0, features, 64, RINGS), 0);
	for (i = 0; i < NRX; i++) {
		struct fake_buf b = { RXBUF + RXLEN * i, RXLEN, true };

		fake_drv_add(&f->drv, 0, &b, 1);
	}
	fake_drv_kick(&f->drv, 0);
}

static void fx_stop(struct tapfx *f)
{
	guest_ip[3]++;
	vmm_devices_free(f->devs);
	fake_vmm_free(f->vm);
}

/* Next received frame with this ethertype (others, if any, skipped);
 * returns a pointer to its vnet header. */
static uint8_t *rx_frame(struct tapfx *f, uint16_t ethertype, uint32_t *len)
{
	uint32_t id, l;
	int n;

	for (n = 0; n < NRX; n++) {
		uint8_t *p;

		assert_int_equal(fake_drv_wait(&f->drv, 0, &id, &l, 3000), 0);
		p = f->ram + RXBUF + RXLEN * (id % NRX);
		if (l >= 12 + 14 && (p[12 + 12] << 8 | p[12 + 13]) == ethertype) {
			*len = l;
			return p;
		}
	}
	fail_msg("no frame of type %#x", ethertype);
	return NULL;
}

static void udp_to_guest(void)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9999) };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(s >= 0);
	memcpy(&to.sin_addr, guest_ip, 4);
	assert_int_equal(sendto(s, "hello", 5, 0, (struct sockaddr *)&to,
				sizeof(to)), 5);
	close(s);
}

/* The kernel asks who has 192.0.2.2; the guest answers via tx. */
static void answer_arp(struct tapfx *f)
{
	uint32_t len, id, l;
	uint8_t *p = rx_frame(f, 0x0806, &len), *a, *r = f->ram + TXFRAME;
	struct fake_buf tx[2] = { { TXHDR, 12, false }, { TXFRAME, 42, false } };

	assert_int_equal(p[10], 1);			/* num_buffers */
	a = p + 12 + 14;
	assert_int_equal(a[7], 1);			/* request */
	assert_memory_equal(a + 24, guest_ip, 4);
	memset(f->ram + TXHDR, 0, 12);
	memcpy(r, a + 8, 6);				/* to the asker */
	memcpy(r + 6, guest_mac, 6);
	r[12] = 0x08;
	r[13] = 0x06;
	memcpy(r + 14, "\x00\x01\x08\x00\x06\x04\x00\x02", 8);	/* reply */
	memcpy(r + 22, guest_mac, 6);
	memcpy(r + 28, guest_ip, 4);
	memcpy(r + 32, a + 8, 6);
	memcpy(r + 38, a + 14, 4);
	fake_drv_add(&f->drv, 1, tx, 2);
	fake_drv_kick(&f->drv, 1);
	assert_int_equal(fake_drv_wait(&f->drv, 1, &id, &l, 3000), 0);
}

static uint8_t *udp_frame(struct tapfx *f, uint32_t *len)
{
	uint8_t *p = rx_frame(f, 0x0800, len), *ip = p + 12 + 14;

	assert_int_equal(ip[9], 17);
	assert_memory_equal(ip + 16, guest_ip, 4);
	assert_memory_equal(ip + 20 + 8, "hello", 5);
	return p;
}

static void test_tap_guest_csum(void **state)
{
	struct tapfx f;
	uint32_t len;
	uint8_t *p;

	(void)state;
	fx_start(&f, ~0ull);
	assert_true(f.drv.features & F(VIRTIO_NET_F_GUEST_CSUM));
	assert_true(f.drv.features & F(VIRTIO_NET_F_HOST_TSO4));
	udp_to_guest();
	answer_arp(&f);
	p = udp_frame(&f, &len);
	/* partial checksum handed to the guest, as it agreed to */
	assert_int_equal(p[0] & VIRTIO_NET_HDR_F_NEEDS_CSUM,
			 VIRTIO_NET_HDR_F_NEEDS_CSUM);
	fx_stop(&f);
}

static void test_tap_no_offloads(void **state)
{
	struct tapfx f;
	uint32_t len;
	uint8_t *p;

	(void)state;
	fx_start(&f, F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_MAC));
	assert_false(f.drv.features & F(VIRTIO_NET_F_GUEST_CSUM));
	udp_to_guest();
	answer_arp(&f);
	p = udp_frame(&f, &len);
	assert_int_equal(p[0], 0);			/* complete frame */
	assert_int_equal(p[1], VIRTIO_NET_HDR_GSO_NONE);
	fx_stop(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tap_guest_csum),
		cmocka_unit_test(test_tap_no_offloads),
	};

	if (netns_with_tap() < 0) {
		printf("1..0 # SKIP needs root, network namespaces and /dev/net/tun\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
