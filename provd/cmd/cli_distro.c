/* cli_distro: `provd distro add|list|show|edit|remove` (import lives in
 * cli_import.c). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provd/base/strparse.h"
#include "provd/cmd/cli_obj.h"

static const char add_usage[] =
	"add NAME --kernel PATH|URL --initrd PATH|URL [--breed B] [--arch A]\n"
	"                 [--kernel-options S] [--meta K=V]... [--os-version V] [--comment TEXT]";
static const char add_help[] =
	"Adds a distro: a kernel and initrd pair. Paths are relative to <state>/files,\n"
	"absolute, or http(s):// URLs.\n"
	"\n"
	"  --kernel PATH|URL       the kernel (required)\n"
	"  --initrd PATH|URL       the initrd (required)\n"
	"  --breed B               debian, ubuntu, fedora, redhat or generic (default)\n"
	"  --arch A                x86_64 (default), i386 or aarch64\n"
	"  --kernel-options S      \"console=ttyS0 quiet\"; -KEY removes an inherited key\n"
	"  --meta K=V              template variable (repeatable)\n"
	"  --os-version V          version label, e.g. 12\n"
	"  --comment TEXT          free text\n";

static int set_str(char **slot, const char *v)
{
	free(*slot);
	*slot = strdup(v);
	return *slot ? 0 : -ENOMEM;
}

static int distro_add(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "breed", required_argument, NULL, 'b' },
		{ "arch", required_argument, NULL, 'a' },
		{ "kernel-options", required_argument, NULL, 'o' },
		{ "meta", required_argument, NULL, 'm' },
		{ "os-version", required_argument, NULL, 'v' },
		{ "comment", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct obj *o = NULL;
	struct distro *d;
	int ch, rc = EXIT_USAGE;

	if (cli_wants_help(argc, argv)) {
		cli_verb_usage(stdout, "distro", add_usage, add_help);
		return EXIT_OK;
	}
	o = model_obj_new(OBJ_DISTRO, "");
	if (!o)
		return EXIT_FAIL;
	d = &o->u.distro;
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		int r = 0;
		struct src_pos none = { NULL, 0, 0 };
		switch (ch) {
		case 'k': r = set_str(&d->kernel, optarg); break;
		case 'i': r = set_str(&d->initrd, optarg); break;
		case 'b': r = set_str(&d->breed, optarg); break;
		case 'a': r = set_str(&d->arch, optarg); break;
		case 'v': r = set_str(&d->version, optarg); break;
		case 'c': r = set_str(&d->comment, optarg); break;
		case 'o':
			if (kvmap_parse_cmdline(&d->kernel_options, optarg, none) < 0) {
				fprintf(stderr, "error: --kernel-options: cannot parse '%s'\n"
					"  hint: key=value words separated by spaces\n", optarg);
				goto out;
			}
			break;
		case 'm':
			if (cli_meta_add(&d->meta, optarg) < 0) {
				fprintf(stderr, "error: --meta: expected KEY=VALUE, got '%s'\n"
					"  hint: keys are letters, digits and '_'\n", optarg);
				goto out;
			}
			break;
		case ':':
			fprintf(stderr, "provd distro add: %s needs a value\n", argv[optind - 1]);
			goto usage;
		default:
			fprintf(stderr, "provd distro add: unknown option '%s'\n", argv[optind - 1]);
			goto usage;
		}
		if (r < 0) {
			rc = EXIT_FAIL;
			goto out;
		}
	}
	if (optind != argc - 1 || !d->kernel || !d->initrd) {
		if (optind == argc)
			fprintf(stderr, "provd distro add: missing NAME\n");
		else if (optind < argc - 1)
			fprintf(stderr, "provd distro add: unexpected '%s'\n", argv[optind + 1]);
		else
			fprintf(stderr, "provd distro add: --kernel and --initrd are required\n");
		goto usage;
	}
	if (set_str(&d->name, argv[optind]) < 0) {
		rc = EXIT_FAIL;
		goto out;
	}
	rc = cli_obj_write(c, o, STORE_CREATE);
	if (rc == EXIT_OK && !c->json)
		printf("added distro %s\n", d->name);
	goto out;
usage:
	cli_verb_usage(stderr, "distro", add_usage, NULL);
	rc = EXIT_USAGE;
out:
	model_obj_free(o);
	return rc;
}

static int distro_list(struct cli *c, int argc, char **argv)
{
	return cli_obj_list(c, OBJ_DISTRO, argc, argv);
}

static int distro_show(struct cli *c, int argc, char **argv)
{
	return cli_obj_show(c, OBJ_DISTRO, argc, argv);
}

static int distro_edit(struct cli *c, int argc, char **argv)
{
	return cli_obj_edit(c, OBJ_DISTRO, argc, argv);
}

static int distro_remove(struct cli *c, int argc, char **argv)
{
	return cli_obj_remove(c, OBJ_DISTRO, argc, argv);
}

static const struct cli_verb verbs[] = {
	{ "add", distro_add, add_usage, "add a distro (kernel + initrd)" },
	/* import: provd/cmd/cli_import.c (tftp team) fills this line: */
	{ "import", cli_distro_import, "import NAME --from DIR|URL", "import a distro tree" },
	{ "list", distro_list, "list", "list distros" },
	{ "show", distro_show, "show NAME", "print a distro" },
	{ "edit", distro_edit, "edit NAME", "edit a distro in $EDITOR" },
	{ "remove", distro_remove, "remove NAME", "remove a distro (refused while profiles use it)" },
	{ NULL, NULL, NULL, NULL },
};

int cli_distro(struct cli *c, int argc, char **argv)
{
	return cli_dispatch(c, "distro", verbs, argc, argv);
}
