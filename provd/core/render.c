/* render: contexts, the compiled-template cache and the renderers
 * (render.h). */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "provd/base/fsutil.h"
#include "provd/core/config.h"
#include "provd/core/render.h"
#include "provd/core/resolve.h"
#include "provd/core/snapshot.h"
#include "provd/core/tmpl.h"
#include "provd/core/tmplwatch.h"

/* ------------------------------------------------------------------ */
/* template lookup */

char *render_template_path(const char *state_dir, const char *name)
{
	const char *env = getenv("PROVD_TEMPLATES");
	const char *dirs[4];
	size_t n = 0;
	char *own = NULL, *src = NULL;

	if (!tmpl_name_valid(name))
		return NULL;
	if (state_dir && (own = path_join(state_dir, "templates")))
		dirs[n++] = own;
	if (env && *env)
		dirs[n++] = env;
	src = path_join(PROVD_SRCDIR, "templates");
	if (src && access(src, F_OK) == 0)
		dirs[n++] = src;
	dirs[n++] = PROVD_DATADIR "/templates";
	for (size_t i = 0; i < n; i++) {
		char *p = path_join(dirs[i], name);
		if (p && access(p, R_OK) == 0) {
			free(own);
			free(src);
			return p;
		}
		free(p);
	}
	free(own);
	free(src);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* cache: one entry per (state dir, name), valid while every file it was
 * compiled from keeps its mtime, size and inode, and every name (the
 * template's and each include's) still resolves to the same file — an
 * admin who drops snippets/network into <state>/templates overrides the
 * shipped snippet in every template that includes it, at once.
 *
 * Checking that costs a stat and a name resolution (several access()
 * calls) per file, which was half of a rendered answer's cost. So the
 * check runs only when tmplwatch (inotify on every template folder and
 * subfolder) says something changed since the entry was last found fresh;
 * an entry with a symlinked file, or a process where inotify is not
 * available, is checked on every render as before. */

struct dep {
	char *name;		/* template name it was found under */
	char *path;		/* the file that name resolved to */
	struct timespec mtime;
	off_t size;
	ino_t ino;
};

struct centry {
	char *key;		/* state_dir "\n" name */
	struct tmpl *t;
	struct dep *deps;	/* deps[0]: the template itself */
	size_t ndeps;
	bool stat_always;	/* a dep is a symlink: inotify cannot vouch for it */
	_Atomic uint64_t fresh_gen;	/* tmplwatch generation last found fresh at */
	unsigned refs;		/* the cache's own reference + renders in flight */
	struct centry *next;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct centry *cache;

struct load_ctx {
	const char *state_dir;	/* for re-resolving names */
	struct dep *deps;
	size_t ndeps;
	bool symlink;
};

static int add_dep(struct load_ctx *lc, const char *name, const char *path)
{
	struct stat st;
	struct dep *nd;

	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
		lc->symlink = true;
	if (stat(path, &st) < 0)
		return -errno;
	nd = realloc(lc->deps, (lc->ndeps + 1) * sizeof(*nd));
	if (!nd)
		return -ENOMEM;
	lc->deps = nd;
	nd[lc->ndeps].name = strdup(name);
	nd[lc->ndeps].path = strdup(path);
	nd[lc->ndeps].mtime = st.st_mtim;
	nd[lc->ndeps].size = st.st_size;
	nd[lc->ndeps].ino = st.st_ino;
	if (!nd[lc->ndeps].path || !nd[lc->ndeps].name) {
		free(nd[lc->ndeps].name);
		free(nd[lc->ndeps].path);
		return -ENOMEM;
	}
	lc->ndeps++;
	return 0;
}

static int load_cb(void *arg, const char *name, char **text, size_t *len, char **path)
{
	struct load_ctx *lc = arg;
	char *p = render_template_path(lc->state_dir, name);
	int r;

	if (!p)
		return -ENOENT;
	r = fs_read_file(p, TMPL_SIZE_MAX + 1, text, len);
	if (r == -EFBIG) {
		*text = NULL;
		free(p);
		return -EFBIG;
	}
	if (r == 0) {
		r = add_dep(lc, name, p);
		if (r < 0) {
			free(*text);
			*text = NULL;
		}
	}
	if (r < 0) {
		free(p);
		return r;
	}
	*path = p;
	return 0;
}

/* path: what the template's own name resolves to now. */
static bool deps_fresh(const struct centry *e, const char *state_dir, const char *path)
{
	if (strcmp(path, e->deps[0].path) != 0)
		return false;
	for (size_t i = 0; i < e->ndeps; i++) {
		struct stat st;
		if (stat(e->deps[i].path, &st) < 0 || st.st_size != e->deps[i].size ||
		    st.st_ino != e->deps[i].ino || st.st_mtim.tv_sec != e->deps[i].mtime.tv_sec ||
		    st.st_mtim.tv_nsec != e->deps[i].mtime.tv_nsec)
			return false;
		/* includes are re-resolved: a new admin copy wins at once */
		if (i > 0) {
			char *p = render_template_path(state_dir, e->deps[i].name);
			bool same = p && !strcmp(p, e->deps[i].path);
			free(p);
			if (!same)
				return false;
		}
	}
	return true;
}

/* The folders a template name can resolve in (render_template_path's
 * order), registered with tmplwatch; returns its generation (0: no
 * watching, check everything). */
static uint64_t templates_gen(const char *state_dir)
{
	const char *env = getenv("PROVD_TEMPLATES");
	char own[PATH_MAX], src[PATH_MAX];
	const char *roots[4] = { NULL, env && *env ? env : NULL, src, PROVD_DATADIR "/templates" };

	if (state_dir) {
		if ((size_t)snprintf(own, sizeof(own), "%s/templates", state_dir) >= sizeof(own))
			return 0;
		roots[0] = own;
	}
	snprintf(src, sizeof(src), "%s/templates", PROVD_SRCDIR);
	return tmplwatch_poll(roots, 4);
}

static void centry_unref_locked(struct centry *e)
{
	if (--e->refs)
		return;
	tmpl_free(e->t);
	for (size_t i = 0; i < e->ndeps; i++) {
		free(e->deps[i].name);
		free(e->deps[i].path);
	}
	free(e->deps);
	free(e->key);
	free(e);
}

static void tmpl_put(struct centry *e)
{
	pthread_mutex_lock(&cache_lock);
	centry_unref_locked(e);
	pthread_mutex_unlock(&cache_lock);
}

/* The compiled template for name, with a reference (release with
 * tmpl_put). *cache_gen (when asked) is the tmplwatch generation under
 * which the entry was found fresh, or 0 when inotify cannot vouch for it
 * (no watching, a symlinked file): what a cached render may be keyed on. */
static int tmpl_get(const char *state_dir, const char *name, struct diags *d, struct centry **out,
		    uint64_t *cache_gen)
{
	char *key = NULL, *path = NULL, *text = NULL;
	struct load_ctx lc = { .state_dir = state_dir };
	struct centry *e, **pp;
	struct tmpl *t = NULL;
	uint64_t gen;
	size_t len = 0;
	int r;

	if (!tmpl_name_valid(name)) {
		diags_add(d, NULL, 0, 0, "template names are relative paths like preseed/debian.cfg",
			  "bad template name '%s'", name);
		return -EINVAL;
	}
	/* Read the generation before looking at any file: a change after
	 * this point moves it, and the next render checks again. */
	gen = templates_gen(state_dir);
	if (asprintf(&key, "%s\n%s", state_dir ? state_dir : "", name) < 0)
		return -ENOMEM;
	/* Find and reference under the lock; check freshness (stat and
	 * access calls) outside it, so concurrent HTTP renders do not queue
	 * behind each other's system calls. */
	pthread_mutex_lock(&cache_lock);
	for (e = cache; e; e = e->next) {
		if (strcmp(e->key, key) == 0) {
			e->refs++;
			break;
		}
	}
	pthread_mutex_unlock(&cache_lock);
	if (e && gen && !e->stat_always && atomic_load(&e->fresh_gen) == gen) {
		free(key);
		if (cache_gen)
			*cache_gen = gen;
		*out = e;
		return 0;
	}
	path = render_template_path(state_dir, name);
	if (!path) {
		if (e)
			tmpl_put(e);
		free(key);
		diags_add(d, NULL, 0, 0, "put it in <state>/templates/ or use a shipped one "
			  "(preseed/debian.cfg, kickstart/fedora.ks)", "no template named '%s'", name);
		return -ENOENT;
	}
	if (e) {
		if (deps_fresh(e, state_dir, path)) {
			atomic_store(&e->fresh_gen, gen);
			free(key);
			free(path);
			if (cache_gen)
				*cache_gen = e->stat_always ? 0 : gen;
			*out = e;
			return 0;
		}
		pthread_mutex_lock(&cache_lock);
		for (pp = &cache; *pp; pp = &(*pp)->next) {
			if (*pp == e) {
				*pp = e->next;	/* stale: drop the cache's reference */
				centry_unref_locked(e);
				break;
			}
		}
		centry_unref_locked(e);	/* and ours */
		pthread_mutex_unlock(&cache_lock);
	}

	r = fs_read_file(path, TMPL_SIZE_MAX + 1, &text, &len);
	if (r == 0)
		r = add_dep(&lc, name, path);
	if (r < 0) {
		diags_add(d, path, 0, 0, NULL, "cannot read template: %s", strerror(-r));
		goto fail;
	}
	{
		struct tmpl_loader ld = { load_cb, &lc };
		r = tmpl_compile(path, text, len, &ld, d, &t);
	}
	if (r < 0)
		goto fail;
	e = calloc(1, sizeof(*e));
	if (!e) {
		r = -ENOMEM;
		goto fail;
	}
	e->key = key;
	e->t = t;
	e->deps = lc.deps;
	e->ndeps = lc.ndeps;
	e->stat_always = lc.symlink;
	atomic_init(&e->fresh_gen, gen);
	e->refs = 2;	/* the cache's and the caller's */
	pthread_mutex_lock(&cache_lock);
	/* Another thread may have compiled the same name meanwhile: the
	 * newest wins, the other is dropped when its renders finish. */
	for (pp = &cache; *pp; pp = &(*pp)->next) {
		if (strcmp((*pp)->key, key) == 0) {
			struct centry *old = *pp;
			*pp = old->next;
			centry_unref_locked(old);
			break;
		}
	}
	e->next = cache;
	cache = e;
	pthread_mutex_unlock(&cache_lock);
	free(text);
	free(path);
	if (cache_gen)
		*cache_gen = e->stat_always ? 0 : gen;
	*out = e;
	return 0;
fail:
	tmpl_free(t);
	for (size_t i = 0; i < lc.ndeps; i++) {
		free(lc.deps[i].name);
		free(lc.deps[i].path);
	}
	free(lc.deps);
	free(text);
	free(path);
	free(key);
	return r;
}

/* ------------------------------------------------------------------ */
/* contexts */

struct rctx {
	struct tval_arena *a;
	struct tval *root;
};

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static struct tval *kv_value(struct tval_arena *a, const struct kv *kv)
{
	struct tval *l;

	switch (kv->type) {
	case KV_STR:
		return tval_str(a, kv->str);
	case KV_LIST:
		l = tval_list(a);
		for (size_t i = 0; l && i < kv->nlist; i++)
			tval_push(a, l, tval_str(a, kv->list[i]));
		return l;
	default:
		return tval_null(a);
	}
}

static struct tval *distro_map(struct tval_arena *a, const struct distro *ds, const char *base_url)
{
	struct tval *m = tval_map(a);
	char buf[1024];

	if (!m)
		return NULL;
	tval_set_str(a, m, "name", ds->name);
	tval_set_str(a, m, "breed", ds->breed ? ds->breed : "generic");
	tval_set_str(a, m, "arch", ds->arch ? ds->arch : "x86_64");
	tval_set_str(a, m, "version", ds->version ? ds->version : "");
	tval_set_str(a, m, "source", ds->source ? ds->source : "");
	tval_set_str(a, m, "kernel", base_name(ds->kernel));
	tval_set_str(a, m, "initrd", base_name(ds->initrd));
	/* HTTP serves /boot/<distro>/<basename> (http/static.c) and the TFTP
	 * tree links boot/<distro>/<basename> (tftp/tree.c). A distro whose
	 * kernel is a URL is fetched from there directly. */
	if (path_is_url(ds->kernel))
		snprintf(buf, sizeof(buf), "%s", ds->kernel);
	else
		snprintf(buf, sizeof(buf), "%s/boot/%s/%s", base_url, ds->name, base_name(ds->kernel));
	tval_set_str(a, m, "kernel_url", buf);
	if (path_is_url(ds->initrd))
		snprintf(buf, sizeof(buf), "%s", ds->initrd);
	else
		snprintf(buf, sizeof(buf), "%s/boot/%s/%s", base_url, ds->name, base_name(ds->initrd));
	tval_set_str(a, m, "initrd_url", buf);
	snprintf(buf, sizeof(buf), "%s", path_is_url(ds->kernel) ? ds->kernel : "");
	if (!buf[0])
		snprintf(buf, sizeof(buf), "boot/%s/%s", ds->name, base_name(ds->kernel));
	tval_set_str(a, m, "kernel_tftp", buf);
	snprintf(buf, sizeof(buf), "%s", path_is_url(ds->initrd) ? ds->initrd : "");
	if (!buf[0])
		snprintf(buf, sizeof(buf), "boot/%s/%s", ds->name, base_name(ds->initrd));
	tval_set_str(a, m, "initrd_tftp", buf);
	return m;
}

/* The kernel arguments that make an installer fetch its answer file, by
 * breed (DESIGN.md "Objects"). */
static void autoinstall_args(char *buf, size_t len, const char *breed, const char *url,
			     const char *hostname, const char *domain)
{
	if (!strcmp(breed, "debian") || !strcmp(breed, "ubuntu"))
		/* hostname/domain/interface: d-i asks these before it can
		 * fetch the preseed, so they go on the command line. */
		snprintf(buf, len, "auto=true priority=critical url=%s interface=auto hostname=%s domain=%s",
			 url, hostname, domain);
	else if (!strcmp(breed, "fedora") || !strcmp(breed, "redhat"))
		snprintf(buf, len, "inst.ks=%s", url);
	else
		snprintf(buf, len, "ks=%s", url);
}

/* Build the context for a system (kind OBJ_SYSTEM) or a profile. */
static int build_ctx(const struct snapshot *s, enum obj_kind kind, const char *name,
		     const char *base_url, struct rctx *c, const struct resolved **res_out,
		     struct resolved **res_own, struct diags *d)
{
	const struct config *cfg = snapshot_config(s);
	struct tval_arena *a = c->a;
	struct tval *root = c->root, *server, *mirror, *meta, *prof;
	struct resolved *res = NULL;
	char url[1024], args[2048], *cmdline;
	const char *hostname, *domain;
	int r;

	r = kind == OBJ_SYSTEM ? resolve_system(s, name, &res) : resolve_profile(s, name, &res);
	if (r == -ENOENT) {
		diags_add(d, NULL, 0, 0, NULL, "no %s named '%s'", obj_kind_name(kind), name);
		return r;
	}
	if (r < 0)
		return r;
	*res_own = res;
	*res_out = res;

	server = tval_map(a);
	mirror = tval_map(a);
	if (!server || !mirror)
		return -ENOMEM;
	tval_set_str(a, server, "base_url", base_url);
	tval_set_str(a, mirror, "protocol", cfg->mirror.protocol ? cfg->mirror.protocol : "http");
	tval_set_str(a, mirror, "host", cfg->mirror.found && cfg->mirror.host ? cfg->mirror.host : "");
	tval_set_str(a, mirror, "directory", cfg->mirror.directory ? cfg->mirror.directory : "/debian");
	tval_set(a, server, "mirror", mirror);
	tval_set_str(a, server, "proxy", cfg->proxy ? cfg->proxy : "");
	tval_set_str(a, server, "address", cfg->server_address ? cfg->server_address : "");
	tval_set(a, root, "server", server);

	tval_set(a, root, "distro", distro_map(a, res->distro, base_url));
	prof = tval_map(a);
	tval_set_str(a, prof, "name", res->profile->name);
	tval_set_str(a, prof, "comment", res->profile->comment ? res->profile->comment : "");
	tval_set(a, root, "profile", prof);

	meta = tval_map(a);
	for (size_t i = 0; i < res->meta.n; i++)
		tval_set(a, meta, res->meta.v[i].kv->key, kv_value(a, res->meta.v[i].kv));
	tval_set(a, root, "meta", meta);

	cmdline = resolved_cmdline(res);
	tval_set_str(a, root, "kernel_options", cmdline ? cmdline : "");

	hostname = res->hostname ? res->hostname : name;
	{
		const struct rkv *dm = rmap_get(&res->meta, "domain");
		domain = dm && dm->kv->type == KV_STR ? dm->kv->str : "local";
	}
	tval_set_str(a, root, "hostname", hostname);
	tval_set_str(a, root, "domain", domain);

	snprintf(url, sizeof(url), "%s/autoinstall/%s/%s", base_url, obj_kind_name(kind), name);
	tval_set_str(a, root, "autoinstall_url", url);
	tval_set_str(a, root, "autoinstall", res->autoinstall.value ? res->autoinstall.value : "");
	if (res->autoinstall.value) {
		autoinstall_args(args, sizeof(args), res->breed.value ? res->breed.value : "generic", url,
				 hostname, domain);
	} else {
		args[0] = '\0';
	}
	tval_set_str(a, root, "autoinstall_args", args);
	{
		char *ka = NULL;
		if (asprintf(&ka, "%s%s%s", args, args[0] && cmdline && cmdline[0] ? " " : "",
			     cmdline ? cmdline : "") < 0)
			ka = NULL;
		tval_set_str(a, root, "kernel_args", ka ? ka : "");
		free(ka);
	}
	free(cmdline);

	if (kind == OBJ_SYSTEM) {
		const struct system *sys = res->system;
		struct tval *sm = tval_map(a), *ifs = tval_list(a), *cb = tval_map(a);
		char token[65] = "";

		tval_set_str(a, sm, "name", sys->name);
		tval_set_str(a, sm, "hostname", hostname);
		tval_set(a, sm, "netboot", tval_bool(a, res->netboot));
		tval_set(a, sm, "pxe_just_once", tval_bool(a, res->pxe_just_once));
		tval_set_str(a, sm, "mac", sys->ninterfaces ? sys->interfaces[0].mac : "");
		tval_set_str(a, sm, "ip", sys->ninterfaces && sys->interfaces[0].ip ? sys->interfaces[0].ip : "");
		for (size_t i = 0; i < sys->ninterfaces; i++) {
			struct tval *im = tval_map(a);
			tval_set_str(a, im, "mac", sys->interfaces[i].mac);
			tval_set_str(a, im, "ip", sys->interfaces[i].ip ? sys->interfaces[i].ip : "");
			tval_set_str(a, im, "hostname",
				     sys->interfaces[i].hostname ? sys->interfaces[i].hostname : "");
			tval_push(a, ifs, im);
		}
		tval_set(a, sm, "interfaces", ifs);
		tval_set(a, root, "system", sm);
		tval_set(a, root, "netboot", tval_bool(a, res->netboot));
		/* Per-system callback URLs; the token (HMAC of the name with
		 * the server secret) is what lets a plain wget call them. */
		if (system_token(cfg, sys->name, token) == 0) {
			static const char *const phases[] = { "start", "done", "failed" };
			for (int i = 0; i < 3; i++) {
				snprintf(url, sizeof(url), "%s/api/v1/status/%s/%s?token=%s", base_url,
					 sys->name, phases[i], token);
				tval_set_str(a, cb, phases[i], url);
			}
			tval_set(a, root, "callback", cb);
			tval_set_str(a, root, "token", token);
		}
	} else {
		tval_set(a, root, "netboot", tval_bool(a, true));
	}
	return 0;
}

static int do_render(const struct snapshot *s, const char *tname, struct rctx *c, struct buf *out,
		     struct diags *d, uint64_t *cache_gen)
{
	struct centry *e = NULL;
	int r = tmpl_get(snapshot_state_dir(s), tname, d, &e, cache_gen);

	if (r < 0)
		return r;
	if (out->max == 0 || out->max > TMPL_OUTPUT_MAX)
		out->max = TMPL_OUTPUT_MAX;
	r = tmpl_render(e->t, c->root, out, d);
	tmpl_put(e);
	return r;
}

static int rctx_init(struct rctx *c)
{
	c->a = tval_arena_new();
	c->root = c->a ? tval_map(c->a) : NULL;
	if (!c->root) {
		tval_arena_free(c->a);
		return -ENOMEM;
	}
	return 0;
}

static int render_obj(const struct snapshot *s, enum obj_kind kind, const char *name,
		      const char *base_url, const char *fixed_tmpl, struct buf *out, struct diags *d,
		      uint64_t *cache_gen)
{
	struct rctx c;
	const struct resolved *res = NULL;
	struct resolved *own = NULL;
	int r = rctx_init(&c);

	if (r < 0)
		return r;
	r = build_ctx(s, kind, name, base_url, &c, &res, &own, d);
	if (r == 0) {
		const char *tname = fixed_tmpl ? fixed_tmpl : res->autoinstall.value;
		if (!tname) {
			diags_add(d, NULL, 0, 0, "set autoinstall: in the profile (e.g. preseed/debian.cfg)",
				  "%s '%s' has no autoinstall template", obj_kind_name(kind), name);
			r = -ENODATA;
		} else {
			r = do_render(s, tname, &c, out, d, cache_gen);
		}
	}
	resolved_free(own);
	tval_arena_free(c.a);
	return r;
}

/* ------------------------------------------------------------------ */
/* answer cache: the same inputs give the same bytes (render.h), and an
 * answer's inputs are the snapshot (objects, provd.yaml, secret, mirror),
 * the object, the base URL and the template files. So a rendered answer is
 * kept per (snapshot, kind, name, base URL) while the tmplwatch generation
 * it was rendered under is current. The cache holds one snapshot at a time,
 * by reference (its address cannot be reused while it is cached); the
 * first render from a newer one empties it. Direct-mapped: a slot holds
 * the last answer whose key hashed there. */

#define ANSWER_SLOTS 512
#define ANSWER_BODY_MAX (64u << 10)	/* bigger answers are rendered each time */

struct answer {
	enum obj_kind kind;
	char *name;
	char *base_url;
	uint64_t gen;
	char *body;
	size_t len;
};

static pthread_mutex_t answer_lock = PTHREAD_MUTEX_INITIALIZER;
static struct snapshot *answer_snap;	/* whose answers the slots hold */
static struct answer answers[ANSWER_SLOTS];

static size_t answer_slot(enum obj_kind kind, const char *name, const char *base_url)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)kind;	/* FNV-1a */

	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	h = (h ^ '\n') * 1099511628211ull;
	for (const char *p = base_url; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	return (size_t)(h % ANSWER_SLOTS);
}

static void answer_clear(struct answer *a)
{
	free(a->name);
	free(a->base_url);
	free(a->body);
	*a = (struct answer){ 0 };
}

/* 1 and out filled when cached; 0 when not. */
static int answer_lookup(const struct snapshot *s, enum obj_kind kind, const char *name,
			 const char *base_url, uint64_t gen, struct buf *out, int *r)
{
	size_t i = answer_slot(kind, name, base_url);
	const struct answer *a = &answers[i];
	int hit = 0;

	pthread_mutex_lock(&answer_lock);
	if (answer_snap == s && a->body && a->kind == kind && a->gen == gen &&
	    !strcmp(a->name, name) && !strcmp(a->base_url, base_url)) {
		*r = buf_append(out, a->body, a->len);
		hit = 1;
	}
	pthread_mutex_unlock(&answer_lock);
	return hit;
}

static void answer_store(const struct snapshot *s, enum obj_kind kind, const char *name,
			 const char *base_url, uint64_t gen, const char *body, size_t len)
{
	struct answer n = { .kind = kind, .gen = gen, .len = len };
	struct snapshot *drop = NULL;
	size_t i = answer_slot(kind, name, base_url);

	if (len > ANSWER_BODY_MAX)
		return;
	n.name = strdup(name);
	n.base_url = strdup(base_url);
	n.body = malloc(len ? len : 1);
	if (!n.name || !n.base_url || !n.body) {
		answer_clear(&n);
		return;
	}
	memcpy(n.body, body, len);
	pthread_mutex_lock(&answer_lock);
	if (answer_snap != s) {
		/* A render from another snapshot: newer, normally (a request
		 * that began before a reload may still finish on the older
		 * one; it then just empties the cache once more). */
		for (size_t k = 0; k < ANSWER_SLOTS; k++)
			answer_clear(&answers[k]);
		drop = answer_snap;
		/* The refcount is the snapshot's own bookkeeping: taking a
		 * reference does not change what the caller sees. */
		answer_snap = snapshot_ref((struct snapshot *)s);
	}
	answer_clear(&answers[i]);
	answers[i] = n;
	pthread_mutex_unlock(&answer_lock);
	snapshot_unref(drop);
}

int render_autoinstall(const struct snapshot *s, enum obj_kind kind, const char *name,
		       const char *base_url, struct buf *out, struct diags *d)
{
	uint64_t gen = templates_gen(snapshot_state_dir(s)), used = 0;
	size_t start = out->len;
	int r;

	if (out->max == 0 || out->max > TMPL_OUTPUT_MAX)
		out->max = TMPL_OUTPUT_MAX;	/* as a render would */
	if (gen && answer_lookup(s, kind, name, base_url, gen, out, &r))
		return r;
	r = render_obj(s, kind, name, base_url, NULL, out, d, &used);
	/* used is the generation read before the template was checked: if a
	 * template changed since, the next lookup's generation differs. */
	if (r == 0 && used)
		answer_store(s, kind, name, base_url, used, buf_str(out) + start, out->len - start);
	return r;
}

int render_pxelinux_system(const struct snapshot *s, const char *system, const char *base_url,
			   struct buf *out, struct diags *d)
{
	return render_obj(s, OBJ_SYSTEM, system, base_url, RENDER_TMPL_PXELINUX_SYSTEM, out, d, NULL);
}

/* Context for menus: every profile with its boot entry. */
static int build_menu_ctx(const struct snapshot *s, const char *base_url, struct rctx *c, struct diags *d)
{
	const struct config *cfg = snapshot_config(s);
	struct tval *list = tval_list(c->a), *server = tval_map(c->a);

	if (!list || !server)
		return -ENOMEM;
	tval_set_str(c->a, server, "base_url", base_url);
	tval_set_str(c->a, server, "address", cfg->server_address ? cfg->server_address : "");
	tval_set(c->a, c->root, "server", server);
	for (size_t i = 0; i < snapshot_count(s, OBJ_PROFILE); i++) {
		const struct profile *p = snapshot_profile_at(s, i);
		struct rctx pc = { .a = c->a, .root = tval_map(c->a) };
		const struct resolved *res = NULL;
		struct resolved *own = NULL;
		int r;

		if (!pc.root)
			return -ENOMEM;
		r = build_ctx(s, OBJ_PROFILE, p->name, base_url, &pc, &res, &own, d);
		resolved_free(own);
		if (r < 0)
			return r;
		tval_set_str(c->a, pc.root, "name", p->name);
		tval_push(c->a, list, pc.root);
	}
	tval_set(c->a, c->root, "profiles", list);
	tval_set(c->a, c->root, "netboot", tval_bool(c->a, true));
	return 0;
}

static int render_menu(const struct snapshot *s, const char *tname, const char *base_url,
		       struct buf *out, struct diags *d)
{
	struct rctx c;
	int r = rctx_init(&c);

	if (r < 0)
		return r;
	r = build_menu_ctx(s, base_url, &c, d);
	if (r == 0)
		r = do_render(s, tname, &c, out, d, NULL);
	tval_arena_free(c.a);
	return r;
}

int render_pxelinux_default(const struct snapshot *s, const char *base_url, struct buf *out,
			    struct diags *d)
{
	return render_menu(s, RENDER_TMPL_PXELINUX_DEFAULT, base_url, out, d);
}

int render_ipxe(const struct snapshot *s, const char *system, const char *base_url,
		struct buf *out, struct diags *d)
{
	if (system)
		return render_obj(s, OBJ_SYSTEM, system, base_url, RENDER_TMPL_IPXE, out, d, NULL);
	return render_menu(s, RENDER_TMPL_IPXE, base_url, out, d);
}

int render_grub(const struct snapshot *s, const char *system, const char *base_url,
		struct buf *out, struct diags *d)
{
	if (system)
		return render_obj(s, OBJ_SYSTEM, system, base_url, RENDER_TMPL_GRUB, out, d, NULL);
	return render_menu(s, RENDER_TMPL_GRUB, base_url, out, d);
}

/* Add src's diagnostics to dst unless already there: a broken template
 * fails the same way for every system that uses it. */
static void merge_unique(struct diags *dst, const struct diags *src)
{
	for (size_t i = 0; i < src->n; i++) {
		const struct diag *g = &src->v[i];
		bool dup = false;
		for (size_t k = 0; k < dst->n && !dup; k++) {
			const struct diag *h = &dst->v[k];
			dup = h->line == g->line && h->col == g->col && !strcmp(h->msg, g->msg) &&
			      ((!h->file && !g->file) || (h->file && g->file && !strcmp(h->file, g->file)));
		}
		if (!dup)
			diags_add(dst, g->file, g->line, g->col, g->hint, "%s", g->msg);
	}
}

/* Compile every admin template under <state>/templates/PREFIX, used or not:
 * a broken copy nobody references yet is still reported (undefined
 * variables need a context, so only syntax and includes are checked here;
 * the renders below check the rest for the templates in use). Hidden files
 * (editor swap files) and names templates cannot have are skipped. */
static int check_admin_dir(const char *state_dir, const char *top, const char *prefix, int depth,
			   struct diags *d)
{
	char *dir = prefix[0] ? path_join(top, prefix) : strdup(top);
	DIR *dh = dir ? opendir(dir) : NULL;
	struct dirent *de;
	int rc = 0;

	if (!dh) {
		free(dir);
		return 0;	/* no admin templates */
	}
	while ((de = readdir(dh))) {
		char *name = NULL, *full;
		struct stat st;
		if (de->d_name[0] == '.')
			continue;
		if (asprintf(&name, "%s%s%s", prefix, prefix[0] ? "/" : "", de->d_name) < 0)
			break;
		full = path_join(top, name);
		if (full && stat(full, &st) == 0 && tmpl_name_valid(name)) {
			if (S_ISDIR(st.st_mode) && depth < TMPL_INCLUDE_DEPTH) {
				if (check_admin_dir(state_dir, top, name, depth + 1, d) < 0)
					rc = -EINVAL;
			} else if (S_ISREG(st.st_mode)) {
				struct centry *e = NULL;
				if (tmpl_get(state_dir, name, d, &e, NULL) < 0)
					rc = -EINVAL;
				else
					tmpl_put(e);
			}
		}
		free(full);
		free(name);
	}
	closedir(dh);
	free(dir);
	return rc;
}

int render_check_all(const struct snapshot *s, const char *base_url, struct diags *out)
{
	struct diags all = { 0 }, *d = &all;
	struct buf b;
	int rc = 0;

	buf_init(&b, TMPL_OUTPUT_MAX);
#define CHECK(call)                      \
	do {                             \
		buf_reset(&b);           \
		if ((call) < 0)          \
			rc = -EINVAL;    \
	} while (0)
	{
		char *top = path_join(snapshot_state_dir(s), "templates");
		if (top && check_admin_dir(snapshot_state_dir(s), top, "", 0, d) < 0)
			rc = -EINVAL;
		free(top);
	}
	CHECK(render_pxelinux_default(s, base_url, &b, d));
	CHECK(render_ipxe(s, NULL, base_url, &b, d));
	CHECK(render_grub(s, NULL, base_url, &b, d));
	for (size_t i = 0; i < snapshot_count(s, OBJ_PROFILE); i++) {
		const struct profile *p = snapshot_profile_at(s, i);
		struct diags tmp = { 0 };
		int r;
		buf_reset(&b);
		r = render_autoinstall(s, OBJ_PROFILE, p->name, base_url, &b, &tmp);
		if (r < 0 && r != -ENODATA) {
			diags_merge(d, &tmp);
			rc = -EINVAL;
		}
		diags_clear(&tmp);
	}
	for (size_t i = 0; i < snapshot_count(s, OBJ_SYSTEM); i++) {
		const struct system *sys = snapshot_system_at(s, i);
		struct diags tmp = { 0 };
		int r;
		CHECK(render_pxelinux_system(s, sys->name, base_url, &b, d));
		CHECK(render_ipxe(s, sys->name, base_url, &b, d));
		CHECK(render_grub(s, sys->name, base_url, &b, d));
		buf_reset(&b);
		r = render_autoinstall(s, OBJ_SYSTEM, sys->name, base_url, &b, &tmp);
		if (r < 0 && r != -ENODATA) {
			diags_merge(d, &tmp);
			rc = -EINVAL;
		}
		diags_clear(&tmp);
	}
#undef CHECK
	buf_free(&b);
	merge_unique(out, &all);
	diags_clear(&all);
	return rc;
}
