/* Unit tests for the TFTP tree (tftp/tree.h) on a snapshot loaded from a
 * state directory built here: a cold sync lays out loaders, menus, per-MAC
 * files and hard-linked boot files; a warm sync rewrites nothing; one
 * system's update touches only that system's files; a removed system or MAC
 * loses its files; stale files are pruned by a full sync, but not after a
 * render error (a broken template must not take every machine's boot file
 * away). */
#include <config.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "provd/base/fsutil.h"
#include "provd/core/snapshot.h"
#include "provd/core/store.h"
#include "tftp/tree.h"

#define B "http://192.0.2.1:8080"

static char *dir;
static struct snapshot *snap;

static char *at(const char *rel)
{
	char *p = path_join(dir, rel);

	assert_non_null(p);
	return p;
}

static void put(const char *rel, const char *text)
{
	char *p = at(rel);
	char *slash = strrchr(p, '/');

	*slash = '\0';
	assert_int_equal(fs_mkdir_p(p, 0755), 0);
	*slash = '/';
	assert_int_equal(fs_write_atomic(p, text, strlen(text), 0644), 0);
	free(p);
}

static bool exists(const char *rel)
{
	char *p = at(rel);
	bool ok = access(p, F_OK) == 0;

	free(p);
	return ok;
}

static struct stat stat_of(const char *rel)
{
	struct stat sb;
	char *p = at(rel);

	assert_int_equal(stat(p, &sb), 0);
	free(p);
	return sb;
}

static char *slurp(const char *rel)
{
	char *p = at(rel), *text = NULL;
	size_t len = 0;

	assert_int_equal(fs_read_file(p, 1 << 20, &text, &len), 0);
	free(p);
	return text;
}

static struct snapshot *load(void)
{
	struct diags d = { 0 };
	struct snapshot *s = snapshot_load(dir, &d);

	if (!s)
		diags_print(&d, stderr);
	assert_non_null(s);
	diags_clear(&d);
	return s;
}

static void reload(void)
{
	snapshot_unref(snap);
	snap = load();
}

static int sync_ok(struct tftp_tree_stats *st)
{
	struct diags d = { 0 };
	int r;

	memset(st, 0, sizeof(*st));
	r = tftp_tree_sync(snap, B, st, &d);
	if (d.n)
		diags_print(&d, stderr);
	diags_clear(&d);
	return r;
}

static int setup(void **state)
{
	char tmpl[] = "/tmp/test_tftp_tree.XXXXXX";
	struct diags d = { 0 };

	(void)state;
	dir = strdup(mkdtemp(tmpl));
	assert_int_equal(store_init(dir, &d), 0);
	diags_clear(&d);
	put("files/deb/linux", "kernel bytes");
	put("files/deb/initrd.gz", "initrd bytes");
	put("distros/deb.yaml", "kernel: deb/linux\ninitrd: deb/initrd.gz\nbreed: debian\n");
	put("profiles/ws.yaml", "distro: deb\n");
	put("systems/a.yaml", "profile: ws\ninterfaces:\n  - mac: \"52:54:00:00:00:0a\"\n");
	put("systems/b.yaml",
	    "profile: ws\ninterfaces:\n  - mac: \"52:54:00:00:00:0b\"\n  - mac: \"52:54:00:00:01:0b\"\n");
	reload();
	return 0;
}

static int teardown(void **state)
{
	char *cmd = NULL;

	(void)state;
	snapshot_unref(snap);
	snap = NULL;
	if (asprintf(&cmd, "rm -rf '%s'", dir) > 0)
		assert_int_equal(system(cmd), 0);
	free(cmd);
	free(dir);
	return 0;
}

static void test_pxelinux_name(void **state)
{
	char out[21];

	(void)state;
	tftp_pxelinux_name("52:54:00:ab:cd:ef", out);
	assert_string_equal(out, "01-52-54-00-ab-cd-ef");
}

static void test_cold_layout(void **state)
{
	struct tftp_tree_stats st;
	static const char *const files[] = {
		"tftp/pxelinux.0", "tftp/lpxelinux.0", "tftp/ldlinux.c32", "tftp/menu.c32",
		"tftp/libutil.c32", "tftp/libcom32.c32", "tftp/pxelinux.cfg/default",
		"tftp/pxelinux.cfg/01-52-54-00-00-00-0a", "tftp/pxelinux.cfg/01-52-54-00-00-00-0b",
		"tftp/pxelinux.cfg/01-52-54-00-00-01-0b", "tftp/grub/grub.cfg",
		"tftp/grub/grub.cfg-52:54:00:00:00:0a", "tftp/grub/grub.cfg-52:54:00:00:01:0b",
		"tftp/boot/deb/linux", "tftp/boot/deb/initrd.gz",
	};
	struct stat k, t;
	char *a, *b1, *b2;

	(void)state;
	assert_int_equal(sync_ok(&st), 0);
	assert_true(st.written >= 8);	/* default, grub.cfg, 3 + 3 per-MAC files */
	assert_true(st.linked >= 4);	/* two loaders, modules, two boot files */
	assert_int_equal(st.removed, 0);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (!exists(files[i]))
			fail_msg("%s missing after a cold sync", files[i]);
	}
	if (access("/usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed", R_OK) == 0)
		assert_true(exists("tftp/" TFTP_GRUB_IMAGE));
	/* iPXE's UEFI image: the file itself, not the package's symlink. */
	if (access("/usr/lib/ipxe/ipxe.efi", R_OK) == 0) {
		char *p = at("tftp/" TFTP_IPXE_EFI);
		struct stat l;
		assert_int_equal(lstat(p, &l), 0);
		assert_true(S_ISREG(l.st_mode));
		free(p);
	}
	/* Boot files are hard links into <state>/files, not copies. */
	k = stat_of("files/deb/linux");
	t = stat_of("tftp/boot/deb/linux");
	assert_true(k.st_ino == t.st_ino && k.st_dev == t.st_dev);
	/* A system's interfaces share one rendering; systems differ. */
	a = slurp("tftp/pxelinux.cfg/01-52-54-00-00-00-0a");
	b1 = slurp("tftp/pxelinux.cfg/01-52-54-00-00-00-0b");
	b2 = slurp("tftp/pxelinux.cfg/01-52-54-00-00-01-0b");
	assert_string_equal(b1, b2);
	assert_true(strlen(a) > 0);
	assert_non_null(strstr(a, "deb/linux"));
	free(a);
	free(b1);
	free(b2);
	/* No build directory left behind by the cold path. */
	{
		char *cmd = NULL;
		assert_true(asprintf(&cmd, "ls -d '%s'/tftp.new.* >/dev/null 2>&1", dir) > 0);
		assert_int_not_equal(system(cmd), 0);
		free(cmd);
	}
}

static void test_warm_sync_writes_nothing(void **state)
{
	struct tftp_tree_stats st;
	struct stat before, after;

	(void)state;
	assert_int_equal(sync_ok(&st), 0);
	before = stat_of("tftp/pxelinux.cfg/01-52-54-00-00-00-0a");
	assert_int_equal(sync_ok(&st), 0);
	assert_int_equal(st.written, 0);
	assert_int_equal(st.linked, 0);
	assert_int_equal(st.removed, 0);
	assert_true(st.unchanged >= 10);
	after = stat_of("tftp/pxelinux.cfg/01-52-54-00-00-00-0a");
	assert_int_equal(before.st_ino, after.st_ino);
	assert_true(before.st_mtim.tv_sec == after.st_mtim.tv_sec &&
		    before.st_mtim.tv_nsec == after.st_mtim.tv_nsec);
}

static void test_update_one_system(void **state)
{
	struct tftp_tree_stats st = { 0 };
	struct diags d = { 0 };
	struct stat a0, a1, b0, b1;
	char *text;

	(void)state;
	assert_int_equal(sync_ok(&st), 0);
	a0 = stat_of("tftp/pxelinux.cfg/01-52-54-00-00-00-0a");
	b0 = stat_of("tftp/pxelinux.cfg/01-52-54-00-00-00-0b");
	put("systems/b.yaml",
	    "profile: ws\nnetboot: false\ninterfaces:\n  - mac: \"52:54:00:00:00:0b\"\n"
	    "  - mac: \"52:54:00:00:01:0b\"\n");
	reload();
	memset(&st, 0, sizeof(st));
	assert_int_equal(tftp_tree_update_system(snap, NULL, "b", B, &st, &d), 0);
	/* Two interfaces: a pxelinux and a GRUB file each. */
	assert_int_equal(st.written, 4);
	assert_int_equal(st.removed, 0);
	a1 = stat_of("tftp/pxelinux.cfg/01-52-54-00-00-00-0a");
	b1 = stat_of("tftp/pxelinux.cfg/01-52-54-00-00-00-0b");
	assert_int_equal(a0.st_ino, a1.st_ino);	/* the other system untouched */
	assert_int_not_equal(b0.st_ino, b1.st_ino);	/* atomic replace: new inode */
	text = slurp("tftp/pxelinux.cfg/01-52-54-00-00-00-0b");
	assert_non_null(strcasestr(text, "localboot"));
	free(text);
	/* The same update again changes nothing. */
	memset(&st, 0, sizeof(st));
	assert_int_equal(tftp_tree_update_system(snap, NULL, "b", B, &st, &d), 0);
	assert_int_equal(st.written, 0);
	diags_clear(&d);
}

static void test_mac_change_and_removal(void **state)
{
	struct tftp_tree_stats st;
	struct diags d = { 0 };
	struct snapshot *old;

	(void)state;
	assert_int_equal(sync_ok(&st), 0);
	/* b drops one MAC: its files go, the other's stay. */
	old = snapshot_ref(snap);
	put("systems/b.yaml", "profile: ws\ninterfaces:\n  - mac: \"52:54:00:00:00:0b\"\n");
	reload();
	memset(&st, 0, sizeof(st));
	assert_int_equal(tftp_tree_update_system(snap, old, "b", B, &st, &d), 0);
	assert_int_equal(st.removed, 2);
	assert_false(exists("tftp/pxelinux.cfg/01-52-54-00-00-01-0b"));
	assert_false(exists("tftp/grub/grub.cfg-52:54:00:00:01:0b"));
	assert_true(exists("tftp/pxelinux.cfg/01-52-54-00-00-00-0b"));
	snapshot_unref(old);
	/* a is removed: all its files go. */
	old = snapshot_ref(snap);
	{
		char *p = at("systems/a.yaml");
		assert_int_equal(unlink(p), 0);
		free(p);
	}
	reload();
	memset(&st, 0, sizeof(st));
	assert_int_equal(tftp_tree_update_system(snap, old, "a", B, &st, &d), 0);
	assert_int_equal(st.removed, 2);
	assert_false(exists("tftp/pxelinux.cfg/01-52-54-00-00-00-0a"));
	assert_true(exists("tftp/pxelinux.cfg/01-52-54-00-00-00-0b"));
	snapshot_unref(old);
	diags_clear(&d);
}

static void test_apply_change_without_old_snapshot(void **state)
{
	struct tftp_tree_stats st;
	struct diags d = { 0 };
	struct stat a0, a1;

	(void)state;
	/* Before the tree exists, any change builds all of it. */
	memset(&st, 0, sizeof(st));
	assert_int_equal(tftp_tree_apply_change(snap, OBJ_SYSTEM, "a", B, &st, &d), 0);
	assert_true(exists("tftp/pxelinux.0") && exists("tftp/pxelinux.cfg/01-52-54-00-00-01-0b"));
	a0 = stat_of("tftp/pxelinux.cfg/01-52-54-00-00-00-0a");
	/* b loses a MAC; the CLI has only the new snapshot. */
	put("systems/b.yaml", "profile: ws\ninterfaces:\n  - mac: \"52:54:00:00:00:0c\"\n");
	reload();
	memset(&st, 0, sizeof(st));
	assert_int_equal(tftp_tree_apply_change(snap, OBJ_SYSTEM, "b", B, &st, &d), 0);
	assert_int_equal(st.written, 2);	/* the new MAC's two files */
	assert_int_equal(st.removed, 4);	/* both old MACs' two files */
	assert_false(exists("tftp/pxelinux.cfg/01-52-54-00-00-00-0b"));
	assert_false(exists("tftp/grub/grub.cfg-52:54:00:00:01:0b"));
	assert_true(exists("tftp/pxelinux.cfg/01-52-54-00-00-00-0c"));
	a1 = stat_of("tftp/pxelinux.cfg/01-52-54-00-00-00-0a");
	assert_int_equal(a0.st_ino, a1.st_ino);
	/* A profile change is a full (warm) sync: nothing differs here. */
	memset(&st, 0, sizeof(st));
	assert_int_equal(tftp_tree_apply_change(snap, OBJ_PROFILE, "ws", B, &st, &d), 0);
	assert_int_equal(st.written + st.removed + st.linked, 0);
	assert_true(st.unchanged > 0);
	diags_clear(&d);
}

static void test_update_diff(void **state)
{
	struct tftp_tree_stats st;
	struct diags d = { 0 };
	struct snapshot *old;
	struct stat a0, a1;
	char *text;

	(void)state;
	assert_int_equal(sync_ok(&st), 0);
	a0 = stat_of("tftp/pxelinux.cfg/01-52-54-00-00-00-0a");
	/* b loses a MAC, c appears: only their files change. */
	old = snapshot_ref(snap);
	put("systems/b.yaml", "profile: ws\ninterfaces:\n  - mac: \"52:54:00:00:00:0b\"\n");
	put("systems/c.yaml", "profile: ws\ninterfaces:\n  - mac: \"52:54:00:00:00:0c\"\n");
	reload();
	memset(&st, 0, sizeof(st));
	assert_int_equal(tftp_tree_update_diff(snap, old, B, &st, &d), 0);
	assert_int_equal(st.written, 2);	/* c's two files; b's remaining ones are current */
	assert_int_equal(st.removed, 2);	/* b's dropped MAC */
	assert_int_equal(st.linked, 0);
	assert_true(exists("tftp/pxelinux.cfg/01-52-54-00-00-00-0c"));
	assert_false(exists("tftp/pxelinux.cfg/01-52-54-00-00-01-0b"));
	a1 = stat_of("tftp/pxelinux.cfg/01-52-54-00-00-00-0a");
	assert_int_equal(a0.st_ino, a1.st_ino);
	snapshot_unref(old);
	/* A profile change is seen and re-renders everything that differs. */
	old = snapshot_ref(snap);
	put("profiles/ws.yaml", "distro: deb\nkernel_options: provd_test_marker=1\n");
	reload();
	memset(&st, 0, sizeof(st));
	assert_int_equal(tftp_tree_update_diff(snap, old, B, &st, &d), 0);
	assert_true(st.written >= 3);
	text = slurp("tftp/pxelinux.cfg/01-52-54-00-00-00-0a");
	assert_non_null(strstr(text, "provd_test_marker=1"));
	free(text);
	snapshot_unref(old);
	/* No old snapshot: a full sync. */
	memset(&st, 0, sizeof(st));
	assert_int_equal(tftp_tree_update_diff(snap, NULL, B, &st, &d), 0);
	assert_int_equal(st.written, 0);
	assert_true(st.unchanged > 10);
	diags_clear(&d);
}

static void test_full_sync_prunes_stale(void **state)
{
	struct tftp_tree_stats st;

	(void)state;
	assert_int_equal(sync_ok(&st), 0);
	put("tftp/pxelinux.cfg/01-52-54-00-99-99-99", "stale\n");
	put("tftp/grub/grub.cfg-52:54:00:99:99:99", "stale\n");
	assert_int_equal(sync_ok(&st), 0);
	assert_int_equal(st.removed, 2);
	assert_int_equal(st.written, 0);
	assert_false(exists("tftp/pxelinux.cfg/01-52-54-00-99-99-99"));
	assert_false(exists("tftp/grub/grub.cfg-52:54:00:99:99:99"));
	/* A hand-edited generated file is put back. */
	put("tftp/pxelinux.cfg/01-52-54-00-00-00-0a", "edited by hand\n");
	assert_int_equal(sync_ok(&st), 0);
	assert_int_equal(st.written, 1);
}

static void test_render_error_keeps_files(void **state)
{
	struct tftp_tree_stats st;
	struct diags d = { 0 };

	(void)state;
	assert_int_equal(sync_ok(&st), 0);
	put("tftp/pxelinux.cfg/01-52-54-00-99-99-99", "stale\n");
	/* An admin's broken pxelinux template: the sync fails with a
	 * diagnostic and prunes nothing. */
	put("templates/pxelinux/system.cfg", "{% if %}\n");
	reload();
	memset(&st, 0, sizeof(st));
	assert_int_not_equal(tftp_tree_sync(snap, B, &st, &d), 0);
	assert_true(d.n > 0);
	diags_clear(&d);
	assert_true(exists("tftp/pxelinux.cfg/01-52-54-00-99-99-99"));
	assert_true(exists("tftp/pxelinux.cfg/01-52-54-00-00-00-0a"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pxelinux_name),
		cmocka_unit_test_setup_teardown(test_cold_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_warm_sync_writes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_one_system, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mac_change_and_removal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_change_without_old_snapshot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_diff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_sync_prunes_stale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_render_error_keeps_files, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
