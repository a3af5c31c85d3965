/* Unit tests for the renderers (render.h) on a snapshot loaded from a
 * state directory built here: the kernel arguments per breed, a system's
 * callback URLs and token versus a profile's answer (no token), local boot
 * for netboot off in every boot format, error codes with diagnostics,
 * admin overrides of a template or of an included snippet taking effect at
 * once (compiled-template cache invalidation), and concurrent renders from
 * many threads giving identical output. The shipped templates' exact
 * output is compared with golden files by tests/integration/render_check.sh. */
#include <config.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "provd/base/fsutil.h"
#include "provd/core/config.h"
#include "provd/core/render.h"
#include "provd/core/snapshot.h"
#include "provd/core/store.h"

#define B "http://192.0.2.1:8080"

static char *dir;
static struct snapshot *snap;

static void put(const char *rel, const char *text)
{
	char *p = path_join(dir, rel);
	char *slash = strrchr(p, '/');

	*slash = '\0';
	assert_int_equal(fs_mkdir_p(p, 0755), 0);
	*slash = '/';
	assert_int_equal(fs_write_atomic(p, text, strlen(text), 0644), 0);
	free(p);
}

static void drop(const char *rel)
{
	char *p = path_join(dir, rel);

	assert_int_equal(unlink(p), 0);
	free(p);
}

static void reload(void)
{
	struct diags d = { 0 };

	snapshot_unref(snap);
	snap = snapshot_load(dir, &d);
	if (!snap)
		diags_print(&d, stderr);
	assert_non_null(snap);
	diags_clear(&d);
}

static int setup(void **state)
{
	char tmpl[] = "/tmp/test_render.XXXXXX";
	struct diags d = { 0 };
	static const char *const breeds[] = { "debian", "ubuntu", "fedora", "redhat", "generic" };
	char rel[128], text[512];

	dir = strdup(mkdtemp(tmpl));
	assert_int_equal(store_init(dir, &d), 0);
	put("secret", "0123456789abcdef0123456789abcdef\n");
	{
		char *p = path_join(dir, "provd.yaml");
		FILE *f = fopen(p, "a");
		assert_non_null(f);
		fputs("mirror:\n  protocol: http\n  host: mirror.example\n  directory: /debian\n", f);
		fclose(f);
		free(p);
	}
	put("files/k/linux", "kernel");
	put("files/k/initrd.gz", "initrd");
	/* One distro, profile and system per breed; the profile's answer
	 * template prints the kernel arguments. */
	for (size_t i = 0; i < sizeof(breeds) / sizeof(breeds[0]); i++) {
		snprintf(rel, sizeof(rel), "distros/d-%s.yaml", breeds[i]);
		snprintf(text, sizeof(text), "kernel: k/linux\ninitrd: k/initrd.gz\nbreed: %s\n", breeds[i]);
		put(rel, text);
		snprintf(rel, sizeof(rel), "profiles/p-%s.yaml", breeds[i]);
		snprintf(text, sizeof(text), "distro: d-%s\nautoinstall: t/args\n", breeds[i]);
		put(rel, text);
		snprintf(rel, sizeof(rel), "systems/s-%s.yaml", breeds[i]);
		snprintf(text, sizeof(text), "profile: p-%s\ninterfaces:\n  - mac: \"52:54:00:00:01:%02zx\"\n",
			 breeds[i], i);
		put(rel, text);
	}
	put("templates/t/args", "{{ kernel_args }}");
	put("templates/t/cb",
	    "{% if callback is defined %}{{ callback.start }} {{ callback.done }} {{ callback.failed }}"
	    "{% else %}no callback{% endif %} {{ autoinstall_url }}");
	put("templates/t/inc", "[{% include \"snippets/callback_done\" %}]");
	put("profiles/deb.yaml",
	    "distro: d-debian\nautoinstall: preseed/debian.cfg\nkernel_options: quiet\n"
	    "meta:\n  packages: [vim, tmux]\n");
	put("profiles/bare.yaml", "distro: d-debian\n");
	put("systems/pc1.yaml",
	    "profile: deb\ninterfaces:\n  - mac: \"52:54:00:12:34:56\"\n    ip: 192.0.2.50\n");
	put("systems/off.yaml", "profile: deb\nnetboot: false\ninterfaces:\n  - mac: \"52:54:00:12:34:57\"\n");
	put("systems/nobody.yaml", "profile: bare\ninterfaces:\n  - mac: \"52:54:00:12:34:58\"\n");
	diags_clear(&d);
	reload();
	return 0;
}

static int teardown(void **state)
{
	char *cmd = NULL;

	snapshot_unref(snap);
	assert_true(asprintf(&cmd, "rm -rf '%s'", dir) > 0);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(dir);
	return 0;
}

/* Render into a static string; r is the return code. */
static char out[1 << 16];
static int render(int (*fn)(const struct snapshot *, enum obj_kind, const char *, const char *,
			    struct buf *, struct diags *),
		  enum obj_kind kind, const char *name, struct diags *d)
{
	struct buf b;
	int r;

	buf_init(&b, 0);
	r = fn(snap, kind, name, B, &b, d);
	snprintf(out, sizeof(out), "%s", b.len ? buf_str(&b) : "");
	buf_free(&b);
	return r;
}

static int auto_sys(const char *name, struct diags *d)
{
	return render(render_autoinstall, OBJ_SYSTEM, name, d);
}

static void test_breeds(void **state)
{
	struct diags d = { 0 };

	assert_int_equal(auto_sys("s-debian", &d), 0);
	assert_string_equal(out, "auto=true priority=critical url=" B "/autoinstall/system/s-debian "
			    "interface=auto hostname=s-debian domain=local");
	assert_int_equal(auto_sys("s-ubuntu", &d), 0);
	assert_string_equal(out, "auto=true priority=critical url=" B "/autoinstall/system/s-ubuntu "
			    "interface=auto hostname=s-ubuntu domain=local");
	assert_int_equal(auto_sys("s-fedora", &d), 0);
	assert_string_equal(out, "inst.ks=" B "/autoinstall/system/s-fedora");
	assert_int_equal(auto_sys("s-redhat", &d), 0);
	assert_string_equal(out, "inst.ks=" B "/autoinstall/system/s-redhat");
	assert_int_equal(auto_sys("s-generic", &d), 0);
	assert_string_equal(out, "ks=" B "/autoinstall/system/s-generic");
	/* A profile's entry points at the profile's answer. */
	assert_int_equal(render(render_autoinstall, OBJ_PROFILE, "p-fedora", &d), 0);
	assert_string_equal(out, "inst.ks=" B "/autoinstall/profile/p-fedora");
	assert_int_equal(d.n, 0);
}

static void test_callbacks(void **state)
{
	const struct config *cfg;
	char token[65], want[1024];
	struct diags d = { 0 };

	put("profiles/p-generic.yaml", "distro: d-generic\nautoinstall: t/cb\n");
	reload();
	cfg = snapshot_config(snap);
	assert_int_equal(system_token(cfg, "s-generic", token), 0);
	assert_int_equal(strlen(token), 64);
	snprintf(want, sizeof(want),
		 B "/api/v1/status/s-generic/start?token=%s " B "/api/v1/status/s-generic/done?token=%s "
		 B "/api/v1/status/s-generic/failed?token=%s " B "/autoinstall/system/s-generic",
		 token, token, token);
	assert_int_equal(auto_sys("s-generic", &d), 0);
	assert_string_equal(out, want);
	/* A profile has no system, so no token and no callbacks. */
	assert_int_equal(render(render_autoinstall, OBJ_PROFILE, "p-generic", &d), 0);
	assert_string_equal(out, "no callback " B "/autoinstall/profile/p-generic");
	/* The shipped preseed carries the done callback with the token. */
	assert_int_equal(system_token(cfg, "pc1", token), 0);
	snprintf(want, sizeof(want), B "/api/v1/status/pc1/done?token=%s", token);
	assert_int_equal(auto_sys("pc1", &d), 0);
	assert_non_null(strstr(out, want));
	assert_non_null(strstr(out, "d-i pkgsel/include string vim tmux\n"));
	assert_int_equal(render(render_autoinstall, OBJ_PROFILE, "deb", &d), 0);
	assert_null(strstr(out, "token="));
	put("profiles/p-generic.yaml", "distro: d-generic\nautoinstall: t/args\n");
	reload();
	assert_int_equal(d.n, 0);
}

static int pxe(const struct snapshot *s, enum obj_kind k, const char *n, const char *b, struct buf *o,
	       struct diags *d)
{
	return render_pxelinux_system(s, n, b, o, d);
}

static int ipxe(const struct snapshot *s, enum obj_kind k, const char *n, const char *b, struct buf *o,
		struct diags *d)
{
	return render_ipxe(s, n, b, o, d);
}

static int grub(const struct snapshot *s, enum obj_kind k, const char *n, const char *b, struct buf *o,
		struct diags *d)
{
	return render_grub(s, n, b, o, d);
}

static void test_boot_files(void **state)
{
	struct diags d = { 0 };

	/* Netboot on: the installer with the breed's arguments and the
	 * kernel options. */
	assert_int_equal(render(pxe, OBJ_SYSTEM, "pc1", &d), 0);
	assert_non_null(strstr(out, "KERNEL boot/d-debian/linux\n"));
	assert_non_null(strstr(out, "APPEND initrd=boot/d-debian/initrd.gz auto=true priority=critical url="
				    B "/autoinstall/system/pc1 "));
	assert_non_null(strstr(out, " quiet\n"));
	assert_int_equal(render(ipxe, OBJ_SYSTEM, "pc1", &d), 0);
	assert_non_null(strstr(out, "#!ipxe\n"));
	/* UEFI iPXE wants initrd= on the kernel line. */
	assert_non_null(strstr(out, "kernel " B "/boot/d-debian/linux initrd=initrd.gz "));
	assert_non_null(strstr(out, "initrd " B "/boot/d-debian/initrd.gz\n"));
	assert_int_equal(render(grub, OBJ_SYSTEM, "pc1", &d), 0);
	assert_non_null(strstr(out, "linux /boot/d-debian/linux auto=true"));
	/* Netboot off: a fast local boot, never silence, and no installer. */
	assert_int_equal(render(pxe, OBJ_SYSTEM, "off", &d), 0);
	assert_non_null(strstr(out, "LOCALBOOT 0"));
	assert_null(strstr(out, "KERNEL"));
	assert_int_equal(render(ipxe, OBJ_SYSTEM, "off", &d), 0);
	assert_non_null(strstr(out, "\nexit\n"));
	assert_null(strstr(out, "kernel "));
	assert_int_equal(render(grub, OBJ_SYSTEM, "off", &d), 0);
	assert_non_null(strstr(out, "exit"));
	assert_null(strstr(out, "linux "));
	/* Menus list every profile that has an installer. */
	{
		struct buf b;
		buf_init(&b, 0);
		assert_int_equal(render_pxelinux_default(snap, B, &b, &d), 0);
		assert_non_null(strstr(buf_str(&b), "menu.c32"));
		assert_non_null(strstr(buf_str(&b), "LOCALBOOT"));
		assert_non_null(strstr(buf_str(&b), "inst.ks=" B "/autoinstall/profile/p-fedora"));
		buf_free(&b);
	}
	assert_int_equal(d.n, 0);
}

static void test_errors(void **state)
{
	struct diags d = { 0 };

	assert_int_equal(auto_sys("ghost", &d), -ENOENT);
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.v[0].msg, "no system named 'ghost'"));
	diags_clear(&d);
	assert_int_equal(auto_sys("nobody", &d), -ENODATA);
	assert_non_null(strstr(d.v[0].msg, "has no autoinstall template"));
	diags_clear(&d);
	put("profiles/bare.yaml", "distro: d-debian\nautoinstall: nowhere/none.cfg\n");
	reload();
	assert_int_equal(auto_sys("nobody", &d), -ENOENT);
	assert_non_null(strstr(d.v[0].msg, "no template named 'nowhere/none.cfg'"));
	diags_clear(&d);
	/* A broken admin template: position in the admin's file, no output. */
	put("templates/nowhere/none.cfg", "line one\n{% if system.name == %}x{% endif %}\n");
	assert_int_equal(auto_sys("nobody", &d), -EINVAL);
	assert_string_equal(out, "");
	assert_non_null(d.v[0].file);
	assert_non_null(strstr(d.v[0].file, "/templates/nowhere/none.cfg"));
	assert_int_equal(d.v[0].line, 2);
	assert_int_equal(d.v[0].col, 22);
	diags_clear(&d);
	/* render_check_all reports it once although two renders hit it. */
	put("profiles/bare.yaml", "distro: d-debian\nautoinstall: nowhere/none.cfg\n");
	reload();
	assert_int_equal(render_check_all(snap, B, &d), -EINVAL);
	assert_int_equal(d.n, 1);
	diags_clear(&d);
	drop("templates/nowhere/none.cfg");
	put("profiles/bare.yaml", "distro: d-debian\n");
	reload();
	assert_int_equal(render_check_all(snap, B, &d), 0);
	assert_int_equal(d.n, 0);
	/* An admin template nobody uses yet is still compiled by check;
	 * hidden files (editor swap files) are not. */
	put("templates/unused/x.cfg", "ok\n  {% for %}\n");
	put("templates/unused/.x.cfg.swp", "{% if %}");
	assert_int_equal(render_check_all(snap, B, &d), -EINVAL);
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.v[0].file, "/templates/unused/x.cfg"));
	assert_int_equal(d.v[0].line, 2);
	diags_clear(&d);
	drop("templates/unused/x.cfg");
	assert_int_equal(render_check_all(snap, B, &d), 0);
	assert_int_equal(d.n, 0);
}

/* The cache notices an edited template, a new admin copy of an included
 * snippet and its removal, without a restart. */
static void test_overrides(void **state)
{
	struct diags d = { 0 };

	put("profiles/p-generic.yaml", "distro: d-generic\nautoinstall: t/inc\n");
	reload();
	assert_int_equal(auto_sys("s-generic", &d), 0);
	assert_non_null(strstr(out, "/api/v1/status/s-generic/done?token="));
	assert_int_equal(out[0], '[');
	put("templates/snippets/callback_done", "admin's done");
	assert_int_equal(auto_sys("s-generic", &d), 0);
	assert_string_equal(out, "[admin's done]");
	put("templates/snippets/callback_done", "admin's second");
	assert_int_equal(auto_sys("s-generic", &d), 0);
	assert_string_equal(out, "[admin's second]");
	put("templates/t/inc", "({% include \"snippets/callback_done\" %})");
	assert_int_equal(auto_sys("s-generic", &d), 0);
	assert_string_equal(out, "(admin's second)");
	drop("templates/snippets/callback_done");
	assert_int_equal(auto_sys("s-generic", &d), 0);
	assert_non_null(strstr(out, "/api/v1/status/s-generic/done?token="));
	assert_int_equal(out[0], '(');
	put("profiles/p-generic.yaml", "distro: d-generic\nautoinstall: t/args\n");
	reload();
	assert_int_equal(d.n, 0);
}

/* Write in place (same inode), as an editor without atomic save does. */
static void put_in_place(const char *rel, const char *text)
{
	char *p = path_join(dir, rel);
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(p);
}

/* The cache is revalidated only when inotify saw a change somewhere under
 * a template folder: an in-place edit of an include two folders down, an
 * admin copy in a folder that did not exist at the first render (shadowing
 * a $PROVD_TEMPLATES one), and a template that is a symlink to a file
 * outside every template folder (inotify cannot see that edit, so such an
 * entry is checked by stat on every render). */
static void test_watch_edits(void **state)
{
	struct diags d = { 0 };
	char *extra = path_join(dir, "extra"), *outside = path_join(dir, "outside/s.cfg");
	char *link = path_join(dir, "templates/t/sym");

	put("templates/sub/a/w.inc", "one");
	put("templates/t/w", "<{% include \"sub/a/w.inc\" %}>");
	put("profiles/p-generic.yaml", "distro: d-generic\nautoinstall: t/w\n");
	reload();
	assert_int_equal(auto_sys("s-generic", &d), 0);
	assert_string_equal(out, "<one>");
	put_in_place("templates/sub/a/w.inc", "two!");
	assert_int_equal(auto_sys("s-generic", &d), 0);
	assert_string_equal(out, "<two!>");
	put_in_place("templates/sub/a/w.inc", "3");
	assert_int_equal(auto_sys("s-generic", &d), 0);
	assert_string_equal(out, "<3>");

	put("extra/t/w2", "<{% include \"inc/new/x\" %}>");
	put("extra/inc/new/x", "shipped");
	assert_int_equal(setenv("PROVD_TEMPLATES", extra, 1), 0);
	put("profiles/p-generic.yaml", "distro: d-generic\nautoinstall: t/w2\n");
	reload();
	assert_int_equal(auto_sys("s-generic", &d), 0);
	assert_string_equal(out, "<shipped>");
	put("templates/inc/new/x", "admin");
	assert_int_equal(auto_sys("s-generic", &d), 0);
	assert_string_equal(out, "<admin>");
	put_in_place("templates/inc/new/x", "admin, edited");
	assert_int_equal(auto_sys("s-generic", &d), 0);
	assert_string_equal(out, "<admin, edited>");
	unsetenv("PROVD_TEMPLATES");

	put("outside/s.cfg", "s1");
	assert_int_equal(symlink(outside, link), 0);
	put("profiles/p-generic.yaml", "distro: d-generic\nautoinstall: t/sym\n");
	reload();
	assert_int_equal(auto_sys("s-generic", &d), 0);
	assert_string_equal(out, "s1");
	put_in_place("outside/s.cfg", "s2, longer");
	assert_int_equal(auto_sys("s-generic", &d), 0);
	assert_string_equal(out, "s2, longer");
	assert_int_equal(d.n, 0);

	put("profiles/p-generic.yaml", "distro: d-generic\nautoinstall: t/args\n");
	reload();
	free(extra);
	free(outside);
	free(link);
}

/* Answers are cached per (snapshot, object, base URL) while the templates
 * are unchanged: every input still shows at once. */
static void test_answer_cache(void **state)
{
	struct diags d = { 0 };
	struct buf b;
	char *first;

	put("templates/t/meta", "{{ meta.colour | default('none') }} {{ server.base_url }} "
	    "{% if system is defined %}{{ system.name }}{% endif %}");
	put("profiles/p-generic.yaml", "distro: d-generic\nautoinstall: t/meta\n");
	reload();
	assert_int_equal(auto_sys("s-generic", &d), 0);
	first = strdup(out);
	assert_string_equal(first, "none " B " s-generic");
	assert_int_equal(auto_sys("s-generic", &d), 0);
	assert_string_equal(out, first);
	/* another base URL */
	buf_init(&b, 0);
	assert_int_equal(render_autoinstall(snap, OBJ_SYSTEM, "s-generic", "http://198.51.100.1", &b, &d), 0);
	assert_string_equal(buf_str(&b), "none http://198.51.100.1 s-generic");
	buf_free(&b);
	/* the profile's answer is another object */
	assert_int_equal(render(render_autoinstall, OBJ_PROFILE, "p-generic", &d), 0);
	assert_string_equal(out, "none " B " ");
	/* an object change (new snapshot) */
	put("profiles/p-generic.yaml", "distro: d-generic\nautoinstall: t/meta\nmeta:\n  colour: blue\n");
	reload();
	assert_int_equal(auto_sys("s-generic", &d), 0);
	assert_string_equal(out, "blue " B " s-generic");
	/* a template change under the same snapshot */
	put_in_place("templates/t/meta", "changed {{ meta.colour }}");
	assert_int_equal(auto_sys("s-generic", &d), 0);
	assert_string_equal(out, "changed blue");
	assert_int_equal(d.n, 0);
	free(first);
	put("profiles/p-generic.yaml", "distro: d-generic\nautoinstall: t/args\n");
	reload();
}

/* A profile named like a menu's own label does not shadow it. */
static void test_menu_labels(void **state)
{
	struct diags d = { 0 };
	struct buf b;

	put("profiles/local.yaml", "distro: d-generic\nautoinstall: t/args\n");
	put("profiles/failed.yaml", "distro: d-generic\nautoinstall: t/args\n");
	reload();
	buf_init(&b, 0);
	assert_int_equal(render_pxelinux_default(snap, B, &b, &d), 0);
	assert_non_null(strstr(buf_str(&b), "\nLABEL profile-local\n"));
	assert_non_null(strstr(buf_str(&b), "ONTIMEOUT local\n"));
	buf_reset(&b);
	assert_int_equal(render_ipxe(snap, NULL, B, &b, &d), 0);
	assert_non_null(strstr(buf_str(&b), "\n:profile-local\n"));
	assert_non_null(strstr(buf_str(&b), "\n:profile-failed\n"));
	assert_null(strstr(strstr(buf_str(&b), "\n:local\n") + 1, "\n:local\n"));
	buf_reset(&b);
	assert_int_equal(render_grub(snap, NULL, B, &b, &d), 0);
	assert_non_null(strstr(buf_str(&b), "--id profile-local {"));
	buf_free(&b);
	assert_int_equal(d.n, 0);
	drop("profiles/local.yaml");
	drop("profiles/failed.yaml");
	reload();
}

/* libmicrohttpd renders from many threads at once: same snapshot, same
 * compiled templates, identical bytes. */
struct worker {
	const char *want;
	int bad;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < 300; i++) {
		struct diags d = { 0 };
		struct buf b;
		buf_init(&b, 0);
		if (render_autoinstall(snap, OBJ_SYSTEM, "pc1", B, &b, &d) != 0 || d.n ||
		    strcmp(buf_str(&b), w->want) != 0)
			w->bad++;
		buf_free(&b);
		diags_clear(&d);
	}
	return NULL;
}

static void test_threads(void **state)
{
	struct diags d = { 0 };
	pthread_t th[6];
	struct worker w[6];
	char *want;

	assert_int_equal(auto_sys("pc1", &d), 0);
	want = strdup(out);
	assert_true(strlen(want) > 1000);
	for (int i = 0; i < 6; i++) {
		w[i] = (struct worker){ .want = want };
		assert_int_equal(pthread_create(&th[i], NULL, worker_run, &w[i]), 0);
	}
	for (int i = 0; i < 6; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(w[i].bad, 0);
	}
	free(want);
}

/* Renders while an admin keeps rewriting the template: every render is
 * one whole version or the other, and stale entries are replaced safely. */
static volatile int flipping;

static void *flip_run(void *arg)
{
	for (int i = 0; i < 200; i++)
		put("templates/t/flip", i % 2 ? "version B, longer" : "version A");
	flipping = 0;
	return NULL;
}

static void *flip_read(void *arg)
{
	int *bad = arg;

	while (flipping) {
		struct diags d = { 0 };
		struct buf b;
		buf_init(&b, 0);
		if (render_autoinstall(snap, OBJ_SYSTEM, "s-generic", B, &b, &d) != 0 ||
		    (strcmp(buf_str(&b), "version A") && strcmp(buf_str(&b), "version B, longer")))
			(*bad)++;
		buf_free(&b);
		diags_clear(&d);
	}
	return NULL;
}

static void test_threads_edit(void **state)
{
	pthread_t w, r[4];
	int bad[4] = { 0 };

	put("templates/t/flip", "version A");
	put("profiles/p-generic.yaml", "distro: d-generic\nautoinstall: t/flip\n");
	reload();
	flipping = 1;
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&r[i], NULL, flip_read, &bad[i]), 0);
	assert_int_equal(pthread_create(&w, NULL, flip_run, NULL), 0);
	pthread_join(w, NULL);
	for (int i = 0; i < 4; i++) {
		pthread_join(r[i], NULL);
		assert_int_equal(bad[i], 0);
	}
	put("profiles/p-generic.yaml", "distro: d-generic\nautoinstall: t/args\n");
	reload();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_breeds),
		cmocka_unit_test(test_callbacks),
		cmocka_unit_test(test_boot_files),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_overrides),
		cmocka_unit_test(test_watch_edits),
		cmocka_unit_test(test_answer_cache),
		cmocka_unit_test(test_menu_labels),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_threads_edit),
	};
	return cmocka_run_group_tests_name("render", tests, setup, teardown);
}
