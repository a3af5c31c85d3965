/* test_mptable: MP floating pointer and configuration table: signatures,
 * pointers, both checksums, one enabled processor entry per vCPU with the
 * BSP flag only on CPU 0, the I/O APIC, interrupt entries, limits. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kvm/mptable.h"

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

static void check(unsigned int ncpus)
{
	static uint8_t buf[8192];
	uint8_t *hdr = buf + 16, *p;
	uint32_t ptr;
	uint16_t len, count;
	unsigned int i, procs = 0, bsp = 0, ioapic = 0, ints = 0, lints = 0;
	int n;

	memset(buf, 0xaa, sizeof(buf));
	n = mptable_build(buf, sizeof(buf), MPTABLE_GPA, ncpus);
	assert_true(n > 0);
	assert_memory_equal(buf, "_MP_", 4);
	memcpy(&ptr, buf + 4, 4);
	assert_int_equal(ptr, MPTABLE_GPA + 16);
	assert_int_equal(sum(buf, 16), 0);
	assert_int_equal(buf[11], 0);	/* feature1 0: table present */
	assert_memory_equal(hdr, "PCMP", 4);
	memcpy(&len, hdr + 4, 2);
	memcpy(&count, hdr + 34, 2);
	assert_int_equal(len + 16, n);
	assert_int_equal(sum(hdr, len), 0);
	p = hdr + 44;
	for (i = 0; i < count; i++) {
		assert_true(p < hdr + len);
		switch (p[0]) {
		case 0:
			assert_int_equal(p[1], procs);
			assert_true(p[3] & 1);
			if (p[3] & 2)
				bsp++, assert_int_equal(p[1], 0);
			procs++;
			p += 20;
			break;
		case 2:
			assert_int_equal(p[1], ncpus);
			ioapic++;
			p += 8;
			break;
		case 3:
			assert_int_equal(p[5], p[7]);	/* IRQ n -> pin n */
			ints++;
			p += 8;
			break;
		case 4:
			lints++;
			p += 8;
			break;
		default:
			assert_int_equal(p[0], 1);
			p += 8;
		}
	}
	assert_ptr_equal(p, hdr + len);
	assert_int_equal(procs, ncpus);
	assert_int_equal(bsp, 1);
	assert_int_equal(ioapic, 1);
	assert_int_equal(ints, 16);
	assert_int_equal(lints, 2);
	assert_int_equal(buf[n], 0xaa);	/* nothing written past the end */
}

static void test_mptable(void **state)
{
	static uint8_t small[64];

	(void)state;
	check(1);
	check(2);
	check(64);
	check(MPTABLE_MAX_CPUS);
	assert_int_equal(mptable_build(small, sizeof(small), MPTABLE_GPA, 0), -EINVAL);
	assert_int_equal(mptable_build(small, sizeof(small), MPTABLE_GPA, 255), -EINVAL);
	assert_int_equal(mptable_build(small, sizeof(small), MPTABLE_GPA, 2), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mptable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
