/* child: posix_spawn with a clean signal state, kill, reap. See child.h. */
#include "config.h"
#include "provd/base/child.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int add_fd(posix_spawn_file_actions_t *fa, int fd, int target)
{
	if (fd == CHILD_FD_INHERIT)
		return 0;
	if (fd == CHILD_FD_NULL)
		return posix_spawn_file_actions_addopen(fa, target, "/dev/null",
							target == 0 ? O_RDONLY : O_WRONLY, 0);
	/* dup2 clears O_CLOEXEC on the target; fd == target must still drop it,
	 * which glibc >= 2.29 does for dup2(fd, fd) in file actions. */
	return posix_spawn_file_actions_adddup2(fa, fd, target);
}

int child_spawn(const struct child_spec *s, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t empty, all;
	short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
	int r;

	if (!s->path || !s->argv || !s->argv[0])
		return -EINVAL;
	r = posix_spawn_file_actions_init(&fa);
	if (r)
		return -r;
	r = posix_spawnattr_init(&at);
	if (r) {
		posix_spawn_file_actions_destroy(&fa);
		return -r;
	}
	if ((r = add_fd(&fa, s->stdin_fd, 0)) || (r = add_fd(&fa, s->stdout_fd, 1)) ||
	    (r = add_fd(&fa, s->stderr_fd, 2)))
		goto out;
	/* The daemon blocks the signals it reads via signalfd; a child must
	 * start with an empty mask and default dispositions. */
	sigemptyset(&empty);
	sigfillset(&all);
	sigdelset(&all, SIGKILL);
	sigdelset(&all, SIGSTOP);
	posix_spawnattr_setsigmask(&at, &empty);
	posix_spawnattr_setsigdefault(&at, &all);
#ifdef POSIX_SPAWN_SETSID
	if (s->new_session)
		flags |= POSIX_SPAWN_SETSID;
#else
	if (s->new_session) {
		flags |= POSIX_SPAWN_SETPGROUP;
		posix_spawnattr_setpgroup(&at, 0);
	}
#endif
	posix_spawnattr_setflags(&at, flags);
	if (strchr(s->path, '/'))
		r = posix_spawn(pid, s->path, &fa, &at, s->argv, s->envp ? s->envp : environ);
	else
		r = posix_spawnp(pid, s->path, &fa, &at, s->argv, s->envp ? s->envp : environ);
out:
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	return -r;
}

int child_kill(pid_t pid, int sig)
{
	if (pid <= 0)
		return -EINVAL;
	if (kill(pid, sig) < 0 && errno != ESRCH)
		return -errno;
	return 0;
}

int child_wait(pid_t pid, int *status, bool nohang)
{
	int st = 0;
	pid_t r;

	do
		r = waitpid(pid, &st, nohang ? WNOHANG : 0);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -EAGAIN;
	if (status)
		*status = st;
	return 0;
}

int child_stop(pid_t pid, unsigned grace_ms, int *status)
{
	struct timespec ts = { 0, 10 * 1000000L };
	unsigned waited = 0;
	int r;

	r = child_kill(pid, SIGTERM);
	if (r < 0)
		return r;
	for (;;) {
		r = child_wait(pid, status, true);
		if (r != -EAGAIN)
			return r;
		if (waited >= grace_ms)
			break;
		nanosleep(&ts, NULL);
		waited += 10;
	}
	child_kill(pid, SIGKILL);
	return child_wait(pid, status, false);
}

const char *child_status_str(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by SIG%s%s", sigabbrev_np(WTERMSIG(status)) ?
			 sigabbrev_np(WTERMSIG(status)) : "?",
			 WCOREDUMP(status) ? " (core dumped)" : "");
	else
		snprintf(buf, len, "status 0x%x", (unsigned)status);
	return buf;
}
