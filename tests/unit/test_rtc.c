/* test_rtc: the CMOS RTC model: BCD and binary time from the host clock,
 * 12-hour form, century, status registers (UIP never set, C cleared,
 * D valid), a guest write moving the clock, NVRAM, the index port. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kvm/hw/rtc.h"

/* 2026-12-02 20:04:52 UTC, a Wednesday */
#define NOW ((time_t)1796241892)

static uint8_t rd(struct rtc *r, uint8_t reg, time_t now)
{
	uint8_t v = reg;

	rtc_io(r, RTC_INDEX_PORT, true, &v, now);
	rtc_io(r, RTC_DATA_PORT, false, &v, now);
	return v;
}

static void wr(struct rtc *r, uint8_t reg, uint8_t val, time_t now)
{
	uint8_t v = reg;

	rtc_io(r, RTC_INDEX_PORT, true, &v, now);
	rtc_io(r, RTC_DATA_PORT, true, &val, now);
}

static void test_bcd(void **state)
{
	struct rtc r;

	(void)state;
	rtc_init(&r);
	assert_int_equal(rd(&r, 0x00, NOW), 0x52);
	assert_int_equal(rd(&r, 0x02, NOW), 0x04);
	assert_int_equal(rd(&r, 0x04, NOW), 0x20);
	assert_int_equal(rd(&r, 0x06, NOW), 4);	/* Wednesday, Sunday = 1 */
	assert_int_equal(rd(&r, 0x07, NOW), 0x02);
	assert_int_equal(rd(&r, 0x08, NOW), 0x12);
	assert_int_equal(rd(&r, 0x09, NOW), 0x26);
	assert_int_equal(rd(&r, RTC_CENTURY, NOW), 0x20);
	/* the clock follows the host */
	assert_int_equal(rd(&r, 0x00, NOW + 5), 0x57);
}

static void test_binary_12h(void **state)
{
	struct rtc r;

	(void)state;
	rtc_init(&r);
	wr(&r, RTC_REG_B, RTC_B_BINARY, NOW);	/* binary, 12-hour */
	assert_int_equal(rd(&r, 0x00, NOW), 52);
	assert_int_equal(rd(&r, 0x09, NOW), 26);
	assert_int_equal(rd(&r, 0x04, NOW), 0x80 | 8);	/* 8 PM */
	assert_int_equal(rd(&r, 0x04, NOW - 20 * 3600), 12);	/* 0:04 = 12 AM */
	wr(&r, RTC_REG_B, RTC_B_BINARY | RTC_B_24H, NOW);
	assert_int_equal(rd(&r, 0x04, NOW), 20);
}

static void test_status(void **state)
{
	struct rtc r;

	(void)state;
	rtc_init(&r);
	assert_int_equal(rd(&r, RTC_REG_A, NOW) & 0x80, 0);	/* no UIP */
	wr(&r, RTC_REG_A, 0xa6, NOW);
	assert_int_equal(rd(&r, RTC_REG_A, NOW), 0x26);
	assert_int_equal(rd(&r, RTC_REG_C, NOW), 0);
	assert_int_equal(rd(&r, RTC_REG_D, NOW), RTC_D_VRT);
	wr(&r, RTC_REG_D, 0, NOW);
	assert_int_equal(rd(&r, RTC_REG_D, NOW), RTC_D_VRT);
	assert_int_equal(rd(&r, RTC_REG_B, NOW), RTC_B_24H);
}

static void test_set_time(void **state)
{
	struct rtc r;

	(void)state;
	rtc_init(&r);
	wr(&r, RTC_REG_B, RTC_B_24H | RTC_B_SET, NOW);
	wr(&r, 0x09, 0x30, NOW);	/* year 2030 */
	wr(&r, 0x04, 0x07, NOW);	/* 07 h */
	wr(&r, RTC_REG_B, RTC_B_24H, NOW);
	assert_int_equal(rd(&r, 0x09, NOW), 0x30);
	assert_int_equal(rd(&r, 0x04, NOW), 0x07);
	assert_int_equal(rd(&r, 0x02, NOW), 0x04);	/* minutes kept */
	/* and keeps running from there */
	assert_int_equal(rd(&r, 0x02, NOW + 60), 0x05);
	wr(&r, RTC_CENTURY, 0x21, NOW);
	assert_int_equal(rd(&r, RTC_CENTURY, NOW), 0x21);
	assert_int_equal(rd(&r, 0x09, NOW), 0x30);
}

static void test_nvram_and_ports(void **state)
{
	struct rtc r;
	uint8_t v = 0x80 | 0x40;

	(void)state;
	rtc_init(&r);
	rtc_io(&r, RTC_INDEX_PORT, true, &v, NOW);	/* NMI off, reg 0x40 */
	assert_true(r.nmi_disabled);
	v = 0x5a;
	rtc_io(&r, RTC_DATA_PORT, true, &v, NOW);
	assert_int_equal(rd(&r, 0x40, NOW), 0x5a);
	assert_false(r.nmi_disabled);
	rtc_io(&r, RTC_INDEX_PORT, false, &v, NOW);
	assert_int_equal(v, 0xff);
	v = 0;
	rtc_io(&r, 0x72, false, &v, NOW);
	assert_int_equal(v, 0xff);
	/* index wraps into 0..127 */
	wr(&r, 0x7f, 0x11, NOW);
	assert_int_equal(rd(&r, 0xff, NOW), 0x11);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bcd),
		cmocka_unit_test(test_binary_12h),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_set_time),
		cmocka_unit_test(test_nvram_and_ports),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
