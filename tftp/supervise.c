/* supervise: in.tftpd as a supervised child (see supervise.h). */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "provd/base/child.h"
#include "provd/base/log.h"
#include "provd/base/loop.h"
#include "tftp/supervise.h"

#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 30000
#define STABLE_MS 60000		/* running this long resets the backoff */

struct tftp_sup {
	struct loop *loop;
	char *root, *listen, *user, *program;
	pid_t pid;
	struct loop_src *child_src, *timer;
	uint64_t started_ms;
	unsigned backoff_ms;
	unsigned restarts;
	bool stopping;
};

static int spawn(struct tftp_sup *s);

static void on_restart_timer(struct loop *l, void *arg)
{
	struct tftp_sup *s = arg;

	(void)l;
	loop_src_del(s->timer);
	s->timer = NULL;
	if (!s->stopping && spawn(s) < 0 && !s->timer)
		loop_timer_add(s->loop, s->backoff_ms, 0, on_restart_timer, s, &s->timer);
}

static void on_child_exit(struct loop *l, pid_t pid, int status, void *arg)
{
	struct tftp_sup *s = arg;
	char how[64];

	(void)l;
	s->child_src = NULL;
	if (pid != s->pid)
		return;
	s->pid = 0;
	if (s->stopping)
		return;
	if (loop_now_ms() - s->started_ms >= STABLE_MS)
		s->backoff_ms = BACKOFF_MIN_MS;
	log_warn("tftp: in.tftpd (pid %ld) %s; restarting in %u ms", (long)pid,
		 child_status_str(status, how, sizeof(how)), s->backoff_ms);
	s->restarts++;
	loop_timer_add(s->loop, s->backoff_ms, 0, on_restart_timer, s, &s->timer);
	s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : s->backoff_ms * 2;
}

static int spawn(struct tftp_sup *s)
{
	char *argv[16];
	int n = 0, r;

	argv[n++] = s->program;
	argv[n++] = "--foreground";
	argv[n++] = "--secure";
	argv[n++] = "--address";
	argv[n++] = s->listen;
	argv[n++] = "--blocksize";
	argv[n++] = "1468";
	argv[n++] = "--verbose";
	if (geteuid() == 0) {
		argv[n++] = "--user";
		argv[n++] = s->user;
	}
	argv[n++] = s->root;
	argv[n] = NULL;
	struct child_spec spec = {
		.path = s->program, .argv = argv, .stdin_fd = CHILD_FD_NULL,
		.stdout_fd = CHILD_FD_INHERIT, .stderr_fd = CHILD_FD_INHERIT, .new_session = true,
	};
	r = child_spawn(&spec, &s->pid);
	if (r < 0) {
		log_err("tftp: cannot start %s: %s", s->program, strerror(-r));
		return r;
	}
	s->started_ms = loop_now_ms();
	r = loop_child_add(s->loop, s->pid, on_child_exit, s, &s->child_src);
	if (r < 0) {
		child_stop(s->pid, 1000, NULL);
		s->pid = 0;
		return r;
	}
	log_info("tftp: in.tftpd (pid %ld) serving %s on %s", (long)s->pid, s->root, s->listen);
	return 0;
}

int tftp_sup_start(struct loop *l, const struct tftp_sup_opts *o, struct tftp_sup **out)
{
	const char *prog = o->program ? o->program : getenv("PROVD_IN_TFTPD");
	struct tftp_sup *s;
	int r;

	if (!prog)
		prog = "/usr/sbin/in.tftpd";
	if (access(prog, X_OK) < 0) {
		log_err("tftp: %s is not installed (apt-get install tftpd-hpa); "
			"serve without TFTP or install it", prog);
		return -ENOENT;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->loop = l;
	s->root = strdup(o->root);
	s->listen = strdup(o->listen);
	s->user = strdup(o->user ? o->user : "nobody");
	s->program = strdup(prog);
	s->backoff_ms = BACKOFF_MIN_MS;
	if (!s->root || !s->listen || !s->user || !s->program) {
		tftp_sup_stop(s);
		return -ENOMEM;
	}
	r = spawn(s);
	if (r < 0) {
		tftp_sup_stop(s);
		return r;
	}
	*out = s;
	return 0;
}

pid_t tftp_sup_pid(const struct tftp_sup *s)
{
	return s ? s->pid : 0;
}

unsigned tftp_sup_restarts(const struct tftp_sup *s)
{
	return s ? s->restarts : 0;
}

void tftp_sup_stop(struct tftp_sup *s)
{
	if (!s)
		return;
	s->stopping = true;
	loop_src_del(s->timer);
	loop_src_del(s->child_src);
	if (s->pid > 0)
		child_stop(s->pid, 2000, NULL);
	free(s->root);
	free(s->listen);
	free(s->user);
	free(s->program);
	free(s);
}
