/* test_http_path: request-path decoding, canonicalisation and opening
 * below a root (http/path.c). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "http/path.h"

static int clean(const char *raw, char *out)
{
	return http_path_clean(raw, strlen(raw), out, HTTP_PATH_MAX + 1);
}

static void test_canon_ok(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "/", "/" },
		{ "/boot/debian12/linux", "/boot/debian12/linux" },
		{ "//boot///x", "/boot/x" },
		{ "/boot/./x", "/boot/x" },
		{ "/boot/a/../x", "/boot/x" },
		{ "/boot/x/", "/boot/x/" },
		{ "/boot/x/.", "/boot/x" },
		{ "/a/b/..", "/a" },
		{ "/a/..", "/" },
		{ "/boot/%2e%2e/x", "/x" },		/* decoded, then resolved */
		{ "/boot/%252e%252e/x", "/boot/%2e%2e/x" },	/* decoded once only */
		{ "/a%20b", "/a b" },
		{ "/a+b", "/a+b" },
		{ "/...", "/..." },
		{ "/..a/b..", "/..a/b.." },
	};
	char out[HTTP_PATH_MAX + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int n = clean(cases[i].in, out);
		assert_int_equal(n, (int)strlen(cases[i].out));
		assert_string_equal(out, cases[i].out);
	}
}

static void test_canon_reject(void **state)
{
	char out[HTTP_PATH_MAX + 1];
	char longp[HTTP_PATH_MAX + 10];

	(void)state;
	assert_int_equal(clean("/../provd.yaml", out), -EACCES);
	assert_int_equal(clean("/boot/../../provd.yaml", out), -EACCES);
	assert_int_equal(clean("/boot/%2e%2e/%2e%2e/x", out), -EACCES);
	assert_int_equal(clean("/boot/%2E%2E/..", out), -EACCES);
	assert_int_equal(clean("/boot/a%00b", out), -EILSEQ);
	assert_int_equal(clean("/boot/%2", out), -EINVAL);
	assert_int_equal(clean("/boot/%zz", out), -EINVAL);
	assert_int_equal(clean("boot/x", out), -EINVAL);
	assert_int_equal(clean("/a%0d%0aX: y", out), -EINVAL);
	assert_int_equal(clean("/a%7f", out), -EINVAL);
	longp[0] = '/';
	memset(longp + 1, 'a', sizeof(longp) - 2);
	longp[sizeof(longp) - 1] = '\0';
	assert_int_equal(clean(longp, out), -ENAMETOOLONG);
}

static char root[] = "/tmp/provd-test-path.XXXXXX";

static int setup_tree(void **state)
{
	char p[512];
	int fd;

	(void)state;
	if (!mkdtemp(root))
		return -1;
	snprintf(p, sizeof(p), "%s/files", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/files/d", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/files/d/f", root);
	fd = open(p, O_CREAT | O_WRONLY, 0644);
	if (fd < 0)
		return -1;
	(void)!write(fd, "hello", 5);
	close(fd);
	snprintf(p, sizeof(p), "%s/secret", root);
	fd = open(p, O_CREAT | O_WRONLY, 0600);
	close(fd);
	snprintf(p, sizeof(p), "%s/files/d/escape", root);
	if (symlink("../../secret", p) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/files/link", root);
	if (symlink("d", p) < 0)
		return -1;
	return 0;
}

static int teardown_tree(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_open_beneath(void **state)
{
	char p[512];
	char b[8] = { 0 };
	int rootfd, fd;

	(void)state;
	snprintf(p, sizeof(p), "%s/files", root);
	rootfd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(rootfd >= 0);
	fd = http_path_open_beneath(rootfd, "d/f", 0);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, b, sizeof(b) - 1), 5);
	assert_string_equal(b, "hello");
	close(fd);
	assert_int_equal(http_path_open_beneath(rootfd, "d/escape", 0), -ELOOP);
	assert_int_equal(http_path_open_beneath(rootfd, "link/f", 0), -ELOOP);
	assert_int_equal(http_path_open_beneath(rootfd, "../secret", 0) < 0, 1);
	assert_int_equal(http_path_open_beneath(rootfd, "d", 0), -EISDIR);
	assert_int_equal(http_path_open_beneath(rootfd, "nope", 0), -ENOENT);
	assert_int_equal(http_path_open_beneath(rootfd, "/etc/passwd", 0), -EINVAL);
	close(rootfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canon_ok),
		cmocka_unit_test(test_canon_reject),
		cmocka_unit_test_setup_teardown(test_open_beneath, setup_tree, teardown_tree),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
