/* test_loop: the event loop (fd watchers, timers, signals, child exits,
 * removal inside callbacks) and child process helpers (provd/base). */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "provd/base/child.h"
#include "provd/base/loop.h"

struct count {
	int n;
	int last;
	struct loop_src *src;
};

static void on_timer(struct loop *l, void *arg)
{
	struct count *c = arg;

	if (++c->n == 3)
		loop_quit(l, 7);
}

static void test_timer_repeats(void **state)
{
	struct loop *l = loop_new();
	struct count c = { 0 };
	uint64_t t0 = loop_now_ms();

	(void)state;
	assert_non_null(l);
	assert_int_equal(loop_timer_add(l, 5, 5, on_timer, &c, NULL), 0);
	assert_int_equal(loop_run(l), 7);
	assert_int_equal(c.n, 3);
	assert_true(loop_now_ms() - t0 >= 14);
	loop_free(l);
}

static void on_fd(struct loop *l, int fd, uint32_t ev, void *arg)
{
	struct count *c = arg;
	char b[16];

	assert_true(ev & EPOLLIN);
	c->last = (int)read(fd, b, sizeof(b));
	c->n++;
	/* Removing the running source from its own callback is allowed. */
	loop_src_del(c->src);
	loop_quit(l, 0);
}

static void test_fd_and_self_removal(void **state)
{
	struct loop *l = loop_new();
	struct count c = { 0 };
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(loop_fd_add(l, p[0], EPOLLIN, on_fd, &c, &c.src), 0);
	assert_int_equal(write(p[1], "abc", 3), 3);
	assert_int_equal(loop_run(l), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.last, 3);
	/* Gone: more data must not call back. */
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_true(loop_run_once(l, 20) >= 0);
	assert_int_equal(c.n, 1);
	close(p[0]);
	close(p[1]);
	loop_free(l);
}

static void on_sig(struct loop *l, int signo, void *arg)
{
	struct count *c = arg;

	c->last = signo;
	c->n++;
	loop_quit(l, 0);
}

static void test_signal(void **state)
{
	struct loop *l = loop_new();
	struct count c = { 0 };

	(void)state;
	assert_int_equal(loop_signal_add(l, SIGUSR1, on_sig, &c, NULL), 0);
	assert_int_equal(loop_signal_add(l, SIGUSR1, on_sig, &c, NULL), -EEXIST);
	kill(getpid(), SIGUSR1);
	assert_int_equal(loop_run(l), 0);
	assert_int_equal(c.last, SIGUSR1);
	loop_free(l);
}

static void on_child(struct loop *l, pid_t pid, int status, void *arg)
{
	struct count *c = arg;

	(void)pid;
	c->last = status;
	c->n++;
	loop_quit(l, 0);
}

static void test_child_exit(void **state)
{
	char *const argv[] = { "sh", "-c", "exit 3", NULL };
	struct child_spec s = { .path = "sh", .argv = argv, .stdin_fd = CHILD_FD_NULL,
				.stdout_fd = CHILD_FD_NULL, .stderr_fd = CHILD_FD_INHERIT };
	struct loop *l = loop_new();
	struct count c = { 0 };
	char txt[64];
	pid_t pid;

	(void)state;
	assert_int_equal(child_spawn(&s, &pid), 0);
	assert_int_equal(loop_child_add(l, pid, on_child, &c, NULL), 0);
	assert_int_equal(loop_run(l), 0);
	assert_int_equal(c.n, 1);
	assert_true(WIFEXITED(c.last));
	assert_int_equal(WEXITSTATUS(c.last), 3);
	assert_string_equal(child_status_str(c.last, txt, sizeof(txt)), "exited 3");
	loop_free(l);
}

static void test_child_stop_and_missing(void **state)
{
	char *const argv[] = { "sleep", "30", NULL };
	char *const bad[] = { "provd-no-such-program", NULL };
	struct child_spec s = { .path = "sleep", .argv = argv, .stdin_fd = CHILD_FD_NULL,
				.stdout_fd = CHILD_FD_NULL, .stderr_fd = CHILD_FD_NULL,
				.new_session = true };
	sigset_t set;
	char txt[64];
	pid_t pid;
	int st = 0;

	(void)state;
	/* The child must not inherit a blocked SIGTERM from us. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	assert_int_equal(child_spawn(&s, &pid), 0);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	assert_int_equal(child_wait(pid, &st, true), -EAGAIN);
	assert_int_equal(child_stop(pid, 2000, &st), 0);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGTERM);
	assert_string_equal(child_status_str(st, txt, sizeof(txt)), "killed by SIGTERM");
	s.path = bad[0];
	s.argv = bad;
	assert_int_equal(child_spawn(&s, &pid), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timer_repeats),
		cmocka_unit_test(test_fd_and_self_removal),
		cmocka_unit_test(test_signal),
		cmocka_unit_test(test_child_exit),
		cmocka_unit_test(test_child_stop_and_missing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
