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
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int ifd = -1;
static bool broken;		/* cannot watch: poll returns 0 */
static uint64_t gen = 1;
static char *roots[ROOTS_MAX];
static size_t nroots;
static struct wdir *wds;
static size_t nwds;

static struct wdir *wdir_find(int wd)
{
	for (size_t i = 0; i < nwds; i++)
		if (wds[i].wd == wd)
			return &wds[i];
	return NULL;
}

static void wdir_drop(int wd)
{
	for (size_t i = 0; i < nwds; i++) {
		if (wds[i].wd == wd) {
			wds[i] = wds[--nwds];
			return;
		}
	}
}

static void give_up(const char *why)
{
	log_warn("templates: not watching template folders (%s); every render checks its "
		 "files instead (raise fs.inotify.max_user_watches if that is the cause)", why);
	broken = true;
	if (ifd >= 0)
		close(ifd);
	ifd = -1;
	free(wds);
	wds = NULL;
	nwds = 0;
}

/* Watch path with mask (added to what the folder already has: the same
 * folder can be an anchor and part of a tree). Returns its entry, or NULL
 * (gone meanwhile, not a folder, no permission; or limits, then broken). */
static struct wdir *watch(const char *path, uint32_t mask)
{
	struct wdir *w, *nw;
	int wd = inotify_add_watch(ifd, path, mask | IN_MASK_ADD | IN_ONLYDIR);

	if (wd < 0) {
		if (errno == ENOSPC || errno == ENOMEM)
			give_up(strerror(errno));
		return NULL;
	}
	w = wdir_find(wd);
	if (w)
		return w;
	if (nwds >= WATCH_MAX) {
		give_up("more than 4096 template folders");
		return NULL;
	}
	nw = realloc(wds, (nwds + 1) * sizeof(*nw));
	if (!nw) {
		give_up("out of memory");
		return NULL;
	}
	wds = nw;
	wds[nwds] = (struct wdir){ .wd = wd };
	return &wds[nwds++];
}

static void add_tree(const char *path, int depth)
{
	struct wdir *w = watch(path, TREE_MASK);
	struct dirent *de;
	DIR *dh;

	/* The same folder reached twice (a symlink loop, two roots that
	 * overlap) is walked once: inotify hands back its watch. */
	if (!w || w->tree)
		return;
	w->tree = true;
	if (depth >= TREE_DEPTH || !(dh = opendir(path)))
		return;
	while (!broken && (de = readdir(dh))) {
		struct stat st;
		char *sub;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (de->d_type != DT_DIR && de->d_type != DT_LNK && de->d_type != DT_UNKNOWN)
			continue;
		sub = path_join(path, de->d_name);
		if (sub && stat(sub, &st) == 0 && S_ISDIR(st.st_mode))
			add_tree(sub, depth + 1);
		free(sub);
	}
	closedir(dh);
}

static void add_anchor(const char *root)
{
	char *p = strdup(root);
	struct stat st;

	while (p && !broken) {
		char *slash = strrchr(p, '/');
		if (!slash || slash == p) {
			struct wdir *w = watch("/", ANCHOR_MASK);
			if (w)
				w->anchor = true;
			break;
		}
		*slash = '\0';
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
			struct wdir *w = watch(p, ANCHOR_MASK);
			if (w)
				w->anchor = true;
			break;
		}
	}
	free(p);
}

/* Bring the watch set in line with the folders as they are now: every root
 * and its subfolders, anchors for missing roots, nothing else. Runs at
 * registration and after any event that changes folders; the generation
 * moves only after it, so a file created in a new folder before the folder
 * was watched is seen by the caller's full check. */
static void resync(void)
{
	for (size_t i = 0; i < nwds; i++)
		wds[i].tree = wds[i].anchor = false;
	for (size_t i = 0; i < nroots && !broken; i++) {
		struct stat st;
		if (stat(roots[i], &st) == 0 && S_ISDIR(st.st_mode))
			add_tree(roots[i], 0);
		else
			add_anchor(roots[i]);
	}
	for (size_t i = 0; i < nwds;) {
		if (wds[i].tree || wds[i].anchor) {
			i++;
			continue;
		}
		/* A folder moved out of every tree: stop hearing about it. */
		inotify_rm_watch(ifd, wds[i].wd);
		wds[i] = wds[--nwds];
	}
}

static void reset_locked(void)
{
	if (ifd >= 0)
		close(ifd);
	ifd = -1;
	for (size_t i = 0; i < nroots; i++)
		free(roots[i]);
	nroots = 0;
	free(wds);
	wds = NULL;
	nwds = 0;
	broken = false;
	gen++;
}

/* fork: the child must not read the parent's queue (it would take the
 * parent's events); it starts over on first use. */
static void atfork_prepare(void)
{
	pthread_mutex_lock(&lock);
}

static void atfork_parent(void)
{
	pthread_mutex_unlock(&lock);
}

static void atfork_child(void)
{
	pthread_mutex_init(&lock, NULL);
	reset_locked();
}

static void setup_once(void)
{
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

/* Register new roots; true when the watch set must be brought up to date. */
static bool add_roots(const char *const *r, size_t n)
{
	bool fresh = false;

	for (size_t i = 0; i < n; i++) {
		bool known = false;
		if (!r[i])
			continue;
		for (size_t k = 0; k < nroots && !known; k++)
			known = !strcmp(roots[k], r[i]);
		if (known)
			continue;
		if (nroots == ROOTS_MAX)
			reset_locked();
		roots[nroots] = strdup(r[i]);
		if (!roots[nroots]) {
			give_up("out of memory");
			return false;
		}
		nroots++;
		fresh = true;
	}
	return fresh;
}

/* Read everything queued. Returns true when something under a root
 * changed; *structure when folders changed (watch set to resync). */
static bool drain(bool *structure)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool changed = false;
	ssize_t n;

	while ((n = read(ifd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			struct wdir *w;

			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				*structure = changed = true;
				continue;
			}
			w = wdir_find(ev->wd);
			if (!w)
				continue;	/* a watch we removed */
			if (ev->mask & IN_IGNORED) {
				wdir_drop(ev->wd);	/* its folder is gone */
				*structure = changed = true;
			} else if (w->tree) {
				/* Anything but a write to a file may change which
				 * folders exist or where a symlink points: resync
				 * (edits are rare; a resync is a few dozen calls). */
				if ((ev->mask & IN_ISDIR) ||
				    !(ev->mask & (IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB)))
					*structure = true;
				changed = true;
			} else if (ev->mask & (IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF)) {
				*structure = changed = true;	/* on the way to a root */
			}
		}
	}
	return changed;
}

uint64_t tmplwatch_poll(const char *const *r, size_t n)
{
	bool structure = false, changed;
	uint64_t g;

	pthread_once(&once, setup_once);
	pthread_mutex_lock(&lock);
	if (broken)
		goto off;
	if (ifd < 0) {
		ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (ifd < 0) {
			give_up(strerror(errno));
			goto off;
		}
	}
	structure = add_roots(r, n);
	changed = drain(&structure) || structure;
	if (structure && !broken)
		resync();
	if (broken)
		goto off;
	if (changed)
		gen++;
	g = gen;
	pthread_mutex_unlock(&lock);
	return g;
off:
	pthread_mutex_unlock(&lock);
	return 0;
}

void tmplwatch_reset(void)
{
	pthread_mutex_lock(&lock);
	reset_locked();
	pthread_mutex_unlock(&lock);
}
