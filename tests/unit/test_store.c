/* Unit tests for provd/core snapshot, resolve, store and config: cross-object
 * validation with positions, inheritance with "-key", lookups, validated and
 * atomic writes (a refused write changes nothing; a writer SIGKILLed at random
 * points never leaves a torn object; concurrent writers lose nothing),
 * provd.yaml parsing and the apt-sources mirror default. */
#include "config.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "provd/base/buf.h"
#include "provd/base/fsutil.h"
#include "provd/base/sha256.h"
#include "provd/base/strparse.h"
#include "provd/core/config.h"
#include "provd/core/resolve.h"
#include "provd/core/snapshot.h"
#include "provd/core/store.h"

static char *mkstate(void)
{
	char tmpl[] = "/tmp/test_store.XXXXXX";
	struct diags d = { 0 };
	char *dir = strdup(mkdtemp(tmpl));

	assert_non_null(dir);
	assert_int_equal(store_init(dir, &d), 0);
	diags_clear(&d);
	return dir;
}

static void rmrf(const char *dir)
{
	char *cmd = NULL;

	assert_true(asprintf(&cmd, "rm -rf '%s'", dir) > 0);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static void put(const char *dir, const char *rel, const char *text)
{
	char *p = path_join(dir, rel);
	char *slash = strrchr(p, '/');

	*slash = '\0';
	assert_int_equal(fs_mkdir_p(p, 0755), 0);
	*slash = '/';
	assert_int_equal(fs_write_atomic(p, text, strlen(text), 0644), 0);
	free(p);
}

/* A minimal valid state: files/k, files/i, distro d, profile p. */
static char *base_state(void)
{
	char *dir = mkstate();

	put(dir, "files/k", "kernel");
	put(dir, "files/i", "initrd");
	put(dir, "distros/d.yaml", "kernel: k\ninitrd: i\nbreed: debian\n");
	put(dir, "profiles/p.yaml", "distro: d\n");
	return dir;
}

static bool has_diag(const struct diags *d, const char *file_end, int line, int col, const char *msg)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct diag *g = &d->v[i];
		size_t fl = g->file ? strlen(g->file) : 0, el = strlen(file_end);
		if (g->line == line && g->col == col && strstr(g->msg, msg) && fl >= el &&
		    strcmp(g->file + fl - el, file_end) == 0)
			return true;
	}
	fprintf(stderr, "wanted %s:%d:%d '%s'; got:\n", file_end, line, col, msg);
	diags_print(d, stderr);
	return false;
}

static void test_cross_object_errors(void **state)
{
	char *dir = base_state();
	struct diags d = { 0 };
	struct snapshot *s;

	put(dir, "distros/far.yaml", "kernel: missing/linux\ninitrd: /nonexistent/initrd\n");
	put(dir, "profiles/dangle.yaml", "distro: nope\n");
	put(dir, "profiles/orphan.yaml", "parent: ghost\n");
	put(dir, "profiles/a.yaml", "parent: b\n");
	put(dir, "profiles/b.yaml", "# b\nparent: c\n");
	put(dir, "profiles/c.yaml", "parent: a\n");
	put(dir, "profiles/tail.yaml", "parent: a\n");	/* leads into the cycle */
	put(dir, "systems/s1.yaml", "profile: p\ninterfaces:\n  - mac: 52:54:00:00:00:01\n");
	put(dir, "systems/s2.yaml", "profile: p\ninterfaces:\n  - mac: 52:54:00:00:00:02\n  - mac: 52-54-00-00-00-01\n");
	put(dir, "systems/s3.yaml", "profile: nobody\ninterfaces: [52:54:00:00:00:03]\n");
	put(dir, "systems/bad name.yaml", "profile: p\ninterfaces: [52:54:00:00:00:04]\n");
	/* A profile that exists but is broken: its users are not reported as
	 * dangling on top of its own error. */
	put(dir, "profiles/brk.yaml", "distro: d\ncolour: red\n");
	put(dir, "systems/s5.yaml", "profile: brk\ninterfaces: [52:54:00:00:00:05]\n");

	s = snapshot_load(dir, &d);
	assert_null(s);
	assert_true(has_diag(&d, "distros/far.yaml", 1, 9, "kernel 'missing/linux' is not readable"));
	assert_true(has_diag(&d, "distros/far.yaml", 2, 9, "initrd '/nonexistent/initrd' is not readable"));
	assert_true(has_diag(&d, "profiles/dangle.yaml", 1, 9, "no distro named 'nope'"));
	assert_true(has_diag(&d, "profiles/orphan.yaml", 1, 9, "no parent profile named 'ghost'"));
	assert_true(has_diag(&d, "profiles/a.yaml", 1, 9, "inheritance cycle: a -> b -> c -> a"));
	assert_true(has_diag(&d, "systems/s2.yaml", 4, 10, "duplicate MAC 52:54:00:00:00:01"));
	assert_true(has_diag(&d, "systems/s3.yaml", 1, 10, "no profile named 'nobody'"));
	assert_true(has_diag(&d, "systems/bad name.yaml", 0, 0, "not a valid system name"));
	assert_true(has_diag(&d, "profiles/brk.yaml", 2, 1, "unknown key 'colour'"));
	/* Exactly these: one cycle report, no cascade from "tail" or "brk". */
	assert_int_equal(d.n, 9);
	diags_clear(&d);
	rmrf(dir);
	free(dir);
}

static void test_inheritance(void **state)
{
	char *dir = base_state();
	struct diags d = { 0 };
	struct snapshot *s;
	struct resolved *r = NULL;
	const struct rkv *e;
	char *cmd;

	put(dir, "distros/d.yaml",
	    "kernel: k\ninitrd: i\nbreed: debian\n"
	    "kernel_options: console=ttyS0 quiet\n"
	    "meta:\n  mirror_dir: /debian\n  suite: bookworm\n");
	put(dir, "profiles/p.yaml",
	    "distro: d\nautoinstall: preseed/debian.cfg\n"
	    "kernel_options:\n  -quiet:\n  splash:\n"
	    "meta:\n  suite: trixie\n  tasks: [ssh-server]\n"
	    "vm:\n  memory: 1024\n  vcpus: 2\n");
	put(dir, "profiles/child.yaml",
	    "parent: p\nkernel_options: console=tty0\nmeta:\n  -mirror_dir:\nvm:\n  memory: 4096\n");
	put(dir, "systems/s.yaml",
	    "profile: child\ninterfaces:\n  - mac: 52:54:00:00:00:01\n    hostname: box\n"
	    "autoinstall: preseed/other.cfg\nkernel_options:\n  -splash:\n  extra: 1\n"
	    "meta:\n  suite: sid\n");
	s = snapshot_load(dir, &d);
	if (!s)
		diags_print(&d, stderr);
	assert_non_null(s);

	assert_int_equal(resolve_profile(s, "child", &r), 0);
	assert_int_equal(r->nchain, 2);
	assert_string_equal(r->chain[0]->name, "child");
	assert_string_equal(r->chain[1]->name, "p");
	assert_string_equal(r->distro->name, "d");
	assert_string_equal(r->autoinstall.value, "preseed/debian.cfg");
	assert_string_equal(r->autoinstall.from.name, "p");
	assert_int_equal(r->autoinstall.from.at.line, 2);
	assert_int_equal(r->vm_memory_mib.value, 4096);		/* nearest */
	assert_string_equal(r->vm_memory_mib.from.name, "child");
	assert_int_equal(r->vm_vcpus.value, 2);			/* inherited */
	assert_string_equal(r->breed.value, "debian");
	assert_non_null(strstr(r->kernel_path, "/files/k"));
	cmd = resolved_cmdline(r);
	/* quiet removed by p, console overridden by child, splash added by p */
	assert_string_equal(cmd, "console=tty0 splash");
	free(cmd);
	assert_null(rmap_get(&r->meta, "mirror_dir"));		/* -mirror_dir */
	e = rmap_get(&r->meta, "suite");
	assert_string_equal(e->kv->str, "trixie");
	assert_string_equal(e->from.name, "p");
	assert_int_equal(e->from.kind, OBJ_PROFILE);
	resolved_free(r);

	assert_int_equal(resolve_system(s, "s", &r), 0);
	assert_string_equal(r->autoinstall.value, "preseed/other.cfg");
	assert_int_equal(r->autoinstall.from.kind, OBJ_SYSTEM);
	cmd = resolved_cmdline(r);
	assert_string_equal(cmd, "console=tty0 extra=1");
	free(cmd);
	e = rmap_get(&r->meta, "suite");
	assert_string_equal(e->kv->str, "sid");
	assert_int_equal(e->from.kind, OBJ_SYSTEM);
	assert_int_equal(e->from.at.line, 10);
	assert_int_equal(e->from.at.col, 3);
	assert_string_equal(r->hostname, "box");
	assert_true(r->netboot);
	{
		char *o = origin_format(&e->from);
		assert_non_null(strstr(o, "system s ("));
		assert_non_null(strstr(o, "systems/s.yaml:10:3)"));
		free(o);
	}
	resolved_free(r);
	assert_int_equal(resolve_system(s, "nope", &r), -ENOENT);
	snapshot_unref(s);
	diags_clear(&d);
	rmrf(dir);
	free(dir);
}

static void test_lookups(void **state)
{
	char *dir = base_state();
	struct diags d = { 0 };
	struct snapshot *s, *s2;

	put(dir, "systems/zeta.yaml", "profile: p\ninterfaces: [52:54:00:00:00:0a, 52:54:00:00:00:0b]\n");
	put(dir, "systems/alpha.yaml", "profile: p\ninterfaces: [52:54:00:00:00:0c]\n");
	put(dir, "systems/.hidden.yaml", "garbage: [\n");		/* not an object */
	put(dir, "systems/alpha.yaml~", "garbage: [\n");		/* editor backup */
	put(dir, "systems/x.yaml.tmp.1.2", "garbage: [\n");	/* temp of an atomic write */
	s = snapshot_load(dir, &d);
	assert_non_null(s);
	assert_int_equal(snapshot_count(s, OBJ_SYSTEM), 2);
	assert_string_equal(snapshot_system_at(s, 0)->name, "alpha");	/* sorted */
	assert_string_equal(snapshot_system_at(s, 1)->name, "zeta");
	assert_string_equal(snapshot_system_by_mac(s, "52-54-00-00-00-0B")->name, "zeta");
	assert_string_equal(snapshot_system_by_mac(s, "52540000000c")->name, "alpha");
	assert_null(snapshot_system_by_mac(s, "52:54:00:00:00:0d"));
	assert_null(snapshot_system_by_mac(s, "junk"));
	assert_non_null(snapshot_distro(s, "d"));
	assert_null(snapshot_profile(s, "d"));
	assert_ptr_equal(snapshot_obj_of(snapshot_system(s, "zeta")), snapshot_at(s, OBJ_SYSTEM, 1));
	s2 = snapshot_ref(s);
	snapshot_unref(s);
	assert_string_equal(snapshot_config(s2)->http_listen, "0.0.0.0:8080");
	snapshot_unref(s2);
	snapshot_unref(NULL);
	diags_clear(&d);
	rmrf(dir);
	free(dir);
}

static void test_reload_reuses_unchanged(void **state)
{
	char *dir = base_state();
	struct diags d = { 0 };
	struct snapshot *s1, *s2, *s3;
	const struct system *a1, *b1;
	char *p;
	FILE *f;

	put(dir, "systems/a.yaml", "profile: p\ninterfaces: [52:54:00:00:00:01]\n");
	put(dir, "systems/b.yaml", "profile: p\ninterfaces: [52:54:00:00:00:02]\n");
	put(dir, "systems/c.yaml", "profile: p\ninterfaces: [52:54:00:00:00:03]\n");
	s1 = snapshot_load(dir, &d);
	assert_non_null(s1);
	a1 = snapshot_system(s1, "a");
	b1 = snapshot_system(s1, "b");

	/* b rewritten in place with the same size (only mtime/ctime tell),
	 * c removed, e added. */
	p = path_join(dir, "systems/b.yaml");
	f = fopen(p, "r+");
	assert_non_null(f);
	fputs("profile: p\ninterfaces: [52:54:00:00:00:04]\n", f);
	fclose(f);
	free(p);
	p = path_join(dir, "systems/c.yaml");
	unlink(p);
	free(p);
	put(dir, "systems/e.yaml", "profile: p\ninterfaces: [52:54:00:00:00:05]\n");

	s2 = snapshot_reload(s1, &d);
	assert_non_null(s2);
	assert_ptr_equal(snapshot_system(s2, "a"), a1);		/* shared, not re-parsed */
	assert_ptr_not_equal(snapshot_system(s2, "b"), b1);	/* re-parsed */
	assert_string_equal(snapshot_system(s2, "b")->interfaces[0].mac, "52:54:00:00:00:04");
	assert_null(snapshot_system(s2, "c"));
	assert_non_null(snapshot_system(s2, "e"));
	assert_string_equal(snapshot_system_by_mac(s2, "52:54:00:00:00:04")->name, "b");
	assert_null(snapshot_system_by_mac(s2, "52:54:00:00:00:02"));
	/* The old snapshot is untouched and can go first. */
	assert_string_equal(snapshot_system(s1, "b")->interfaces[0].mac, "52:54:00:00:00:02");
	snapshot_unref(s1);
	assert_string_equal(snapshot_system(s2, "a")->profile, "p");

	/* A reload that finds an invalid state fails like a load. */
	put(dir, "systems/f.yaml", "profile: p\ninterfaces: [52:54:00:00:00:05]\n");
	s3 = snapshot_reload(s2, &d);
	assert_null(s3);
	assert_true(has_diag(&d, "systems/f.yaml", 2, 14, "duplicate MAC"));
	diags_clear(&d);
	snapshot_unref(s2);
	rmrf(dir);
	free(dir);
}

static void test_many_objects(void **state)
{
	char *dir = base_state();
	struct diags d = { 0 };
	struct snapshot *s;
	char rel[64], text[128];

	/* Enough files for the parallel loader; three broken ones must come
	 * back in name order whatever the threads did. */
	for (int i = 0; i < 1200; i++) {
		snprintf(rel, sizeof(rel), "systems/s%04d.yaml", i);
		if (i == 17 || i == 600 || i == 1111)
			snprintf(text, sizeof(text), "profile: p\ninterfaces: [52:54:00:00:%02x:%02x]\ncolour: %d\n",
				 i >> 8, i & 255, i);
		else
			snprintf(text, sizeof(text), "profile: p\ninterfaces: [52:54:00:00:%02x:%02x]\n",
				 i >> 8, i & 255);
		put(dir, rel, text);
	}
	assert_null(snapshot_load(dir, &d));
	assert_int_equal(d.n, 3);
	assert_non_null(strstr(d.v[0].file, "s0017.yaml"));
	assert_non_null(strstr(d.v[1].file, "s0600.yaml"));
	assert_non_null(strstr(d.v[2].file, "s1111.yaml"));
	diags_clear(&d);
	put(dir, "systems/s0017.yaml", "profile: p\ninterfaces: [52:54:00:00:00:11]\n");
	put(dir, "systems/s0600.yaml", "profile: p\ninterfaces: [52:54:00:00:02:58]\n");
	put(dir, "systems/s1111.yaml", "profile: p\ninterfaces: [52:54:00:00:04:57]\n");
	s = snapshot_load(dir, &d);
	if (!s)
		diags_print(&d, stderr);
	assert_non_null(s);
	assert_int_equal(snapshot_count(s, OBJ_SYSTEM), 1200);
	assert_string_equal(snapshot_system_by_mac(s, "52:54:00:00:04:57")->name, "s1111");
	assert_string_equal(snapshot_system_at(s, 1199)->name, "s1199");
	snapshot_unref(s);
	rmrf(dir);
	free(dir);
}

static void test_lenient_view(void **state)
{
	char *dir = base_state();
	struct diags d = { 0 };
	struct snapshot *s;
	struct resolved *r = NULL;
	bool valid = true;

	put(dir, "profiles/brk.yaml", "distro: d\ncolour: red\n");
	put(dir, "profiles/loop1.yaml", "parent: loop2\n");
	put(dir, "profiles/loop2.yaml", "parent: loop1\n");
	put(dir, "systems/a.yaml", "profile: brk\ninterfaces: [52:54:00:00:00:01]\n");
	put(dir, "systems/b.yaml", "profile: p\ninterfaces: [52:54:00:00:00:02]\n");
	put(dir, "systems/c.yaml", "profile: loop1\ninterfaces: [52:54:00:00:00:02]\n");
	assert_null(snapshot_load(dir, &d));
	diags_clear(&d);
	s = snapshot_load_lenient(dir, &d, &valid);
	assert_non_null(s);
	assert_false(valid);
	assert_int_equal(d.n, 3);	/* colour, cycle, duplicate MAC */
	assert_null(snapshot_profile(s, "brk"));
	assert_int_equal(snapshot_count(s, OBJ_SYSTEM), 3);
	assert_int_equal(resolve_system(s, "a", &r), -ENOENT);	/* profile did not load */
	assert_int_equal(resolve_system(s, "c", &r), -ENOENT);	/* cycle: guarded */
	assert_int_equal(resolve_system(s, "b", &r), 0);
	resolved_free(r);
	assert_non_null(snapshot_config(s));
	snapshot_unref(s);
	diags_clear(&d);
	/* On a sound state it is just a load. */
	rmrf(dir);
	free(dir);
	dir = base_state();
	s = snapshot_load_lenient(dir, &d, &valid);
	assert_true(valid);
	assert_int_equal(d.n, 0);
	snapshot_unref(s);
	rmrf(dir);
	free(dir);
}

/* Hash of every file under dir (names and contents), ignoring .lock. */
static void tree_hash(const char *dir, char out[65])
{
	char *cmd = NULL;
	FILE *f;

	assert_true(asprintf(&cmd, "cd '%s' && find . -type f ! -name .lock | LC_ALL=C sort | "
			     "while read -r x; do echo \"$x\"; cat \"$x\"; done | sha256sum", dir) > 0);
	f = popen(cmd, "r");
	assert_non_null(f);
	assert_non_null(fgets(out, 65, f));
	pclose(f);
	free(cmd);
}

static void test_store_validated_writes(void **state)
{
	char *dir = base_state();
	struct diags d = { 0 };
	struct snapshot *s = NULL;
	char before[65], after[65];
	const char *sys = "profile: p\ninterfaces:\n  - mac: 52:54:00:00:00:01\n";

	assert_int_equal(store_put_yaml(dir, OBJ_SYSTEM, "s1", sys, strlen(sys), STORE_CREATE, &d, &s), 0);
	assert_non_null(s);
	assert_non_null(snapshot_system(s, "s1"));
	snapshot_unref(s);
	assert_int_equal(d.n, 0);

	tree_hash(dir, before);
	/* name taken */
	assert_int_equal(store_put_yaml(dir, OBJ_SYSTEM, "s1", sys, strlen(sys), STORE_CREATE, &d, NULL), -EEXIST);
	/* duplicate MAC across systems: refused, nothing written */
	assert_int_equal(store_put_yaml(dir, OBJ_SYSTEM, "s2", sys, strlen(sys), STORE_CREATE, &d, &s), -EINVAL);
	assert_null(s);
	assert_true(has_diag(&d, "systems/s2.yaml", 3, 10, "duplicate MAC"));
	diags_clear(&d);
	/* The new object is blamed even when it sorts before the old one. */
	assert_int_equal(store_put_yaml(dir, OBJ_SYSTEM, "a0", sys, strlen(sys), STORE_CREATE, &d, NULL), -EINVAL);
	assert_true(has_diag(&d, "systems/a0.yaml", 3, 10, "duplicate MAC"));
	assert_non_null(strstr(d.v[0].hint, "already used by system 's1'"));
	diags_clear(&d);
	/* dangling reference */
	assert_int_equal(store_put_yaml(dir, OBJ_PROFILE, "q", "distro: zz\n", 11, STORE_CREATE, &d, NULL), -EINVAL);
	/* syntax error in a replacement */
	assert_int_equal(store_put_yaml(dir, OBJ_PROFILE, "p", "distro: [\n", 10, STORE_REPLACE, &d, NULL), -EINVAL);
	/* removing a distro still in use */
	assert_int_equal(store_remove(dir, OBJ_DISTRO, "d", &d, NULL), -EINVAL);
	assert_true(has_diag(&d, "profiles/p.yaml", 1, 9, "no distro named 'd'"));
	/* replacing or removing what is not there */
	assert_int_equal(store_remove(dir, OBJ_SYSTEM, "ghost", &d, NULL), -ENOENT);
	assert_int_equal(store_put_yaml(dir, OBJ_SYSTEM, "ghost", sys, strlen(sys), STORE_REPLACE, &d, NULL), -ENOENT);
	/* a bad name never reaches the file system */
	assert_int_equal(store_put_yaml(dir, OBJ_SYSTEM, "../escape", sys, strlen(sys), STORE_UPSERT, &d, NULL), -EINVAL);
	diags_clear(&d);
	tree_hash(dir, after);
	assert_string_equal(before, after);	/* byte for byte */

	/* Compare-and-swap: only over the version we read. */
	{
		char *cur = NULL, hex[65];
		size_t clen = 0;
		const char *v2 = "profile: p\ninterfaces: [52:54:00:00:00:01]\ncomment: v2\n";
		const char *v3 = "profile: p\ninterfaces: [52:54:00:00:00:01]\ncomment: v3\n";
		assert_int_equal(store_read_yaml(dir, OBJ_SYSTEM, "s1", &cur, &clen), 0);
		sha256_hex(cur, clen, hex);
		assert_int_equal(store_replace_if(dir, OBJ_SYSTEM, "s1", hex, v2, strlen(v2), &d, NULL), 0);
		/* the same expectation again is now stale */
		assert_int_equal(store_replace_if(dir, OBJ_SYSTEM, "s1", hex, v3, strlen(v3), &d, NULL), -ESTALE);
		assert_true(has_diag(&d, "systems/s1.yaml", 0, 0, "changed by someone else"));
		diags_clear(&d);
		free(cur);
		assert_int_equal(store_read_yaml(dir, OBJ_SYSTEM, "s1", &cur, &clen), 0);
		assert_string_equal(cur, v2);
		free(cur);
	}

	/* Update under the lock, then remove. */
	assert_int_equal(store_system_set_netboot(dir, "s1", false, &d, &s), 0);
	assert_false(snapshot_system(s, "s1")->netboot);
	snapshot_unref(s);
	assert_int_equal(store_remove(dir, OBJ_SYSTEM, "s1", &d, &s), 0);
	assert_null(snapshot_system(s, "s1"));
	snapshot_unref(s);
	assert_int_equal(d.n, 0);
	rmrf(dir);
	free(dir);
}

static void test_store_put_obj(void **state)
{
	char *dir = base_state();
	struct diags d = { 0 };
	struct obj *o = model_obj_new(OBJ_PROFILE, "web");
	struct snapshot *s = NULL;
	struct src_pos none = { NULL, 0, 0 };
	const struct profile *p;

	o->u.profile.parent = strdup("p");
	o->u.profile.vm.disk_size = 20ULL << 30;
	assert_int_equal(kvmap_parse_cmdline(&o->u.profile.kernel_options, "a=1 -b", none), 0);
	assert_int_equal(kvmap_set(&o->u.profile.meta, "role", "web", false), 0);
	assert_int_equal(store_put(dir, o, STORE_CREATE, &d, &s), 0);
	p = snapshot_profile(s, "web");
	assert_non_null(p);
	assert_string_equal(p->parent, "p");
	assert_int_equal(p->vm.disk_size, 20ULL << 30);
	assert_true(kvmap_get(&p->kernel_options, "b")->remove);
	assert_string_equal(kvmap_get(&p->meta, "role")->str, "web");
	snapshot_unref(s);
	model_obj_free(o);
	rmrf(dir);
	free(dir);
}

static void test_concurrent_writers(void **state)
{
	char *dir = base_state();
	struct diags d = { 0 };
	struct snapshot *s;
	pid_t pids[8];

	/* Eight processes add ten systems each at once: all eighty land. */
	for (int w = 0; w < 8; w++) {
		pids[w] = fork();
		assert_true(pids[w] >= 0);
		if (pids[w] == 0) {
			int bad = 0;
			for (int i = 0; i < 10; i++) {
				char name[32], text[128];
				struct diags cd = { 0 };
				snprintf(name, sizeof(name), "w%d-%d", w, i);
				snprintf(text, sizeof(text), "profile: p\ninterfaces: [52:54:00:00:%02x:%02x]\n", w, i);
				if (store_put_yaml(dir, OBJ_SYSTEM, name, text, strlen(text), STORE_CREATE, &cd, NULL) < 0)
					bad++;
				diags_clear(&cd);
			}
			_exit(bad);
		}
	}
	for (int w = 0; w < 8; w++) {
		int st;
		assert_int_equal(waitpid(pids[w], &st, 0), pids[w]);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	s = snapshot_load(dir, &d);
	assert_non_null(s);
	assert_int_equal(snapshot_count(s, OBJ_SYSTEM), 80);
	snapshot_unref(s);
	rmrf(dir);
	free(dir);
}

static void test_killed_writer(void **state)
{
	char *dir = base_state();
	struct diags d = { 0 };
	struct snapshot *s;
	struct buf big;
	unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	char *a, *b;

	/* Two valid versions of one system, the second large enough that a
	 * write takes a while; a torn file would fail to parse or match
	 * neither. */
	buf_init(&big, 1 << 20);
	buf_puts(&big, "profile: p\ninterfaces: [52:54:00:00:00:01]\nmeta:\n");
	for (int i = 0; i < 3000; i++)
		buf_printf(&big, "  k%d: value-%d\n", i, i);
	a = strdup("profile: p\ninterfaces: [52:54:00:00:00:01]\nnetboot: false\n");
	b = buf_steal(&big, NULL);
	assert_int_equal(store_put_yaml(dir, OBJ_SYSTEM, "s", a, strlen(a), STORE_CREATE, &d, NULL), 0);

	for (int round = 0; round < 12; round++) {
		pid_t pid = fork();
		char *text = NULL, *path;
		assert_true(pid >= 0);
		if (pid == 0) {
			for (unsigned i = 0;; i++) {
				struct diags cd = { 0 };
				const char *t = (i & 1) ? a : b;
				store_put_yaml(dir, OBJ_SYSTEM, "s", t, strlen(t), STORE_REPLACE, &cd, NULL);
				diags_clear(&cd);
			}
		}
		usleep(2000 + rand_r(&seed) % 40000);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		path = store_obj_path(dir, OBJ_SYSTEM, "s");
		assert_int_equal(fs_read_file(path, 1 << 20, &text, NULL), 0);
		assert_true(strcmp(text, a) == 0 || strcmp(text, b) == 0);
		free(text);
		free(path);
		s = snapshot_load(dir, &d);
		if (!s)
			diags_print(&d, stderr);
		assert_non_null(s);
		snapshot_unref(s);
	}
	free(a);
	free(b);
	rmrf(dir);
	free(dir);
}

static void test_init_files(void **state)
{
	char *dir = mkstate();
	struct diags d = { 0 };
	struct stat st;
	struct config *c = NULL;
	char *p = path_join(dir, "secret"), *q = path_join(dir, "api-token");
	char tok[65], tok2[65];
	uint8_t mac[32];
	char hex[65];

	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(q, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* Re-running init keeps the secret. */
	assert_int_equal(config_load(dir, &d, &c), 0);
	assert_int_equal(c->secret_len, 64);
	assert_int_equal(store_init(dir, &d), 0);
	assert_int_equal(system_token(c, "web1", tok), 0);
	hmac_sha256(c->secret, c->secret_len, "web1", 4, mac);
	hex_encode(mac, 32, hex);
	assert_string_equal(tok, hex);
	config_free(c);
	assert_int_equal(config_load(dir, &d, &c), 0);
	assert_int_equal(system_token(c, "web1", tok2), 0);
	assert_string_equal(tok, tok2);
	assert_int_equal(system_token(c, "web2", tok2), 0);
	assert_string_not_equal(tok, tok2);
	assert_int_equal(c->dhcp.mode, DHCP_MODE_OFF);
	assert_int_equal(c->unknown_mac, UNKNOWN_MAC_MENU);
	config_free(c);
	assert_int_equal(d.n, 0);
	free(p);
	free(q);
	rmrf(dir);
	free(dir);
}

static void test_config_parse(void **state)
{
	struct diags d = { 0 };
	struct config *c = NULL;
	const char *ok =
		"http:\n  listen: 0.0.0.0:8081\n"
		"server_address: 192.0.2.1\n"
		"dhcp:\n  interface: eth1\n  mode: full\n  range: 192.0.2.100-192.0.2.199\n"
		"  dns: [192.0.2.53, 192.0.2.54]\n  lease_time: 600\n"
		"mirror:\n  host: mirror.example.org\n  directory: /debian\n"
		"unknown_mac: ignore\n";
	const char *ra =
		"dhcp:\n  rate: 0\n  ra: on\n  ra_prefix: 2001:db8:1::/64\n";
	const char *bad_ra =
		"dhcp:\n"
		"  rate: -1\n"
		"  ra: sometimes\n"
		"  ra_prefix: 2001:db8::1\n"
		"dhcp2:\n"
		"  x: 1\n";
	const char *bad_ra2 =
		"dhcp:\n  rate: 100001\n  ra_prefix: 192.0.2.0/24\n  ra: [on]\n";
	const char *bad_ra3 = "dhcp:\n  ra_prefix: 2001:db8::/129\n";
	const char *bad =
		"http:\n  listen: nowhere:99999\n"
		"dhcp:\n  mode: half\n  range: 192.0.2.9-192.0.2.1\n"
		"colour: blue\n"
		"proxy: ftp://x\n";

	assert_int_equal(config_parse("/st", "provd.yaml", ok, strlen(ok), NULL, &d, &c), 0);
	assert_string_equal(c->http_listen, "0.0.0.0:8081");
	assert_string_equal(c->base_url, "http://192.0.2.1:8081");
	assert_int_equal(c->dhcp.mode, DHCP_MODE_FULL);
	assert_string_equal(c->dhcp.range_start, "192.0.2.100");
	assert_string_equal(c->dhcp.range_end, "192.0.2.199");
	assert_int_equal(c->dhcp.ndns, 2);
	assert_int_equal(c->dhcp.lease_time, 600);
	assert_string_equal(c->mirror.protocol, "http");
	assert_string_equal(c->mirror.host, "mirror.example.org");
	assert_false(c->mirror.from_host);
	assert_int_equal(c->unknown_mac, UNKNOWN_MAC_IGNORE);
	assert_string_equal(c->secret_file, "/st/secret");
	/* Defaults of the keys that are also serve flags. */
	assert_int_equal(c->dhcp.rate, 30);
	assert_int_equal(c->dhcp.ra, CONFIG_RA_DEFAULT);
	assert_null(c->dhcp.ra_prefix);
	config_free(c);

	assert_int_equal(config_parse("/st", "provd.yaml", ra, strlen(ra), NULL, &d, &c), 0);
	assert_int_equal(c->dhcp.rate, 0);
	assert_int_equal(c->dhcp.ra, CONFIG_RA_ON);
	assert_string_equal(c->dhcp.ra_prefix, "2001:db8:1::/64");
	config_free(c);
	assert_int_equal(config_parse("/st", "provd.yaml", "dhcp:\n  ra: false\n", 18, NULL, &d, &c), 0);
	assert_int_equal(c->dhcp.ra, CONFIG_RA_OFF);
	config_free(c);
	assert_int_equal(d.n, 0);

	assert_int_equal(config_parse("/st", "provd.yaml", bad_ra, strlen(bad_ra), NULL, &d, &c), -EINVAL);
	assert_null(c);
	assert_true(has_diag(&d, "provd.yaml", 2, 9, "rate"));
	assert_true(has_diag(&d, "provd.yaml", 3, 7, "dhcp.ra: expected on or off, got 'sometimes'"));
	assert_true(has_diag(&d, "provd.yaml", 4, 14, "not an IPv6 prefix"));
	assert_true(has_diag(&d, "provd.yaml", 5, 1, "unknown key 'dhcp2'"));
	diags_clear(&d);
	assert_int_equal(config_parse("/st", "provd.yaml", bad_ra2, strlen(bad_ra2), NULL, &d, &c), -EINVAL);
	assert_true(has_diag(&d, "provd.yaml", 2, 9, "rate"));
	assert_true(has_diag(&d, "provd.yaml", 3, 14, "not an IPv6 prefix"));
	assert_true(has_diag(&d, "provd.yaml", 4, 7, "dhcp.ra"));
	diags_clear(&d);
	assert_int_equal(config_parse("/st", "provd.yaml", bad_ra3, strlen(bad_ra3), NULL, &d, &c), -EINVAL);
	assert_true(has_diag(&d, "provd.yaml", 2, 14, "prefix length is not 1-128"));
	diags_clear(&d);

	assert_int_equal(config_parse("/st", "provd.yaml", bad, strlen(bad), NULL, &d, &c), -EINVAL);
	assert_null(c);
	assert_true(has_diag(&d, "provd.yaml", 2, 11, "not a listen address"));
	assert_true(has_diag(&d, "provd.yaml", 4, 9, "unknown mode 'half'"));
	assert_true(has_diag(&d, "provd.yaml", 5, 10, "start is above end"));
	assert_true(has_diag(&d, "provd.yaml", 6, 1, "unknown key 'colour'"));
	assert_true(has_diag(&d, "provd.yaml", 7, 8, "not an http(s) URL"));
	diags_clear(&d);

	/* The shipped default parses. */
	{
		char *y = config_default_yaml();
		assert_int_equal(config_parse("/st", "provd.yaml", y, strlen(y), NULL, &d, &c), 0);
		assert_int_equal(c->dhcp.mode, DHCP_MODE_OFF);
		config_free(c);
		free(y);
	}
}

static void test_apt_mirror(void **state)
{
	char tmpl[] = "/tmp/test_apt.XXXXXX";
	char *root = mkdtemp(tmpl);
	struct config_mirror m = { 0 };
	struct diags d = { 0 };
	struct config *c = NULL;

	assert_int_equal(config_mirror_from_apt(root, &m), -ENOENT);
	/* deb822: the security stanza and a third-party repository come
	 * first but lose to the distribution's own archive. */
	put(root, "etc/apt/sources.list.d/a-vendor.sources",
	    "Types: deb\nURIs: https://repo.example.com/node_20.x\nSuites: nodistro\nComponents: main\n");
	put(root, "etc/apt/sources.list.d/debian.sources",
	    "Types: deb\n# comment\nURIs: http://security.example.net/debian-security\n"
	    "Suites: bookworm-security\nComponents: main\n\n"
	    "Types: deb-src deb\nURIs: http://ftp.example.net/debian/\nSuites: bookworm bookworm-updates\n"
	    "Components: main\n");
	assert_int_equal(config_mirror_from_apt(root, &m), 0);
	assert_string_equal(m.protocol, "http");
	assert_string_equal(m.host, "ftp.example.net");
	assert_string_equal(m.directory, "/debian");
	assert_true(m.from_host);
	config_mirror_clear(&m);
	/* One-line format in sources.list is read too, options skipped. */
	put(root, "etc/apt/sources.list",
	    "# deb http://commented.example/debian bookworm main\n"
	    "deb [arch=amd64 signed-by=/k.gpg] https://mirror.example.org:8443/pub/debian bookworm main\n");
	assert_int_equal(config_mirror_from_apt(root, &m), 0);
	assert_string_equal(m.protocol, "https");
	assert_string_equal(m.host, "mirror.example.org:8443");
	assert_string_equal(m.directory, "/pub/debian");
	config_mirror_clear(&m);
	/* provd.yaml without a mirror takes the host's. */
	assert_int_equal(config_parse("/st", "provd.yaml", "proxy: http://192.0.2.1:3128\n", 29, root, &d, &c), 0);
	assert_true(c->mirror.found);
	assert_true(c->mirror.from_host);
	assert_string_equal(c->mirror.host, "mirror.example.org:8443");
	config_free(c);
	rmrf(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cross_object_errors),
		cmocka_unit_test(test_inheritance),
		cmocka_unit_test(test_lookups),
		cmocka_unit_test(test_reload_reuses_unchanged),
		cmocka_unit_test(test_many_objects),
		cmocka_unit_test(test_lenient_view),
		cmocka_unit_test(test_store_validated_writes),
		cmocka_unit_test(test_store_put_obj),
		cmocka_unit_test(test_concurrent_writers),
		cmocka_unit_test(test_killed_writer),
		cmocka_unit_test(test_init_files),
		cmocka_unit_test(test_config_parse),
		cmocka_unit_test(test_apt_mirror),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
