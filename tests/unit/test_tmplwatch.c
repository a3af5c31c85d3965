/* Unit tests for tmplwatch (tmplwatch.h): the generation moves for every
 * kind of change below a root (file written in place, renamed over,
 * removed; in a subfolder, a subfolder made and filled at once, a folder
 * moved in from outside, a root that did not exist yet), stays put when
 * nothing under a root changed, and a forked child watches on its own
 * without taking the parent's events. The render cache built on it is
 * tested in test_render.c. */
#include <config.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "provd/base/fsutil.h"
#include "provd/core/tmplwatch.h"

static char *dir;	/* test folder: roots and an outside folder below it */

static char *at(const char *rel)
{
	char *p = path_join(dir, rel);

	assert_non_null(p);
	return p;
}

/* Write in place (same inode): what an editor without atomic save does. */
static void write_in_place(const char *rel, const char *text)
{
	char *p = at(rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	free(p);
}

static void mkdirs(const char *rel)
{
	char *p = at(rel);

	assert_int_equal(fs_mkdir_p(p, 0755), 0);
	free(p);
}

static uint64_t poll1(const char *rel)
{
	char *p = at(rel);
	const char *roots[2] = { p, NULL };
	uint64_t g = tmplwatch_poll(roots, 2);

	free(p);
	return g;
}

static int setup(void **state)
{
	char tmpl[] = "/tmp/test_tmplwatch.XXXXXX";

	(void)state;
	dir = strdup(mkdtemp(tmpl));
	mkdirs("root/snippets");
	mkdirs("outside");
	write_in_place("root/top.cfg", "top");
	write_in_place("root/snippets/net", "net");
	return 0;
}

static int teardown(void **state)
{
	char *cmd = NULL;

	(void)state;
	tmplwatch_reset();
	assert_true(asprintf(&cmd, "rm -rf '%s'", dir) > 0);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(dir);
	return 0;
}

static void test_files(void **state)
{
	uint64_t g0, g;

	(void)state;
	g0 = poll1("root");
	assert_true(g0 != 0);
	assert_int_equal(poll1("root"), g0);	/* nothing happened */

	write_in_place("root/top.cfg", "top, edited");
	g = poll1("root");
	assert_true(g != g0);
	assert_int_equal(poll1("root"), g);

	/* A snippet one folder down, written in place. */
	write_in_place("root/snippets/net", "net, edited");
	g0 = g;
	g = poll1("root");
	assert_true(g != g0);

	/* Atomic save: temp file renamed over. */
	{
		char *p = at("root/snippets/net");
		assert_int_equal(fs_write_atomic(p, "v3", 2, 0644), 0);
		free(p);
	}
	g0 = g;
	g = poll1("root");
	assert_true(g != g0);

	/* Removal, and a touch (attributes only). */
	{
		char *p = at("root/top.cfg");
		assert_int_equal(unlink(p), 0);
		g0 = g;
		g = poll1("root");
		assert_true(g != g0);
		write_in_place("root/top.cfg", "back");
		g0 = poll1("root");
		assert_int_equal(chmod(p, 0600), 0);
		g = poll1("root");
		assert_true(g != g0);
		free(p);
	}

	/* Outside every root: no change. */
	write_in_place("outside/x", "x");
	assert_int_equal(poll1("root"), g);
}

/* A folder made and filled before anyone polls, then a file in it
 * edited in place: the new folder is watched. */
static void test_new_folders(void **state)
{
	uint64_t g0, g;

	(void)state;
	g0 = poll1("root");
	mkdirs("root/new/deeper/still");
	write_in_place("root/new/deeper/still/f", "1");
	g = poll1("root");
	assert_true(g != g0);
	write_in_place("root/new/deeper/still/f", "22");
	g0 = g;
	g = poll1("root");
	assert_true(g != g0);

	/* A folder moved in from outside the root, then edited inside. */
	mkdirs("outside/moved/sub");
	write_in_place("outside/moved/sub/f", "1");
	{
		char *from = at("outside/moved"), *to = at("root/moved");
		assert_int_equal(rename(from, to), 0);
		free(from);
		free(to);
	}
	g0 = g;
	g = poll1("root");
	assert_true(g != g0);
	write_in_place("root/moved/sub/f", "2");
	g0 = g;
	g = poll1("root");
	assert_true(g != g0);

	/* Moved out again: edits there no longer count. */
	{
		char *from = at("root/moved"), *to = at("outside/back");
		assert_int_equal(rename(from, to), 0);
		free(from);
		free(to);
	}
	g = poll1("root");
	write_in_place("outside/back/sub/f", "3");
	assert_int_equal(poll1("root"), g);
}

/* A root that does not exist yet (an admin's templates/ folder made
 * later, two levels down). */
static void test_missing_root(void **state)
{
	uint64_t g0, g;

	(void)state;
	g0 = poll1("later/templates");
	assert_true(g0 != 0);
	assert_int_equal(poll1("later/templates"), g0);
	/* Files appearing beside the missing root are no template change
	 * (a state folder's events.log, pid file, generation file). */
	write_in_place("events.log", "x");
	write_in_place("laterX", "x");
	{
		char *p = at("gen"), *q = at("gen.tmp");
		write_in_place("gen.tmp", "1");
		assert_int_equal(rename(q, p), 0);
		free(p);
		free(q);
	}
	assert_int_equal(poll1("later/templates"), g0);
	mkdirs("later/templates/snippets");
	write_in_place("later/templates/snippets/net", "n");
	g = poll1("later/templates");
	assert_true(g != g0);
	write_in_place("later/templates/snippets/net", "nn");
	g0 = g;
	g = poll1("later/templates");
	assert_true(g != g0);
}

/* A forked child polls its own watches; the parent still sees its own
 * changes afterwards (the child did not drain the parent's queue). */
static void test_fork(void **state)
{
	uint64_t g0, g;
	pid_t pid;
	int st;

	(void)state;
	g0 = poll1("root");
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		uint64_t c0 = poll1("root"), c1;
		write_in_place("root/snippets/child", "c");
		c1 = poll1("root");
		_exit(c0 != 0 && c1 != 0 && c1 != c0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	g = poll1("root");
	assert_true(g != g0);	/* the child's file is a change here too */
}

/* An instance of one's own for an event loop: its descriptor becomes
 * readable on a change in a subfolder, check() then moves the generation;
 * the process-wide instance's polls do not take its events. */
static void test_instance(void **state)
{
	struct tmplwatch *w = NULL;
	char *root = at("root");
	const char *roots[1] = { root };
	struct pollfd pfd;
	uint64_t g0, g;

	(void)state;
	assert_int_equal(tmplwatch_new(&w), 0);
	g0 = tmplwatch_check(w, roots, 1);
	assert_true(g0 != 0);
	pfd = (struct pollfd){ .fd = tmplwatch_fd(w), .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, 0), 0);
	write_in_place("root/snippets/net", "edited");
	(void)poll1("root");	/* the process-wide instance reads its own queue */
	assert_int_equal(poll(&pfd, 1, 1000), 1);
	g = tmplwatch_check(w, roots, 1);
	assert_true(g != g0);
	assert_int_equal(poll(&pfd, 1, 0), 0);
	assert_int_equal(tmplwatch_check(w, roots, 1), g);
	tmplwatch_free(w);
	free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_folders, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fork, setup, teardown),
		cmocka_unit_test_setup_teardown(test_instance, setup, teardown),
	};
	return cmocka_run_group_tests_name("tmplwatch", tests, NULL, NULL);
}
