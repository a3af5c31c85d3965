/* child: spawn, signal and reap child processes (in.tftpd, VMs, helpers).
 *
 * child_spawn() uses posix_spawn (vfork-fast, reports exec failure as an
 * errno instead of a child that exits 127), resets the signal mask and the
 * handled signals to default in the child (the daemon blocks the signals it
 * reads through signalfd, and a child must not inherit that), and wires
 * stdin/stdout/stderr. Every other descriptor must be O_CLOEXEC, as all of
 * provd's are.
 *
 * Exit notification: pass the pid to loop_child_add() (provd/base/loop.h)
 * or reap it with child_wait()/child_stop().
 */
#ifndef PROVD_BASE_CHILD_H
#define PROVD_BASE_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define CHILD_FD_NULL (-1)	/* connect to /dev/null */
#define CHILD_FD_INHERIT (-2)	/* keep the parent's descriptor */

struct child_spec {
	const char *path;	/* executable; searched in PATH when it has no '/' */
	char *const *argv;	/* argv[0] included, NULL-terminated */
	char *const *envp;	/* NULL: inherit the environment */
	int stdin_fd;		/* fd, CHILD_FD_NULL or CHILD_FD_INHERIT */
	int stdout_fd;
	int stderr_fd;
	bool new_session;	/* setsid(): own process group, no tty signals */
};

/* 0 and *pid, or a negative errno (-ENOENT for a missing program). */
int child_spawn(const struct child_spec *s, pid_t *pid);
/* kill(2) as 0 / negative errno; ESRCH is not an error (already gone). */
int child_kill(pid_t pid, int sig);
/* Reap pid. nohang: -EAGAIN when still running. 0 and *status otherwise. */
int child_wait(pid_t pid, int *status, bool nohang);
/* SIGTERM, wait up to grace_ms, then SIGKILL; reaps. status may be NULL. */
int child_stop(pid_t pid, unsigned grace_ms, int *status);
/* "exited 0", "exited 3", "killed by SIGSEGV (core dumped)" into buf. */
const char *child_status_str(int status, char *buf, size_t len);

#endif
