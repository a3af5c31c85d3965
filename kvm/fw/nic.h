/*
 * kvm/fw/nic.h - the netboot firmware's network: Ethernet frames through
 * the VM's own net backend (slirp or TAP, kvm/net/backend.h) before the
 * guest runs, with ARP, IPv4 and UDP on top. No TCP: like a PXE ROM, the
 * firmware speaks DHCP and TFTP only. Single-threaded: the caller's thread
 * drives the backend's poll loop until the backend is freed, before the
 * VM's net thread exists.
 */
#ifndef PROVD_KVM_FW_NIC_H
#define PROVD_KVM_FW_NIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "kvm/vmconfig.h"

#define FW_RXQ 64		/* frames waiting to be looked at */
#define FW_FRAME 1536		/* longer frames are dropped */
#define FW_ARP_CACHE 4

struct net_backend;

struct fw_nic {
	struct net_backend *be;
	uint8_t mac[6];
	uint32_t ip, mask, router;	/* network byte order; 0 until DHCP */
	struct {
		uint32_t ip;
		uint8_t mac[6];
	} arp[FW_ARP_CACHE];
	unsigned int narp;
	uint8_t rxq[FW_RXQ][FW_FRAME];
	uint16_t rxlen[FW_RXQ];
	unsigned int rxhead, rxcount;
	unsigned long dropped;		/* queue full or oversized */
};

/* Opens c's network (slirp or tap) for the firmware. 0 or -errno. */
int fw_nic_open(struct fw_nic *n, const struct vm_config *c);
void fw_nic_close(struct fw_nic *n);

/* Sends one UDP datagram; dst INADDR_BROADCAST goes to ff:ff:ff:ff:ff:ff,
 * others to dst (on-link) or the router, resolved with ARP. 0 or -errno
 * (-EHOSTUNREACH: no ARP answer). Addresses in network byte order. */
int fw_udp_send(struct fw_nic *n, uint32_t dst, uint16_t sport, uint16_t dport,
		const void *data, size_t len);

/* Waits up to timeout_ms for a UDP datagram to our port dport (unicast to
 * our address, or broadcast); answers ARP requests for our address
 * meanwhile. Returns its length (truncated to max), -ETIMEDOUT or -errno. */
ssize_t fw_udp_recv(struct fw_nic *n, uint16_t dport, void *buf, size_t max,
		    uint32_t *src, uint16_t *sport, int timeout_ms);

/* Monotonic milliseconds. */
int64_t fw_now_ms(void);

#endif
