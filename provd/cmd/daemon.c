/* daemon: `provd serve` wiring. See daemon.h for the model.
 *
 * Startup order matters:
 *   1. pid file lock (refuse a second daemon on the same state),
 *   2. signals blocked and read through the loop's signalfd BEFORE any
 *      thread exists (the HTTP pool inherits the blocked mask),
 *   3. first snapshot (a broken state at startup is fatal: nothing good to
 *      serve),
 *   4. sockets bound (privileged ports need root),
 *   5. privileges dropped to `user:` when configured and running as root,
 *   6. the loop runs.
 * Shutdown: stop accepting, wait for in-flight requests up to the grace
 * period, stop the pool, stop children (reaped), remove the pid file. */
#include "config.h"
#include "provd/cmd/daemon.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "http/api.h"
#include "http/server.h"
#include "provd/base/err.h"
#include "provd/base/fsutil.h"
#include "provd/base/log.h"
#include "provd/base/loop.h"
#include "provd/base/netaddr.h"
#include "provd/core/baseurl.h"
#include "provd/core/config.h"
#include "provd/core/snapshot.h"
#include "provd/core/store.h"
#include "provd/core/tmplwatch.h"
#include "dhcp/ra.h"
#include "dhcp/server.h"
#include "dhcp/sock.h"
#include "provd/core/events.h"
#include "tftp/supervise.h"
#include "tftp/tree.h"

#define RELOAD_DEBOUNCE_MS 150
#define GRACE_POLL_MS 100

struct daemon {
	const struct daemon_opts *o;
	struct loop *loop;
	struct http_server *http;
	pthread_mutex_t lock;		/* guards snap: API writes install from pool threads */
	struct snapshot *snap;		/* the daemon's current snapshot */
	char *base_url;
	int pid_fd;
	int ino_fd;
	struct tmplwatch *tmpl_watch;	/* templates/ and every folder below it */
	uint64_t tmpl_gen;
	int cfg_wd;			/* inotify watch of the provd.yaml inode */
	struct loop_src *reload_timer;
	struct loop_src *grace_timer;
	uint64_t grace_deadline;
	uint64_t generation;
	bool stopping;
	struct tftp_sup *tftp;		/* in.tftpd supervisor; NULL without TFTP */
	struct dhcp_server *dhcp;	/* NULL when DHCP is off */
	struct dhcp_sock *dhcp_sock;
	struct ra_sock *ra;		/* IPv6 RAs on the DHCP interface; NULL: off */
	bool ra_on;			/* decided in dhcp_prepare (flags over provd.yaml) */
	char ra_prefix[64];		/* flag's or provd.yaml's; "": none */
	char dhcp_iface[IFNAMSIZ];
	uint32_t dhcp_ip;		/* the boot interface's address (network order) */
};

/* ------------------------------------------------------------------ */
/* pid file */

static char *state_path(const char *state_dir, const char *name)
{
	return path_join(state_dir, name);
}

/* Lock <state>/provd.pid; on success write our pid. A lock on a file that
 * was unlinked meanwhile (the previous daemon's exit) is retried, so two
 * starters cannot both win. */
static int pidfile_take(const char *state_dir, int *fd_out, pid_t *holder)
{
	char *path = state_path(state_dir, DAEMON_PID_FILE);
	char buf[32];
	int fd = -1, r;

	if (!path)
		return -ENOMEM;
	for (int tries = 0; tries < 5; tries++) {
		struct stat a, b;

		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0) {
			r = -errno;
			goto out;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			ssize_t n;
			r = -errno;
			n = pread(fd, buf, sizeof(buf) - 1, 0);
			buf[n > 0 ? n : 0] = '\0';
			*holder = (pid_t)atol(buf);
			close(fd);
			goto out;
		}
		if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev)
			break;
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		r = -EAGAIN;
		goto out;
	}
	r = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)r, 0) != r) {
		r = -errno;
		close(fd);
		goto out;
	}
	*fd_out = fd;
	r = 0;
out:
	free(path);
	return r;
}

static void pidfile_release(const char *state_dir, int fd)
{
	char *path;

	if (fd < 0)
		return;
	path = state_path(state_dir, DAEMON_PID_FILE);
	/* Unlink while still holding the lock (see pidfile_take). */
	if (path)
		unlink(path);
	free(path);
	close(fd);
}

pid_t daemon_running(const char *state_dir)
{
	char *path = state_path(state_dir, DAEMON_PID_FILE);
	char buf[32];
	pid_t pid = 0;
	ssize_t n;
	int fd;

	if (!path)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return 0;
	/* Held lock = live daemon; a stale file from a crash is not locked. */
	if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
		close(fd);
		return 0;
	}
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	pid = (pid_t)atol(buf);
	return pid > 0 ? pid : 0;
}

static uint64_t read_generation(const char *state_dir)
{
	char *path = state_path(state_dir, DAEMON_GEN_FILE);
	char *text = NULL;
	uint64_t g = 0;

	if (path && fs_read_file(path, 64, &text, NULL) == 0)
		g = strtoull(text, NULL, 10);
	free(text);
	free(path);
	return g;
}

int daemon_notify(const char *state_dir, unsigned wait_ms)
{
	pid_t pid = daemon_running(state_dir);
	uint64_t g0;
	struct timespec ts = { 0, 10 * 1000000L };

	if (!pid)
		return 0;
	g0 = read_generation(state_dir);
	if (kill(pid, SIGHUP) < 0)
		return errno == ESRCH ? 0 : -errno;
	for (unsigned waited = 0; waited < wait_ms; waited += 10) {
		if (read_generation(state_dir) != g0)
			return 1;
		nanosleep(&ts, NULL);
	}
	return -ETIMEDOUT;
}

static void write_generation(struct daemon *dm)
{
	char *path = state_path(dm->o->state_dir, DAEMON_GEN_FILE);
	char buf[32];
	int n;

	dm->generation++;
	n = snprintf(buf, sizeof(buf), "%llu\n", (unsigned long long)dm->generation);
	if (path && fs_write_atomic(path, buf, (size_t)n, 0644) < 0)
		log_warn("serve: cannot write %s", path);
	free(path);
}

/* ------------------------------------------------------------------ */
/* snapshot reloads */

static void log_diags(const struct diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct diag *g = &d->v[i];
		if (g->file && g->line)
			log_err("%s:%d:%d: %s", g->file, g->line, g->col, g->msg);
		else if (g->file)
			log_err("%s: %s", g->file, g->msg);
		else
			log_err("%s", g->msg);
		if (g->hint)
			log_err("  hint: %s", g->hint);
	}
}

/* old NULL: a full pass (start, SIGHUP, file changes: templates and
 * provd.yaml are not in the snapshot's objects). With old: only the systems
 * that changed between the two snapshots (API writes, callbacks). */
static void tree_update(struct daemon *dm, struct snapshot *snap, struct snapshot *old)
{
	struct diags d = { 0 };
	struct tftp_tree_stats st = { 0 };
	int r;

	if (!dm->base_url)
		return;
	r = old ? tftp_tree_update_diff(snap, old, dm->base_url, &st, &d)
		: tftp_tree_sync(snap, dm->base_url, &st, &d);
	if (r < 0) {
		log_warn("serve: the TFTP tree could not be fully rendered:");
		log_diags(&d);
	} else if (st.written || st.removed || st.linked) {
		log_info("tftp: tree updated (%zu written, %zu linked, %zu removed)", st.written,
			 st.linked, st.removed);
	}
	diags_clear(&d);
}

static void tree_sync(struct daemon *dm, struct snapshot *snap)
{
	tree_update(dm, snap, NULL);
}

/* Install a validated snapshot everywhere. Takes a new reference. Called
 * on the loop thread (reloads) and on HTTP pool threads (API writes, where
 * objects_only lets the TFTP tree update just the systems that changed). */
static void daemon_install_ex(struct daemon *dm, struct snapshot *snap, bool objects_only)
{
	struct snapshot *old;

	pthread_mutex_lock(&dm->lock);
	old = dm->snap;
	dm->snap = snapshot_ref(snap);
	if (dm->http)
		http_server_set_snapshot(dm->http, snap);
	/* The TFTP tree follows at once (only changed files are written);
	 * under the lock so two installs never interleave their writes.
	 * DHCP: wired when dhcp/ publishes its entry points. */
	tree_update(dm, snap, objects_only ? old : NULL);
	if (dm->dhcp)
		dhcp_server_set_snapshot(dm->dhcp, snap);
	pthread_mutex_unlock(&dm->lock);
	snapshot_unref(old);
}

static void daemon_install(struct daemon *dm, struct snapshot *snap)
{
	daemon_install_ex(dm, snap, false);
}

/* http_api_hooks.changed: an API write or a "done" callback committed. */
static void on_api_changed(void *arg, struct snapshot *snap, enum obj_kind kind,
			   const char *name)
{
	struct daemon *dm = arg;

	daemon_install_ex(dm, snap, true);
	log_info("serve: %s %s changed through the API", obj_kind_name(kind), name ? name : "(several)");
}

static void watch_config_again(struct daemon *dm)
{
	char *cfg;

	if (dm->ino_fd < 0)
		return;
	cfg = path_join(dm->o->state_dir, "provd.yaml");
	if (cfg)
		dm->cfg_wd = inotify_add_watch(dm->ino_fd, cfg, IN_CLOSE_WRITE | IN_MODIFY);
	free(cfg);
}

static int daemon_reload(struct daemon *dm, const char *why)
{
	struct diags d = { 0 };
	struct snapshot *snap;
	int r = 0, lock;

	/* Load and install under the store's lock: an API write that commits
	 * meanwhile installs its (newer) snapshot after ours, never before. */
	lock = store_lock(dm->o->state_dir);
	snap = snapshot_load(dm->o->state_dir, &d);

	if (!snap) {
		log_err("serve: reload (%s) refused: the state has %zu error(s); still serving the previous state",
			why, d.n);
		log_diags(&d);
		r = -EINVAL;
	} else {
		daemon_install(dm, snap);
		log_info("serve: reloaded (%s): %zu distros, %zu profiles, %zu systems", why,
			 snapshot_count(snap, OBJ_DISTRO), snapshot_count(snap, OBJ_PROFILE),
			 snapshot_count(snap, OBJ_SYSTEM));
		snapshot_unref(snap);
	}
	store_unlock(lock);
	diags_clear(&d);
	watch_config_again(dm);
	write_generation(dm);
	return r;
}

static void on_reload_timer(struct loop *l, void *arg)
{
	struct daemon *dm = arg;

	(void)l;
	loop_src_del(dm->reload_timer);
	dm->reload_timer = NULL;
	daemon_reload(dm, "files changed");
}

/* Reload after a quiet moment: an editor or `provd` writes temp files and
 * renames them, and several files may change together. */
static void schedule_reload(struct daemon *dm)
{
	if (dm->stopping)
		return;
	if (dm->reload_timer)
		loop_timer_set(dm->reload_timer, RELOAD_DEBOUNCE_MS, 0);
	else
		loop_timer_add(dm->loop, RELOAD_DEBOUNCE_MS, 0, on_reload_timer, dm,
			       &dm->reload_timer);
}

/* inotify: YAML under the state dir changed. Debounced, because an editor
 * or `provd` writes temp files and renames them. */
static void on_inotify(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct daemon *dm = arg;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool relevant = false;
	ssize_t n;

	(void)events;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			size_t nl = ev->len ? strlen(ev->name) : 0;
			/* Only *.yaml (objects, provd.yaml) and templates; events.log,
			 * the pid file and temp files are ours. */
			if (ev->mask & IN_Q_OVERFLOW)
				relevant = true;
			else if (ev->wd == dm->cfg_wd && dm->cfg_wd >= 0)
				relevant = true;
			else if (nl > 5 && strcmp(ev->name + nl - 5, ".yaml") == 0)
				relevant = true;
			p += sizeof(*ev) + ev->len;
		}
	}
	if (relevant)
		schedule_reload(dm);
}

/* Templates: <state>/templates and every folder below it, so that an
 * admin's edited snippets/ or pxelinux/ file re-renders the boot files
 * (answers rendered per request see it anyway through the render cache). */
static uint64_t templates_check(struct daemon *dm)
{
	char *root = path_join(dm->o->state_dir, "templates");
	const char *roots[1] = { root };
	uint64_t g = root ? tmplwatch_check(dm->tmpl_watch, roots, 1) : 0;

	free(root);
	return g;
}

static void on_templates(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct daemon *dm = arg;
	uint64_t g = templates_check(dm);

	(void)l;
	(void)fd;
	(void)events;
	if (g && g != dm->tmpl_gen) {
		dm->tmpl_gen = g;
		schedule_reload(dm);
	}
}

static int watch_state(struct daemon *dm)
{
	static const char *const dirs[] = { "", "distros", "profiles", "systems" };
	const uint32_t mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE;
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	/* The state root holds events.log, written on every request: watch
	 * only renames/creations there (atomic writes of provd.yaml) and the
	 * provd.yaml inode itself for in-place edits, so serving files does
	 * not wake this loop. */
	const uint32_t root_mask = IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE;
	char *cfg = path_join(dm->o->state_dir, "provd.yaml");

	if (cfg)
		dm->cfg_wd = inotify_add_watch(fd, cfg, IN_CLOSE_WRITE | IN_MODIFY);
	free(cfg);
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char *p = *dirs[i] ? path_join(dm->o->state_dir, dirs[i]) : strdup(dm->o->state_dir);
		int wd = p ? inotify_add_watch(fd, p, *dirs[i] ? mask : root_mask) : -1;
		if (wd < 0)
			log_debug("serve: not watching %s: %s", p ? p : "?", strerror(errno));
		free(p);
	}
	dm->ino_fd = fd;
	r = loop_fd_add(dm->loop, fd, EPOLLIN, on_inotify, dm, NULL);
	if (r < 0)
		return r;
	r = tmplwatch_new(&dm->tmpl_watch);
	if (r < 0) {
		log_warn("serve: cannot watch templates/ (%s); reload with SIGHUP after editing one",
			 strerror(-r));
		return 0;
	}
	dm->tmpl_gen = templates_check(dm);
	return loop_fd_add(dm->loop, tmplwatch_fd(dm->tmpl_watch), EPOLLIN, on_templates, dm, NULL);
}

/* ------------------------------------------------------------------ */
/* signals and shutdown */

static void on_grace_timer(struct loop *l, void *arg)
{
	struct daemon *dm = arg;
	unsigned left = dm->http ? http_server_inflight(dm->http) : 0;

	if (left == 0) {
		loop_quit(l, 0);
		return;
	}
	if (loop_now_ms() >= dm->grace_deadline) {
		log_warn("serve: grace period over, cutting %u request(s) still running", left);
		loop_quit(l, 0);
	}
}

static void on_signal(struct loop *l, int signo, void *arg)
{
	struct daemon *dm = arg;
	unsigned grace = dm->o->grace_s ? dm->o->grace_s : 10;

	switch (signo) {
	case SIGHUP:
		if (!dm->stopping)
			daemon_reload(dm, "SIGHUP");
		break;
	case SIGTERM:
	case SIGINT:
		if (dm->stopping) {
			log_info("serve: second %s, stopping now", sigabbrev_np(signo));
			loop_quit(l, 0);
			break;
		}
		dm->stopping = true;
		log_info("serve: SIG%s: stopping (up to %us for in-flight requests)",
			 sigabbrev_np(signo), grace);
		if (dm->http)
			http_server_quiesce(dm->http);
		dm->grace_deadline = loop_now_ms() + (uint64_t)grace * 1000u;
		if (loop_timer_add(l, 1, GRACE_POLL_MS, on_grace_timer, dm, &dm->grace_timer) < 0)
			loop_quit(l, 0);
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------------ */
/* addresses and privileges */

static int drop_privileges(const char *user)
{
	struct passwd *pw;

	if (!user || geteuid() != 0)
		return 0;
	pw = getpwnam(user);
	if (!pw) {
		log_err("serve: user '%s' (provd.yaml user:) does not exist", user);
		return -ENOENT;
	}
	/* Order: groups while still root, then gid, then uid (setuid last
	 * or we could no longer change the rest). glibc applies these to
	 * every thread. */
	if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0) {
		int e = -errno;
		log_err("serve: cannot drop privileges to %s: %s", user, strerror(-e));
		return e;
	}
	if (setuid(0) == 0) {
		log_err("serve: privileges could be regained after dropping to %s", user);
		return -EPERM;
	}
	log_info("serve: running as %s (uid %u)", user, (unsigned)pw->pw_uid);
	return 0;
}

/* ------------------------------------------------------------------ */

/* ------------------------------------------------------------------ */
/* DHCP */

static void on_dhcp_reply(const struct dhcp_reply *r, void *arg)
{
	struct daemon *dm = arg;
	struct in_addr ya = { r->yiaddr };
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &ya, ip, sizeof(ip));
	/* ACKs from port 4011 get a kind of their own, so the timeline and
	 * /metrics (events by kind) show which clients use ProxyDHCP there. */
	events_appendf(dm->o->state_dir, r->system[0] ? r->system : NULL, r->mac,
		       r->type == DHCPOFFER			    ? EVENT_DHCP_OFFER
		       : r->type == DHCPACK && r->local_port == 4011 ? EVENT_DHCP_PROXY_ACK
		       : r->type == DHCPACK			    ? EVENT_DHCP_ACK
								    : EVENT_DHCP_NAK,
		       "%s%s%s", ip, r->bootfile[0] ? " boot " : "", r->bootfile);
}

/* Decide mode, interface and range (flags over provd.yaml) and learn the
 * interface's address; the server itself starts in dhcp_start(). */
static struct dhcp_server_cfg dhcp_cfg;

static int dhcp_prepare(struct daemon *dm, const struct daemon_opts *o, const struct config *cfg)
{
	const char *iface = o->dhcp_iface ? o->dhcp_iface : cfg->dhcp.interface;
	enum dhcp_mode mode = cfg->dhcp.mode;
	uint32_t a;
	int r;

	if (o->dhcp_mode)
		mode = !strcmp(o->dhcp_mode, "full") ? DHCP_MODE_FULL
		     : !strcmp(o->dhcp_mode, "proxy") ? DHCP_MODE_PROXY : DHCP_MODE_OFF;
	else if (o->dhcp_iface && mode == DHCP_MODE_OFF)
		mode = DHCP_MODE_PROXY;
	if (mode == DHCP_MODE_OFF)
		return 0;
	if (!iface) {
		log_err("serve: DHCP %s mode needs an interface (--dhcp IFACE or dhcp.interface)",
			dhcp_mode_name(mode));
		return -EINVAL;
	}
	memset(&dhcp_cfg, 0, sizeof(dhcp_cfg));
	dhcp_cfg.mode = mode;
	r = dhcp_iface_addr(iface, &dhcp_cfg.server_ip, &dhcp_cfg.netmask);
	if (r < 0) {
		log_err("serve: DHCP interface %s has no IPv4 address (%s); give it one first",
			iface, strerror(-r));
		return r;
	}
	if (mode == DHCP_MODE_FULL) {
		char start[32] = "", end[32] = "";
		const char *range = o->dhcp_range;
		if (range) {
			const char *dash = strchr(range, '-');
			if (!dash || (size_t)(dash - range) >= sizeof(start)) {
				log_err("serve: --dhcp-range wants START-END, not '%s'", range);
				return -EINVAL;
			}
			memcpy(start, range, (size_t)(dash - range));
			snprintf(end, sizeof(end), "%s", dash + 1);
		} else if (cfg->dhcp.range_start && cfg->dhcp.range_end) {
			snprintf(start, sizeof(start), "%s", cfg->dhcp.range_start);
			snprintf(end, sizeof(end), "%s", cfg->dhcp.range_end);
		}
		if (ipv4_parse(start, &a) < 0) {
			log_err("serve: DHCP full mode needs a range (--dhcp-range START-END or dhcp.range)");
			return -EINVAL;
		}
		dhcp_cfg.range_start = ntohl(a);
		if (ipv4_parse(end, &a) < 0) {
			log_err("serve: bad DHCP range end '%s'", end);
			return -EINVAL;
		}
		dhcp_cfg.range_end = ntohl(a);
		dhcp_cfg.lease_time = cfg->dhcp.lease_time;
		if (cfg->dhcp.router)
			ipv4_parse(cfg->dhcp.router, &dhcp_cfg.router);
		for (size_t i = 0; i < cfg->dhcp.ndns && dhcp_cfg.ndns < 4; i++)
			if (ipv4_parse(cfg->dhcp.dns[i], &dhcp_cfg.dns[dhcp_cfg.ndns]) == 0)
				dhcp_cfg.ndns++;
		if (cfg->dhcp.domain)
			snprintf(dhcp_cfg.domain, sizeof(dhcp_cfg.domain), "%s", cfg->dhcp.domain);
		snprintf(dhcp_cfg.lease_file, sizeof(dhcp_cfg.lease_file), "%s/dhcp.leases", o->state_dir);
	}
	dhcp_cfg.unknown_ignore = cfg->unknown_mac == UNKNOWN_MAC_IGNORE;
	{
		unsigned rate = o->dhcp_rate_set ? o->dhcp_rate : cfg->dhcp.rate;
		dhcp_cfg.rate_per_mac = rate;
		dhcp_cfg.no_rate_limit = rate == 0;
	}
	/* RAs: on by default in full mode, where we own the segment; in
	 * proxy mode the lab's router is expected to send them. */
	if (o->ra)
		dm->ra_on = !strcmp(o->ra, "on");
	else if (cfg->dhcp.ra != CONFIG_RA_DEFAULT)
		dm->ra_on = cfg->dhcp.ra == CONFIG_RA_ON;
	else
		dm->ra_on = mode == DHCP_MODE_FULL;
	/* A copy: provd.yaml's config may be replaced by a reload. */
	if (o->ra_prefix || cfg->dhcp.ra_prefix)
		snprintf(dm->ra_prefix, sizeof(dm->ra_prefix), "%s",
			 o->ra_prefix ? o->ra_prefix : cfg->dhcp.ra_prefix);
	snprintf(dm->dhcp_iface, sizeof(dm->dhcp_iface), "%s", iface);
	dm->dhcp_ip = dhcp_cfg.server_ip;
	return 0;
}

/* IPv6 RAs (dhcp/ra.h), as dhcp_prepare() decided. A failure only costs
 * firmware its IPv6 wait, so it is a warning. */
static int ra_begin(struct daemon *dm)
{
	const char *prefix = dm->ra_prefix[0] ? dm->ra_prefix : NULL;
	struct ra_cfg rc = { 0 };
	int r;

	if (!dm->ra_on)
		return 0;
	if (prefix && ra_prefix_parse(prefix, &rc) < 0) {
		log_err("serve: --ra-prefix wants an IPv6 prefix such as 2001:db8::/64, not '%s'",
			prefix);
		return -EINVAL;
	}
	r = ra_start(dm->loop, dm->dhcp_iface, &rc, &dm->ra);
	if (r < 0) {
		log_warn("serve: no IPv6 router advertisements on %s: %s (firmware may wait for IPv6)",
			 dm->dhcp_iface, strerror(-r));
		return 0;
	}
	log_info("serve: IPv6 router advertisements on %s%s%s", dm->dhcp_iface,
		 prefix ? ", prefix " : " (no prefix)", prefix ? prefix : "");
	return 0;
}

static int dhcp_start(struct daemon *dm, struct snapshot *snap)
{
	int r;

	if (!dm->dhcp_ip)
		return 0;
	snprintf(dhcp_cfg.http_base, sizeof(dhcp_cfg.http_base), "%s", dm->base_url ? dm->base_url : "");
	/* The tree was rendered just before: UEFI clients in proxy mode get
	 * ipxe.efi only if it is there (package ipxe; read at start). */
	{
		char *p = path_join(dm->o->state_dir, "tftp/" TFTP_IPXE_EFI);
		dhcp_cfg.ipxe_efi = p && fs_exists(p);
		free(p);
	}
	if (dhcp_cfg.mode == DHCP_MODE_PROXY && !dhcp_cfg.ipxe_efi)
		log_warn("serve: no %s in the TFTP tree (apt-get install ipxe): UEFI machines in "
			 "proxy mode get GRUB, which finds its config only if the lab's DHCP "
			 "server names this host as next-server", TFTP_IPXE_EFI);
	r = dhcp_server_new(&dhcp_cfg, &dm->dhcp);
	if (r < 0) {
		log_err("serve: DHCP: bad configuration (range?)");
		return r;
	}
	dhcp_server_set_snapshot(dm->dhcp, snap);
	r = dhcp_sock_start(dm->loop, dm->dhcp_iface, dm->dhcp, dhcp_cfg.mode == DHCP_MODE_PROXY,
			    on_dhcp_reply, dm, &dm->dhcp_sock);
	if (r < 0) {
		log_err("serve: DHCP: cannot listen on %s port 67: %s%s", dm->dhcp_iface, strerror(-r),
			r == -EACCES ? " (needs root or CAP_NET_BIND_SERVICE)" : "");
		return r;
	}
	if (dhcp_cfg.no_rate_limit)
		log_info("serve: DHCP %s mode on %s (no per-MAC rate limit)",
			 dhcp_mode_name(dhcp_cfg.mode), dm->dhcp_iface);
	else
		log_info("serve: DHCP %s mode on %s (at most %u requests per MAC per 10 s)",
			 dhcp_mode_name(dhcp_cfg.mode), dm->dhcp_iface, dhcp_cfg.rate_per_mac);
	return ra_begin(dm);
}

int daemon_run(const struct daemon_opts *o)
{
	struct daemon dm = { .o = o, .pid_fd = -1, .ino_fd = -1, .cfg_wd = -1 };
	struct http_server_opts ho = { 0 };
	struct http_router *rt = NULL;
	struct http_api_hooks hooks = { .changed = on_api_changed, .arg = &dm };
	const struct config *cfg;
	struct diags d = { 0 };
	struct snapshot *snap;
	struct netaddr na;
	pid_t holder = 0;
	int rc = 1, r;

	pthread_mutex_init(&dm.lock, NULL);
	log_set_timestamps(1);
	if (!fs_exists(o->state_dir)) {
		log_err("serve: state directory %s does not exist (run `provd init` first)",
			o->state_dir);
		return 1;
	}
	r = pidfile_take(o->state_dir, &dm.pid_fd, &holder);
	if (r == -EWOULDBLOCK) {
		log_err("serve: another provd serve (pid %ld) is running on %s", (long)holder,
			o->state_dir);
		return 1;
	}
	if (r < 0) {
		log_err("serve: cannot take %s/%s: %s", o->state_dir, DAEMON_PID_FILE, strerror(-r));
		return 1;
	}
	dm.generation = read_generation(o->state_dir);

	dm.loop = loop_new();
	if (!dm.loop) {
		log_err("serve: event loop: %s", strerror(errno));
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	if (loop_signal_add(dm.loop, SIGHUP, on_signal, &dm, NULL) < 0 ||
	    loop_signal_add(dm.loop, SIGTERM, on_signal, &dm, NULL) < 0 ||
	    loop_signal_add(dm.loop, SIGINT, on_signal, &dm, NULL) < 0) {
		log_err("serve: cannot set up signal handling");
		goto out;
	}

	snap = snapshot_load(o->state_dir, &d);
	if (!snap) {
		log_err("serve: the state in %s is invalid; fix it and start again:", o->state_dir);
		log_diags(&d);
		diags_clear(&d);
		goto out;
	}
	diags_clear(&d);
	dm.snap = snap;
	cfg = snapshot_config(snap);

	ho.listen = o->http_listen ? o->http_listen : cfg->http_listen;
	ho.state_dir = o->state_dir;
	ho.access_log = true;
	if (netaddr_parse(ho.listen, "0.0.0.0", 8080, &na) < 0) {
		log_err("serve: bad HTTP listen address '%s' (want ADDR:PORT)", ho.listen);
		goto out;
	}
	/* A port of 0 (tests) is only known after binding; the URL is fixed
	 * up below once the server runs. */
	dm.base_url = base_url_pick(cfg, ho.listen);
	if (dhcp_prepare(&dm, o, cfg) < 0)
		goto out;
	/* Machines that get their boot info from our DHCP reach us on that
	 * interface's address, unless provd.yaml says otherwise. */
	if (dm.dhcp_ip && !cfg->base_url && !cfg->server_address && netaddr_port(&na)) {
		char ip[INET_ADDRSTRLEN];
		struct in_addr ia = { dm.dhcp_ip };
		free(dm.base_url);
		inet_ntop(AF_INET, &ia, ip, sizeof(ip));
		if (asprintf(&dm.base_url, "http://%s:%u", ip, netaddr_port(&na)) < 0)
			dm.base_url = NULL;
	}
	ho.base_url = netaddr_port(&na) ? dm.base_url : NULL;

	rt = http_router_new();
	if (!rt || http_serve_routes_add(rt) < 0 || http_api_routes_add(rt, &hooks) < 0) {
		log_err("serve: cannot build the HTTP route table");
		http_router_free(rt);
		goto out;
	}
	r = http_server_new(&ho, rt, snap, &dm.http);
	if (r < 0)
		goto out;
	http_server_set_observer(dm.http, metrics_observe, NULL);

	/* Render the TFTP tree and start in.tftpd while we may still bind a
	 * privileged port; in.tftpd drops to the configured user itself. */
	tree_sync(&dm, snap);
	if (!o->no_tftp) {
		char *root = path_join(o->state_dir, "tftp");
		struct tftp_sup_opts to = {
			.root = root,
			.listen = o->tftp_listen ? o->tftp_listen : cfg->tftp_listen,
			.user = cfg->user,
		};
		r = root ? tftp_sup_start(dm.loop, &to, &dm.tftp) : -ENOMEM;
		free(root);
		if (r < 0)
			log_warn("serve: serving without TFTP (HTTP and iPXE still work)");
	}
	if (dhcp_start(&dm, snap) < 0)
		goto out;
	if (drop_privileges(cfg->user) < 0)
		goto out;
	if (!o->no_watch && watch_state(&dm) < 0)
		log_warn("serve: cannot watch %s for changes; reload with SIGHUP", o->state_dir);
	write_generation(&dm);

	log_info("serve: ready (state %s, pid %ld)", o->state_dir, (long)getpid());
	r = loop_run(dm.loop);
	rc = r < 0 ? 1 : r;
	log_info("serve: stopped");
out:
	ra_stop(dm.ra);
	dhcp_sock_stop(dm.dhcp_sock);
	dhcp_server_free(dm.dhcp);
	tftp_sup_stop(dm.tftp);
	http_server_free(dm.http);
	if (dm.ino_fd >= 0)
		close(dm.ino_fd);
	loop_free(dm.loop);
	tmplwatch_free(dm.tmpl_watch);
	snapshot_unref(dm.snap);
	free(dm.base_url);
	pidfile_release(o->state_dir, dm.pid_fd);
	pthread_mutex_destroy(&dm.lock);
	return rc;
}
