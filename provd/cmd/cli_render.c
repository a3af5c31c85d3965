/* cli_render: `provd render autoinstall|pxe|ipxe|grub --system N |
 * --profile N | --mac M` — print exactly what provd serves. */
#include "config.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provd/base/buf.h"
#include "provd/base/sha256.h"
#include "provd/base/strparse.h"
#include "provd/cmd/cli.h"
#include "provd/cmd/cli_obj.h"
#include "provd/core/baseurl.h"
#include "provd/core/render.h"
#include "provd/core/snapshot.h"
#include "provd/core/tmpl.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: provd render autoinstall|pxe|ipxe|grub --system N | --profile N | --mac M\n"
		"                    [--base-url URL] [--json]\n"
		"\n"
		"Print what provd serves: the answer file (autoinstall), the pxelinux\n"
		"config (pxe), the iPXE script (ipxe) or the GRUB config (grub) of a system\n"
		"(by name or MAC) or a profile. pxe/ipxe/grub without an object print the\n"
		"default menu. --json wraps it with its sha256 and the template used.\n"
		"\n"
		"  --base-url URL  the URL clients reach provd at (default: provd.yaml\n"
		"                  base_url, else http://SERVER_ADDRESS:PORT, else this\n"
		"                  host's first IPv4 address)\n");
}

int cli_render(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "system", required_argument, NULL, 's' },
		{ "profile", required_argument, NULL, 'p' },
		{ "mac", required_argument, NULL, 'm' },
		{ "base-url", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *what, *sys = NULL, *prof = NULL, *mac = NULL, *base = NULL;
	struct snapshot *s = NULL;
	struct diags d = { 0 };
	struct buf out;
	char *url = NULL;
	int ch, r, rc = EXIT_FAIL;

	if (argc < 2 || cli_wants_help(argc, argv)) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	what = argv[1];
	optind = 0;	/* full re-init after main's "+" getopt */
	while ((ch = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 's': sys = optarg; break;
		case 'p': prof = optarg; break;
		case 'm': mac = optarg; break;
		case 'b': base = optarg; break;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if ((sys != NULL) + (prof != NULL) + (mac != NULL) > 1 || optind < argc - 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(what, "autoinstall") && strcmp(what, "pxe") && strcmp(what, "ipxe") &&
	    strcmp(what, "grub")) {
		fprintf(stderr, "provd render: unknown kind '%s' (autoinstall, pxe, ipxe or grub)\n", what);
		return EXIT_USAGE;
	}
	if (!strcmp(what, "autoinstall") && !sys && !prof && !mac) {
		fprintf(stderr, "provd render autoinstall: needs --system, --profile or --mac\n");
		return EXIT_USAGE;
	}
	if (prof && strcmp(what, "autoinstall") != 0) {
		fprintf(stderr, "provd render %s: boot files are per system (or the default menu "
			"without an option); --profile works with autoinstall\n", what);
		return EXIT_USAGE;
	}
	s = cli_snapshot(c);
	if (!s)
		return EXIT_FAIL;
	if (mac) {
		const struct system *x = snapshot_system_by_mac(s, mac);
		char norm[18];
		if (mac_normalise(mac, norm) < 0) {
			fprintf(stderr, "provd render: '%s' is not a MAC address\n", mac);
			rc = EXIT_USAGE;
			goto out;
		}
		if (!x) {
			fprintf(stderr, "provd render: no system has MAC %s\n  hint: `provd system list`\n", norm);
			goto out;
		}
		sys = x->name;
	}
	url = base ? strdup(base) : base_url_pick(snapshot_config(s), NULL);
	buf_init(&out, TMPL_OUTPUT_MAX);
	if (!strcmp(what, "autoinstall"))
		r = render_autoinstall(s, sys ? OBJ_SYSTEM : OBJ_PROFILE, sys ? sys : prof, url, &out, &d);
	else if (!strcmp(what, "pxe"))
		r = sys ? render_pxelinux_system(s, sys, url, &out, &d) : render_pxelinux_default(s, url, &out, &d);
	else if (!strcmp(what, "ipxe"))
		r = render_ipxe(s, sys, url, &out, &d);
	else
		r = render_grub(s, sys, url, &out, &d);
	if (r < 0) {
		cli_print_diags(&d);
		buf_free(&out);
		goto out;
	}
	if (c->json) {
		char hex[65];
		sha256_hex(out.p ? out.p : "", out.len, hex);
		json_t *j = json_pack("{s:s, s:s?, s:s, s:s, s:s}", "kind", what, "object", sys ? sys : prof,
				      "base_url", url, "sha256", hex, "content", buf_str(&out));
		json_dumpf(j, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(j);
	} else {
		fwrite(buf_str(&out), 1, out.len, stdout);
	}
	buf_free(&out);
	rc = EXIT_OK;
out:
	diags_clear(&d);
	free(url);
	snapshot_unref(s);
	return rc;
}
