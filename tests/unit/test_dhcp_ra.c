/* Unit tests for dhcp/ra.c's pure parts: the RA bytes (RFC 4861 §4.2,
 * §4.6.2), the prefix parser and the router solicitation check. */
#include "config.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "dhcp/ra.h"

static void test_build(void **state)
{
	struct ra_cfg c = { .mac = { 0x52, 0x54, 0, 0xd6, 0, 1 } };
	uint8_t b[RA_MAX_LEN], want_prefix[16];

	(void)state;
	/* No prefix: header + source link-layer address only. */
	assert_int_equal(ra_build(&c, b, sizeof(b)), 24);
	assert_int_equal(b[0], 134);
	assert_int_equal(b[1], 0);
	assert_int_equal(b[4], 64);
	assert_int_equal(b[5], 0);		/* M and O off */
	assert_int_equal(b[6] | b[7], 0);	/* router lifetime 0 */
	assert_int_equal(b[16], 1);
	assert_int_equal(b[17], 1);
	assert_memory_equal(b + 18, c.mac, 6);
	assert_int_equal(ra_prefix_parse("2001:db8::/64", &c), 0);
	assert_int_equal(ra_build(&c, b, sizeof(b)), 56);
	assert_int_equal(b[24], 3);		/* prefix information */
	assert_int_equal(b[25], 4);
	assert_int_equal(b[26], 64);
	assert_int_equal(b[27], 0xc0);		/* on-link, autonomous */
	assert_int_equal(b[28] << 24 | b[29] << 16 | b[30] << 8 | b[31], 86400);
	assert_int_equal(b[32] << 24 | b[33] << 16 | b[34] << 8 | b[35], 14400);
	inet_pton(AF_INET6, "2001:db8::", want_prefix);
	assert_memory_equal(b + 40, want_prefix, 16);
	/* Too small a buffer: nothing. */
	assert_int_equal(ra_build(&c, b, 55), 0);
}

static void test_prefix(void **state)
{
	struct ra_cfg c = { 0 };
	uint8_t want[16];

	(void)state;
	assert_int_equal(ra_prefix_parse("2001:db8:1:2:3:4:5:6/64", &c), 0);
	inet_pton(AF_INET6, "2001:db8:1:2::", want);
	assert_memory_equal(c.prefix, want, 16);	/* host bits cleared */
	assert_int_equal(c.prefix_len, 64);
	assert_int_equal(ra_prefix_parse("2001:db8::/0", &c), -EINVAL);
	assert_int_equal(ra_prefix_parse("2001:db8::/129", &c), -EINVAL);
	assert_int_equal(ra_prefix_parse("2001:db8::/64x", &c), -EINVAL);
	assert_int_equal(ra_prefix_parse("2001:db8::", &c), -EINVAL);
	assert_int_equal(ra_prefix_parse("/64", &c), -EINVAL);
	assert_int_equal(ra_prefix_parse("192.0.2.0/24", &c), -EINVAL);
	assert_int_equal(ra_prefix_parse("2001:db8::/", &c), -EINVAL);
}

static void test_rs(void **state)
{
	uint8_t rs[16] = { 133, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0x52, 0x54, 0, 0, 0, 1 };

	(void)state;
	assert_int_equal(ra_check_rs(rs, 8), 0);
	assert_int_equal(ra_check_rs(rs, 16), 0);
	assert_int_equal(ra_check_rs(rs, 7), -EINVAL);
	assert_int_equal(ra_check_rs(rs, 12), -EINVAL);	/* option overruns */
	rs[9] = 0;
	assert_int_equal(ra_check_rs(rs, 16), -EINVAL);	/* zero-length option */
	rs[9] = 1;
	rs[1] = 1;
	assert_int_equal(ra_check_rs(rs, 16), -EINVAL);	/* code must be 0 */
	rs[1] = 0;
	rs[0] = 134;
	assert_int_equal(ra_check_rs(rs, 16), -EINVAL);	/* an RA, not an RS */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_rs),
	};
	return cmocka_run_group_tests_name("dhcp_ra", tests, NULL, NULL);
}
