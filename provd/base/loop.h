/* loop: one epoll event loop for the daemon: fd watchers, timers (timerfd),
 * signals (signalfd) and child exits (pidfd, SIGCHLD as fallback). Single
 * threaded: every callback runs on the thread inside loop_run().
 *
 * Used by provd serve (signals, reload timer, tftp supervisor children) and
 * by the DHCP sockets. Removing a source from inside any callback is safe,
 * including the source that is running: freeing is deferred to the end of
 * the dispatch round.
 *
 * Signals: loop_signal_add() blocks the signal in the calling thread; call it
 * before creating other threads so they inherit the blocked mask, otherwise
 * the kernel may deliver the signal to a thread that does not read the
 * signalfd. Children spawned with child_spawn() get an empty mask back.
 */
#ifndef PROVD_BASE_LOOP_H
#define PROVD_BASE_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct loop;
struct loop_src;	/* a registered fd, timer, signal or child */

/* events: EPOLLIN/EPOLLOUT/... as given to and returned by epoll. */
typedef void loop_fd_fn(struct loop *l, int fd, uint32_t events, void *arg);
typedef void loop_timer_fn(struct loop *l, void *arg);
typedef void loop_signal_fn(struct loop *l, int signo, void *arg);
/* status: as from waitpid() (WIFEXITED etc.); the child is already reaped. */
typedef void loop_child_fn(struct loop *l, pid_t pid, int status, void *arg);

/* NULL on failure (errno set). */
struct loop *loop_new(void);
/* Frees every source (closing the fds the loop created; watched fds are
 * the caller's). NULL-safe. */
void loop_free(struct loop *l);

/* Watch fd (not owned) for events. *out (optional) identifies it for
 * loop_src_del/loop_fd_modify. 0 or negative errno. */
int loop_fd_add(struct loop *l, int fd, uint32_t events, loop_fd_fn *fn, void *arg,
		struct loop_src **out);
int loop_fd_modify(struct loop_src *src, uint32_t events);

/* A timer firing after first_ms, then every interval_ms (0: once). */
int loop_timer_add(struct loop *l, uint64_t first_ms, uint64_t interval_ms, loop_timer_fn *fn,
		   void *arg, struct loop_src **out);
/* Re-arm (first_ms 0 disarms). */
int loop_timer_set(struct loop_src *src, uint64_t first_ms, uint64_t interval_ms);

/* Handle signo (blocked in this thread from now on). One handler per
 * signal; -EEXIST for a second. */
int loop_signal_add(struct loop *l, int signo, loop_signal_fn *fn, void *arg,
		    struct loop_src **out);

/* Call fn once when child pid exits (reaping it). The pid must be our
 * child and not reaped by anyone else. The source removes itself after fn
 * returns. */
int loop_child_add(struct loop *l, pid_t pid, loop_child_fn *fn, void *arg,
		   struct loop_src **out);

/* Remove a source of any kind (NULL-safe; safe inside callbacks). For a
 * child source the child is no longer watched (nor reaped). */
void loop_src_del(struct loop_src *src);

/* Dispatch until loop_quit(); returns the code given to loop_quit, or a
 * negative errno when epoll fails. */
int loop_run(struct loop *l);
/* Run one round: wait at most timeout_ms (-1 forever), dispatch. Returns the
 * number of events dispatched or negative errno. */
int loop_run_once(struct loop *l, int timeout_ms);
void loop_quit(struct loop *l, int rc);
bool loop_quitting(const struct loop *l);

/* CLOCK_MONOTONIC in milliseconds. */
uint64_t loop_now_ms(void);

#endif
