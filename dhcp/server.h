/* server: the PXE-aware DHCP server as one pure handler (systemd's
 * sd-dhcp-server shape): bytes in, reply bytes and destination out. The
 * socket code (sock.c), the unit tests and the fuzzer all call
 * dhcp_server_handle() the same way; it does no I/O except writing the
 * lease file after a change.
 *
 * Modes: full (leases from a range, static addresses from system
 * interfaces, RFC 2131 DISCOVER/OFFER/REQUEST/ACK/NAK/DECLINE/RELEASE/
 * INFORM) and proxy (PXE clients only, no address, PXE 2.1 proxyDHCP on
 * 67 and 4011). Boot choice by client architecture (option 93) and user
 * class (iPXE, option 77): provd/core/bootsel. Every client-controlled
 * resource is capped (leases, rate per MAC). */
#ifndef PROVD_DHCP_SERVER_H
#define PROVD_DHCP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "dhcp/packet.h"
#include "provd/core/config.h"

struct snapshot;

struct dhcp_server_cfg {
	enum dhcp_mode mode;	/* DHCP_MODE_FULL or DHCP_MODE_PROXY */
	uint32_t server_ip;	/* ours on the boot interface (network order) */
	uint32_t netmask;	/* network order */
	uint32_t range_start;	/* host order, full mode */
	uint32_t range_end;
	uint32_t lease_time;	/* seconds */
	uint32_t router;	/* network order; 0: none */
	uint32_t dns[4];
	size_t ndns;
	char domain[64];
	char http_base[128];	/* for iPXE script URLs, no trailing '/' */
	char lease_file[512];	/* "" : no persistence (tests, fuzzing) */
	bool unknown_ignore;	/* unknown MACs get no boot info */
	unsigned rate_per_mac;	/* requests per MAC per 10 s; 0: DHCP_RATE_PER_MAC */
	bool no_rate_limit;	/* benchmarks and odd relays: no per-MAC limit */
	bool ipxe_efi;		/* the TFTP tree has ipxe.efi (UEFI in proxy mode, HTTP boot) */
};

/* Where a request came from (sock.c fills it). */
struct dhcp_meta {
	uint32_t src_ip;	/* network order */
	uint16_t src_port;
	uint16_t local_port;	/* 67 or 4011 */
};

struct dhcp_reply {
	uint8_t buf[DHCP_MAX_LEN];
	size_t len;
	uint32_t dst_ip;	/* network order; INADDR_BROADCAST for broadcast */
	uint16_t dst_port;
	int type;		/* DHCPOFFER, DHCPACK, DHCPNAK */
	char mac[18];
	char system[65];	/* known system's name, or "" */
	uint32_t yiaddr;	/* network order */
	char bootfile[256];
	uint16_t local_port;	/* where the request came in: 67, or 4011 (ProxyDHCP) */
};

struct dhcp_stats {
	uint64_t received, bad, dropped_rate, offers, acks, naks, releases, declines, informs, ignored;
	uint64_t proxy_requests, proxy_acks;	/* on port 4011 (PXE 2.1 ProxyDHCP REQUEST) */
};

struct dhcp_server;

/* 0 and *out, or a negative errno. Loads the lease file when given. */
int dhcp_server_new(const struct dhcp_server_cfg *cfg, struct dhcp_server **out);
void dhcp_server_free(struct dhcp_server *s);
/* Which systems exist, their static addresses, loaders. Thread-safe; the
 * server keeps its own reference. */
void dhcp_server_set_snapshot(struct dhcp_server *s, struct snapshot *snap);
/* Handle one request. Returns the reply type (>0) with out filled, 0 when
 * nothing is to be sent, or a negative dhcp_parse_err for a bad packet. */
int dhcp_server_handle(struct dhcp_server *s, const uint8_t *pkt, size_t len,
		       const struct dhcp_meta *in, time_t now, struct dhcp_reply *out);
void dhcp_server_stats(const struct dhcp_server *s, struct dhcp_stats *out);
/* The address leased to mac (network order) or 0; for tests. */
uint32_t dhcp_server_lease_of(const struct dhcp_server *s, const uint8_t mac[6], time_t now);

#define DHCP_LEASES_MAX 65536
#define DHCP_OFFER_HOLD 60	/* seconds an offered address stays reserved */
#define DHCP_RATE_PER_MAC 30	/* requests per 10 s before a MAC is ignored */

#endif
