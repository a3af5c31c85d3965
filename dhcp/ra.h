/* ra: IPv6 router advertisements on the boot interface (RFC 4861 §4.2,
 * §6.2). provd is no IPv6 router: it announces router lifetime 0 (no
 * default route through us), the M and O flags off (no DHCPv6), and at
 * most one prefix for stateless autoconfiguration (RFC 4862).
 *
 * Why: a PXE firmware that speaks IPv6 waits for autoconfiguration before
 * it is done with the network; Debian's iPXE waits about 13 s when no RA
 * ever comes. One RA, periodic and in answer to router solicitations,
 * ends the wait. On by default in DHCP full mode; `provd serve --ra off`
 * turns it off, `--ra-prefix P/64` gives the prefix.
 *
 * ra_build() and ra_check_rs() are pure (unit test, fuzzer); ra_start()
 * runs a raw ICMPv6 socket on the daemon's event loop. */
#ifndef PROVD_DHCP_RA_H
#define PROVD_DHCP_RA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;

#define RA_INTERVAL_MS 10000	/* unsolicited RAs (RFC 4861 allows 4-1800 s; iPXE listens briefly) */
#define RA_MAX_LEN 128

struct ra_cfg {
	uint8_t mac[6];		/* the interface's, for the source link-layer option */
	bool has_prefix;
	uint8_t prefix[16];
	unsigned prefix_len;	/* 64 for SLAAC */
	uint32_t valid_s, preferred_s;	/* prefix lifetimes; 0: 86400 / 14400 */
};

/* Parse "2001:db8::/64" into cfg's prefix. 0 or -EINVAL. */
int ra_prefix_parse(const char *txt, struct ra_cfg *cfg);

/* The ICMPv6 RA message (checksum left 0: the kernel fills it on raw
 * ICMPv6 sockets). Returns its length, or 0 when cap is too small. */
size_t ra_build(const struct ra_cfg *cfg, uint8_t *buf, size_t cap);

/* RFC 4861 §6.1.1: a router solicitation we should answer: type 133, code
 * 0, at least 8 bytes, every option of non-zero length within the message.
 * (Hop limit 255 is checked by the socket code.) 0 or -EINVAL. */
int ra_check_rs(const uint8_t *buf, size_t len);

struct ra_sock;
/* Start sending on iface. 0 and *out, or a negative errno (-EPERM without
 * CAP_NET_RAW; -EADDRNOTAVAIL when the interface has no IPv6). */
int ra_start(struct loop *l, const char *iface, const struct ra_cfg *cfg, struct ra_sock **out);
void ra_stop(struct ra_sock *s);	/* NULL-safe */
/* RAs sent and solicitations answered, for tests and metrics. */
void ra_counts(const struct ra_sock *s, uint64_t *sent, uint64_t *solicited);

#endif
