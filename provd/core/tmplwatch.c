/* tmplwatch: inotify on the template folders and all their subfolders,
 * reduced to a generation number (tmplwatch.h). */
#include "config.h"
#include "provd/core/tmplwatch.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "provd/base/fsutil.h"
#include "provd/base/log.h"

#define ROOTS_MAX 32		/* past this the set starts over (tests make many) */
#define WATCH_MAX 4096		/* directories in all; past it, give up watching */
#define TREE_DEPTH 16		/* levels below a root */

/* Every change to a file or folder inside a watched folder. IN_MODIFY as
 * well as IN_CLOSE_WRITE: a writer that keeps its file open is seen too. */
#define TREE_MASK                                                                         \
	(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CLOSE_WRITE | IN_MODIFY | \
	 IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF)
/* An existing ancestor of a root that does not exist yet: only something
 * appearing in it matters (it may be the root, or a folder on the way). */
#define ANCHOR_MASK (IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF)

struct wdir {
	int wd;
	bool tree;	/* a folder at or below a root */
	bool anchor;	/* the nearest existing ancestor of a missing root */
	char *path;	/* an anchor's folder ("" for /): which names matter */
};

struct tmplwatch {
	pthread_mutex_t lock;
	int ifd;
	bool broken;		/* cannot watch: check returns 0 */
	uint64_t gen;
	char *roots[ROOTS_MAX];
	size_t nroots;
	struct wdir *wds;
	size_t nwds;
};

/* The process-wide instance behind tmplwatch_poll (render.c's cache). */
static struct tmplwatch global = { .lock = PTHREAD_MUTEX_INITIALIZER, .ifd = -1, .gen = 1 };
static pthread_once_t once = PTHREAD_ONCE_INIT;

static struct wdir *wdir_find(struct tmplwatch *w, int wd)
{
	for (size_t i = 0; i < w->nwds; i++)
		if (w->wds[i].wd == wd)
			return &w->wds[i];
	return NULL;
}

static void wdir_drop(struct tmplwatch *w, int wd)
{
	for (size_t i = 0; i < w->nwds; i++) {
		if (w->wds[i].wd == wd) {
			free(w->wds[i].path);
			w->wds[i] = w->wds[--w->nwds];
			return;
		}
	}
}

static void give_up(struct tmplwatch *w, const char *why)
{
	log_warn("templates: cannot watch the template folders (%s); renders check every "
		 "file instead (raise fs.inotify.max_user_watches if that is the cause)", why);
	w->broken = true;
	/* The descriptor stays open (an event loop may hold it) without
	 * watches; what is still queued is read and dropped by check. */
	for (size_t i = 0; i < w->nwds; i++) {
		if (w->ifd >= 0)
			inotify_rm_watch(w->ifd, w->wds[i].wd);
		free(w->wds[i].path);
	}
	free(w->wds);
	w->wds = NULL;
	w->nwds = 0;
}

/* Watch path with mask (added to what the folder already has: the same
 * folder can be an anchor and part of a tree). Returns its entry, or NULL
 * (gone meanwhile, not a folder, no permission; or limits, then broken). */
static struct wdir *watch(struct tmplwatch *tw, const char *path, uint32_t mask)
{
	struct wdir *w, *nw;
	int wd = inotify_add_watch(tw->ifd, path, mask | IN_MASK_ADD | IN_ONLYDIR);

	if (wd < 0) {
		if (errno == ENOSPC || errno == ENOMEM)
			give_up(tw, strerror(errno));
		return NULL;
	}
	w = wdir_find(tw, wd);
	if (w)
		return w;
	if (tw->nwds >= WATCH_MAX) {
		give_up(tw, "more than 4096 template folders");
		return NULL;
	}
	nw = realloc(tw->wds, (tw->nwds + 1) * sizeof(*nw));
	if (!nw) {
		give_up(tw, "out of memory");
		return NULL;
	}
	tw->wds = nw;
	tw->wds[tw->nwds] = (struct wdir){ .wd = wd };
	return &tw->wds[tw->nwds++];
}

static void add_tree(struct tmplwatch *tw, const char *path, int depth)
{
	struct wdir *w = watch(tw, path, TREE_MASK);
	struct dirent *de;
	DIR *dh;

	/* The same folder reached twice (a symlink loop, two roots that
	 * overlap) is walked once: inotify hands back its watch. */
	if (!w || w->tree)
		return;
	w->tree = true;
	if (depth >= TREE_DEPTH || !(dh = opendir(path)))
		return;
	while (!tw->broken && (de = readdir(dh))) {
		struct stat st;
		char *sub;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (de->d_type != DT_DIR && de->d_type != DT_LNK && de->d_type != DT_UNKNOWN)
			continue;
		sub = path_join(path, de->d_name);
		if (sub && stat(sub, &st) == 0 && S_ISDIR(st.st_mode))
			add_tree(tw, sub, depth + 1);
		free(sub);
	}
	closedir(dh);
}

static void add_anchor(struct tmplwatch *tw, const char *root)
{
	char *p = strdup(root);
	struct stat st;

	while (p && !tw->broken) {
		char *slash = strrchr(p, '/');
		struct wdir *w = NULL;
		if (!slash) {		/* a relative root: the working folder */
			w = watch(tw, ".", ANCHOR_MASK);
			p[0] = '.';
			p[1] = '\0';
		} else if (slash == p) {
			w = watch(tw, "/", ANCHOR_MASK);
			p[0] = '\0';
		} else {
			*slash = '\0';
			if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
				w = watch(tw, p, ANCHOR_MASK);
			else
				continue;
		}
		if (w) {
			w->anchor = true;
			if (!w->path)
				w->path = strdup(p);
		}
		break;
	}
	free(p);
}

/* Bring the watch set in line with the folders as they are now: every root
 * and its subfolders, anchors for missing roots, nothing else. Runs at
 * registration and after any event that changes folders; the generation
 * moves only after it, so a file created in a new folder before the folder
 * was watched is seen by the caller's full check. */
static void resync(struct tmplwatch *tw)
{
	for (size_t i = 0; i < tw->nwds; i++)
		tw->wds[i].tree = tw->wds[i].anchor = false;
	for (size_t i = 0; i < tw->nroots && !tw->broken; i++) {
		struct stat st;
		if (stat(tw->roots[i], &st) == 0 && S_ISDIR(st.st_mode))
			add_tree(tw, tw->roots[i], 0);
		else
			add_anchor(tw, tw->roots[i]);
	}
	for (size_t i = 0; i < tw->nwds;) {
		if (tw->wds[i].tree || tw->wds[i].anchor) {
			i++;
			continue;
		}
		/* A folder moved out of every tree: stop hearing about it. */
		inotify_rm_watch(tw->ifd, tw->wds[i].wd);
		free(tw->wds[i].path);
		tw->wds[i] = tw->wds[--tw->nwds];
	}
}

/* Forget roots and watches (the descriptor is closed by the caller when
 * it must be). */
static void clear_locked(struct tmplwatch *tw)
{
	for (size_t i = 0; i < tw->nroots; i++)
		free(tw->roots[i]);
	tw->nroots = 0;
	for (size_t i = 0; i < tw->nwds; i++)
		free(tw->wds[i].path);
	free(tw->wds);
	tw->wds = NULL;
	tw->nwds = 0;
	tw->broken = false;
	tw->gen++;
}

static void reset_locked(struct tmplwatch *tw)
{
	if (tw->ifd >= 0)
		close(tw->ifd);
	tw->ifd = -1;
	clear_locked(tw);
}

/* fork: the child must not read the parent's queue (it would take the
 * parent's events); it starts over on first use. */
static void atfork_prepare(void)
{
	pthread_mutex_lock(&global.lock);
}

static void atfork_parent(void)
{
	pthread_mutex_unlock(&global.lock);
}

static void atfork_child(void)
{
	pthread_mutex_init(&global.lock, NULL);
	reset_locked(&global);
}

static void setup_once(void)
{
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

/* Register new roots; true when the watch set must be brought up to date. */
static bool add_roots(struct tmplwatch *tw, const char *const *r, size_t n)
{
	bool fresh = false;

	for (size_t i = 0; i < n; i++) {
		bool known = false;
		if (!r[i])
			continue;
		for (size_t k = 0; k < tw->nroots && !known; k++)
			known = !strcmp(tw->roots[k], r[i]);
		if (known)
			continue;
		if (tw->nroots == ROOTS_MAX) {
			/* Start over: every old watch goes with its roots. */
			for (size_t k = 0; k < tw->nwds; k++)
				inotify_rm_watch(tw->ifd, tw->wds[k].wd);
			clear_locked(tw);
		}
		tw->roots[tw->nroots] = strdup(r[i]);
		if (!tw->roots[tw->nroots]) {
			give_up(tw, "out of memory");
			return false;
		}
		tw->nroots++;
		fresh = true;
	}
	return fresh;
}

/* Is name, created in anchor w, the next folder on the way to a missing
 * root? (Anything else appearing there, such as the state folder's own
 * files, is not a template change.) */
static bool toward_root(const struct tmplwatch *tw, const struct wdir *w, const char *name)
{
	size_t pl = w->path ? strlen(w->path) : 0, nl = strlen(name);

	if (!w->path || !nl)
		return false;
	for (size_t i = 0; i < tw->nroots; i++) {
		const char *r = tw->roots[i], *rest;
		if (!strcmp(w->path, ".") && r[0] != '/')
			rest = r;	/* relative root below the working folder */
		else if (strncmp(r, w->path, pl) == 0 && r[pl] == '/')
			rest = r + pl + 1;
		else
			continue;
		if (strncmp(rest, name, nl) == 0 && (rest[nl] == '\0' || rest[nl] == '/'))
			return true;
	}
	return false;
}

/* Read everything queued. Returns true when something under a root
 * changed; *structure when folders changed (watch set to resync). */
static bool drain(struct tmplwatch *tw, bool *structure)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool changed = false;
	ssize_t n;

	while ((n = read(tw->ifd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			struct wdir *w;

			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				*structure = changed = true;
				continue;
			}
			w = wdir_find(tw, ev->wd);
			if (!w)
				continue;	/* a watch we removed */
			if (ev->mask & IN_IGNORED) {
				wdir_drop(tw, ev->wd);	/* its folder is gone */
				*structure = changed = true;
			} else if (w->tree) {
				/* Anything but a write to a file may change which
				 * folders exist or where a symlink points: resync
				 * (edits are rare; a resync is a few dozen calls). */
				if ((ev->mask & IN_ISDIR) ||
				    !(ev->mask & (IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB)))
					*structure = true;
				changed = true;
			} else if ((ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) ||
				   ((ev->mask & (IN_CREATE | IN_MOVED_TO)) &&
				    toward_root(tw, w, ev->len ? ev->name : ""))) {
				*structure = changed = true;	/* on the way to a root */
			}
		}
	}
	return changed;
}

/* Register, drain, resync; the caller holds tw->lock and tw->ifd >= 0. */
static uint64_t check_locked(struct tmplwatch *tw, const char *const *r, size_t n)
{
	bool structure = false, changed;

	if (tw->broken) {
		drain(tw, &structure);	/* keep an event loop from spinning */
		return 0;
	}
	structure = add_roots(tw, r, n);
	changed = drain(tw, &structure) || structure;
	if (structure && !tw->broken)
		resync(tw);
	if (tw->broken)
		return 0;
	if (changed)
		tw->gen++;
	return tw->gen;
}

int tmplwatch_new(struct tmplwatch **out)
{
	struct tmplwatch *tw = calloc(1, sizeof(*tw));

	if (!tw)
		return -ENOMEM;
	tw->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (tw->ifd < 0) {
		int r = -errno;
		free(tw);
		return r;
	}
	pthread_mutex_init(&tw->lock, NULL);
	tw->gen = 1;
	*out = tw;
	return 0;
}

void tmplwatch_free(struct tmplwatch *tw)
{
	if (!tw)
		return;
	reset_locked(tw);
	pthread_mutex_destroy(&tw->lock);
	free(tw);
}

int tmplwatch_fd(const struct tmplwatch *tw)
{
	return tw->ifd;
}

uint64_t tmplwatch_check(struct tmplwatch *tw, const char *const *r, size_t n)
{
	uint64_t g;

	pthread_mutex_lock(&tw->lock);
	g = check_locked(tw, r, n);
	pthread_mutex_unlock(&tw->lock);
	return g;
}

uint64_t tmplwatch_poll(const char *const *r, size_t n)
{
	uint64_t g = 0;

	pthread_once(&once, setup_once);
	pthread_mutex_lock(&global.lock);
	if (global.ifd < 0 && !global.broken) {
		global.ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (global.ifd < 0)
			give_up(&global, strerror(errno));
	}
	if (global.ifd >= 0)
		g = check_locked(&global, r, n);
	pthread_mutex_unlock(&global.lock);
	return g;
}

void tmplwatch_reset(void)
{
	pthread_mutex_lock(&global.lock);
	reset_locked(&global);
	pthread_mutex_unlock(&global.lock);
}
