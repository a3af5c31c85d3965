/*
 * kvm/fw/dhcpc.h - the netboot firmware's DHCP client: what a PXE ROM does
 * (RFC 2131 with the PXE options of RFC 4578), including proxyDHCP: an
 * address from one server, the boot file from another.
 */
#ifndef PROVD_KVM_FW_DHCPC_H
#define PROVD_KVM_FW_DHCPC_H

#include <stddef.h>
#include <stdint.h>

#include "kvm/fw/nic.h"

struct dhcp_lease {
	uint32_t addr, mask, router;	/* network byte order */
	uint32_t server;		/* DHCP server identifier */
	uint32_t next_server;		/* TFTP server: siaddr or option 66 */
	char bootfile[128];		/* file field or option 67 */
	int proxy;			/* boot file came from a proxyDHCP offer */
};

/* Parses the options of one DHCP message (pure; fuzzed). Returns the
 * message type (option 53) or -1, and fills what it found into l. */
int dhcpc_parse(const uint8_t *msg, size_t len, uint32_t xid, const uint8_t mac[6],
		struct dhcp_lease *l);

/* DISCOVER, OFFER(s), REQUEST, ACK on n; on success n->ip/mask/router
 * are set. 0, -ETIMEDOUT (no usable offer), -ECONNREFUSED (NAKed). */
int dhcpc_run(struct fw_nic *n, struct dhcp_lease *l);

#endif
