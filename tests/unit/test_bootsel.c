/* Unit tests for the boot file choice (provd/core/bootsel): option 93
 * architectures 0/6/7/9/16, iPXE by user class or option 175 (as the DHCP
 * server sees it), the per-system and per-profile loader override read from
 * a real state directory, and unknown MACs (default menu or no answer). */
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

#include "provd/base/err.h"
#include "provd/base/fsutil.h"
#include "provd/core/bootsel.h"
#include "provd/core/snapshot.h"
#include "provd/core/store.h"

#define B "http://192.0.2.1:8080"
#define MAC "52:54:00:aa:bb:01"

static const char *choose(int arch, bool ipxe, const char *loader, bool known, bool ignore,
			  enum boot_kind *kind)
{
	static struct bootsel_out o;
	struct bootsel_in in = { .arch = arch, .ipxe = ipxe, .loader = loader, .known = known,
				 .unknown_ignore = ignore };
	int r = bootsel_choose(&in, B, MAC, &o);

	if (kind)
		*kind = o.kind;
	assert_true(r == 0 || (r == -EINVAL && o.kind == BOOT_NONE && !o.file[0]));
	return r == 0 ? o.file : NULL;
}

static void test_arch(void **state)
{
	enum boot_kind k;

	(void)state;
	assert_string_equal(choose(-1, false, NULL, true, false, &k), "pxelinux.0");
	assert_int_equal(k, BOOT_PXELINUX);
	assert_string_equal(choose(0, false, NULL, true, false, &k), "pxelinux.0");
	for (int a = 6; a <= 9; a += (a == 7 ? 2 : 1)) {	/* 6, 7, 9 */
		assert_string_equal(choose(a, false, NULL, true, false, &k), "grubnetx64.efi");
		assert_int_equal(k, BOOT_GRUB_EFI);
	}
	assert_string_equal(choose(16, false, NULL, true, false, &k), B "/grubnetx64.efi");
	assert_int_equal(k, BOOT_GRUB_HTTP);
	/* Itanium, ARM and other firmware: nothing rather than a wrong binary. */
	assert_null(choose(2, false, NULL, true, false, &k));
	assert_int_equal(k, BOOT_NONE);
	assert_null(choose(11, false, NULL, true, false, NULL));
	assert_null(choose(8, false, NULL, true, false, NULL));
}

static void test_ipxe(void **state)
{
	enum boot_kind k;

	(void)state;
	/* iPXE on any firmware gets its script (no chainload loop). */
	assert_string_equal(choose(0, true, NULL, true, false, &k), B "/ipxe/" MAC);
	assert_int_equal(k, BOOT_IPXE_SCRIPT);
	assert_string_equal(choose(7, true, NULL, true, false, NULL), B "/ipxe/" MAC);
	assert_string_equal(choose(-1, true, "ipxe", true, false, NULL), B "/ipxe/" MAC);
	/* The ipxe override on plain PXE firmware: the firmware's default. */
	assert_string_equal(choose(0, false, "ipxe", true, false, NULL), "pxelinux.0");
	assert_string_equal(choose(9, false, "ipxe", true, false, NULL), "grubnetx64.efi");
}

static void test_override(void **state)
{
	enum boot_kind k;

	(void)state;
	/* pxelinux: a BIOS iPXE ROM is sent to pxelinux.0 instead of the script. */
	assert_string_equal(choose(0, true, "pxelinux", true, false, &k), "pxelinux.0");
	assert_int_equal(k, BOOT_PXELINUX);
	assert_string_equal(choose(-1, true, "pxelinux", true, false, NULL), "pxelinux.0");
	/* ...but UEFI cannot run pxelinux.0: its default. */
	assert_string_equal(choose(7, false, "pxelinux", true, false, NULL), "grubnetx64.efi");
	assert_string_equal(choose(7, true, "pxelinux", true, false, NULL), B "/ipxe/" MAC);
	/* grub: UEFI iPXE is sent to GRUB; BIOS has no GRUB image: default. */
	assert_string_equal(choose(7, true, "grub", true, false, &k), "grubnetx64.efi");
	assert_int_equal(k, BOOT_GRUB_EFI);
	assert_string_equal(choose(0, false, "grub", true, false, NULL), "pxelinux.0");
	assert_string_equal(choose(0, true, "grub", true, false, NULL), B "/ipxe/" MAC);
}

static void test_proxy_uefi(void **state)
{
	struct bootsel_out o;
	struct bootsel_in in = { .known = true, .proxy = true, .ipxe_efi = true };

	(void)state;
	/* Proxy mode with ipxe.efi in the tree: x86-64 UEFI PXE gets iPXE. */
	for (int a = 7; a <= 9; a += 2) {
		in.arch = a;
		assert_int_equal(bootsel_choose(&in, B, MAC, &o), 0);
		assert_int_equal(o.kind, BOOT_IPXE_EFI);
		assert_string_equal(o.file, "ipxe.efi");
	}
	/* ia32 UEFI: no ia32 iPXE shipped, GRUB as before. */
	in.arch = 6;
	assert_int_equal(bootsel_choose(&in, B, MAC, &o), 0);
	assert_string_equal(o.file, "grubnetx64.efi");
	/* iPXE coming back: its script; BIOS and HTTP boot unchanged. */
	in.arch = 7;
	in.ipxe = true;
	assert_int_equal(bootsel_choose(&in, B, MAC, &o), 0);
	assert_string_equal(o.file, B "/ipxe/" MAC);
	in.ipxe = false;
	in.arch = 0;
	assert_int_equal(bootsel_choose(&in, B, MAC, &o), 0);
	assert_string_equal(o.file, "pxelinux.0");
	/* The admin's grub override still wins (a lab whose own server
	 * names provd as next-server). */
	in.arch = 9;
	in.loader = "grub";
	assert_int_equal(bootsel_choose(&in, B, MAC, &o), 0);
	assert_string_equal(o.file, "grubnetx64.efi");
	/* No ipxe.efi, or full mode: GRUB. */
	in.loader = NULL;
	in.ipxe_efi = false;
	assert_int_equal(bootsel_choose(&in, B, MAC, &o), 0);
	assert_string_equal(o.file, "grubnetx64.efi");
	in.ipxe_efi = true;
	in.proxy = false;
	assert_int_equal(bootsel_choose(&in, B, MAC, &o), 0);
	assert_string_equal(o.file, "grubnetx64.efi");
	/* HTTP boot (any mode): iPXE over HTTP when the tree has it, GRUB
	 * without it or when the grub override asks. */
	in.arch = 16;
	assert_int_equal(bootsel_choose(&in, B, MAC, &o), 0);
	assert_int_equal(o.kind, BOOT_IPXE_HTTP);
	assert_string_equal(o.file, B "/ipxe.efi");
	in.loader = "grub";
	assert_int_equal(bootsel_choose(&in, B, MAC, &o), 0);
	assert_string_equal(o.file, B "/grubnetx64.efi");
	in.loader = NULL;
	in.ipxe_efi = false;
	assert_int_equal(bootsel_choose(&in, B, MAC, &o), 0);
	assert_int_equal(o.kind, BOOT_GRUB_HTTP);
	assert_string_equal(o.file, B "/grubnetx64.efi");
}

static void test_unknown(void **state)
{
	(void)state;
	/* unknown_mac: menu: the same files as a known machine (the menu is
	 * what pxelinux.cfg/default, grub.cfg and /ipxe/<mac> render). */
	assert_string_equal(choose(0, false, NULL, false, false, NULL), "pxelinux.0");
	assert_string_equal(choose(0, true, NULL, false, false, NULL), B "/ipxe/" MAC);
	/* unknown_mac: ignore: no answer, whatever the firmware. */
	assert_null(choose(0, false, NULL, false, true, NULL));
	assert_null(choose(0, true, NULL, false, true, NULL));
	assert_null(choose(9, false, "grub", false, true, NULL));
	/* ...while known machines still get theirs. */
	assert_string_equal(choose(9, false, NULL, true, true, NULL), "grubnetx64.efi");
}

/* ---- the override as read from a state directory ---- */

static char *dir;

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

static void test_lookup(void **state)
{
	char tmpl[] = "/tmp/test_bootsel.XXXXXX";
	struct diags d = { 0 };
	struct snapshot *snap;
	struct bootsel_who w;

	(void)state;
	dir = strdup(mkdtemp(tmpl));
	assert_int_equal(store_init(dir, &d), 0);
	put("files/k/linux", "kernel");
	put("files/k/initrd.gz", "initrd");
	put("distros/d.yaml", "kernel: k/linux\ninitrd: k/initrd.gz\n");
	put("profiles/plain.yaml", "distro: d\n");
	put("profiles/legacy.yaml", "distro: d\nloader: pxelinux\n");
	put("profiles/child.yaml", "parent: legacy\n");	/* inherits pxelinux */
	put("profiles/efi.yaml", "parent: legacy\nloader: grub\n");	/* deepest wins */
	put("systems/a.yaml", "profile: plain\ninterfaces:\n  - mac: \"52:54:00:aa:bb:01\"\n");
	put("systems/b.yaml", "profile: child\ninterfaces:\n  - mac: \"52:54:00:aa:bb:02\"\n");
	put("systems/c.yaml", "profile: efi\ninterfaces:\n  - mac: \"52:54:00:aa:bb:03\"\n");
	put("systems/e.yaml",
	    "profile: legacy\nloader: ipxe\ninterfaces:\n  - mac: \"52:54:00:aa:bb:04\"\n"
	    "  - mac: \"52:54:00:aa:bb:05\"\n");
	snap = snapshot_load(dir, &d);
	if (!snap)
		diags_print(&d, stderr);
	assert_non_null(snap);

	bootsel_lookup(snap, "52:54:00:aa:bb:01", &w);
	assert_true(w.known);
	assert_string_equal(w.system, "a");
	assert_string_equal(w.loader, "");
	bootsel_lookup(snap, "52:54:00:aa:bb:02", &w);
	assert_string_equal(w.loader, "pxelinux");	/* from the parent profile */
	bootsel_lookup(snap, "52:54:00:aa:bb:03", &w);
	assert_string_equal(w.loader, "grub");
	bootsel_lookup(snap, "52:54:00:aa:bb:05", &w);	/* second interface */
	assert_string_equal(w.system, "e");
	assert_string_equal(w.loader, "ipxe");	/* the system's own wins */
	bootsel_lookup(snap, "52:54:00:aa:bb:99", &w);
	assert_false(w.known);
	assert_string_equal(w.system, "");
	bootsel_lookup(NULL, "52:54:00:aa:bb:01", &w);
	assert_false(w.known);

	/* End to end: system b runs an iPXE ROM on BIOS, yet gets pxelinux.0. */
	bootsel_lookup(snap, "52:54:00:aa:bb:02", &w);
	assert_string_equal(choose(0, true, w.loader, w.known, true, NULL), "pxelinux.0");
	bootsel_lookup(snap, "52:54:00:aa:bb:05", &w);
	assert_string_equal(choose(0, true, w.loader, w.known, true, NULL), B "/ipxe/" MAC);

	snapshot_unref(snap);
	diags_clear(&d);
	{
		char *cmd = NULL;
		assert_true(asprintf(&cmd, "rm -rf '%s'", dir) > 0);
		assert_int_equal(system(cmd), 0);
		free(cmd);
	}
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arch),
		cmocka_unit_test(test_ipxe),
		cmocka_unit_test(test_override),
		cmocka_unit_test(test_proxy_uefi),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_lookup),
	};
	return cmocka_run_group_tests_name("bootsel", tests, NULL, NULL);
}
