/* Unit tests for provd/core model + yaml: parsing each kind, every
 * per-object validation error with its exact line:column, kernel_options and
 * meta maps (string and mapping forms, "-key", repeated keys), canonical
 * YAML output and its round trip. */
#include "config.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provd/core/model.h"
#include "provd/core/yaml.h"

static struct obj *parse_ok(enum obj_kind k, const char *name, const char *text)
{
	struct diags d = { 0 };
	struct obj *o = NULL;
	int r = model_obj_parse(k, name, "t.yaml", text, strlen(text), &d, &o);

	if (r != 0)
		diags_print(&d, stderr);
	assert_int_equal(r, 0);
	assert_int_equal(d.n, 0);
	diags_clear(&d);
	return o;
}

/* Parse text expecting failure; the diagnostics must include one at
 * line:col whose message contains want. Returns how many diagnostics. */
static size_t expect_err(enum obj_kind k, const char *name, const char *text, int line,
			 int col, const char *want)
{
	struct diags d = { 0 };
	struct obj *o = NULL;
	int r = model_obj_parse(k, name, "t.yaml", text, strlen(text), &d, &o);
	bool found = false;
	size_t n = d.n;

	assert_int_equal(r, -EINVAL);
	assert_null(o);
	for (size_t i = 0; i < d.n; i++) {
		if (d.v[i].line == line && d.v[i].col == col && strstr(d.v[i].msg, want)) {
			found = true;
			assert_non_null(d.v[i].file);
			assert_string_equal(d.v[i].file, "t.yaml");
		}
	}
	if (!found) {
		fprintf(stderr, "wanted %d:%d '%s', got:\n", line, col, want);
		diags_print(&d, stderr);
	}
	assert_true(found);
	diags_clear(&d);
	return n;
}

static void test_distro_parse(void **state)
{
	struct obj *o = parse_ok(OBJ_DISTRO, "deb12",
				 "# Debian 12\n"
				 "kernel: debian-12/linux\n"
				 "initrd: https://example.org/initrd.gz\n"
				 "breed: debian\n"
				 "version: 12\n"
				 "kernel_options: console=ttyS0,115200 quiet \"x=a b\"\n");
	const struct distro *d = &o->u.distro;
	const struct kv *e;

	assert_string_equal(d->name, "deb12");
	assert_string_equal(d->kernel, "debian-12/linux");
	assert_int_equal(d->kernel_at.line, 2);
	assert_int_equal(d->kernel_at.col, 9);
	assert_string_equal(d->initrd, "https://example.org/initrd.gz");
	assert_string_equal(d->breed, "debian");
	assert_string_equal(d->arch, "x86_64");	/* default */
	assert_string_equal(d->version, "12");
	assert_int_equal(d->kernel_options.n, 3);
	e = kvmap_get(&d->kernel_options, "console");
	assert_int_equal(e->type, KV_STR);
	assert_string_equal(e->str, "ttyS0,115200");
	e = kvmap_get(&d->kernel_options, "quiet");
	assert_int_equal(e->type, KV_NULL);
	assert_string_equal(kvmap_get(&d->kernel_options, "x")->str, "a b");
	assert_int_equal(strlen(o->sha256), 64);
	model_obj_free(o);
}

static void test_profile_and_system_parse(void **state)
{
	struct obj *o = parse_ok(OBJ_PROFILE, "web",
				 "parent: base\n"
				 "autoinstall: preseed/debian.cfg\n"
				 "kernel_options:\n"
				 "  -quiet:\n"
				 "  console: [tty0, ttyS0]\n"
				 "meta:\n"
				 "  packages:\n"
				 "    - vim\n"
				 "    - curl\n"
				 "  role: web\n"
				 "  -old:\n"
				 "vm:\n"
				 "  memory: 2048\n"
				 "  vcpus: 2\n"
				 "  disk_size: 20G\n"
				 "  disk_format: qcow2\n");
	const struct profile *p = &o->u.profile;
	const struct kv *e;

	assert_null(p->distro);
	assert_string_equal(p->parent, "base");
	e = kvmap_get(&p->kernel_options, "quiet");
	assert_non_null(e);
	assert_true(e->remove);
	assert_int_equal(e->at.line, 4);
	assert_int_equal(e->at.col, 3);
	e = kvmap_get(&p->kernel_options, "console");
	assert_int_equal(e->type, KV_LIST);
	assert_int_equal(e->nlist, 2);
	assert_string_equal(e->list[1], "ttyS0");
	e = kvmap_get(&p->meta, "packages");
	assert_int_equal(e->type, KV_LIST);
	assert_string_equal(e->list[0], "vim");
	assert_true(kvmap_get(&p->meta, "old")->remove);
	assert_int_equal(p->vm.memory_mib, 2048);
	assert_int_equal(p->vm.vcpus, 2);
	assert_int_equal(p->vm.disk_size, 20ULL << 30);
	assert_string_equal(p->vm.disk_format, "qcow2");
	model_obj_free(o);

	o = parse_ok(OBJ_SYSTEM, "web1",
		     "name: web1\n"
		     "profile: web\n"
		     "interfaces:\n"
		     "  - mac: 52-54-00-AA-BB-CC\n"
		     "    ip: 192.0.2.10\n"
		     "    hostname: web1.lab\n"
		     "  - 525400aabbcd\n"
		     "netboot: off\n"
		     "pxe_just_once: yes\n");
	assert_string_equal(o->u.system.profile, "web");
	assert_int_equal(o->u.system.ninterfaces, 2);
	assert_string_equal(o->u.system.interfaces[0].mac, "52:54:00:aa:bb:cc");
	assert_int_equal(o->u.system.interfaces[0].mac_at.line, 4);
	assert_int_equal(o->u.system.interfaces[0].mac_at.col, 10);
	assert_string_equal(o->u.system.interfaces[0].ip, "192.0.2.10");
	assert_string_equal(o->u.system.interfaces[1].mac, "52:54:00:aa:bb:cd");
	assert_false(o->u.system.netboot);
	assert_true(o->u.system.pxe_just_once);
	model_obj_free(o);
}

/* Every per-object error, each at its exact position. */
static void test_errors_with_positions(void **state)
{
	/* unknown key (with the known keys as hint) */
	expect_err(OBJ_DISTRO, "d", "kernel: k\ninitrd: i\nkernal: x\n", 3, 1, "unknown key 'kernal'");
	/* missing required key: reported at the mapping */
	expect_err(OBJ_DISTRO, "d", "kernel: k\n", 1, 1, "missing required key 'initrd'");
	/* wrong type */
	expect_err(OBJ_DISTRO, "d", "kernel: [a, b]\ninitrd: i\n", 1, 9, "expected a string, got a list");
	expect_err(OBJ_SYSTEM, "s", "profile: p\ninterfaces:\n  - mac: 52:54:00:00:00:01\nnetboot: maybe\n",
		   4, 10, "expected true or false");
	expect_err(OBJ_PROFILE, "p", "distro: d\nvm:\n  memory: lots\n", 3, 11, "bad number 'lots'");
	expect_err(OBJ_PROFILE, "p", "distro: d\nvm:\n  vcpus: 0\n", 3, 10, "bad number '0'");
	expect_err(OBJ_PROFILE, "p", "distro: d\nvm: 12\n", 2, 5, "expected a mapping");
	/* bad names: the file's and a reference */
	expect_err(OBJ_PROFILE, "p", "distro: bad/name\n", 1, 9, "not a valid object name");
	expect_err(OBJ_SYSTEM, "bad name", "profile: p\ninterfaces: [52:54:00:00:00:01]\n", 0, 0,
		   "not a valid system name");
	/* bad MAC */
	expect_err(OBJ_SYSTEM, "s", "profile: p\ninterfaces:\n  - mac: 52:54:00:zz:00:01\n", 3, 10,
		   "is not a MAC address");
	/* same MAC twice in one system, in different spellings */
	expect_err(OBJ_SYSTEM, "s",
		   "profile: p\ninterfaces:\n  - mac: 52:54:00:00:00:01\n  - mac: 52-54-00-00-00-01\n",
		   4, 10, "listed twice");
	/* bad IP, host name */
	expect_err(OBJ_SYSTEM, "s", "profile: p\ninterfaces:\n  - mac: 52:54:00:00:00:01\n    ip: 300.1.1.1\n",
		   4, 9, "not an IPv4 address");
	expect_err(OBJ_SYSTEM, "s", "profile: p\ninterfaces: [52:54:00:00:00:01]\nhostname: -bad\n",
		   3, 11, "not a valid host name");
	/* empty interfaces */
	expect_err(OBJ_SYSTEM, "s", "profile: p\ninterfaces: []\n", 2, 13, "an empty list");
	/* paths */
	expect_err(OBJ_DISTRO, "d", "kernel: ../../etc/shadow\ninitrd: i\n", 1, 9, "'..' component");
	expect_err(OBJ_DISTRO, "d", "kernel: ftp://h/k\ninitrd: i\n", 1, 9, "only http:// and https://");
	/* enums */
	expect_err(OBJ_DISTRO, "d", "kernel: k\ninitrd: i\nbreed: gentoo\n", 3, 8, "unknown breed");
	expect_err(OBJ_PROFILE, "p", "distro: d\nloader: lilo\n", 2, 9, "unknown boot loader");
	/* distro and parent at once; neither */
	expect_err(OBJ_PROFILE, "p", "distro: d\nparent: q\n", 2, 9, "both 'distro' and 'parent'");
	expect_err(OBJ_PROFILE, "p", "autoinstall: x.cfg\n", 1, 1, "needs a distro or a parent");
	expect_err(OBJ_PROFILE, "p", "parent:\n", 1, 1, "needs a distro or a parent");
	/* duplicate key */
	expect_err(OBJ_DISTRO, "d", "kernel: k\ninitrd: i\nkernel: k2\n", 3, 1, "duplicate key 'kernel'");
	/* bad meta key, duplicate kernel option */
	expect_err(OBJ_PROFILE, "p", "distro: d\nmeta:\n  bad-key: 1\n", 3, 3, "meta: bad key 'bad-key'");
	expect_err(OBJ_PROFILE, "p", "distro: d\nkernel_options:\n  a: 1\n  a: 2\n", 4, 3, "duplicate key 'a'");
	/* name key that disagrees with the file name */
	expect_err(OBJ_PROFILE, "p", "name: q\ndistro: d\n", 1, 7, "does not match the file name");
	/* YAML syntax error, with libyaml's position */
	expect_err(OBJ_DISTRO, "d", "kernel: k\ninitrd: [i\n", 3, 1, "YAML syntax");
	/* aliases refused */
	expect_err(OBJ_DISTRO, "d", "kernel: &a k\ninitrd: *a\n", 2, 9, "aliases are not supported");
	/* not a mapping at all */
	expect_err(OBJ_DISTRO, "d", "- a\n- b\n", 1, 1, "expected a mapping");
}

static void test_all_errors_reported(void **state)
{
	/* Three independent problems: all three come back, not just the first. */
	size_t n = expect_err(OBJ_SYSTEM, "s",
			      "profile: p\n"
			      "interfaces:\n"
			      "  - mac: nope\n"
			      "colour: blue\n"
			      "netboot: 7\n",
			      3, 10, "not a MAC");
	assert_int_equal(n, 3);
}

static void test_empty_file(void **state)
{
	expect_err(OBJ_DISTRO, "d", "", 0, 0, "empty distro file");
	expect_err(OBJ_DISTRO, "d", "# only a comment\n", 0, 0, "empty distro file");
}

static void test_cmdline(void **state)
{
	struct kvmap m = { 0 };
	struct src_pos none = { NULL, 0, 0 };
	char *s;

	assert_int_equal(kvmap_parse_cmdline(&m, " console=tty0 console=ttyS0 quiet -splash x=\"a b\" ", none), 0);
	assert_int_equal(m.n, 4);
	assert_int_equal(kvmap_get(&m, "console")->type, KV_LIST);
	assert_true(kvmap_get(&m, "splash")->remove);
	s = kvmap_to_cmdline(&m);
	assert_string_equal(s, "console=tty0 console=ttyS0 quiet x=\"a b\"");
	free(s);
	assert_int_equal(kvmap_parse_cmdline(&m, "a=\"unterminated", none), -EINVAL);
	assert_int_equal(kvmap_parse_cmdline(&m, "=x", none), -EINVAL);
	kvmap_free(&m);
}

static void roundtrip(enum obj_kind k, const char *name, const char *text)
{
	struct obj *a = parse_ok(k, name, text), *b;
	size_t la, lb;
	char *ya = model_obj_to_yaml(a, &la), *yb;

	b = parse_ok(k, name, ya);
	yb = model_obj_to_yaml(b, &lb);
	/* Canonical form is a fixed point, and the values survive. */
	assert_string_equal(ya, yb);
	assert_int_equal(la, lb);
	model_obj_free(a);
	model_obj_free(b);
	free(ya);
	free(yb);
}

static void test_roundtrip(void **state)
{
	struct obj *o;
	char *y;

	roundtrip(OBJ_DISTRO, "d",
		  "kernel: \"dir/linux\"\ninitrd: http://h/i\nbreed: fedora\nversion: \"1.10\"\n"
		  "kernel_options: \"inst.stage2=hd:LABEL=x y=\\\"q\\\" -rhgb\"\n"
		  "meta:\n  yes_word: \"yes\"\n  tab: \"a\\tb\"\n  colon: \"a: b # c\"\n"
		  "comment: \"line\\nbreak\"\n");
	/* Characters YAML folds or forbids raw come back escaped, unchanged. */
	roundtrip(OBJ_DISTRO, "d",
		  "kernel: k\ninitrd: i\ncomment: \"a\\rb\\Nc\\Ld\\Pe\\x81f\\u00e9g\\x7f \\U0001F600\"\n");
	roundtrip(OBJ_PROFILE, "p",
		  "parent: base\nkernel_options:\n  -quiet:\n  console: [tty0, ttyS0]\n"
		  "meta:\n  e: []\n  n: ~\nvm:\n  memory: 512\n  disk_size: 1536M\n");
	roundtrip(OBJ_SYSTEM, "s",
		  "profile: p\ninterfaces:\n  - mac: 52:54:00:00:00:01\n    ip: 192.0.2.1\n"
		  "  - mac: 52:54:00:00:00:02\nnetboot: false\npxe_just_once: true\nloader: ipxe\n");

	/* Values that look like other YAML types come back as strings. */
	o = parse_ok(OBJ_DISTRO, "d", "kernel: k\ninitrd: i\nmeta:\n  a: \"on\"\n  b: \"-x\"\n  c: \"\"\n");
	y = model_obj_to_yaml(o, NULL);
	assert_non_null(strstr(y, "a: \"on\"\n"));
	assert_non_null(strstr(y, "b: \"-x\"\n"));
	assert_non_null(strstr(y, "c: \"\"\n"));
	free(y);
	model_obj_free(o);
}

static void test_yaml_limits(void **state)
{
	struct diags d = { 0 };
	struct ynode *root = NULL;
	char deep[200];
	size_t n = 0;

	/* 40 levels of flow nesting: refused, not a stack overflow. */
	for (int i = 0; i < 40; i++)
		deep[n++] = '[';
	for (int i = 0; i < 40; i++)
		deep[n++] = ']';
	deep[n] = '\0';
	assert_int_equal(ynode_parse(deep, n, "x", &d, &root), -EINVAL);
	assert_null(root);
	assert_non_null(strstr(d.v[0].msg, "nesting too deep"));
	diags_clear(&d);
	assert_int_equal(ynode_parse("a: 1\n---\nb: 2\n", 14, "x", &d, &root), -EINVAL);
	assert_non_null(strstr(d.v[0].msg, "more than one YAML document"));
	diags_clear(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_distro_parse),
		cmocka_unit_test(test_profile_and_system_parse),
		cmocka_unit_test(test_errors_with_positions),
		cmocka_unit_test(test_all_errors_reported),
		cmocka_unit_test(test_empty_file),
		cmocka_unit_test(test_cmdline),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_yaml_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
