/* store: lock, validate the whole new state, write atomically. */
#include <config.h>
#include "provd/core/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "provd/base/fsutil.h"
#include "provd/base/sha256.h"
#include "provd/base/strparse.h"

char *store_obj_path(const char *state_dir, enum obj_kind kind, const char *name)
{
	char *p = NULL;

	if (asprintf(&p, "%s/%s/%s.yaml", state_dir, obj_kind_dir(kind), name) < 0)
		return NULL;
	return p;
}

int store_lock(const char *state_dir)
{
	char *p = path_join(state_dir, ".lock");
	int fd;

	if (!p)
		return -ENOMEM;
	fd = fs_lock(p, false);
	free(p);
	return fd;
}

void store_unlock(int fd)
{
	if (fd >= 0)
		fs_unlock(fd);
}

int store_read_yaml(const char *state_dir, enum obj_kind kind, const char *name,
		    char **text, size_t *len)
{
	char *p;
	int r;

	if (!name_valid(name))
		return -EINVAL;
	p = store_obj_path(state_dir, kind, name);
	if (!p)
		return -ENOMEM;
	r = fs_read_file(p, STORE_OBJ_MAX, text, len);
	free(p);
	return r;
}

static void no_such(struct diags *d, enum obj_kind kind, const char *name)
{
	char hint[128];

	snprintf(hint, sizeof(hint), "`provd %s list` shows the %s", obj_kind_name(kind), obj_kind_dir(kind));
	diags_add(d, NULL, 0, 0, hint, "no %s named '%s'", obj_kind_name(kind), name);
}

/* The common tail of every write, called with the lock held: check the mode,
 * validate the whole state with the change, then commit (text NULL:
 * remove). */
static int commit_locked(const char *state_dir, enum obj_kind kind, const char *name,
			 const char *text, size_t len, enum store_mode mode,
			 const char *expect_sha256, struct diags *d, struct snapshot **snap_out)
{
	char *path = NULL, *dir = NULL;
	struct snapshot *s = NULL;
	bool exists;
	int r = 0;

	if (!name_valid(name)) {
		diags_add(d, NULL, 0, 0, "names are 1-64 characters of letters, digits, '.', '_' and '-'",
			  "'%s' is not a valid %s name", name, obj_kind_name(kind));
		return -EINVAL;
	}
	path = store_obj_path(state_dir, kind, name);
	dir = path_join(state_dir, obj_kind_dir(kind));
	if (!path || !dir) {
		r = -ENOMEM;
		goto out;
	}
	exists = fs_exists(path);
	if (mode == STORE_CREATE && exists) {
		char hint[160];
		snprintf(hint, sizeof(hint), "use `provd %s edit %s` to change it, or pick another name",
			 obj_kind_name(kind), name);
		diags_add(d, path, 0, 0, hint, "%s '%s' already exists", obj_kind_name(kind), name);
		r = -EEXIST;
		goto out;
	}
	if (mode == STORE_REPLACE && !exists) {
		no_such(d, kind, name);
		r = -ENOENT;
		goto out;
	}
	if (expect_sha256 && exists) {
		char *cur = NULL;
		size_t clen = 0;
		char hex[65];
		r = fs_read_file(path, STORE_OBJ_MAX, &cur, &clen);
		if (r < 0) {
			diags_add(d, path, 0, 0, NULL, "cannot read: %s", err_str(r));
			goto out;
		}
		sha256_hex(cur, clen, hex);
		free(cur);
		if (strcmp(hex, expect_sha256) != 0) {
			diags_add(d, path, 0, 0, "re-read it and apply your change again",
				  "%s '%s' was changed by someone else meanwhile", obj_kind_name(kind), name);
			r = -ESTALE;
			goto out;
		}
	}
	s = snapshot_load_with(state_dir, kind, name, text, len, d);
	if (!s) {
		r = errno ? -errno : -EINVAL;
		goto out;
	}
	if (text) {
		r = fs_mkdir_p(dir, 0755);
		if (r == 0)
			r = fs_write_atomic(path, text, len, 0644);
	} else {
		if (unlink(path) < 0)
			r = -errno;
		if (r == 0) {
			/* Make the removal durable like a write. */
			int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (dfd >= 0) {
				fsync(dfd);
				close(dfd);
			}
		}
	}
	if (r < 0) {
		diags_add(d, path, 0, 0, NULL, "cannot %s: %s", text ? "write" : "remove", err_str(r));
		goto out;
	}
	if (snap_out) {
		*snap_out = s;
		s = NULL;
	}
out:
	snapshot_unref(s);
	free(path);
	free(dir);
	return r;
}

int store_put_yaml(const char *state_dir, enum obj_kind kind, const char *name,
		   const char *text, size_t len, enum store_mode mode,
		   struct diags *d, struct snapshot **snap_out)
{
	int fd, r;

	if (snap_out)
		*snap_out = NULL;
	if (!text)
		return -EINVAL;
	if (len > STORE_OBJ_MAX) {
		diags_add(d, NULL, 0, 0, "object files are limited to 1 MiB", "object too large");
		return -EFBIG;
	}
	fd = store_lock(state_dir);
	if (fd < 0) {
		diags_add(d, state_dir, 0, 0, "run `provd init` first, or check --state",
			  "cannot lock the state: %s", err_str(fd));
		return fd;
	}
	r = commit_locked(state_dir, kind, name, text, len, mode, NULL, d, snap_out);
	store_unlock(fd);
	return r;
}

int store_replace_if(const char *state_dir, enum obj_kind kind, const char *name,
		     const char *expect_sha256, const char *text, size_t len,
		     struct diags *d, struct snapshot **snap_out)
{
	int fd, r;

	if (snap_out)
		*snap_out = NULL;
	if (!text || !expect_sha256)
		return -EINVAL;
	if (len > STORE_OBJ_MAX) {
		diags_add(d, NULL, 0, 0, "object files are limited to 1 MiB", "object too large");
		return -EFBIG;
	}
	fd = store_lock(state_dir);
	if (fd < 0) {
		diags_add(d, state_dir, 0, 0, "run `provd init` first, or check --state",
			  "cannot lock the state: %s", err_str(fd));
		return fd;
	}
	r = commit_locked(state_dir, kind, name, text, len, STORE_REPLACE, expect_sha256, d, snap_out);
	store_unlock(fd);
	return r;
}

static const char *obj_name_of(const struct obj *o)
{
	switch (o->kind) {
	case OBJ_DISTRO: return o->u.distro.name;
	case OBJ_PROFILE: return o->u.profile.name;
	case OBJ_SYSTEM: return o->u.system.name;
	}
	return NULL;
}

int store_put(const char *state_dir, const struct obj *o, enum store_mode mode,
	      struct diags *d, struct snapshot **snap_out)
{
	size_t len = 0;
	char *text = model_obj_to_yaml(o, &len);
	int r;

	if (!text)
		return -ENOMEM;
	r = store_put_yaml(state_dir, o->kind, obj_name_of(o), text, len, mode, d, snap_out);
	free(text);
	return r;
}

int store_update(const char *state_dir, enum obj_kind kind, const char *name,
		 store_update_fn *fn, void *arg, struct diags *d,
		 struct snapshot **snap_out)
{
	char *path = NULL, *text = NULL, *out = NULL;
	struct obj *o = NULL;
	size_t len = 0, olen = 0;
	int fd, r;

	if (snap_out)
		*snap_out = NULL;
	if (!name_valid(name)) {
		no_such(d, kind, name);
		return -ENOENT;
	}
	fd = store_lock(state_dir);
	if (fd < 0) {
		diags_add(d, state_dir, 0, 0, "run `provd init` first, or check --state",
			  "cannot lock the state: %s", err_str(fd));
		return fd;
	}
	path = store_obj_path(state_dir, kind, name);
	if (!path) {
		r = -ENOMEM;
		goto out;
	}
	r = fs_read_file(path, STORE_OBJ_MAX, &text, &len);
	if (r == -ENOENT) {
		no_such(d, kind, name);
		goto out;
	}
	if (r < 0) {
		diags_add(d, path, 0, 0, NULL, "cannot read: %s", err_str(r));
		goto out;
	}
	r = model_obj_parse(kind, name, path, text, len, d, &o);
	if (r < 0)
		goto out;
	r = fn(o, arg);
	if (r != 0)
		goto out;	/* >0: nothing to change; <0: the callback's error */
	out = model_obj_to_yaml(o, &olen);
	if (!out) {
		r = -ENOMEM;
		goto out;
	}
	r = commit_locked(state_dir, kind, name, out, olen, STORE_REPLACE, NULL, d, snap_out);
out:
	if (r > 0)
		r = 0;
	store_unlock(fd);
	model_obj_free(o);
	free(text);
	free(out);
	free(path);
	return r;
}

static int set_netboot(struct obj *o, void *arg)
{
	bool want = *(bool *)arg;

	if (o->u.system.netboot == want)
		return 1;
	o->u.system.netboot = want;
	return 0;
}

int store_system_set_netboot(const char *state_dir, const char *name, bool netboot,
			     struct diags *d, struct snapshot **snap_out)
{
	return store_update(state_dir, OBJ_SYSTEM, name, set_netboot, &netboot, d, snap_out);
}

int store_remove(const char *state_dir, enum obj_kind kind, const char *name,
		 struct diags *d, struct snapshot **snap_out)
{
	int fd, r;

	if (snap_out)
		*snap_out = NULL;
	fd = store_lock(state_dir);
	if (fd < 0) {
		diags_add(d, state_dir, 0, 0, "run `provd init` first, or check --state",
			  "cannot lock the state: %s", err_str(fd));
		return fd;
	}
	r = commit_locked(state_dir, kind, name, NULL, 0, STORE_REPLACE, NULL, d, snap_out);
	store_unlock(fd);
	return r;
}

/* A file of 32 random bytes in hex, mode 0600, unless it exists. */
static int write_random_hex(const char *path, struct diags *d)
{
	uint8_t rnd[32];
	char hex[66];
	ssize_t n;

	if (fs_exists(path))
		return 0;
	n = getrandom(rnd, sizeof(rnd), 0);
	if (n != (ssize_t)sizeof(rnd)) {
		diags_add(d, path, 0, 0, NULL, "cannot get random bytes");
		return -EIO;
	}
	hex_encode(rnd, sizeof(rnd), hex);
	memset(rnd, 0, sizeof(rnd));
	strcat(hex, "\n");
	return fs_write_atomic(path, hex, 65, 0600);
}

int store_init(const char *state_dir, struct diags *d)
{
	static const char *const dirs[] = { "distros", "profiles", "systems", "files",
					    "templates", "builds", "tftp" };
	struct config *cfg = NULL;
	char *p = NULL;
	int r, fd = -1;

	r = fs_mkdir_p(state_dir, 0755);
	if (r < 0) {
		diags_add(d, state_dir, 0, 0, "check --state and permissions", "cannot create: %s", err_str(r));
		return r;
	}
	fd = store_lock(state_dir);
	if (fd < 0) {
		diags_add(d, state_dir, 0, 0, NULL, "cannot lock: %s", err_str(fd));
		return fd;
	}
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		p = path_join(state_dir, dirs[i]);
		r = p ? fs_mkdir_p(p, 0755) : -ENOMEM;
		if (r < 0) {
			diags_add(d, p ? p : state_dir, 0, 0, NULL, "cannot create: %s", err_str(r));
			goto out;
		}
		free(p);
		p = NULL;
	}
	p = path_join(state_dir, "provd.yaml");
	if (!p) {
		r = -ENOMEM;
		goto out;
	}
	if (!fs_exists(p)) {
		char *y = config_default_yaml();
		r = y ? fs_write_atomic(p, y, strlen(y), 0644) : -ENOMEM;
		free(y);
		if (r < 0) {
			diags_add(d, p, 0, 0, NULL, "cannot write: %s", err_str(r));
			goto out;
		}
	}
	/* Secrets live where provd.yaml says (defaults: secret, api-token). */
	r = config_load(state_dir, d, &cfg);
	if (r < 0)
		goto out;
	if ((r = write_random_hex(cfg->secret_file, d)) < 0 ||
	    (r = write_random_hex(cfg->api_token_file, d)) < 0) {
		if (r != -EIO)
			diags_add(d, cfg->secret_file, 0, 0, NULL, "cannot write secrets: %s", err_str(r));
		goto out;
	}
out:
	config_free(cfg);
	free(p);
	store_unlock(fd);
	return r;
}
