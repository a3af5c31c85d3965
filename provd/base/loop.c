/* loop: epoll event loop with timerfd timers, signalfd signals and pidfd
 * child watches. See loop.h. */
#include "config.h"
#include "provd/base/loop.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum src_kind { SRC_FD, SRC_TIMER, SRC_SIGNAL, SRC_CHILD };

struct loop_src {
	struct loop *loop;
	enum src_kind kind;
	int fd;			/* watched fd (SRC_FD) or our own timerfd/signalfd/pidfd */
	bool own_fd;
	bool dead;
	int signo;
	pid_t pid;
	union {
		loop_fd_fn *fd;
		loop_timer_fn *timer;
		loop_signal_fn *sig;
		loop_child_fn *child;
	} fn;
	void *arg;
	struct loop_src *next;	/* all sources, or the graveyard */
};

struct loop {
	int epfd;
	struct loop_src *srcs;
	struct loop_src *graveyard;
	/* SIGCHLD fallback when pidfd_open is unavailable. */
	struct loop_src *sigchld;
	bool quit;
	int rc;
};

uint64_t loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct loop *loop_new(void)
{
	struct loop *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		int e = errno;
		free(l);
		errno = e;
		return NULL;
	}
	return l;
}

static void src_destroy(struct loop_src *s)
{
	if (s->own_fd && s->fd >= 0)
		close(s->fd);
	free(s);
}

static void reap_graveyard(struct loop *l)
{
	while (l->graveyard) {
		struct loop_src *s = l->graveyard;
		l->graveyard = s->next;
		src_destroy(s);
	}
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	while (l->srcs) {
		struct loop_src *s = l->srcs;
		l->srcs = s->next;
		if (s->kind == SRC_SIGNAL) {
			sigset_t set;
			sigemptyset(&set);
			sigaddset(&set, s->signo);
			sigprocmask(SIG_UNBLOCK, &set, NULL);
		}
		src_destroy(s);
	}
	reap_graveyard(l);
	close(l->epfd);
	free(l);
}

static int src_register(struct loop *l, struct loop_src *s, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = s };

	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, s->fd, &ev) < 0)
		return -errno;
	s->loop = l;
	s->next = l->srcs;
	l->srcs = s;
	return 0;
}

static struct loop_src *src_new(enum src_kind kind, int fd, bool own, void *arg)
{
	struct loop_src *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->kind = kind;
	s->fd = fd;
	s->own_fd = own;
	s->arg = arg;
	return s;
}

int loop_fd_add(struct loop *l, int fd, uint32_t events, loop_fd_fn *fn, void *arg,
		struct loop_src **out)
{
	struct loop_src *s = src_new(SRC_FD, fd, false, arg);
	int r;

	if (!s)
		return -ENOMEM;
	s->fn.fd = fn;
	r = src_register(l, s, events);
	if (r < 0) {
		free(s);
		return r;
	}
	if (out)
		*out = s;
	return 0;
}

int loop_fd_modify(struct loop_src *s, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = s };

	if (epoll_ctl(s->loop->epfd, EPOLL_CTL_MOD, s->fd, &ev) < 0)
		return -errno;
	return 0;
}

static void ms_to_ts(uint64_t ms, struct timespec *ts)
{
	ts->tv_sec = (time_t)(ms / 1000);
	ts->tv_nsec = (long)(ms % 1000) * 1000000L;
}

int loop_timer_set(struct loop_src *s, uint64_t first_ms, uint64_t interval_ms)
{
	struct itimerspec its = { 0 };

	ms_to_ts(first_ms, &its.it_value);
	ms_to_ts(interval_ms, &its.it_interval);
	if (timerfd_settime(s->fd, 0, &its, NULL) < 0)
		return -errno;
	return 0;
}

int loop_timer_add(struct loop *l, uint64_t first_ms, uint64_t interval_ms, loop_timer_fn *fn,
		   void *arg, struct loop_src **out)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	struct loop_src *s;
	int r;

	if (fd < 0)
		return -errno;
	s = src_new(SRC_TIMER, fd, true, arg);
	if (!s) {
		close(fd);
		return -ENOMEM;
	}
	s->fn.timer = fn;
	/* A zero first_ms would disarm; "now" means 1 ms. */
	r = loop_timer_set(s, first_ms ? first_ms : 1, interval_ms);
	if (r == 0)
		r = src_register(l, s, EPOLLIN);
	if (r < 0) {
		src_destroy(s);
		return r;
	}
	if (out)
		*out = s;
	return 0;
}

int loop_signal_add(struct loop *l, int signo, loop_signal_fn *fn, void *arg,
		    struct loop_src **out)
{
	sigset_t set;
	struct loop_src *s;
	int fd, r;

	for (s = l->srcs; s; s = s->next)
		if (s->kind == SRC_SIGNAL && s->signo == signo && !s->dead)
			return -EEXIST;
	sigemptyset(&set);
	sigaddset(&set, signo);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		return -errno;
	s = src_new(SRC_SIGNAL, fd, true, arg);
	if (!s) {
		close(fd);
		return -ENOMEM;
	}
	s->signo = signo;
	s->fn.sig = fn;
	r = src_register(l, s, EPOLLIN);
	if (r < 0) {
		src_destroy(s);
		return r;
	}
	if (out)
		*out = s;
	return 0;
}

static int pidfd_open_(pid_t pid)
{
#ifdef SYS_pidfd_open
	long fd = syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return -errno;
	return (int)fd;
#else
	(void)pid;
	return -ENOSYS;
#endif
}

static void sigchld_noop(struct loop *l, int signo, void *arg)
{
	(void)l;
	(void)signo;
	(void)arg;
}

int loop_child_add(struct loop *l, pid_t pid, loop_child_fn *fn, void *arg,
		   struct loop_src **out)
{
	struct loop_src *s;
	int fd = pidfd_open_(pid);
	int r;

	if (fd == -ESRCH)
		return fd;
	if (fd < 0) {
		/* Kernel < 5.3: fall back to SIGCHLD + waitpid(WNOHANG) on
		 * every child source when the signal arrives. */
		if (!l->sigchld) {
			r = loop_signal_add(l, SIGCHLD, sigchld_noop, NULL, &l->sigchld);
			if (r < 0)
				return r;
		}
		s = src_new(SRC_CHILD, -1, false, arg);
		if (!s)
			return -ENOMEM;
		s->pid = pid;
		s->fn.child = fn;
		s->loop = l;
		s->next = l->srcs;
		l->srcs = s;
	} else {
		s = src_new(SRC_CHILD, fd, true, arg);
		if (!s) {
			close(fd);
			return -ENOMEM;
		}
		s->pid = pid;
		s->fn.child = fn;
		r = src_register(l, s, EPOLLIN);
		if (r < 0) {
			src_destroy(s);
			return r;
		}
	}
	if (out)
		*out = s;
	return 0;
}

void loop_src_del(struct loop_src *s)
{
	struct loop *l;
	struct loop_src **pp;

	if (!s || s->dead)
		return;
	l = s->loop;
	s->dead = true;
	if (s->fd >= 0)
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, s->fd, NULL);
	if (s->kind == SRC_SIGNAL) {
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, s->signo);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		if (s == l->sigchld)
			l->sigchld = NULL;
	}
	for (pp = &l->srcs; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	/* Freed after the current dispatch round: an event for s may still be
	 * in the batch being processed. */
	s->next = l->graveyard;
	l->graveyard = s;
}

static void child_poll_all(struct loop *l)
{
	struct loop_src *s, *next;

	for (s = l->srcs; s; s = next) {
		int status;
		next = s->next;
		if (s->kind != SRC_CHILD || s->fd >= 0 || s->dead)
			continue;
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			s->fn.child(l, s->pid, status, s->arg);
			loop_src_del(s);
		}
	}
}

static void dispatch(struct loop *l, struct loop_src *s, uint32_t events)
{
	switch (s->kind) {
	case SRC_FD:
		s->fn.fd(l, s->fd, events, s->arg);
		break;
	case SRC_TIMER: {
		uint64_t n;
		if (read(s->fd, &n, sizeof(n)) != (ssize_t)sizeof(n))
			return;	/* spurious (re-armed meanwhile) */
		s->fn.timer(l, s->arg);
		break;
	}
	case SRC_SIGNAL: {
		struct signalfd_siginfo si;
		while (read(s->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			if (s->dead)
				break;
			s->fn.sig(l, (int)si.ssi_signo, s->arg);
		}
		if (s->signo == SIGCHLD)
			child_poll_all(l);
		break;
	}
	case SRC_CHILD: {
		int status;
		pid_t r = waitpid(s->pid, &status, WNOHANG);
		if (r == 0)
			return;
		if (r < 0)
			status = 0;	/* reaped elsewhere: report as exited 0 */
		s->fn.child(l, s->pid, status, s->arg);
		loop_src_del(s);
		break;
	}
	}
}

int loop_run_once(struct loop *l, int timeout_ms)
{
	struct epoll_event evs[32];
	int n = epoll_wait(l->epfd, evs, 32, timeout_ms);

	if (n < 0) {
		if (errno == EINTR)
			return 0;
		return -errno;
	}
	for (int i = 0; i < n; i++) {
		struct loop_src *s = evs[i].data.ptr;
		if (s->dead)
			continue;
		dispatch(l, s, evs[i].events);
	}
	reap_graveyard(l);
	return n;
}

int loop_run(struct loop *l)
{
	while (!l->quit) {
		int r = loop_run_once(l, -1);
		if (r < 0)
			return r;
	}
	return l->rc;
}

void loop_quit(struct loop *l, int rc)
{
	l->quit = true;
	l->rc = rc;
}

bool loop_quitting(const struct loop *l)
{
	return l->quit;
}
