/* daemon: `provd serve` — one process serving HTTP (http/), TFTP (tftp/)
 * and DHCP (dhcp/) from one immutable snapshot of the state, swapped whole
 * on SIGHUP, on a file change under the state dir, or after an API write.
 *
 * One event loop (provd/base/loop.h) on the main thread handles signals,
 * the inotify watch, timers and child processes; libmicrohttpd runs its own
 * thread pool. A broken state is refused (errors logged with file:line:col)
 * while the previous snapshot keeps serving.
 *
 * <state>/provd.pid holds the daemon's pid under an exclusive flock: a
 * second daemon on the same state refuses to start, and the CLI finds the
 * daemon to notify after a change (daemon_notify).
 */
#ifndef PROVD_CMD_DAEMON_H
#define PROVD_CMD_DAEMON_H

#include <stdbool.h>
#include <sys/types.h>

#define DAEMON_PID_FILE "provd.pid"
#define DAEMON_GEN_FILE ".serve-generation"	/* bumped after each reload attempt */

struct daemon_opts {
	const char *state_dir;
	const char *http_listen;	/* NULL: provd.yaml http_listen */
	const char *tftp_listen;	/* NULL: provd.yaml tftp_listen */
	const char *dhcp_iface;		/* NULL: provd.yaml dhcp.interface */
	const char *dhcp_mode;		/* "proxy" | "full" | "off"; NULL: provd.yaml */
	const char *dhcp_range;		/* "START-END"; NULL: provd.yaml */
	unsigned dhcp_rate;		/* requests per MAC per 10 s when dhcp_rate_set; 0: no limit */
	bool dhcp_rate_set;
	const char *ra;			/* IPv6 RAs "on" | "off"; NULL: on in DHCP full mode */
	const char *ra_prefix;		/* "2001:db8::/64" announced for SLAAC; NULL: none */
	unsigned grace_s;		/* shutdown grace for in-flight requests; 0: 10 */
	bool no_tftp;			/* do not run in.tftpd */
	bool no_watch;			/* no inotify: reload on SIGHUP/API only */
};

/* Run until SIGTERM/SIGINT. Returns the process exit status (0 clean, 1
 * failure); errors are logged. */
int daemon_run(const struct daemon_opts *o);

/* The pid of a daemon serving state_dir (its pid file is locked), else 0. */
pid_t daemon_running(const char *state_dir);

/* Tell a running daemon that the state changed (SIGHUP) and wait up to
 * wait_ms for it to finish reloading. Returns 1 when a daemon was told and
 * reloaded, 0 when none runs, negative errno on failure (-ETIMEDOUT when
 * it did not answer in time). */
int daemon_notify(const char *state_dir, unsigned wait_ms);

#endif
