/* snapshot: load every object, validate across objects in O(n), index by
 * name and MAC, share immutably by reference count. */
#include <config.h>
#include "provd/core/snapshot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "provd/base/buf.h"
#include "provd/base/fsutil.h"
#include "provd/base/strparse.h"

#define OBJ_FILE_MAX (1 << 20)

/* Open-addressing string hash table, built once per snapshot (its size is
 * known up front), never resized. */
struct htab {
	const char **keys;
	const void **vals;
	size_t mask;
};

static uint64_t hash_str(const char *s)
{
	/* FNV-1a 64 */
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static int htab_init(struct htab *t, size_t n)
{
	size_t cap = 16;

	while (cap < 2 * n + 1)
		cap *= 2;
	t->keys = calloc(cap, sizeof(*t->keys));
	t->vals = calloc(cap, sizeof(*t->vals));
	if (!t->keys || !t->vals)
		return -ENOMEM;
	t->mask = cap - 1;
	return 0;
}

static void htab_free(struct htab *t)
{
	free(t->keys);
	free(t->vals);
	memset(t, 0, sizeof(*t));
}

/* Insert; returns the existing value if key is present (and keeps it). */
static const void *htab_put(struct htab *t, const char *key, const void *val)
{
	size_t i = hash_str(key) & t->mask;

	while (t->keys[i]) {
		if (strcmp(t->keys[i], key) == 0)
			return t->vals[i];
		i = (i + 1) & t->mask;
	}
	t->keys[i] = key;
	t->vals[i] = val;
	return NULL;
}

static const void *htab_get(const struct htab *t, const char *key)
{
	size_t i;

	if (!t->keys)
		return NULL;
	i = hash_str(key) & t->mask;
	while (t->keys[i]) {
		if (strcmp(t->keys[i], key) == 0)
			return t->vals[i];
		i = (i + 1) & t->mask;
	}
	return NULL;
}

struct objvec {
	struct obj **v;
	size_t n, cap;
};

struct snapshot {
	int refs;
	char *state_dir;
	char *files_dir;
	struct config *cfg;
	struct objvec objs[OBJ_KIND_COUNT];
	struct htab names[OBJ_KIND_COUNT];
	struct htab macs;
	/* Names of object files that exist but failed to load: references
	 * to them are not reported again as dangling. Freed after loading. */
	char **broken[OBJ_KIND_COUNT];
	/* The object snapshot_load_with() put in (NULL otherwise). */
	const struct obj *overlay;
	size_t nbroken[OBJ_KIND_COUNT];
	bool invalid;		/* snapshot_load_lenient() with errors */
};

static void broken_add(struct snapshot *s, enum obj_kind k, const char *name)
{
	char **nv = realloc(s->broken[k], (s->nbroken[k] + 1) * sizeof(*nv));

	if (!nv)
		return;
	s->broken[k] = nv;
	if ((nv[s->nbroken[k]] = strdup(name)))
		s->nbroken[k]++;
}

static bool is_broken(const struct snapshot *s, enum obj_kind k, const char *name)
{
	for (size_t i = 0; i < s->nbroken[k]; i++)
		if (strcmp(s->broken[k][i], name) == 0)
			return true;
	return false;
}

static void broken_free(struct snapshot *s)
{
	for (int k = 0; k < OBJ_KIND_COUNT; k++) {
		for (size_t i = 0; i < s->nbroken[k]; i++)
			free(s->broken[k][i]);
		free(s->broken[k]);
		s->broken[k] = NULL;
		s->nbroken[k] = 0;
	}
}

static const char *obj_name(const struct obj *o)
{
	switch (o->kind) {
	case OBJ_DISTRO: return o->u.distro.name;
	case OBJ_PROFILE: return o->u.profile.name;
	case OBJ_SYSTEM: return o->u.system.name;
	}
	return "";
}

static void snapshot_free(struct snapshot *s)
{
	if (!s)
		return;
	for (int k = 0; k < OBJ_KIND_COUNT; k++) {
		for (size_t i = 0; i < s->objs[k].n; i++) {
			struct obj *o = s->objs[k].v[i];
			if (__atomic_sub_fetch(&o->refs, 1, __ATOMIC_ACQ_REL) == 0)
				model_obj_free(o);
		}
		free(s->objs[k].v);
		htab_free(&s->names[k]);
	}
	htab_free(&s->macs);
	broken_free(s);
	config_free(s->cfg);
	free(s->state_dir);
	free(s->files_dir);
	free(s);
}

struct snapshot *snapshot_ref(struct snapshot *s)
{
	if (s)
		__atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
	return s;
}

void snapshot_unref(struct snapshot *s)
{
	if (s && __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) == 0)
		snapshot_free(s);
}

static int objvec_push(struct objvec *v, struct obj *o)
{
	if (v->n == v->cap) {
		size_t ncap = v->cap ? v->cap * 2 : 64;
		struct obj **nv = realloc(v->v, ncap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		v->v = nv;
		v->cap = ncap;
	}
	__atomic_add_fetch(&o->refs, 1, __ATOMIC_RELAXED);
	v->v[v->n++] = o;
	return 0;
}

/* Read an object file with the identity of what was read (fstat of the same
 * fd, so no rename can slip in between). */
static int read_obj_file(int dfd, const char *name, char **text, size_t *len, struct stat *st)
{
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC), r = 0;
	char *buf = NULL;
	size_t n = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, st) < 0) {
		r = -errno;
		goto out;
	}
	if (!S_ISREG(st->st_mode)) {
		r = -EINVAL;
		goto out;
	}
	if (st->st_size > OBJ_FILE_MAX) {
		r = -EFBIG;
		goto out;
	}
	buf = malloc((size_t)st->st_size + 1);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	while (n < (size_t)st->st_size) {
		ssize_t k = read(fd, buf + n, (size_t)st->st_size - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = -errno;
			goto out;
		}
		if (k == 0)
			break;	/* shrank meanwhile: parse what is there */
		n += (size_t)k;
	}
	buf[n] = '\0';
	*text = buf;
	buf = NULL;
	*len = n;
out:
	free(buf);
	close(fd);
	return r;
}

static bool same_file(const struct obj *o, const struct stat *st)
{
	return o->f_ino == (uint64_t)st->st_ino && o->f_size == (uint64_t)st->st_size &&
	       o->f_mtime_ns == (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec &&
	       o->f_ctime_ns == (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
}

static void stamp(struct obj *o, const struct stat *st)
{
	o->f_ino = (uint64_t)st->st_ino;
	o->f_size = (uint64_t)st->st_size;
	o->f_mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	o->f_ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
}

static int cmp_obj(const void *a, const void *b)
{
	return strcmp(obj_name(*(struct obj *const *)a), obj_name(*(struct obj *const *)b));
}

/* One object file to parse. Jobs are parsed in parallel, each into its own
 * diagnostics, and merged in name order, so the output does not depend on
 * readdir order or thread timing. */
struct job {
	enum obj_kind kind;
	int dfd;
	char *fname;		/* NAME.yaml */
	char *name;
	char *path;
	struct obj *o;
	struct diags d;
	int r;			/* 0, -EINVAL (reported in d), -ENOENT (vanished), -ENOMEM */
};

struct jobs {
	struct job *v;
	size_t n, cap;
	size_t next;		/* shared work counter */
};

static void job_run(struct job *j)
{
	char *text = NULL;
	size_t len = 0;
	struct stat st;
	int r = read_obj_file(j->dfd, j->fname, &text, &len, &st);

	if (r == -ENOENT || r == -ENOMEM) {	/* vanished while we listed, or OOM */
		j->r = r;
		return;
	}
	if (r < 0) {
		diags_add(&j->d, j->path, 0, 0, r == -EFBIG ? "object files are limited to 1 MiB" : NULL,
			  "cannot read: %s", err_str(r));
		j->r = -EINVAL;
		return;
	}
	r = model_obj_parse(j->kind, j->name, j->path, text, len, &j->d, &j->o);
	free(text);
	if (r == 0)
		stamp(j->o, &st);
	j->r = r == -ENOMEM ? r : (r < 0 ? -EINVAL : 0);
}

static void *job_worker(void *arg)
{
	struct jobs *js = arg;
	size_t i;

	while ((i = __atomic_fetch_add(&js->next, 1, __ATOMIC_RELAXED)) < js->n)
		job_run(&js->v[i]);
	return NULL;
}

/* Parsing dominates a cold load (10,000 systems): spread it over the CPUs,
 * at most 4 threads, and only when there is enough to share. */
static void jobs_run(struct jobs *js)
{
	pthread_t th[3];
	int nth = 0;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	if (js->n >= 512 && ncpu > 1) {
		int want = ncpu > 4 ? 3 : (int)ncpu - 1;
		for (; nth < want; nth++)
			if (pthread_create(&th[nth], NULL, job_worker, js) != 0)
				break;
	}
	job_worker(js);
	for (int i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
}

static int cmp_job(const void *a, const void *b)
{
	const struct job *x = a, *y = b;

	if (x->kind != y->kind)
		return (int)x->kind - (int)y->kind;
	return strcmp(x->name, y->name);
}

/* List one folder: unchanged objects of old are taken over at once, the
 * rest become jobs. Problems go to d and count in *bad; only system errors
 * (ENOMEM) are returned. */
static int scan_kind(struct snapshot *s, const struct snapshot *old, enum obj_kind kind,
		     const char *skip, struct jobs *js, DIR **dirp, struct diags *d, size_t *bad)
{
	char *dirpath = path_join(s->state_dir, obj_kind_dir(kind));
	DIR *dir = NULL;
	struct dirent *de;
	int r = 0;

	if (!dirpath)
		return -ENOMEM;
	dir = opendir(dirpath);
	if (!dir) {
		r = errno == ENOENT ? 0 : -errno;
		if (r < 0) {
			diags_add(d, dirpath, 0, 0, NULL, "cannot open folder: %s", err_str(r));
			(*bad)++;
			r = 0;
		}
		goto out;
	}
	*dirp = dir;	/* the caller closes it once the jobs have run */
	while ((de = readdir(dir))) {
		size_t n = strlen(de->d_name);
		char name[NAME_MAX_LEN * 4 + 8];
		struct job *j;

		/* Only NAME.yaml; temp files of atomic writes and editor
		 * backups ("x.yaml~") are not objects. */
		if (de->d_name[0] == '.' || n <= 5 || strcmp(de->d_name + n - 5, ".yaml") != 0)
			continue;
		if (n - 5 >= sizeof(name)) {
			diags_add(d, dirpath, 0, 0, "names are at most 64 characters",
				  "file name too long: %.80s...", de->d_name);
			(*bad)++;
			continue;
		}
		memcpy(name, de->d_name, n - 5);
		name[n - 5] = '\0';
		if (skip && strcmp(name, skip) == 0)
			continue;
		if (old) {
			struct obj *prev = (struct obj *)htab_get(&old->names[kind], name);
			struct stat st;
			if (prev && fstatat(dirfd(dir), de->d_name, &st, 0) == 0 && same_file(prev, &st)) {
				if ((r = objvec_push(&s->objs[kind], prev)) < 0)
					goto out;
				continue;
			}
		}
		if (js->n == js->cap) {
			size_t ncap = js->cap ? js->cap * 2 : 256;
			struct job *nv = realloc(js->v, ncap * sizeof(*nv));
			if (!nv) {
				r = -ENOMEM;
				goto out;
			}
			js->v = nv;
			js->cap = ncap;
		}
		j = &js->v[js->n];
		memset(j, 0, sizeof(*j));
		j->kind = kind;
		j->dfd = dirfd(dir);
		j->fname = strdup(de->d_name);
		j->name = strdup(name);
		if (asprintf(&j->path, "%s/%s", dirpath, de->d_name) < 0)
			j->path = NULL;
		js->n++;
		if (!j->fname || !j->name || !j->path) {
			r = -ENOMEM;
			goto out;
		}
	}
out:
	free(dirpath);
	return r;
}

static int load_all(struct snapshot *s, const struct snapshot *old, enum obj_kind wkind,
		    const char *wname, struct diags *d, size_t *bad)
{
	struct jobs js = { 0 };
	DIR *dirs[OBJ_KIND_COUNT] = { 0 };
	int r = 0;

	for (int k = 0; k < OBJ_KIND_COUNT && r == 0; k++)
		r = scan_kind(s, old, (enum obj_kind)k, wname && (int)wkind == k ? wname : NULL,
			      &js, &dirs[k], d, bad);
	if (r == 0) {
		jobs_run(&js);
		if (js.n)
			qsort(js.v, js.n, sizeof(*js.v), cmp_job);
	}
	for (size_t i = 0; i < js.n; i++) {
		struct job *j = &js.v[i];
		if (r == 0) {
			diags_merge(d, &j->d);
			if (j->r == -ENOMEM) {
				r = -ENOMEM;
			} else if (j->r == -EINVAL) {
				broken_add(s, j->kind, j->name);
				(*bad)++;
			} else if (j->r == 0) {
				if ((r = objvec_push(&s->objs[j->kind], j->o)) == 0)
					j->o = NULL;
			}
		}
		model_obj_free(j->o);
		diags_clear(&j->d);
		free(j->fname);
		free(j->name);
		free(j->path);
	}
	free(js.v);
	for (int k = 0; k < OBJ_KIND_COUNT; k++)
		if (dirs[k])
			closedir(dirs[k]);
	return r;
}

bool path_is_url(const char *value)
{
	return value && (strncmp(value, "http://", 7) == 0 || strncmp(value, "https://", 8) == 0);
}

char *snapshot_file_path(const struct snapshot *s, const char *value)
{
	if (!value || path_is_url(value))
		return NULL;
	if (value[0] == '/')
		return strdup(value);
	return path_join(s->files_dir, value);
}

static void check_bootfile(struct snapshot *s, const struct distro *dd, const char *what,
			   const char *value, struct src_pos at, struct diags *d, size_t *bad)
{
	char *p = snapshot_file_path(s, value);

	if (!p)
		return;
	if (access(p, R_OK) < 0) {
		int e = errno;
		char hint[512];
		snprintf(hint, sizeof(hint),
			 "relative paths are under %s; copy the file there, fix the path, or use an http(s) URL",
			 s->files_dir);
		diags_add(d, at.file, at.line, at.col, hint, "%s '%s' is not readable: %s (%s)",
			  what, value, strerror(e), p);
		(*bad)++;
	}
	free(p);
}

#define NONE ((size_t)-1)

/* Index of a profile in the sorted vector, or NONE. */
static size_t profile_index(const struct snapshot *s, const char *name)
{
	const struct objvec *v = &s->objs[OBJ_PROFILE];
	size_t lo = 0, hi = v->n;

	if (!name)
		return NONE;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, v->v[mid]->u.profile.name);
		if (c == 0)
			return mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NONE;
}

static void validate(struct snapshot *s, struct diags *d, size_t *bad)
{
	struct objvec *pv = &s->objs[OBJ_PROFILE], *sv = &s->objs[OBJ_SYSTEM];
	unsigned char *mark = NULL;
	size_t *up = NULL;

	for (size_t i = 0; i < s->objs[OBJ_DISTRO].n; i++) {
		const struct distro *dd = &s->objs[OBJ_DISTRO].v[i]->u.distro;
		check_bootfile(s, dd, "kernel", dd->kernel, dd->kernel_at, d, bad);
		check_bootfile(s, dd, "initrd", dd->initrd, dd->initrd_at, d, bad);
	}
	for (size_t i = 0; i < pv->n; i++) {
		const struct profile *p = &pv->v[i]->u.profile;
		if (p->distro && !snapshot_distro(s, p->distro) && !is_broken(s, OBJ_DISTRO, p->distro)) {
			diags_add(d, p->file, p->distro_at.line, p->distro_at.col,
				  "add it with `provd distro add` (or import), or fix the name; `provd distro list` shows them",
				  "profile '%s': no distro named '%s'", p->name, p->distro);
			(*bad)++;
		}
		if (p->parent && !snapshot_profile(s, p->parent) && !is_broken(s, OBJ_PROFILE, p->parent)) {
			diags_add(d, p->file, p->parent_at.line, p->parent_at.col,
				  "add the parent profile first, or fix the name; `provd profile list` shows them",
				  "profile '%s': no parent profile named '%s'", p->name, p->parent);
			(*bad)++;
		}
	}
	/* Inheritance cycles: each profile has at most one parent, so the
	 * parents form chains; walking each chain once with three colours
	 * (0 new, 1 on the current walk, 2 finished) finds every cycle in O(n). */
	mark = calloc(pv->n ? pv->n : 1, 1);
	up = calloc(pv->n ? pv->n : 1, sizeof(*up));
	if (!mark || !up) {
		diags_add(d, s->state_dir, 0, 0, NULL, "out of memory");
		(*bad)++;
		goto out;
	}
	for (size_t i = 0; i < pv->n; i++)
		up[i] = profile_index(s, pv->v[i]->u.profile.parent);
	for (size_t i = 0; i < pv->n; i++) {
		size_t j = i;
		if (mark[i])
			continue;
		while (j != NONE && mark[j] == 0) {
			mark[j] = 1;
			j = up[j];
		}
		if (j != NONE && mark[j] == 1) {
			/* The walk came back to j: report the cycle once, at
			 * the parent line of its first member. */
			const struct profile *p = &pv->v[j]->u.profile;
			struct buf b;
			size_t k = j;
			buf_init(&b, 4096);
			do {
				buf_printf(&b, "%s -> ", pv->v[k]->u.profile.name);
				k = up[k];
			} while (k != j && b.len < 3000);
			buf_puts(&b, p->name);
			diags_add(d, p->file, p->parent_at.line, p->parent_at.col,
				  "a chain of parents must end at a profile with a distro",
				  "inheritance cycle: %s", buf_str(&b));
			buf_free(&b);
			(*bad)++;
		}
		for (j = i; j != NONE && mark[j] == 1; j = up[j])
			mark[j] = 2;
	}

	for (size_t i = 0; i < sv->n; i++) {
		const struct system *sy0 = &sv->v[i]->u.system;
		if (sy0->profile && !snapshot_profile(s, sy0->profile) && !is_broken(s, OBJ_PROFILE, sy0->profile)) {
			diags_add(d, sy0->file, sy0->profile_at.line, sy0->profile_at.col,
				  "add the profile first, or fix the name; `provd profile list` shows them",
				  "system '%s': no profile named '%s'", sy0->name, sy0->profile);
			(*bad)++;
		}
		for (size_t j = 0; j < sy0->ninterfaces; j++) {
			const struct system *sy = sy0;
			const struct iface *f = &sy->interfaces[j];
			const struct system *other = htab_put(&s->macs, f->mac, sy);
			if (other && other != sy) {
				char hint[512];
				const struct iface *of = NULL;
				/* Blame the object being written, not the one
				 * already on disk, whichever sorts first. */
				if (s->overlay && s->overlay->kind == OBJ_SYSTEM && other == &s->overlay->u.system) {
					const struct system *t = other;
					for (size_t k = 0; k < t->ninterfaces; k++)
						if (strcmp(t->interfaces[k].mac, f->mac) == 0)
							f = &t->interfaces[k];
					other = sy;
					sy = t;
				}
				for (size_t k = 0; k < other->ninterfaces; k++)
					if (strcmp(other->interfaces[k].mac, f->mac) == 0)
						of = &other->interfaces[k];
				snprintf(hint, sizeof(hint), "already used by system '%s' (%s:%d:%d); a MAC belongs to one system",
					 other->name, other->file, of ? of->mac_at.line : 0,
					 of ? of->mac_at.col : 0);
				diags_add(d, sy->file, f->mac_at.line, f->mac_at.col, hint,
					  "duplicate MAC %s", f->mac);
				(*bad)++;
			}
		}
	}
out:
	free(mark);
	free(up);
}

static struct snapshot *load(const char *state_dir, const struct snapshot *old,
			     enum obj_kind wkind, const char *wname,
			     const char *text, size_t len, bool with, bool lenient,
			     struct diags *d)
{
	struct snapshot *s = calloc(1, sizeof(*s));
	size_t bad = 0, nmacs = 0, before = d->n;
	int r = 0;

	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	s->refs = 1;
	s->state_dir = strdup(state_dir);
	s->files_dir = path_join(state_dir, "files");
	if (!s->state_dir || !s->files_dir) {
		r = -ENOMEM;
		goto fail;
	}
	r = config_load(state_dir, d, &s->cfg);
	if (r == -ENOMEM)
		goto fail;
	if (r < 0) {
		bad++;
		r = 0;
	}
	r = load_all(s, old, wkind, with ? wname : NULL, d, &bad);
	if (r < 0)
		goto fail;
	if (with && text) {
		char *path = NULL;
		struct obj *o = NULL;
		if (asprintf(&path, "%s/%s/%s.yaml", state_dir, obj_kind_dir(wkind), wname) < 0) {
			r = -ENOMEM;
			goto fail;
		}
		r = model_obj_parse(wkind, wname, path, text, len, d, &o);
		free(path);
		if (r == -ENOMEM)
			goto fail;
		if (r < 0) {
			broken_add(s, wkind, wname);
			bad++;
			r = 0;
		} else if ((r = objvec_push(&s->objs[wkind], o)) < 0) {
			model_obj_free(o);
			goto fail;
		} else {
			s->overlay = o;
		}
	}
	for (int k = 0; k < OBJ_KIND_COUNT; k++) {
		struct objvec *v = &s->objs[k];
		if (v->n)
			qsort(v->v, v->n, sizeof(*v->v), cmp_obj);
		if ((r = htab_init(&s->names[k], v->n)) < 0)
			goto fail;
		for (size_t i = 0; i < v->n; i++)
			htab_put(&s->names[k], obj_name(v->v[i]), v->v[i]);
	}
	for (size_t i = 0; i < s->objs[OBJ_SYSTEM].n; i++)
		nmacs += s->objs[OBJ_SYSTEM].v[i]->u.system.ninterfaces;
	if ((r = htab_init(&s->macs, nmacs)) < 0)
		goto fail;
	validate(s, d, &bad);
	broken_free(s);
	if ((bad || d->n > before) && lenient && (s->cfg || config_parse(state_dir, "<defaults>",
				NULL, 0, NULL, d, &s->cfg) == 0)) {
		s->invalid = true;
		return s;
	}
	if (bad || d->n > before) {
		if (d->n == before)
			diags_add(d, state_dir, 0, 0, NULL, "state is invalid");
		snapshot_free(s);
		errno = EINVAL;
		return NULL;
	}
	return s;
fail:
	if (d->n == before)
		diags_add(d, state_dir, 0, 0, NULL, "cannot load state: %s", err_str(r));
	snapshot_free(s);
	errno = -r;
	return NULL;
}

struct snapshot *snapshot_load(const char *state_dir, struct diags *d)
{
	return load(state_dir, NULL, OBJ_DISTRO, NULL, NULL, 0, false, false, d);
}

struct snapshot *snapshot_load_lenient(const char *state_dir, struct diags *d, bool *valid)
{
	struct snapshot *s = load(state_dir, NULL, OBJ_DISTRO, NULL, NULL, 0, false, true, d);

	if (valid)
		*valid = s && !s->invalid;
	return s;
}

struct snapshot *snapshot_reload(const struct snapshot *old, struct diags *d)
{
	return load(old->state_dir, old, OBJ_DISTRO, NULL, NULL, 0, false, false, d);
}

struct snapshot *snapshot_load_with(const char *state_dir, enum obj_kind kind,
				    const char *name, const char *text, size_t len,
				    struct diags *d)
{
	if ((unsigned)kind >= OBJ_KIND_COUNT || !name) {
		errno = EINVAL;
		return NULL;
	}
	return load(state_dir, NULL, kind, name, text, len, true, false, d);
}

const char *snapshot_state_dir(const struct snapshot *s)
{
	return s->state_dir;
}

const struct config *snapshot_config(const struct snapshot *s)
{
	return s->cfg;
}

const struct obj *snapshot_obj(const struct snapshot *s, enum obj_kind kind, const char *name)
{
	if ((unsigned)kind >= OBJ_KIND_COUNT || !name)
		return NULL;
	return htab_get(&s->names[kind], name);
}

const struct distro *snapshot_distro(const struct snapshot *s, const char *name)
{
	const struct obj *o = snapshot_obj(s, OBJ_DISTRO, name);
	return o ? &o->u.distro : NULL;
}

const struct profile *snapshot_profile(const struct snapshot *s, const char *name)
{
	const struct obj *o = snapshot_obj(s, OBJ_PROFILE, name);
	return o ? &o->u.profile : NULL;
}

const struct system *snapshot_system(const struct snapshot *s, const char *name)
{
	const struct obj *o = snapshot_obj(s, OBJ_SYSTEM, name);
	return o ? &o->u.system : NULL;
}

const struct system *snapshot_system_by_mac(const struct snapshot *s, const char *mac)
{
	char norm[18];

	if (!mac || mac_normalise(mac, norm) < 0)
		return NULL;
	return htab_get(&s->macs, norm);
}

size_t snapshot_count(const struct snapshot *s, enum obj_kind kind)
{
	return (unsigned)kind < OBJ_KIND_COUNT ? s->objs[kind].n : 0;
}

const struct obj *snapshot_at(const struct snapshot *s, enum obj_kind kind, size_t i)
{
	if ((unsigned)kind >= OBJ_KIND_COUNT || i >= s->objs[kind].n)
		return NULL;
	return s->objs[kind].v[i];
}

const struct distro *snapshot_distro_at(const struct snapshot *s, size_t i)
{
	const struct obj *o = snapshot_at(s, OBJ_DISTRO, i);
	return o ? &o->u.distro : NULL;
}

const struct profile *snapshot_profile_at(const struct snapshot *s, size_t i)
{
	const struct obj *o = snapshot_at(s, OBJ_PROFILE, i);
	return o ? &o->u.profile : NULL;
}

const struct system *snapshot_system_at(const struct snapshot *s, size_t i)
{
	const struct obj *o = snapshot_at(s, OBJ_SYSTEM, i);
	return o ? &o->u.system : NULL;
}

const struct obj *snapshot_obj_of(const void *member)
{
	if (!member)
		return NULL;
	return (const struct obj *)((const char *)member - offsetof(struct obj, u));
}
