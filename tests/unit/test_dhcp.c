/* Unit tests for the DHCP packet parser and the pure handler: the full
 * DORA exchange, distinct addresses, RELEASE, NAK, static addresses and
 * boot files from a state, proxy mode, and hostile packets. */
#include "config.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dhcp/packet.h"
#include "dhcp/server.h"
#include "provd/base/fsutil.h"
#include "provd/core/snapshot.h"
#include "provd/core/store.h"

static size_t mkpkt(uint8_t *b, const uint8_t mac[6], int type, uint32_t req_ip_be, uint32_t sid_be,
		    int arch, const char *vendor)
{
	size_t n = DHCP_MIN_LEN;
	uint32_t cookie = htonl(DHCP_COOKIE);

	memset(b, 0, 600);
	b[0] = 1;
	b[1] = 1;
	b[2] = 6;
	b[4] = 0x12;
	memcpy(b + 28, mac, 6);
	memcpy(b + 236, &cookie, 4);
	b[n++] = OPT_MSG_TYPE;
	b[n++] = 1;
	b[n++] = (uint8_t)type;
	if (req_ip_be) {
		b[n++] = OPT_REQ_IP;
		b[n++] = 4;
		memcpy(b + n, &req_ip_be, 4);
		n += 4;
	}
	if (sid_be) {
		b[n++] = OPT_SERVER_ID;
		b[n++] = 4;
		memcpy(b + n, &sid_be, 4);
		n += 4;
	}
	if (arch >= 0) {
		b[n++] = OPT_CLIENT_ARCH;
		b[n++] = 2;
		b[n++] = (uint8_t)(arch >> 8);
		b[n++] = (uint8_t)arch;
	}
	if (vendor) {
		b[n++] = OPT_VENDOR_CLASS;
		b[n++] = (uint8_t)strlen(vendor);
		memcpy(b + n, vendor, strlen(vendor));
		n += strlen(vendor);
	}
	b[n++] = OPT_END;
	return n < 300 ? 300 : n;
}

static struct dhcp_server *mkserver_efi(enum dhcp_mode mode, bool ipxe_efi)
{
	struct dhcp_server_cfg c = { .mode = mode, .lease_time = 600, .ipxe_efi = ipxe_efi };
	struct dhcp_server *s = NULL;

	c.server_ip = inet_addr("192.0.2.1");
	c.netmask = inet_addr("255.255.255.0");
	c.range_start = ntohl(inet_addr("192.0.2.100"));
	c.range_end = ntohl(inet_addr("192.0.2.102"));
	snprintf(c.http_base, sizeof(c.http_base), "http://192.0.2.1:8080");
	assert_int_equal(dhcp_server_new(&c, &s), 0);
	return s;
}

static struct dhcp_server *mkserver(enum dhcp_mode mode)
{
	return mkserver_efi(mode, false);
}

static const uint8_t M1[6] = { 0x52, 0x54, 0, 0, 0, 1 }, M2[6] = { 0x52, 0x54, 0, 0, 0, 2 };

static uint32_t dora(struct dhcp_server *s, const uint8_t *mac, time_t now)
{
	uint8_t b[600];
	struct dhcp_reply r;
	size_t n = mkpkt(b, mac, DHCPDISCOVER, 0, 0, -1, NULL);

	assert_int_equal(dhcp_server_handle(s, b, n, NULL, now, &r), DHCPOFFER);
	assert_int_equal(r.dst_ip, htonl(INADDR_BROADCAST));
	uint32_t offered = r.yiaddr;
	n = mkpkt(b, mac, DHCPREQUEST, offered, inet_addr("192.0.2.1"), -1, NULL);
	assert_int_equal(dhcp_server_handle(s, b, n, NULL, now, &r), DHCPACK);
	assert_int_equal(r.yiaddr, offered);
	return offered;
}

static void test_dora_distinct_release(void **state)
{
	struct dhcp_server *s = mkserver(DHCP_MODE_FULL);
	uint8_t b[600];
	struct dhcp_reply r;
	uint32_t a1 = dora(s, M1, 1000), a2 = dora(s, M2, 1000);

	assert_int_equal(a1, inet_addr("192.0.2.100"));
	assert_int_not_equal(a1, a2);
	assert_int_equal(dhcp_server_lease_of(s, M1, 1000), a1);
	/* The same client again gets the same address. */
	assert_int_equal(dora(s, M1, 1001), a1);
	/* RELEASE (ciaddr = the lease) frees it. */
	size_t n = mkpkt(b, M1, DHCPRELEASE, 0, inet_addr("192.0.2.1"), -1, NULL);
	memcpy(b + 12, &a1, 4);
	assert_int_equal(dhcp_server_handle(s, b, n, NULL, 1002, &r), 0);
	assert_int_equal(dhcp_server_lease_of(s, M1, 1002), 0);
	/* REQUEST for an address that is not ours to give: NAK. */
	n = mkpkt(b, M1, DHCPREQUEST, a2, inet_addr("192.0.2.1"), -1, NULL);
	assert_int_equal(dhcp_server_handle(s, b, n, NULL, 1003, &r), DHCPNAK);
	/* REQUEST naming another server: silence, our offer dropped. */
	n = mkpkt(b, M1, DHCPREQUEST, a1, inet_addr("192.0.2.9"), -1, NULL);
	assert_int_equal(dhcp_server_handle(s, b, n, NULL, 1004, &r), 0);
	dhcp_server_free(s);
}

static char *slurp(const char *path)
{
	char *t = NULL;

	assert_int_equal(fs_read_file(path, 1 << 20, &t, NULL), 0);
	return t;
}

/* The lease file: written on a new binding, on a renewal only once the
 * expiry it holds is less than half a lease away; read back on restart. */
static void test_lease_file(void **state)
{
	struct dhcp_server_cfg c = { .mode = DHCP_MODE_FULL, .lease_time = 600 };
	struct dhcp_server *s = NULL;
	char dir[] = "/tmp/test_dhcp.XXXXXX", *t1, *t2, *t3;

	assert_non_null(mkdtemp(dir));
	c.server_ip = inet_addr("192.0.2.1");
	c.netmask = inet_addr("255.255.255.0");
	c.range_start = ntohl(inet_addr("192.0.2.100"));
	c.range_end = ntohl(inet_addr("192.0.2.102"));
	snprintf(c.lease_file, sizeof(c.lease_file), "%s/leases", dir);
	assert_int_equal(dhcp_server_new(&c, &s), 0);
	uint32_t a = dora(s, M1, 1000);
	t1 = slurp(c.lease_file);
	assert_non_null(strstr(t1, "52:54:00:00:00:01 192.0.2.100 1600"));
	dora(s, M1, 1100);	/* renewal early in the lease: no rewrite */
	t2 = slurp(c.lease_file);
	assert_string_equal(t1, t2);
	dora(s, M1, 1400);	/* past half of what the file holds: rewritten */
	t3 = slurp(c.lease_file);
	assert_non_null(strstr(t3, "52:54:00:00:00:01 192.0.2.100 2000"));
	dhcp_server_free(s);
	/* Restart: the lease is there, and not offered to another client. */
	assert_int_equal(dhcp_server_new(&c, &s), 0);
	assert_int_equal(dhcp_server_lease_of(s, M1, 1500), a);
	assert_int_not_equal(dora(s, M2, 1500), a);
	dhcp_server_free(s);
	unlink(c.lease_file);
	rmdir(dir);
	free(t1);
	free(t2);
	free(t3);
}

/* With no_rate_limit (benchmarks), a busy MAC is always answered. */
static void test_no_rate_limit(void **state)
{
	struct dhcp_server_cfg c = { .mode = DHCP_MODE_FULL, .lease_time = 600, .no_rate_limit = true };
	struct dhcp_server *s = NULL;
	uint8_t b[600];
	struct dhcp_reply r;
	int replies = 0;

	c.server_ip = inet_addr("192.0.2.1");
	c.netmask = inet_addr("255.255.255.0");
	c.range_start = ntohl(inet_addr("192.0.2.100"));
	c.range_end = ntohl(inet_addr("192.0.2.102"));
	assert_int_equal(dhcp_server_new(&c, &s), 0);
	size_t n = mkpkt(b, M2, DHCPDISCOVER, 0, 0, -1, NULL);
	for (int i = 0; i < 100; i++)
		replies += dhcp_server_handle(s, b, n, NULL, 5, &r) > 0;
	assert_int_equal(replies, 100);
	dhcp_server_free(s);
	/* A configured limit other than the default. */
	c.no_rate_limit = false;
	c.rate_per_mac = 5;
	assert_int_equal(dhcp_server_new(&c, &s), 0);
	replies = 0;
	for (int i = 0; i < 100; i++)
		replies += dhcp_server_handle(s, b, n, NULL, 5, &r) > 0;
	assert_int_equal(replies, 5);
	dhcp_server_free(s);
}

/* A flood of DISCOVERs from many MACs: bound leases stay as they are, the
 * pool is handed out once, the rest is counted as ignored. */
static void test_flood_many_macs(void **state)
{
	struct dhcp_server *s = mkserver(DHCP_MODE_FULL);
	struct dhcp_stats st;
	uint8_t b[600], m[6] = { 2, 0, 0, 0, 0, 0 };
	struct dhcp_reply r;
	uint32_t a1 = dora(s, M1, 1000);
	int offers = 0;

	for (unsigned i = 0; i < 20000; i++) {
		m[3] = (uint8_t)(i >> 16);
		m[4] = (uint8_t)(i >> 8);
		m[5] = (uint8_t)i;
		size_t n = mkpkt(b, m, DHCPDISCOVER, 0, 0, -1, NULL);
		offers += dhcp_server_handle(s, b, n, NULL, 1001, &r) == DHCPOFFER;
	}
	assert_int_equal(offers, 2);	/* the two free addresses of three */
	assert_int_equal(dhcp_server_lease_of(s, M1, 1001), a1);
	assert_int_equal(dora(s, M1, 1002), a1);
	dhcp_server_stats(s, &st);
	assert_true(st.received >= 20000);
	assert_true(st.ignored >= 20000 - 2);
	dhcp_server_free(s);
}

static void test_relay(void **state)
{
	struct dhcp_server *s = mkserver(DHCP_MODE_FULL);
	uint8_t b[600];
	struct dhcp_reply r;
	size_t n = mkpkt(b, M1, DHCPDISCOVER, 0, 0, -1, NULL);
	uint32_t giaddr = inet_addr("198.51.100.1");
	static const uint8_t o82[] = { OPT_RELAY_AGENT, 6, 1, 4, 'p', 'o', 'r', 't' };

	/* Relayed (giaddr set), with option 82 before the end option. */
	memcpy(b + 24, &giaddr, 4);
	memmove(b + 243 + sizeof(o82), b + 243, 20);
	memcpy(b + 243, o82, sizeof(o82));
	assert_int_equal(dhcp_server_handle(s, b, n + sizeof(o82), NULL, 1, &r), DHCPOFFER);
	assert_int_equal(r.dst_ip, giaddr);
	assert_int_equal(r.dst_port, 67);
	struct dhcp_packet rp;
	r.buf[0] = 1;	/* parse the reply as a request to read its options */
	assert_int_equal(dhcp_parse(r.buf, r.len, &rp), 0);
	assert_true(rp.has[OPT_RELAY_AGENT]);
	assert_int_equal(rp.opt[OPT_RELAY_AGENT].len, 6);
	assert_memory_equal(rp.opt[OPT_RELAY_AGENT].p, o82 + 2, 6);
	/* No dhcp.router: the relay is the client's gateway. */
	assert_true(rp.has[OPT_ROUTER]);
	assert_int_equal(rp.opt[OPT_ROUTER].len, 4);
	assert_memory_equal(rp.opt[OPT_ROUTER].p, &giaddr, 4);
	dhcp_server_free(s);
}

/* The router option of a relayed client: dhcp.router is for provd's own
 * segment, so a client on the relay's subnet gets giaddr instead, unless
 * dhcp.router is on its subnet; a local client gets dhcp.router. */
static uint32_t offered_router(const char *router, const char *range, const char *giaddr)
{
	struct dhcp_server_cfg c = { .mode = DHCP_MODE_FULL, .lease_time = 600 };
	struct dhcp_server *s = NULL;
	struct dhcp_packet rp;
	struct dhcp_reply r;
	uint8_t b[600];
	size_t n = mkpkt(b, M1, DHCPDISCOVER, 0, 0, -1, NULL);
	uint32_t gi = giaddr ? inet_addr(giaddr) : 0, got = 0;

	c.server_ip = inet_addr("192.0.2.1");
	c.netmask = inet_addr("255.255.255.0");
	c.router = router ? inet_addr(router) : 0;
	c.range_start = c.range_end = ntohl(inet_addr(range));
	assert_int_equal(dhcp_server_new(&c, &s), 0);
	memcpy(b + 24, &gi, 4);
	assert_int_equal(dhcp_server_handle(s, b, n, NULL, 1, &r), DHCPOFFER);
	assert_int_equal(r.dst_ip, gi ? gi : htonl(INADDR_BROADCAST));
	r.buf[0] = 1;
	assert_int_equal(dhcp_parse(r.buf, r.len, &rp), 0);
	if (rp.has[OPT_ROUTER]) {
		assert_int_equal(rp.opt[OPT_ROUTER].len, 4);
		memcpy(&got, rp.opt[OPT_ROUTER].p, 4);
	}
	dhcp_server_free(s);
	return got;
}

static void test_relay_router(void **state)
{
	/* Relayed, dhcp.router on provd's segment: the relay. */
	assert_int_equal(offered_router("192.0.2.254", "198.51.100.100", "198.51.100.1"),
			 inet_addr("198.51.100.1"));
	/* Relayed, dhcp.router on the client's subnet: dhcp.router. */
	assert_int_equal(offered_router("198.51.100.254", "198.51.100.100", "198.51.100.1"),
			 inet_addr("198.51.100.254"));
	/* Local: dhcp.router, or none. */
	assert_int_equal(offered_router("192.0.2.254", "192.0.2.100", NULL), inet_addr("192.0.2.254"));
	assert_int_equal(offered_router(NULL, "192.0.2.100", NULL), 0);
}

static void test_pool_exhausted(void **state)
{
	struct dhcp_server *s = mkserver(DHCP_MODE_FULL);
	uint8_t b[600], m[6] = { 2, 0, 0, 0, 0, 0 };
	struct dhcp_reply r;

	for (int i = 0; i < 3; i++) {
		m[5] = (uint8_t)i;
		dora(s, m, 1000);
	}
	m[5] = 9;
	size_t n = mkpkt(b, m, DHCPDISCOVER, 0, 0, -1, NULL);
	assert_int_equal(dhcp_server_handle(s, b, n, NULL, 1000, &r), 0);
	/* Leases expire: the pool refills. */
	assert_int_equal(dhcp_server_handle(s, b, n, NULL, 1000 + 601, &r), DHCPOFFER);
	dhcp_server_free(s);
}

static void test_boot_files(void **state)
{
	struct dhcp_server *s = mkserver(DHCP_MODE_FULL);
	uint8_t b[600];
	struct dhcp_reply r;
	size_t n;

	n = mkpkt(b, M1, DHCPDISCOVER, 0, 0, 0, "PXEClient:Arch:00000:UNDI:002001");
	assert_int_equal(dhcp_server_handle(s, b, n, NULL, 1, &r), DHCPOFFER);
	assert_string_equal(r.bootfile, "pxelinux.0");
	assert_string_equal((char *)r.buf + 108, "pxelinux.0");
	n = mkpkt(b, M2, DHCPDISCOVER, 0, 0, 7, "PXEClient:Arch:00007:UNDI:003016");
	assert_int_equal(dhcp_server_handle(s, b, n, NULL, 1, &r), DHCPOFFER);
	assert_string_equal(r.bootfile, "grubnetx64.efi");
	dhcp_server_free(s);
}

static void test_proxy(void **state)
{
	struct dhcp_server *s = mkserver(DHCP_MODE_PROXY);
	uint8_t b[600];
	struct dhcp_reply r;
	size_t n;

	/* Not a PXE client: the lab's server answers, we stay silent. */
	n = mkpkt(b, M1, DHCPDISCOVER, 0, 0, -1, NULL);
	assert_int_equal(dhcp_server_handle(s, b, n, NULL, 1, &r), 0);
	n = mkpkt(b, M1, DHCPDISCOVER, 0, 0, 0, "PXEClient:Arch:00000:UNDI:002001");
	assert_int_equal(dhcp_server_handle(s, b, n, NULL, 1, &r), DHCPOFFER);
	assert_int_equal(r.yiaddr, 0);	/* proxyDHCP offers no address */
	assert_string_equal(r.bootfile, "pxelinux.0");
	/* The PXE REQUEST to port 4011 is answered to its source. */
	struct dhcp_meta in = { .src_ip = inet_addr("192.0.2.77"), .src_port = 4011, .local_port = 4011 };
	n = mkpkt(b, M1, DHCPREQUEST, 0, 0, 0, "PXEClient:Arch:00000:UNDI:002001");
	assert_int_equal(dhcp_server_handle(s, b, n, &in, 1, &r), DHCPACK);
	assert_int_equal(r.dst_ip, inet_addr("192.0.2.77"));
	assert_string_equal(r.bootfile, "pxelinux.0");
	assert_int_equal(r.local_port, 4011);
	{
		struct dhcp_stats st;
		dhcp_server_stats(s, &st);
		assert_int_equal(st.proxy_requests, 1);
		assert_int_equal(st.proxy_acks, 1);
	}
	/* A REQUEST on 67, even one naming us (a client that took our
	 * address-less offer for a lease): silence, never an ACK of 0.0.0.0. */
	struct dhcp_meta in67 = { .src_ip = 0, .src_port = 68, .local_port = 67 };
	n = mkpkt(b, M1, DHCPREQUEST, 0, inet_addr("192.0.2.1"), 0, "PXEClient:Arch:00000:UNDI:002001");
	assert_int_equal(dhcp_server_handle(s, b, n, &in67, 1, &r), 0);
	assert_int_equal(dhcp_server_handle(s, b, n, NULL, 1, &r), 0);
	/* UEFI without ipxe.efi in the tree: GRUB, as in full mode. */
	n = mkpkt(b, M2, DHCPDISCOVER, 0, 0, 7, "PXEClient:Arch:00007:UNDI:003016");
	assert_int_equal(dhcp_server_handle(s, b, n, NULL, 1, &r), DHCPOFFER);
	assert_string_equal(r.bootfile, "grubnetx64.efi");
	dhcp_server_free(s);

	/* With ipxe.efi: UEFI PXE (arch 7 and 9) gets iPXE in proxy mode,
	 * on 67 and on 4011; iPXE itself then gets its script. */
	s = mkserver_efi(DHCP_MODE_PROXY, true);
	for (int arch = 7; arch <= 9; arch += 2) {
		char vc[40];
		snprintf(vc, sizeof(vc), "PXEClient:Arch:%05d:UNDI:003016", arch);
		n = mkpkt(b, M2, DHCPDISCOVER, 0, 0, arch, vc);
		assert_int_equal(dhcp_server_handle(s, b, n, NULL, 2, &r), DHCPOFFER);
		assert_string_equal(r.bootfile, "ipxe.efi");
		n = mkpkt(b, M2, DHCPREQUEST, 0, 0, arch, vc);
		assert_int_equal(dhcp_server_handle(s, b, n, &in, 2, &r), DHCPACK);
		assert_string_equal(r.bootfile, "ipxe.efi");
	}
	n = mkpkt(b, M2, DHCPDISCOVER, 0, 0, 7, "PXEClient:Arch:00007:UNDI:003016");
	{	/* the same DISCOVER with user class "iPXE" appended */
		size_t e = DHCP_MIN_LEN;
		while (b[e] != OPT_END)
			e += b[e] == OPT_PAD ? 1 : 2u + b[e + 1];
		memcpy(b + e, "\x4d\x04iPXE\xff", 7);
	}
	assert_int_equal(dhcp_server_handle(s, b, n, NULL, 3, &r), DHCPOFFER);
	assert_string_equal(r.bootfile, "http://192.0.2.1:8080/ipxe/52:54:00:00:00:02");
	/* BIOS is unaffected; full mode keeps GRUB (signed, finds its config). */
	n = mkpkt(b, M1, DHCPDISCOVER, 0, 0, 0, "PXEClient:Arch:00000:UNDI:002001");
	assert_int_equal(dhcp_server_handle(s, b, n, NULL, 4, &r), DHCPOFFER);
	assert_string_equal(r.bootfile, "pxelinux.0");
	dhcp_server_free(s);
	s = mkserver_efi(DHCP_MODE_FULL, true);
	n = mkpkt(b, M2, DHCPDISCOVER, 0, 0, 7, "PXEClient:Arch:00007:UNDI:003016");
	assert_int_equal(dhcp_server_handle(s, b, n, NULL, 5, &r), DHCPOFFER);
	assert_string_equal(r.bootfile, "grubnetx64.efi");
	dhcp_server_free(s);
}

static void test_hostile(void **state)
{
	struct dhcp_server *s = mkserver(DHCP_MODE_FULL);
	struct dhcp_stats st;
	uint8_t b[1600];
	struct dhcp_reply r;
	size_t n = mkpkt(b, M1, DHCPDISCOVER, 0, 0, -1, NULL);

	assert_int_equal(dhcp_server_handle(s, b, 100, NULL, 1, &r), DHCP_E_SHORT);
	assert_int_equal(dhcp_server_handle(s, b, 1600, NULL, 1, &r), DHCP_E_LONG);
	b[236] ^= 0xff;
	assert_int_equal(dhcp_server_handle(s, b, n, NULL, 1, &r), DHCP_E_COOKIE);
	b[236] ^= 0xff;
	b[2] = 16;
	assert_int_equal(dhcp_server_handle(s, b, n, NULL, 1, &r), DHCP_E_HLEN);
	b[2] = 6;
	/* An option whose length runs past the end. */
	n = mkpkt(b, M1, DHCPDISCOVER, 0, 0, -1, NULL);
	b[243] = OPT_HOSTNAME;
	b[244] = 200;
	assert_int_equal(dhcp_server_handle(s, b, 250, NULL, 1, &r), DHCP_E_OPTION);
	/* No message type. */
	n = mkpkt(b, M1, DHCPDISCOVER, 0, 0, -1, NULL);
	b[240] = OPT_PAD;
	b[241] = OPT_PAD;
	b[242] = OPT_PAD;
	assert_int_equal(dhcp_server_handle(s, b, n, NULL, 1, &r), DHCP_E_NOTYPE);
	/* A flood from one MAC is rate limited; no lease changes. */
	n = mkpkt(b, M2, DHCPDISCOVER, 0, 0, -1, NULL);
	int replies = 0;
	for (int i = 0; i < 100; i++)
		replies += dhcp_server_handle(s, b, n, NULL, 5, &r) > 0;
	assert_int_equal(replies, DHCP_RATE_PER_MAC);
	dhcp_server_stats(s, &st);
	assert_int_equal(st.bad, 6);
	assert_int_equal(st.dropped_rate, 100 - DHCP_RATE_PER_MAC);
	assert_int_equal(dhcp_server_lease_of(s, M1, 5), 0);
	dhcp_server_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dora_distinct_release),
		cmocka_unit_test(test_lease_file),
		cmocka_unit_test(test_no_rate_limit),
		cmocka_unit_test(test_flood_many_macs),
		cmocka_unit_test(test_relay),
		cmocka_unit_test(test_relay_router),
		cmocka_unit_test(test_pool_exhausted),
		cmocka_unit_test(test_boot_files),
		cmocka_unit_test(test_proxy),
		cmocka_unit_test(test_hostile),
	};
	return cmocka_run_group_tests_name("dhcp", tests, NULL, NULL);
}
