/* fuzz_dhcp_ra: the router solicitation check and the prefix parser of
 * dhcp/ra.c on arbitrary bytes (the first byte picks which). An accepted
 * prefix must build an RA that fits its buffer. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp/ra.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ra_cfg c = { 0 };
	uint8_t buf[RA_MAX_LEN];
	char txt[128];

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		(void)ra_check_rs(data + 1, size - 1);
		return 0;
	}
	if (size - 1 >= sizeof(txt))
		return 0;
	memcpy(txt, data + 1, size - 1);
	txt[size - 1] = '\0';
	if (ra_prefix_parse(txt, &c) == 0) {
		size_t n = ra_build(&c, buf, sizeof(buf));
		if (n == 0 || n > sizeof(buf) || c.prefix_len < 1 || c.prefix_len > 128)
			abort();
	}
	return 0;
}
