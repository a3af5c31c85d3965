/* Unit tests for provd/base: buffers, bounded parsing, names and MACs,
 * SHA-256/HMAC test vectors (FIPS 180-4, RFC 4231), atomic writes. */
#include "config.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "provd/base/buf.h"
#include "provd/base/err.h"
#include "provd/base/fsutil.h"
#include "provd/base/netaddr.h"
#include "provd/base/sha256.h"
#include "provd/base/strparse.h"

static void test_buf_cap(void **state)
{
	struct buf b;

	buf_init(&b, 8);
	assert_int_equal(buf_puts(&b, "abcd"), 0);
	assert_int_equal(buf_printf(&b, "%d", 1234), 0);
	assert_string_equal(buf_str(&b), "abcd1234");
	/* Past the cap: refused, content unchanged. */
	assert_int_equal(buf_putc(&b, 'x'), -E2BIG);
	assert_int_equal(buf_printf(&b, "%s", "yy"), -E2BIG);
	assert_string_equal(buf_str(&b), "abcd1234");
	assert_int_equal(b.len, 8);
	buf_free(&b);
}

static void test_parse_numbers(void **state)
{
	uint64_t v;
	int64_t s;

	assert_int_equal(parse_u64("42", 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(parse_u64("101", 0, 100, &v), -ERANGE);
	assert_int_equal(parse_u64("-1", 0, 100, &v), -EINVAL);
	assert_int_equal(parse_u64("12x", 0, 100, &v), -EINVAL);
	assert_int_equal(parse_u64("", 0, 100, &v), -EINVAL);
	assert_int_equal(parse_u64("99999999999999999999999", 0, UINT64_MAX, &v), -ERANGE);
	assert_int_equal(parse_i64("-5", -10, 10, &s), 0);
	assert_int_equal(s, -5);
	assert_int_equal(parse_size("20G", 0, &v), 0);
	assert_true(v == 20ULL << 30);
	assert_int_equal(parse_size("512", 1 << 20, &v), 0);
	assert_true(v == 512ULL << 20);
	assert_int_equal(parse_size("4KiB", 0, &v), 0);
	assert_true(v == 4096);
	assert_int_equal(parse_size("G", 0, &v), -EINVAL);
	assert_int_equal(parse_size("99999999999T", 0, &v), -ERANGE);
}

static void test_names_macs(void **state)
{
	char m[18];
	bool b;

	assert_true(name_valid("web-01.lab_a"));
	assert_false(name_valid(""));
	assert_false(name_valid(".."));
	assert_false(name_valid("a/b"));
	assert_false(name_valid("x y"));
	assert_true(name_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
	assert_false(name_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
	assert_int_equal(mac_normalise("52:54:00:AB:cd:EF", m), 0);
	assert_string_equal(m, "52:54:00:ab:cd:ef");
	assert_int_equal(mac_normalise("52-54-00-ab-cd-ef", m), 0);
	assert_string_equal(m, "52:54:00:ab:cd:ef");
	assert_int_equal(mac_normalise("525400abcdef", m), 0);
	assert_string_equal(m, "52:54:00:ab:cd:ef");
	assert_int_equal(mac_normalise("52:54:00:ab:cd", m), -EINVAL);
	assert_int_equal(mac_normalise("52:54-00:ab:cd:ef", m), -EINVAL);
	assert_int_equal(mac_normalise("zz:54:00:ab:cd:ef", m), -EINVAL);
	assert_int_equal(parse_bool("On", &b), 0);
	assert_true(b);
	assert_int_equal(parse_bool("maybe", &b), -EINVAL);
}

static void test_sha256_vectors(void **state)
{
	char hex[65];
	uint8_t mac[32];
	char mhex[65];
	/* FIPS 180-4 examples. */
	sha256_hex("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha256_hex("", 0, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
	assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	/* RFC 4231 test case 2. */
	hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, mac);
	hex_encode(mac, 32, mhex);
	assert_string_equal(mhex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static void test_atomic_write(void **state)
{
	char dir[] = "/tmp/provd-test-XXXXXX";
	char *p, *data = NULL;
	size_t len;

	assert_non_null(mkdtemp(dir));
	p = path_join(dir, "obj.yaml");
	assert_int_equal(fs_write_atomic(p, "one\n", 4, 0644), 0);
	assert_int_equal(fs_write_atomic(p, "two\n", 4, 0644), 0);
	assert_int_equal(fs_read_file(p, 100, &data, &len), 0);
	assert_string_equal(data, "two\n");
	free(data);
	assert_int_equal(fs_read_file(p, 2, &data, &len), -EFBIG);
	assert_int_equal(fs_unlink(p), 0);
	assert_int_equal(fs_unlink(p), 0);
	free(p);
	rmdir(dir);
}

static void test_diags(void **state)
{
	struct diags d = { 0 };
	char *s;

	diags_add(&d, "a.yaml", 3, 7, "use a name", "bad name '%s'", "x y");
	diags_add(&d, NULL, 0, 0, NULL, "plain");
	assert_int_equal(d.n, 2);
	s = diag_format(&d.v[0]);
	assert_string_equal(s, "a.yaml:3:7: error: bad name 'x y'");
	free(s);
	s = diag_format(&d.v[1]);
	assert_string_equal(s, "error: plain");
	free(s);
	diags_clear(&d);
}

static void test_netaddr(void **state)
{
	struct netaddr a;
	char b[64];

	assert_int_equal(netaddr_parse("127.0.0.1:8080", "0.0.0.0", 80, &a), 0);
	assert_string_equal(netaddr_format(&a, b, sizeof(b)), "127.0.0.1:8080");
	assert_int_equal(netaddr_parse(":69", "0.0.0.0", 80, &a), 0);
	assert_string_equal(netaddr_format(&a, b, sizeof(b)), "0.0.0.0:69");
	assert_int_equal(netaddr_parse("[::1]:80", NULL, 0, &a), 0);
	assert_string_equal(netaddr_format(&a, b, sizeof(b)), "[::1]:80");
	assert_int_equal(netaddr_parse("127.0.0.1:99999", NULL, 0, &a), -EINVAL);
	assert_int_equal(netaddr_parse("nohost:1", NULL, 0, &a), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_cap),
		cmocka_unit_test(test_parse_numbers),
		cmocka_unit_test(test_names_macs),
		cmocka_unit_test(test_sha256_vectors),
		cmocka_unit_test(test_atomic_write),
		cmocka_unit_test(test_diags),
		cmocka_unit_test(test_netaddr),
	};
	return cmocka_run_group_tests_name("base", tests, NULL, NULL);
}
