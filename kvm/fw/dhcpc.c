/*
 * kvm/fw/dhcpc.c - DHCP for the netboot firmware.
 *
 * As a BIOS PXE ROM (RFC 4578): vendor class "PXEClient:Arch:00000:UNDI:
 * 002001", client architecture 0, so a PXE-aware server (provd, dnsmasq)
 * offers pxelinux.0, whose configuration this firmware reads itself.
 * Offers are collected for a short while after the first one, so that a
 * proxyDHCP offer (no address, a boot file; RFC 4578 and the PXE 2.1
 * spec) is seen next to the lab server's address offer. Retransmission
 * follows the PXE spec's 4, 8, 16 s.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "kvm/fw/dhcpc.h"

#define BOOTP_LEN 236
#define MAGIC 0x63825363
#define MSG_MAX 1024

enum { DISCOVER = 1, OFFER, REQUEST, DECLINE, ACK, NAK };

static const char VENDOR[] = "PXEClient:Arch:00000:UNDI:002001";

/* one option area; overload (52) is applied by the caller */
static void parse_opts(const uint8_t *p, size_t len, struct dhcp_lease *l, int *type,
		       int *overload, int *pxeclient)
{
	size_t i = 0;

	while (i < len) {
		uint8_t code = p[i], olen;

		if (code == 0) {
			i++;
			continue;
		}
		if (code == 255 || i + 1 >= len)
			break;
		olen = p[i + 1];
		if (i + 2 + olen > len)
			break;	/* an option that does not fit ends the area */
		const uint8_t *v = p + i + 2;
		switch (code) {
		case 1:
			if (olen == 4)
				memcpy(&l->mask, v, 4);
			break;
		case 3:
			if (olen >= 4)
				memcpy(&l->router, v, 4);
			break;
		case 52:
			if (olen == 1)
				*overload = v[0];
			break;
		case 53:
			if (olen == 1)
				*type = v[0];
			break;
		case 54:
			if (olen == 4)
				memcpy(&l->server, v, 4);
			break;
		case 60:
			*pxeclient = olen >= 9 && memcmp(v, "PXEClient", 9) == 0;
			break;
		case 66: {
			char s[64];
			struct in_addr a;

			if (olen < sizeof(s)) {
				memcpy(s, v, olen);
				s[olen] = '\0';
				if (inet_pton(AF_INET, s, &a) == 1)
					l->next_server = a.s_addr;
			}
			break;
		}
		case 67:
			if (olen < sizeof(l->bootfile) && olen > 0 && !memchr(v, '\0', olen)) {
				memcpy(l->bootfile, v, olen);
				l->bootfile[olen] = '\0';
			}
			break;
		}
		i += 2 + (size_t)olen;
	}
}

int dhcpc_parse(const uint8_t *m, size_t len, uint32_t xid, const uint8_t mac[6],
		struct dhcp_lease *l)
{
	int type = -1, overload = 0, pxe = 0;
	uint32_t magic, x, siaddr;

	memset(l, 0, sizeof(*l));
	if (len < BOOTP_LEN + 4 || m[0] != 2 || m[1] != 1 || m[2] != 6)
		return -1;
	memcpy(&x, m + 4, 4);
	memcpy(&magic, m + BOOTP_LEN, 4);
	if (x != xid || ntohl(magic) != MAGIC || memcmp(m + 28, mac, 6) != 0)
		return -1;
	memcpy(&l->addr, m + 16, 4);
	memcpy(&siaddr, m + 20, 4);
	parse_opts(m + BOOTP_LEN + 4, len - BOOTP_LEN - 4, l, &type, &overload, &pxe);
	if (overload & 1)
		parse_opts(m + 108, 128, l, &type, &overload, &pxe);
	else if (l->bootfile[0] == '\0' && m[108]) {
		size_t n = strnlen((const char *)m + 108, 128);

		if (n < sizeof(l->bootfile)) {
			memcpy(l->bootfile, m + 108, n);
			l->bootfile[n] = '\0';
		}
	}
	if (overload & 2)
		parse_opts(m + 44, 64, l, &type, &overload, &pxe);
	if (l->next_server == 0)
		l->next_server = siaddr ? siaddr : l->server;
	l->proxy = pxe && l->addr == 0;
	return type;
}

static size_t build(uint8_t *m, int type, uint32_t xid, const uint8_t mac[6], uint16_t secs,
		    uint32_t req_ip, uint32_t server)
{
	static const uint8_t prl[] = { 1, 3, 6, 12, 15, 28, 43, 54, 60, 66, 67 };
	uint32_t magic = htonl(MAGIC);
	size_t o = BOOTP_LEN + 4;

	memset(m, 0, MSG_MAX);
	m[0] = 1, m[1] = 1, m[2] = 6;
	memcpy(m + 4, &xid, 4);
	m[8] = (uint8_t)(secs >> 8), m[9] = (uint8_t)secs;
	m[10] = 0x80;	/* broadcast: we cannot take unicast before we have an address */
	memcpy(m + 28, mac, 6);
	memcpy(m + BOOTP_LEN, &magic, 4);
	m[o++] = 53, m[o++] = 1, m[o++] = (uint8_t)type;
	m[o++] = 57, m[o++] = 2, m[o++] = 0x05, m[o++] = 0xc0;	/* 1472 */
	m[o++] = 55, m[o++] = sizeof(prl);
	memcpy(m + o, prl, sizeof(prl));
	o += sizeof(prl);
	m[o++] = 60, m[o++] = sizeof(VENDOR) - 1;
	memcpy(m + o, VENDOR, sizeof(VENDOR) - 1);
	o += sizeof(VENDOR) - 1;
	m[o++] = 93, m[o++] = 2, m[o++] = 0, m[o++] = 0;	/* x86 BIOS */
	m[o++] = 94, m[o++] = 3, m[o++] = 1, m[o++] = 2, m[o++] = 1;	/* UNDI 2.1 */
	m[o++] = 61, m[o++] = 7, m[o++] = 1;
	memcpy(m + o, mac, 6);
	o += 6;
	if (req_ip) {
		m[o++] = 50, m[o++] = 4;
		memcpy(m + o, &req_ip, 4);
		o += 4;
	}
	if (server) {
		m[o++] = 54, m[o++] = 4;
		memcpy(m + o, &server, 4);
		o += 4;
	}
	m[o++] = 255;
	return o < 300 ? 300 : o;	/* BOOTP minimum size: some relays drop less */
}

struct dhcpc {
	struct fw_nic *n;
	uint32_t xid;
	int64_t t0;
	struct dhcp_lease addr, proxy, ack;
	int have_addr, have_proxy;
};

/* What one reply (type -1: a wait ran out) means to the phase in progress:
 * 0 keep going, 1 the phase is over, -errno give up. It may shorten the
 * current wait through *until. */
typedef int reply_fn(struct dhcpc *c, int type, const struct dhcp_lease *l, int64_t *until);

/* Sends a message of type with the PXE spec's retransmissions (4, 8, 16 s)
 * until fn ends the phase: its verdict, or -ETIMEDOUT. */
static int exchange(struct dhcpc *c, int type, reply_fn *fn)
{
	static const int wait_ms[] = { 4000, 8000, 16000 };
	uint8_t msg[MSG_MAX], in[MSG_MAX];
	struct dhcp_lease l;
	uint32_t src;
	uint16_t sport;

	for (unsigned int t = 0; t < 3; t++) {
		int req = type == REQUEST;
		size_t len = build(msg, type, c->xid, c->n->mac, (uint16_t)((fw_now_ms() - c->t0) / 1000),
				   req ? c->addr.addr : 0, req ? c->addr.server : 0);
		int64_t until = fw_now_ms() + wait_ms[t];
		int r = fw_udp_send(c->n, INADDR_BROADCAST, 68, 67, msg, len);

		if (r < 0)
			return r;
		while (fw_now_ms() < until) {
			ssize_t k = fw_udp_recv(c->n, 68, in, sizeof(in), &src, &sport,
						(int)(until - fw_now_ms()));

			if (k == -ETIMEDOUT)
				break;
			if (k < 0)
				continue;
			r = fn(c, dhcpc_parse(in, (size_t)k, c->xid, c->n->mac, &l), &l, &until);
			if (r)
				return r;
		}
		if ((r = fn(c, -1, NULL, &until)))
			return r;
	}
	return -ETIMEDOUT;
}

static int on_offer(struct dhcpc *c, int type, const struct dhcp_lease *l, int64_t *until)
{
	if (type == -1)
		return c->have_addr;
	if (type != OFFER)
		return 0;
	if (l->addr && (!c->have_addr || (!c->addr.bootfile[0] && l->bootfile[0])))
		c->addr = *l, c->have_addr = 1;
	else if (l->proxy && l->bootfile[0] && !c->have_proxy)
		c->proxy = *l, c->have_proxy = 1;
	/* after the first address offer, wait a little for a proxy offer; a
	 * proxy offer alone must not cut the wait: the lab server may answer
	 * seconds later (dnsmasq pings an address before offering it) */
	if (c->have_addr && *until - fw_now_ms() > 1500)
		*until = fw_now_ms() + 1500;
	return c->have_addr && (c->addr.bootfile[0] || c->have_proxy);
}

static int on_ack(struct dhcpc *c, int type, const struct dhcp_lease *l, int64_t *until)
{
	(void)until;
	if (type == NAK && l->server == c->addr.server)
		return -EAGAIN;
	if (type != ACK || l->server != c->addr.server || l->addr != c->addr.addr)
		return 0;
	c->ack = *l;
	return 1;
}

int dhcpc_run(struct fw_nic *n, struct dhcp_lease *out)
{
	struct dhcpc c = { .n = n, .t0 = fw_now_ms() };
	struct dhcp_lease *l = &c.ack;
	int r, naks = 0;

	if (getrandom(&c.xid, sizeof(c.xid), 0) != sizeof(c.xid))
		c.xid = (uint32_t)fw_now_ms();
	c.xid ^= (uint32_t)((n->mac[2] << 24) | (n->mac[3] << 16) | (n->mac[4] << 8) | n->mac[5]);
	do {
		n->ip = 0;
		c.have_addr = c.have_proxy = 0;
		c.xid++;
		if ((r = exchange(&c, DISCOVER, on_offer)) < 0)
			return r;
		r = exchange(&c, REQUEST, on_ack);
	} while (r == -EAGAIN && ++naks <= 3);	/* NAK: start over */
	if (r == -EAGAIN)
		return -ECONNREFUSED;
	if (r < 0)
		return r;
	/* the ACK's values win; the offers fill what it lacks */
	if (!l->bootfile[0] && c.addr.bootfile[0])
		memcpy(l->bootfile, c.addr.bootfile, sizeof(l->bootfile));
	if (!l->bootfile[0] && c.have_proxy) {
		memcpy(l->bootfile, c.proxy.bootfile, sizeof(l->bootfile));
		l->next_server = c.proxy.next_server;
		l->proxy = 1;
	}
	n->ip = l->addr;
	n->mask = l->mask;
	n->router = l->router;
	*out = *l;
	return 0;
}
