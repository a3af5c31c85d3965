/* Unit tests for provd/core/events: line format, filters, limit, rotation,
 * detail cutting, kind validation, and many writers (threads and forked
 * processes) appending at once without torn or lost lines. */
#include "config.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "provd/base/fsutil.h"
#include "provd/core/events.h"

static int setup_dir(void **state)
{
	char tmpl[] = "/tmp/provd-test-events.XXXXXX";
	char *d = mkdtemp(tmpl);

	if (!d)
		return -1;
	*state = strdup(d);
	return 0;
}

static int teardown_dir(void **state)
{
	char *cmd = NULL;

	if (asprintf(&cmd, "rm -rf '%s'", (char *)*state) > 0 && system(cmd) != 0)
		fprintf(stderr, "cleanup failed\n");
	free(cmd);
	free(*state);
	return 0;
}

static void test_kind_valid(void **state)
{
	assert_true(event_kind_valid("boot-file"));
	assert_true(event_kind_valid("a.b_c-1"));
	assert_false(event_kind_valid(""));
	assert_false(event_kind_valid(NULL));
	assert_false(event_kind_valid("Boot"));
	assert_false(event_kind_valid("a b"));
	assert_false(event_kind_valid("0123456789012345678901234567890123"));
	assert_int_equal(events_append(*state, NULL, NULL, "bad kind", "x"), -EINVAL);
}

static void test_append_read(void **state)
{
	const char *dir = *state;
	struct event_list l;
	char *path = path_join(dir, EVENTS_LOG_NAME), *data = NULL;
	size_t len;
	json_t *o;

	assert_int_equal(events_append(dir, "web1", "52-54-00-AA-BB-01", EVENT_DHCP_OFFER, "192.0.2.10"), 0);
	assert_int_equal(events_append(dir, NULL, "52:54:00:aa:bb:02", EVENT_DHCP_OFFER, NULL), 0);
	assert_int_equal(events_appendf(dir, "web1", NULL, EVENT_BOOT_FILE, "/boot/%s/linux", "deb12"), 0);
	assert_int_equal(events_append(dir, "db1", NULL, EVENT_CB_DONE, "done"), 0);

	/* The file is JSON lines with the documented keys. */
	assert_int_equal(fs_read_file(path, 1 << 20, &data, &len), 0);
	o = json_loadb(data, strchr(data, '\n') - data, 0, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "system")), "web1");
	assert_string_equal(json_string_value(json_object_get(o, "mac")), "52:54:00:aa:bb:01");
	assert_string_equal(json_string_value(json_object_get(o, "kind")), "dhcp-offer");
	assert_string_equal(json_string_value(json_object_get(o, "detail")), "192.0.2.10");
	assert_int_equal(strlen(json_string_value(json_object_get(o, "time"))), 24);
	json_decref(o);
	free(data);

	assert_int_equal(events_read(dir, NULL, &l), 0);
	assert_int_equal(l.n, 4);
	assert_null(l.v[1].system);
	assert_string_equal(l.v[1].detail, "");
	event_list_free(&l);

	struct event_filter f = { .system = "web1" };
	assert_int_equal(events_read(dir, &f, &l), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].kind, "dhcp-offer");
	assert_string_equal(l.v[1].detail, "/boot/deb12/linux");
	event_list_free(&l);

	struct event_filter fm = { .mac = "52:54:00:AA:BB:02" };
	assert_int_equal(events_read(dir, &fm, &l), 0);
	assert_int_equal(l.n, 1);
	event_list_free(&l);

	struct event_filter fany = { .system = "db1", .mac = "52:54:00:aa:bb:02", .any_of = true };
	assert_int_equal(events_read(dir, &fany, &l), 0);
	assert_int_equal(l.n, 2);
	event_list_free(&l);
	struct event_filter fand = { .system = "web1", .mac = "52:54:00:aa:bb:01" };
	assert_int_equal(events_read(dir, &fand, &l), 0);
	assert_int_equal(l.n, 1);
	event_list_free(&l);
	struct event_filter fsk = { .system = "web1", .kind = EVENT_BOOT_FILE };
	assert_int_equal(events_read(dir, &fsk, &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].detail, "/boot/deb12/linux");
	event_list_free(&l);
	/* A name that is a prefix of another matches only itself. */
	struct event_filter fpre = { .system = "web" };
	assert_int_equal(events_read(dir, &fpre, &l), 0);
	assert_int_equal(l.n, 0);
	event_list_free(&l);

	/* since: strictly newer than the given time. */
	assert_int_equal(events_read(dir, NULL, &l), 0);
	char t1[40];
	snprintf(t1, sizeof(t1), "%s", l.v[1].time);
	event_list_free(&l);
	struct event_filter fs = { .since = t1 };
	assert_int_equal(events_read(dir, &fs, &l), 0);
	for (size_t i = 0; i < l.n; i++)
		assert_true(strcmp(l.v[i].time, t1) > 0);
	event_list_free(&l);
	struct event_filter fs0 = { .since = "2000-01-01T00:00:00.000Z" };
	assert_int_equal(events_read(dir, &fs0, &l), 0);
	assert_int_equal(l.n, 4);
	event_list_free(&l);
	struct event_filter fs9 = { .since = "9999-01-01T00:00:00.000Z" };
	assert_int_equal(events_read(dir, &fs9, &l), 0);
	assert_int_equal(l.n, 0);
	event_list_free(&l);

	struct event_filter fk = { .kind = EVENT_DHCP_OFFER, .limit = 1 };
	assert_int_equal(events_read(dir, &fk, &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].mac, "52:54:00:aa:bb:02");	/* the newest */
	event_list_free(&l);
	free(path);
}

static void test_limit_ring_order(void **state)
{
	const char *dir = *state;
	struct event_list l;
	struct event_filter f = { .limit = 3 };

	for (int i = 0; i < 10; i++)
		assert_int_equal(events_appendf(dir, "s", NULL, "tick", "%d", i), 0);
	assert_int_equal(events_read(dir, &f, &l), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[0].detail, "7");
	assert_string_equal(l.v[1].detail, "8");
	assert_string_equal(l.v[2].detail, "9");
	event_list_free(&l);
}

static void test_hostile_text(void **state)
{
	const char *dir = *state;
	struct event_list l;
	char big[10000];

	memset(big, '\x01', sizeof(big) - 1);	/* escapes to \u0001: 6x */
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(events_append(dir, "x\"y\n", "not a mac", "k", big), 0);
	assert_int_equal(events_append(dir, "bad\xff\xfeutf8", NULL, "k", "line\nbreak \xc3\xa9"), 0);
	assert_int_equal(events_read(dir, NULL, &l), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].system, "x\"y\n");
	assert_string_equal(l.v[0].mac, "not a mac");
	assert_true(strlen(l.v[0].detail) > 100);
	assert_true(strlen(l.v[0].detail) <= EVENT_DETAIL_MAX);
	assert_string_equal(l.v[1].system, "bad??utf8");
	assert_string_equal(l.v[1].detail, "line\nbreak \xc3\xa9");
	event_list_free(&l);
	/* Filters on values JSON escapes still match (no prefilter then). */
	struct event_filter f = { .system = "x\"y\n" };
	assert_int_equal(events_read(dir, &f, &l), 0);
	assert_int_equal(l.n, 1);
	event_list_free(&l);
	struct event_filter fa = { .system = "x\"y\n", .mac = "52:54:00:00:00:01", .any_of = true };
	assert_int_equal(events_read(dir, &fa, &l), 0);
	assert_int_equal(l.n, 1);
	event_list_free(&l);
}

static void test_garbage_lines_skipped(void **state)
{
	const char *dir = *state;
	char *path = path_join(dir, EVENTS_LOG_NAME);
	struct event_list l;
	int fd;

	assert_int_equal(events_append(dir, "a", NULL, "k", "1"), 0);
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "not json\n{\"kind\":\"x\"}\n", 22), 22);
	close(fd);
	assert_int_equal(events_append(dir, "a", NULL, "k", "2"), 0);
	fd = open(path, O_WRONLY | O_APPEND);
	assert_int_equal(write(fd, "{\"time\":\"t\",\"kind\":\"half", 24), 24);
	close(fd);
	assert_int_equal(events_read(dir, NULL, &l), 0);
	assert_int_equal(l.n, 2);
	event_list_free(&l);
	free(path);
}

static void test_missing_log(void **state)
{
	struct event_list l;

	assert_int_equal(events_read(*state, NULL, &l), 0);
	assert_int_equal(l.n, 0);
	event_list_free(&l);
	assert_int_equal(events_print_timeline(*state, "nobody", stderr), 0);
}

static void test_rotation(void **state)
{
	const char *dir = *state;
	char *cur = path_join(dir, EVENTS_LOG_NAME);
	char *old = path_join(dir, EVENTS_LOG_OLD_NAME);
	char detail[2000];
	struct stat st;
	struct event_list l;
	struct event_filter f = { .limit = 5 };
	int i;

	memset(detail, 'd', sizeof(detail) - 1);
	detail[sizeof(detail) - 1] = '\0';
	/* ~2.1 KB a line: 3 * 8 MiB worth forces two rotations. */
	for (i = 0; i < 12000; i++)
		assert_int_equal(events_appendf(dir, "r", NULL, "fill", "%d %s", i, detail), 0);
	assert_int_equal(stat(cur, &st), 0);
	assert_true(st.st_size <= EVENTS_ROTATE_BYTES);
	assert_int_equal(stat(old, &st), 0);
	assert_true(st.st_size <= EVENTS_ROTATE_BYTES);
	assert_true(st.st_size > EVENTS_ROTATE_BYTES - 4096);
	/* The newest events survive, in order. */
	assert_int_equal(events_read(dir, &f, &l), 0);
	assert_int_equal(l.n, 5);
	assert_int_equal(atoi(l.v[0].detail), 11995);
	assert_int_equal(atoi(l.v[4].detail), 11999);
	event_list_free(&l);
	free(cur);
	free(old);
}

#define WRITERS 4
#define PER_WRITER 400

struct writer {
	const char *dir;
	int id;
};

static void *writer_thread(void *p)
{
	struct writer *w = p;
	char sys[16];

	snprintf(sys, sizeof(sys), "t%d", w->id);
	for (int i = 0; i < PER_WRITER; i++)
		if (events_appendf(w->dir, sys, NULL, "conc", "%d %0900d", i, 0) < 0)
			return (void *)1;
	return NULL;
}

/* Threads in this process and forked children append at once; every line
 * arrives whole, each writer's lines in its own order. */
static void test_concurrent(void **state)
{
	const char *dir = *state;
	pthread_t t[WRITERS];
	struct writer w[WRITERS];
	pid_t kids[WRITERS];
	struct event_list l;
	int next[2 * WRITERS] = { 0 };

	for (int i = 0; i < WRITERS; i++) {
		kids[i] = fork();
		assert_true(kids[i] >= 0);
		if (kids[i] == 0) {
			struct writer cw = { dir, WRITERS + i };
			_exit(writer_thread(&cw) ? 1 : 0);
		}
	}
	for (int i = 0; i < WRITERS; i++) {
		w[i] = (struct writer){ dir, i };
		assert_int_equal(pthread_create(&t[i], NULL, writer_thread, &w[i]), 0);
	}
	for (int i = 0; i < WRITERS; i++) {
		void *res;
		int st;
		assert_int_equal(pthread_join(t[i], &res), 0);
		assert_null(res);
		assert_int_equal(waitpid(kids[i], &st, 0), kids[i]);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	assert_int_equal(events_read(dir, NULL, &l), 0);
	assert_int_equal(l.n, 2 * WRITERS * PER_WRITER);
	for (size_t i = 0; i < l.n; i++) {
		int id = atoi(l.v[i].system + 1);
		assert_true(id >= 0 && id < 2 * WRITERS);
		assert_int_equal(atoi(l.v[i].detail), next[id]);
		next[id]++;
	}
	event_list_free(&l);
}

/* events_follow: new events only, partial lines held back, a log created
 * later, and a rotation (rename + new file) followed across. */
static void test_follow(void **state)
{
	const char *dir = *state;
	char *cur = path_join(dir, EVENTS_LOG_NAME), *old = path_join(dir, EVENTS_LOG_OLD_NAME);
	struct event_follow *fw = NULL;
	struct event_filter f = { .system = "s1" };
	struct event_list l;
	int fd;

	assert_int_equal(events_follow_open(dir, &fw), 0);	/* no log yet */
	assert_int_equal(events_follow_read(fw, NULL, &l), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(events_append(dir, "s1", NULL, "k", "a"), 0);
	assert_int_equal(events_append(dir, "s2", NULL, "k", "b"), 0);
	assert_int_equal(events_follow_read(fw, &f, &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].detail, "a");
	event_list_free(&l);
	assert_int_equal(events_follow_read(fw, NULL, &l), 0);
	assert_int_equal(l.n, 0);	/* nothing new */

	/* A line in flight is held back until its '\n' arrives. */
	fd = open(cur, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	const char *part1 = "{\"time\":\"t\",\"system\":\"s1\",";
	const char *part2 = "\"kind\":\"k\",\"detail\":\"c\"}\n";
	assert_int_equal(write(fd, part1, strlen(part1)), (ssize_t)strlen(part1));
	assert_int_equal(events_follow_read(fw, NULL, &l), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(write(fd, part2, strlen(part2)), (ssize_t)strlen(part2));
	close(fd);
	assert_int_equal(events_follow_read(fw, &f, &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].detail, "c");
	event_list_free(&l);

	/* Rotation: what landed in the old file before the rename, then the
	 * new file from its start. */
	assert_int_equal(events_append(dir, "s1", NULL, "k", "d"), 0);
	assert_int_equal(rename(cur, old), 0);
	assert_int_equal(events_append(dir, "s1", NULL, "k", "e"), 0);
	assert_int_equal(events_follow_read(fw, &f, &l), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].detail, "d");
	assert_string_equal(l.v[1].detail, "e");
	event_list_free(&l);
	assert_int_equal(events_append(dir, "s1", NULL, "k", "f"), 0);
	assert_int_equal(events_follow_read(fw, &f, &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].detail, "f");
	event_list_free(&l);
	events_follow_close(fw);

	/* Opened on an existing log: starts at its end. */
	assert_int_equal(events_follow_open(dir, &fw), 0);
	assert_int_equal(events_follow_read(fw, NULL, &l), 0);
	assert_int_equal(l.n, 0);
	events_follow_close(fw);
	free(cur);
	free(old);
}

struct count_arg {
	uint64_t tick, other, boot;
};

static void count_cb(const char *kind, uint64_t n, void *arg)
{
	struct count_arg *c = arg;

	if (strcmp(kind, "other") == 0)
		c->other = n;
	else if (strcmp(kind, EVENT_BOOT_FILE) == 0)
		c->boot = n;
}

static void test_counts(void **state)
{
	struct count_arg a = { 0 }, b = { 0 };

	events_counts(count_cb, &a);
	assert_int_equal(events_append(*state, NULL, NULL, EVENT_BOOT_FILE, "x"), 0);
	assert_int_equal(events_append(*state, NULL, NULL, "weird", "x"), 0);
	events_counts(count_cb, &b);
	assert_int_equal(b.boot, a.boot + 1);
	assert_int_equal(b.other, a.other + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_kind_valid, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_append_read, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_limit_ring_order, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_hostile_text, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_garbage_lines_skipped, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_missing_log, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_rotation, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_concurrent, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_follow, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_counts, setup_dir, teardown_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
