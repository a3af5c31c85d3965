/* test_pxecfg: which entry the netboot firmware boots from a pxelinux
 * config: provd's own rendered files (golden), SYSLINUX's DEFAULT/UI/
 * ONTIMEOUT/MENU DEFAULT rules, initrd= handling and every refusal. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kvm/fw/pxecfg.h"

static struct pxecfg_entry e;
static const char *why;

static int parse(const char *s)
{
	why = NULL;
	return pxecfg_parse(s, strlen(s), &e, &why);
}

static char *slurp(const char *name)
{
	char path[1024];
	FILE *f;
	static char buf[65536];
	size_t n;

	snprintf(path, sizeof(path), "%s/tests/data/golden/%s", getenv("top_srcdir") ? getenv("top_srcdir") : ".", name);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void golden_system(void **st)
{
	(void)st;
	assert_int_equal(parse(slurp("pxelinux-pc1.cfg")), 0);
	assert_string_equal(e.label, "install");
	assert_false(e.localboot);
	assert_true(e.kernel[0] != '\0');
	assert_true(e.initrd[0] != '\0');
	assert_null(strstr(e.append, "initrd="));
	assert_int_equal(e.ipappend, 2);
}

static void golden_localboot(void **st)
{
	(void)st;
	assert_int_equal(parse(slurp("pxelinux-pc2-localboot.cfg")), 0);
	assert_true(e.localboot);
}

static void golden_menu_times_out_to_local(void **st)
{
	(void)st;
	assert_int_equal(parse(slurp("pxelinux-default.cfg")), 0);
	assert_string_equal(e.label, "local");
	assert_true(e.localboot);
}

static void menu_rules(void **st)
{
	(void)st;
	/* UI menu without ONTIMEOUT: MENU DEFAULT wins over the first label */
	assert_int_equal(parse("UI menu.c32\nLABEL a\n KERNEL ka\nLABEL b\n menu default\n LINUX kb\n"), 0);
	assert_string_equal(e.kernel, "kb");
	/* no MENU DEFAULT: the first label */
	assert_int_equal(parse("default vesamenu.c32\nlabel a\n kernel ka\nlabel b\n kernel kb\n"), 0);
	assert_string_equal(e.kernel, "ka");
	/* ONTIMEOUT beats MENU DEFAULT */
	assert_int_equal(parse("DEFAULT menu.c32\nONTIMEOUT b\nLABEL a\nMENU DEFAULT\nKERNEL ka\nLABEL b\nKERNEL kb\n"), 0);
	assert_string_equal(e.kernel, "kb");
	/* TEXT HELP blocks are not parsed */
	assert_int_equal(parse("DEFAULT x\nLABEL x\nKERNEL k\nTEXT HELP\nKERNEL evil\nENDTEXT\nAPPEND a=1\n"), 0);
	assert_string_equal(e.kernel, "k");
	assert_string_equal(e.append, "a=1");
}

static void default_command_line(void **st)
{
	(void)st;
	assert_int_equal(parse("DEFAULT vmlinuz initrd=i.gz,j.gz  quiet console=ttyS0\n"), 0);
	assert_string_equal(e.kernel, "vmlinuz");
	assert_string_equal(e.initrd, "i.gz");
	assert_string_equal(e.append, "quiet console=ttyS0");
}

static void initrd_keyword_and_append_dash(void **st)
{
	(void)st;
	assert_int_equal(parse("default l\n\tlabel l\n\t  kernel /k\n\t  initrd /i\n\t  append -\n"), 0);
	assert_string_equal(e.kernel, "/k");
	assert_string_equal(e.initrd, "/i");
	assert_string_equal(e.append, "");
}

static void refusals(void **st)
{
	char *big;

	(void)st;
	assert_int_equal(parse(""), -1);
	assert_non_null(why);
	assert_int_equal(parse("DEFAULT a\nLABEL a\nMENU LABEL nothing\n"), -1);
	assert_non_null(strstr(why, "neither"));
	assert_int_equal(parse("ONTIMEOUT nope\nLABEL a\nKERNEL k\n"), -1);
	assert_int_equal(pxecfg_parse("DEFAULT a\0x", 11, &e, &why), -1);
	assert_non_null(strstr(why, "NUL"));
	big = malloc(PXECFG_APPEND_MAX + 64);
	strcpy(big, "DEFAULT a\nLABEL a\nKERNEL k\nAPPEND ");
	memset(big + strlen(big), 'x', PXECFG_APPEND_MAX);
	big[strlen("DEFAULT a\nLABEL a\nKERNEL k\nAPPEND ") + PXECFG_APPEND_MAX] = '\0';
	assert_int_equal(parse(big), -1);
	assert_non_null(strstr(why, "too long"));
	free(big);
	assert_int_equal(pxecfg_parse("x", PXECFG_MAX_LEN + 1, &e, &why), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(golden_system),
		cmocka_unit_test(golden_localboot),
		cmocka_unit_test(golden_menu_times_out_to_local),
		cmocka_unit_test(menu_rules),
		cmocka_unit_test(default_command_line),
		cmocka_unit_test(initrd_keyword_and_append_dash),
		cmocka_unit_test(refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
