/*
 * kvm/fw/nic.c - Ethernet, ARP (RFC 826), IPv4 (RFC 791) and UDP (RFC 768)
 * for the netboot firmware. Every received frame is untrusted: lengths are
 * checked against what arrived before a field is read; fragments, IP
 * options we cannot parse and bad checksums are dropped.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>

#include "kvm/fw/nic.h"
#include "kvm/net/backend.h"

#define ETH_HLEN 14
#define ETH_P_IP 0x0800
#define ETH_P_ARP 0x0806
#define IP_HLEN 20
#define UDP_HLEN 8

int64_t fw_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* backend -> us: strip the virtio-net header, queue the frame */
static bool nic_rx(void *dev, const struct iovec *iov, int cnt)
{
	struct fw_nic *n = dev;
	size_t skip = NET_VNET_HDR_LEN, len = 0;
	unsigned int slot;
	uint8_t *dst;

	if (n->rxcount == FW_RXQ) {
		n->dropped++;
		return true;	/* dropped, as a full NIC ring would */
	}
	slot = (n->rxhead + n->rxcount) % FW_RXQ;
	dst = n->rxq[slot];
	for (int i = 0; i < cnt; i++) {
		const uint8_t *p = iov[i].iov_base;
		size_t l = iov[i].iov_len, k = l < skip ? l : skip;

		p += k;
		l -= k;
		skip -= k;
		if (l > FW_FRAME - len) {
			n->dropped++;
			return true;
		}
		memcpy(dst + len, p, l);
		len += l;
	}
	if (skip || len < ETH_HLEN)
		return true;
	n->rxlen[slot] = (uint16_t)len;
	n->rxcount++;
	return true;
}

int fw_nic_open(struct fw_nic *n, const struct vm_config *c)
{
	memset(n, 0, sizeof(*n));
	memcpy(n->mac, c->mac, 6);
	if (c->net == VM_NET_SLIRP)
		n->be = net_slirp_new(c, nic_rx, n);
	else if (c->net == VM_NET_TAP)
		n->be = net_tap_new(c->tap_name, nic_rx, n);
	else
		return -ENONET;
	return n->be ? 0 : -errno;
}

void fw_nic_close(struct fw_nic *n)
{
	if (n->be)
		n->be->ops->free(n->be);
	n->be = NULL;
}

/* one round of the backend's poll loop, at most timeout_ms */
static void pump(struct fw_nic *n, int timeout_ms)
{
	struct pollfd pfd[64];
	int to = timeout_ms, cnt, r;

	cnt = n->be->ops->poll_fill(n->be, pfd, 64, &to, n->rxcount < FW_RXQ);
	if (to < 0 || to > timeout_ms)
		to = timeout_ms;
	r = poll(pfd, (nfds_t)cnt, to);
	n->be->ops->poll_done(n->be, pfd, r < 0 ? 0 : cnt, r < 0);
}

static int send_frame(struct fw_nic *n, const uint8_t *dmac, uint16_t type,
		      const void *payload, size_t len)
{
	uint8_t hdr[NET_VNET_HDR_LEN] = { 0 }, eth[ETH_HLEN];
	struct iovec iov[3] = {
		{ hdr, sizeof(hdr) }, { eth, sizeof(eth) }, { (void *)payload, len },
	};

	memcpy(eth, dmac, 6);
	memcpy(eth + 6, n->mac, 6);
	eth[12] = (uint8_t)(type >> 8);
	eth[13] = (uint8_t)type;
	return n->be->ops->tx(n->be, iov, 3);
}

static void arp_learn(struct fw_nic *n, uint32_t ip, const uint8_t *mac)
{
	unsigned int i;

	if (ip == 0)
		return;
	for (i = 0; i < n->narp; i++)
		if (n->arp[i].ip == ip)
			break;
	if (i == n->narp) {
		if (n->narp < FW_ARP_CACHE)
			n->narp++;
		else
			i = 0;	/* tiny cache: the oldest entry goes */
	}
	n->arp[i].ip = ip;
	memcpy(n->arp[i].mac, mac, 6);
}

static const uint8_t *arp_lookup(struct fw_nic *n, uint32_t ip)
{
	for (unsigned int i = 0; i < n->narp; i++)
		if (n->arp[i].ip == ip)
			return n->arp[i].mac;
	return NULL;
}

static int arp_send(struct fw_nic *n, uint16_t op, const uint8_t *tmac, uint32_t tip,
		    const uint8_t *dmac)
{
	uint8_t a[28];

	a[0] = 0, a[1] = 1;		/* Ethernet */
	a[2] = 0x08, a[3] = 0x00;	/* IPv4 */
	a[4] = 6, a[5] = 4;
	a[6] = 0, a[7] = (uint8_t)op;
	memcpy(a + 8, n->mac, 6);
	memcpy(a + 14, &n->ip, 4);
	memcpy(a + 18, tmac, 6);
	memcpy(a + 24, &tip, 4);
	return send_frame(n, dmac, ETH_P_ARP, a, sizeof(a));
}

static uint16_t csum(const void *p, size_t len, uint32_t sum)
{
	const uint8_t *b = p;

	for (; len > 1; len -= 2, b += 2)
		sum += (uint32_t)b[0] << 8 | b[1];
	if (len)
		sum += (uint32_t)b[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static uint16_t udp_csum(uint32_t src, uint32_t dst, const uint8_t *udp, size_t len)
{
	uint8_t ph[12];
	uint16_t s;

	memcpy(ph, &src, 4);
	memcpy(ph + 4, &dst, 4);
	ph[8] = 0, ph[9] = 17;
	ph[10] = (uint8_t)(len >> 8), ph[11] = (uint8_t)len;
	s = (uint16_t)~csum(udp, len, csum(ph, sizeof(ph), 0));
	return s ? s : 0xffff;
}

/* a received datagram's checksum, pseudo-header included, sums to ~0 */
static bool udp_ok(uint32_t src, uint32_t dst, const uint8_t *udp, size_t len)
{
	uint8_t ph[12];

	memcpy(ph, &src, 4);
	memcpy(ph + 4, &dst, 4);
	ph[8] = 0, ph[9] = 17;
	ph[10] = (uint8_t)(len >> 8), ph[11] = (uint8_t)len;
	return csum(udp, len, csum(ph, sizeof(ph), 0)) == 0xffff;
}

/*
 * Looks at one queued frame: answers ARP requests for us, learns ARP
 * replies, and returns the UDP payload when it is a datagram for dport.
 */
static ssize_t handle(struct fw_nic *n, const uint8_t *f, size_t len, uint16_t dport,
		      void *buf, size_t max, uint32_t *src, uint16_t *sport)
{
	uint16_t type = (uint16_t)(f[12] << 8 | f[13]);
	const uint8_t *ip;
	size_t ihl, tot, ulen;
	uint32_t saddr, daddr;

	if (type == ETH_P_ARP && len >= ETH_HLEN + 28) {
		const uint8_t *a = f + ETH_HLEN;
		uint32_t sip, tip;

		if (a[0] != 0 || a[1] != 1 || a[2] != 8 || a[3] != 0 || a[4] != 6 || a[5] != 4)
			return -EAGAIN;
		memcpy(&sip, a + 14, 4);
		memcpy(&tip, a + 24, 4);
		if (n->ip && tip == n->ip) {
			arp_learn(n, sip, a + 8);
			if (a[7] == 1)	/* a request for our address */
				arp_send(n, 2, a + 8, sip, a + 8);
		} else if (a[7] == 2 && arp_lookup(n, sip)) {
			arp_learn(n, sip, a + 8);
		}
		return -EAGAIN;
	}
	if (type != ETH_P_IP || len < ETH_HLEN + IP_HLEN)
		return -EAGAIN;
	ip = f + ETH_HLEN;
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	tot = (size_t)(ip[2] << 8 | ip[3]);
	if ((ip[0] >> 4) != 4 || ihl < IP_HLEN || tot < ihl + UDP_HLEN ||
	    tot > len - ETH_HLEN || ip[9] != 17 || csum(ip, ihl, 0) != 0xffff)
		return -EAGAIN;
	if ((ip[6] & 0x3f) || ip[7])	/* MF or a fragment offset */
		return -EAGAIN;
	memcpy(&saddr, ip + 12, 4);
	memcpy(&daddr, ip + 16, 4);
	/* before DHCP completes, a server may unicast to the offered address */
	if (daddr != INADDR_BROADCAST && n->ip != 0 && daddr != n->ip)
		return -EAGAIN;
	{
		const uint8_t *u = ip + ihl;

		ulen = (size_t)(u[4] << 8 | u[5]);
		if (ulen < UDP_HLEN || ulen > tot - ihl)
			return -EAGAIN;
		if ((u[6] | u[7]) && !udp_ok(saddr, daddr, u, ulen))
			return -EAGAIN;
		if ((uint16_t)(u[2] << 8 | u[3]) != dport)
			return -EAGAIN;
		if (ulen - UDP_HLEN < max)
			max = ulen - UDP_HLEN;
		memcpy(buf, u + UDP_HLEN, max);
		*src = saddr;
		*sport = (uint16_t)(u[0] << 8 | u[1]);
		/* remember who this came from: the reply goes back there */
		if (saddr && !arp_lookup(n, saddr))
			arp_learn(n, saddr, f + 6);
		return (ssize_t)max;
	}
}

ssize_t fw_udp_recv(struct fw_nic *n, uint16_t dport, void *buf, size_t max,
		    uint32_t *src, uint16_t *sport, int timeout_ms)
{
	int64_t deadline = fw_now_ms() + timeout_ms;

	for (;;) {
		while (n->rxcount) {
			unsigned int s = n->rxhead;
			ssize_t r;

			n->rxhead = (n->rxhead + 1) % FW_RXQ;
			n->rxcount--;
			r = handle(n, n->rxq[s], n->rxlen[s], dport, buf, max, src, sport);
			if (r >= 0)
				return r;
		}
		int64_t left = deadline - fw_now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		pump(n, (int)(left > 100 ? 100 : left));
	}
}

static int resolve(struct fw_nic *n, uint32_t dst, uint8_t *mac)
{
	uint32_t hop = dst;
	const uint8_t *m;
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	if (dst == INADDR_BROADCAST) {
		memcpy(mac, bcast, 6);
		return 0;
	}
	if (n->router && n->mask && (dst & n->mask) != (n->ip & n->mask))
		hop = n->router;
	for (int tries = 0; tries < 4; tries++) {
		uint8_t scratch[4];
		uint32_t s;
		uint16_t sp;

		if ((m = arp_lookup(n, hop))) {
			memcpy(mac, m, 6);
			return 0;
		}
		static const uint8_t zero[6];
		arp_send(n, 1, zero, hop, bcast);
		/* answers are learnt while waiting; port 0 matches nothing */
		int64_t until = fw_now_ms() + 500;
		while (!arp_lookup(n, hop) && fw_now_ms() < until)
			fw_udp_recv(n, 0, scratch, sizeof(scratch), &s, &sp,
				    (int)(until - fw_now_ms()));
	}
	if ((m = arp_lookup(n, hop))) {
		memcpy(mac, m, 6);
		return 0;
	}
	return -EHOSTUNREACH;
}

int fw_udp_send(struct fw_nic *n, uint32_t dst, uint16_t sport, uint16_t dport,
		const void *data, size_t len)
{
	uint8_t pkt[IP_HLEN + UDP_HLEN + FW_FRAME], mac[6];
	uint8_t *u = pkt + IP_HLEN;
	uint16_t c;
	size_t tot = IP_HLEN + UDP_HLEN + len;
	static uint16_t ident;
	int r;

	if (len > FW_FRAME - ETH_HLEN - IP_HLEN - UDP_HLEN)
		return -EMSGSIZE;
	if ((r = resolve(n, dst, mac)) < 0)
		return r;
	memset(pkt, 0, IP_HLEN + UDP_HLEN);
	pkt[0] = 0x45;
	pkt[2] = (uint8_t)(tot >> 8), pkt[3] = (uint8_t)tot;
	ident++;
	pkt[4] = (uint8_t)(ident >> 8), pkt[5] = (uint8_t)ident;
	pkt[6] = 0x40;	/* DF */
	pkt[8] = 64;
	pkt[9] = 17;
	memcpy(pkt + 12, &n->ip, 4);
	memcpy(pkt + 16, &dst, 4);
	c = (uint16_t)~csum(pkt, IP_HLEN, 0);
	pkt[10] = (uint8_t)(c >> 8), pkt[11] = (uint8_t)c;
	u[0] = (uint8_t)(sport >> 8), u[1] = (uint8_t)sport;
	u[2] = (uint8_t)(dport >> 8), u[3] = (uint8_t)dport;
	u[4] = (uint8_t)((UDP_HLEN + len) >> 8), u[5] = (uint8_t)(UDP_HLEN + len);
	memcpy(u + UDP_HLEN, data, len);
	c = udp_csum(n->ip, dst, u, UDP_HLEN + len);
	u[6] = (uint8_t)(c >> 8), u[7] = (uint8_t)c;
	return send_frame(n, mac, ETH_P_IP, pkt, tot);
}
