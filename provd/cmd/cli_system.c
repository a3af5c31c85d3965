/* cli_system: `provd system add|list|show [--resolved]|edit|remove`. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provd/base/strparse.h"
#include "provd/cmd/cli_obj.h"

static const char add_usage[] =
	"add NAME --profile P --mac MAC [--ip A] [--hostname H] [--mac MAC ...]\n"
	"                [--netboot on|off] [--pxe-just-once] [--kernel-options S]\n"
	"                [--meta K=V]... [--autoinstall TEMPLATE] [--loader L] [--comment TEXT]";
static const char add_help[] =
	"Adds a system: a machine (by MAC) and the profile it installs.\n"
	"\n"
	"  --profile P             the profile (required)\n"
	"  --mac MAC               an interface (required; repeat for more). --ip and\n"
	"                          --hostname apply to the --mac before them\n"
	"  --ip A                  the interface's IPv4 address\n"
	"  --hostname H            the interface's host name\n"
	"  --netboot on|off        boot the installer (on, default) or the local disk\n"
	"  --pxe-just-once         turn netboot off when the install reports done\n"
	"  --kernel-options S      \"console=ttyS0 -quiet\" (-KEY drops an inherited key)\n"
	"  --meta K=V              template variable (repeatable; -K drops an inherited one)\n"
	"  --autoinstall TEMPLATE  override the profile's answer-file template\n"
	"  --loader L              pxelinux, grub or ipxe\n"
	"  --comment TEXT          free text\n";

static int set_str(char **slot, const char *v)
{
	free(*slot);
	*slot = strdup(v);
	return *slot ? 0 : -ENOMEM;
}

static int system_add(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "mac", required_argument, NULL, 'm' },
		{ "ip", required_argument, NULL, 'i' },
		{ "hostname", required_argument, NULL, 'H' },
		{ "netboot", required_argument, NULL, 'n' },
		{ "pxe-just-once", no_argument, NULL, '1' },
		{ "kernel-options", required_argument, NULL, 'o' },
		{ "meta", required_argument, NULL, 'M' },
		{ "autoinstall", required_argument, NULL, 'A' },
		{ "loader", required_argument, NULL, 'l' },
		{ "comment", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	struct obj *o = NULL;
	struct system *s;
	int ch, rc = EXIT_USAGE;

	if (cli_wants_help(argc, argv)) {
		cli_verb_usage(stdout, "system", add_usage, add_help);
		return EXIT_OK;
	}
	o = model_obj_new(OBJ_SYSTEM, "");
	if (!o)
		return EXIT_FAIL;
	s = &o->u.system;
	optind = 0;
	opterr = 0;
	/* Options are read in order (REQUIRE_ORDER would stop at NAME, so NAME
	 * is collected by the permuting parser) so --ip follows its --mac. */
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		struct src_pos none = { NULL, 0, 0 };
		struct iface *cur = s->ninterfaces ? &s->interfaces[s->ninterfaces - 1] : NULL;
		int r = 0;
		switch (ch) {
		case 'p': r = set_str(&s->profile, optarg); break;
		case 'A': r = set_str(&s->autoinstall, optarg); break;
		case 'l': r = set_str(&s->loader, optarg); break;
		case 'c': r = set_str(&s->comment, optarg); break;
		case '1': s->pxe_just_once = true; break;
		case 'm': {
			struct iface *nv;
			char mac[18];
			if (mac_normalise(optarg, mac) < 0) {
				fprintf(stderr, "error: --mac: '%s' is not a MAC address\n"
					"  hint: six hex bytes such as 52:54:00:12:34:56\n", optarg);
				rc = EXIT_FAIL;
				goto out;
			}
			nv = realloc(s->interfaces, (s->ninterfaces + 1) * sizeof(*nv));
			if (!nv) {
				rc = EXIT_FAIL;
				goto out;
			}
			s->interfaces = nv;
			memset(&nv[s->ninterfaces], 0, sizeof(*nv));
			memcpy(nv[s->ninterfaces].mac, mac, sizeof(mac));
			s->ninterfaces++;
			break;
		}
		case 'i':
		case 'H':
			if (!cur) {
				fprintf(stderr, "provd system add: --%s belongs to an interface: give --mac first\n",
					ch == 'i' ? "ip" : "hostname");
				goto usage;
			}
			r = set_str(ch == 'i' ? &cur->ip : &cur->hostname, optarg);
			break;
		case 'n':
			if (parse_bool(optarg, &s->netboot) < 0) {
				fprintf(stderr, "error: --netboot: expected on or off, got '%s'\n", optarg);
				goto usage;
			}
			break;
		case 'o':
			if (kvmap_parse_cmdline(&s->kernel_options, optarg, none) < 0) {
				fprintf(stderr, "error: --kernel-options: cannot parse '%s'\n"
					"  hint: key=value words separated by spaces\n", optarg);
				goto out;
			}
			break;
		case 'M':
			if (cli_meta_add(&s->meta, optarg) < 0) {
				fprintf(stderr, "error: --meta: expected KEY=VALUE (or -KEY), got '%s'\n"
					"  hint: keys are letters, digits and '_'\n", optarg);
				goto out;
			}
			break;
		case ':':
			fprintf(stderr, "provd system add: %s needs a value\n", argv[optind - 1]);
			goto usage;
		default:
			fprintf(stderr, "provd system add: unknown option '%s'\n", argv[optind - 1]);
			goto usage;
		}
		if (r < 0) {
			rc = EXIT_FAIL;
			goto out;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "provd system add: %s\n", optind == argc ? "missing NAME" : "more than one NAME");
		goto usage;
	}
	if (!s->profile || !s->ninterfaces) {
		fprintf(stderr, "provd system add: --profile and --mac are required\n");
		goto usage;
	}
	if (set_str(&s->name, argv[optind]) < 0) {
		rc = EXIT_FAIL;
		goto out;
	}
	rc = cli_obj_write(c, o, STORE_CREATE);
	if (rc == EXIT_OK && !c->json)
		printf("added system %s\n", s->name);
	goto out;
usage:
	cli_verb_usage(stderr, "system", add_usage, NULL);
	rc = EXIT_USAGE;
out:
	model_obj_free(o);
	return rc;
}

static int system_list(struct cli *c, int argc, char **argv)
{
	return cli_obj_list(c, OBJ_SYSTEM, argc, argv);
}

static int system_show(struct cli *c, int argc, char **argv)
{
	return cli_obj_show(c, OBJ_SYSTEM, argc, argv);
}

static int system_edit(struct cli *c, int argc, char **argv)
{
	return cli_obj_edit(c, OBJ_SYSTEM, argc, argv);
}

static int system_remove(struct cli *c, int argc, char **argv)
{
	return cli_obj_remove(c, OBJ_SYSTEM, argc, argv);
}

static const struct cli_verb verbs[] = {
	{ "add", system_add, add_usage, "add a system (MAC + profile)" },
	{ "list", system_list, "list", "list systems" },
	{ "show", system_show, "show NAME [--resolved]", "print a system, or its merged view" },
	{ "edit", system_edit, "edit NAME", "edit a system in $EDITOR" },
	{ "remove", system_remove, "remove NAME", "remove a system" },
	{ NULL, NULL, NULL, NULL },
};

int cli_system(struct cli *c, int argc, char **argv)
{
	return cli_dispatch(c, "system", verbs, argc, argv);
}
