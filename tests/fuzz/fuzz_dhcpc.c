/* fuzz_dhcpc: the netboot firmware's DHCP reply parser on any bytes (a
 * hostile server on the VM's network). The first 4 bytes are the xid the
 * client expects; the rest is the message. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kvm/fw/dhcpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	struct dhcp_lease l;
	uint32_t xid;
	uint8_t *msg;

	if (size < 4)
		return 0;
	memcpy(&xid, data, 4);
	/* an exact-size copy, so ASan sees any read past the message */
	msg = malloc(size - 4 ? size - 4 : 1);
	if (!msg)
		return 0;
	memcpy(msg, data + 4, size - 4);
	dhcpc_parse(msg, size - 4, xid, mac, &l);
	if (memchr(l.bootfile, '\0', sizeof(l.bootfile)) == NULL)
		abort();
	free(msg);
	return 0;
}
