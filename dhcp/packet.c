/* packet: DHCP parse and build (see packet.h). */
#include "config.h"

#include <arpa/inet.h>
#include <string.h>

#include "dhcp/packet.h"

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* Walk options in [p, end): RFC 2132 §2 — code, length, value; pad and end
 * have no length. Returns 0 or DHCP_E_OPTION. */
static int walk(const uint8_t *p, const uint8_t *end, struct dhcp_packet *out)
{
	while (p < end) {
		uint8_t code = *p++;
		if (code == OPT_PAD)
			continue;
		if (code == OPT_END)
			return 0;
		if (p >= end)
			return DHCP_E_OPTION;
		uint8_t len = *p++;
		if ((size_t)(end - p) < len)
			return DHCP_E_OPTION;
		out->opt[code].p = p;
		out->opt[code].len = len;
		out->has[code] = true;
		p += len;
	}
	/* A missing end option is tolerated: some PXE ROMs pad to the end. */
	return 0;
}

int dhcp_parse(const uint8_t *buf, size_t len, struct dhcp_packet *out)
{
	int r;

	memset(out, 0, sizeof(*out));
	if (len < DHCP_MIN_LEN)
		return DHCP_E_SHORT;
	if (len > DHCP_MAX_LEN)
		return DHCP_E_LONG;
	out->op = buf[0];
	out->htype = buf[1];
	out->hlen = buf[2];
	out->hops = buf[3];
	if (out->op != 1)
		return DHCP_E_OP;
	if (out->htype != 1 || out->hlen != 6)
		return DHCP_E_HLEN;
	out->xid = rd32(buf + 4);
	out->secs = (uint16_t)(buf[8] << 8 | buf[9]);
	out->flags = (uint16_t)(buf[10] << 8 | buf[11]);
	out->ciaddr = rd32(buf + 12);
	out->yiaddr = rd32(buf + 16);
	out->siaddr = rd32(buf + 20);
	out->giaddr = rd32(buf + 24);
	memcpy(out->chaddr, buf + 28, 16);
	if (ntohl(rd32(buf + 236)) != DHCP_COOKIE)
		return DHCP_E_COOKIE;
	r = walk(buf + DHCP_MIN_LEN, buf + len, out);
	if (r < 0)
		return r;
	/* RFC 2132 §9.3: option overload puts more options in file/sname. */
	if (out->has[OPT_OVERLOAD] && out->opt[OPT_OVERLOAD].len == 1) {
		uint8_t ov = out->opt[OPT_OVERLOAD].p[0];
		if ((ov & 1) && (r = walk(buf + 108, buf + 236, out)) < 0)
			return r;
		if ((ov & 2) && (r = walk(buf + 44, buf + 108, out)) < 0)
			return r;
	}
	if (!out->has[OPT_MSG_TYPE] || out->opt[OPT_MSG_TYPE].len != 1 ||
	    out->opt[OPT_MSG_TYPE].p[0] < DHCPDISCOVER || out->opt[OPT_MSG_TYPE].p[0] > DHCPINFORM)
		return DHCP_E_NOTYPE;
	return 0;
}

const char *dhcp_parse_strerror(int err)
{
	switch (err) {
	case DHCP_OK: return "ok";
	case DHCP_E_SHORT: return "too short";
	case DHCP_E_LONG: return "too long";
	case DHCP_E_OP: return "not a request";
	case DHCP_E_HLEN: return "not Ethernet (htype/hlen)";
	case DHCP_E_COOKIE: return "bad magic cookie";
	case DHCP_E_OPTION: return "option overruns the packet";
	case DHCP_E_NOTYPE: return "no valid message type";
	}
	return "?";
}

int dhcp_msg_type(const struct dhcp_packet *p)
{
	return p->has[OPT_MSG_TYPE] && p->opt[OPT_MSG_TYPE].len == 1 ? p->opt[OPT_MSG_TYPE].p[0] : 0;
}

const char *dhcp_msg_name(int type)
{
	static const char *const n[] = { "?", "DISCOVER", "OFFER", "REQUEST", "DECLINE",
					 "ACK", "NAK", "RELEASE", "INFORM" };
	return type >= 1 && type <= 8 ? n[type] : n[0];
}

void dhcp_build_start(struct dhcp_builder *b, const struct dhcp_packet *req, uint8_t type)
{
	uint32_t cookie = htonl(DHCP_COOKIE);

	memset(b, 0, sizeof(*b));
	b->buf[0] = 2;	/* BOOTREPLY */
	b->buf[1] = 1;
	b->buf[2] = 6;
	memcpy(b->buf + 4, &req->xid, 4);
	b->buf[10] = (uint8_t)(req->flags >> 8);
	b->buf[11] = (uint8_t)req->flags;
	memcpy(b->buf + 24, &req->giaddr, 4);
	memcpy(b->buf + 28, req->chaddr, 16);
	memcpy(b->buf + 236, &cookie, 4);
	b->len = DHCP_MIN_LEN;
	dhcp_build_opt(b, OPT_MSG_TYPE, &type, 1);
}

void dhcp_build_addrs(struct dhcp_builder *b, uint32_t yiaddr, uint32_t siaddr)
{
	memcpy(b->buf + 16, &yiaddr, 4);
	memcpy(b->buf + 20, &siaddr, 4);
}

void dhcp_build_file(struct dhcp_builder *b, const char *file)
{
	size_t n = strlen(file);

	memset(b->buf + 108, 0, 128);
	memcpy(b->buf + 108, file, n < 127 ? n : 127);
}

void dhcp_build_sname(struct dhcp_builder *b, const char *sname)
{
	size_t n = strlen(sname);

	memset(b->buf + 44, 0, 64);
	memcpy(b->buf + 44, sname, n < 63 ? n : 63);
}

void dhcp_build_opt(struct dhcp_builder *b, uint8_t code, const void *data, size_t len)
{
	/* Keep room for the end option. */
	if (len > 255 || b->len + 2 + len + 1 > sizeof(b->buf)) {
		b->overflow = true;
		return;
	}
	b->buf[b->len++] = code;
	b->buf[b->len++] = (uint8_t)len;
	if (len)
		memcpy(b->buf + b->len, data, len);
	b->len += len;
}

void dhcp_build_opt_u32(struct dhcp_builder *b, uint8_t code, uint32_t be)
{
	dhcp_build_opt(b, code, &be, 4);
}

void dhcp_build_opt_str(struct dhcp_builder *b, uint8_t code, const char *s)
{
	dhcp_build_opt(b, code, s, strlen(s));
}

size_t dhcp_build_end(struct dhcp_builder *b)
{
	if (b->overflow || b->len + 1 > sizeof(b->buf))
		return 0;
	b->buf[b->len++] = OPT_END;
	/* RFC 1542 §3.2.1: some relays and old clients drop replies shorter
	 * than the 300-byte BOOTP minimum. */
	while (b->len < 300)
		b->buf[b->len++] = OPT_PAD;
	return b->len;
}
