/* packet: DHCP messages (RFC 2131 §2, options RFC 2132) parsed against an
 * end pointer and built into a fixed buffer.
 *
 * Parsing never trusts a length: an option is used only if it fits inside
 * the packet (dnsmasq's option_find idea), option overload (52) is honoured
 * for file/sname, and every malformed input gets a distinct error. */
#ifndef PROVD_DHCP_PACKET_H
#define PROVD_DHCP_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DHCP_FIXED_LEN 236		/* op .. file, before the magic cookie */
#define DHCP_MIN_LEN 240		/* fixed part + cookie */
#define DHCP_MAX_LEN 1500		/* what we accept and send (one Ethernet frame) */
#define DHCP_COOKIE 0x63825363u

enum dhcp_msg {
	DHCPDISCOVER = 1, DHCPOFFER = 2, DHCPREQUEST = 3, DHCPDECLINE = 4,
	DHCPACK = 5, DHCPNAK = 6, DHCPRELEASE = 7, DHCPINFORM = 8,
};

enum dhcp_opt {
	OPT_PAD = 0, OPT_SUBNET = 1, OPT_ROUTER = 3, OPT_DNS = 6, OPT_HOSTNAME = 12,
	OPT_DOMAIN = 15, OPT_VENDOR = 43, OPT_REQ_IP = 50, OPT_LEASE = 51, OPT_OVERLOAD = 52,
	OPT_MSG_TYPE = 53, OPT_SERVER_ID = 54, OPT_PARAM_REQ = 55, OPT_MESSAGE = 56,
	OPT_MAX_SIZE = 57, OPT_RENEW = 58, OPT_REBIND = 59, OPT_VENDOR_CLASS = 60,
	OPT_CLIENT_ID = 61, OPT_TFTP_SERVER = 66, OPT_BOOTFILE = 67, OPT_USER_CLASS = 77,
	OPT_CLIENT_ARCH = 93, OPT_CLIENT_NDI = 94, OPT_UUID = 97, OPT_RELAY_AGENT = 82,
	OPT_IPXE_ENCAP = 175, OPT_END = 255,
};

/* Where an option's value lies in the packet (borrowed). */
struct dhcp_optval {
	const uint8_t *p;
	uint8_t len;
};

struct dhcp_packet {
	uint8_t op, htype, hlen, hops;
	uint32_t xid;
	uint16_t secs, flags;
	uint32_t ciaddr, yiaddr, siaddr, giaddr;	/* network byte order */
	uint8_t chaddr[16];
	/* Options by code (last occurrence wins; RFC 3396 concatenation of
	 * split options is not needed by PXE clients and not done). */
	struct dhcp_optval opt[256];
	bool has[256];
};

enum dhcp_parse_err {
	DHCP_OK = 0,
	DHCP_E_SHORT = -1,	/* shorter than the fixed part + cookie */
	DHCP_E_LONG = -2,	/* longer than DHCP_MAX_LEN */
	DHCP_E_OP = -3,		/* not a BOOTREQUEST */
	DHCP_E_HLEN = -4,	/* not Ethernet (htype 1, hlen 6) */
	DHCP_E_COOKIE = -5,	/* wrong magic cookie */
	DHCP_E_OPTION = -6,	/* an option runs past the end */
	DHCP_E_NOTYPE = -7,	/* no or bad message type (option 53) */
};

/* Parse a client request. 0 or a negative dhcp_parse_err. */
int dhcp_parse(const uint8_t *buf, size_t len, struct dhcp_packet *out);
const char *dhcp_parse_strerror(int err);
/* Option 53, or 0. */
int dhcp_msg_type(const struct dhcp_packet *p);
const char *dhcp_msg_name(int type);

/* Building a reply. */
struct dhcp_builder {
	uint8_t buf[DHCP_MAX_LEN];
	size_t len;		/* bytes used so far */
	bool overflow;		/* an option did not fit: reply is not sent */
};

/* Start a BOOTREPLY for req (xid, flags, giaddr, chaddr copied). */
void dhcp_build_start(struct dhcp_builder *b, const struct dhcp_packet *req, uint8_t type);
void dhcp_build_addrs(struct dhcp_builder *b, uint32_t yiaddr, uint32_t siaddr);
/* The fixed-field file name (BOOTP "file", 128 bytes) and sname. */
void dhcp_build_file(struct dhcp_builder *b, const char *file);
void dhcp_build_sname(struct dhcp_builder *b, const char *sname);
void dhcp_build_opt(struct dhcp_builder *b, uint8_t code, const void *data, size_t len);
void dhcp_build_opt_u32(struct dhcp_builder *b, uint8_t code, uint32_t be);
void dhcp_build_opt_str(struct dhcp_builder *b, uint8_t code, const char *s);
/* Option 255 and padding to the BOOTP minimum of 300 bytes. Returns the
 * length, or 0 on overflow. */
size_t dhcp_build_end(struct dhcp_builder *b);

#endif
