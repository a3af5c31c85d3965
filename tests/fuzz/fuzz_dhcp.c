/* fuzz_dhcp: the DHCP parser and the pure handler, in full and proxy mode,
 * fed arbitrary packets (the first byte picks the mode and the port). A
 * reply must fit the buffer; nothing may crash or leak. */
#include "config.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dhcp_server_cfg c = { .lease_time = 600 };
	struct dhcp_server *s = NULL;
	struct dhcp_reply r;
	struct dhcp_meta in = { .src_ip = inet_addr("192.0.2.7"), .src_port = 68, .local_port = 67 };

	if (size < 1)
		return 0;
	c.mode = data[0] & 1 ? DHCP_MODE_PROXY : DHCP_MODE_FULL;
	if (data[0] & 2)
		in.local_port = 4011;
	c.server_ip = inet_addr("192.0.2.1");
	c.netmask = inet_addr("255.255.255.0");
	c.range_start = ntohl(inet_addr("192.0.2.100"));
	c.range_end = ntohl(inet_addr("192.0.2.110"));
	strcpy(c.http_base, "http://192.0.2.1:8080");
	if (dhcp_server_new(&c, &s) < 0)
		return 0;
	/* Twice: the second sees the state the first left. */
	for (int i = 0; i < 2; i++)
		if (dhcp_server_handle(s, data + 1, size - 1, &in, 1000 + i, &r) > 0 && r.len > sizeof(r.buf))
			abort();
	dhcp_server_free(s);
	return 0;
}
