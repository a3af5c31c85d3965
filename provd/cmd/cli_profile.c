/* cli_profile: `provd profile add|list|show [--resolved]|edit|remove`. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provd/base/strparse.h"
#include "provd/cmd/cli_obj.h"

static const char add_usage[] =
	"add NAME --distro D | --parent P [--autoinstall TEMPLATE]\n"
	"                 [--kernel-options S] [--meta K=V]... [--loader L]\n"
	"                 [--vm-memory MiB] [--vm-vcpus N] [--vm-disk SIZE] [--vm-disk-format F]\n"
	"                 [--comment TEXT]";
static const char add_help[] =
	"Adds a profile: a distro (or a parent profile to inherit from) plus what\n"
	"to install. Nearest wins: values set here override the parent and distro.\n"
	"\n"
	"  --distro D              the distro to boot\n"
	"  --parent P              inherit from profile P instead\n"
	"  --autoinstall TEMPLATE  answer-file template, e.g. preseed/debian.cfg\n"
	"  --kernel-options S      \"console=ttyS0 -quiet\" (-KEY drops an inherited key)\n"
	"  --meta K=V              template variable (repeatable; -K drops an inherited one)\n"
	"  --loader L              pxelinux, grub or ipxe (default: by client firmware)\n"
	"  --vm-memory MiB         build-vm memory\n"
	"  --vm-vcpus N            build-vm vCPUs\n"
	"  --vm-disk SIZE          build-vm disk size, e.g. 20G\n"
	"  --vm-disk-format F      raw or qcow2\n"
	"  --comment TEXT          free text\n";

static int set_str(char **slot, const char *v)
{
	free(*slot);
	*slot = strdup(v);
	return *slot ? 0 : -ENOMEM;
}

static int profile_add(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "distro", required_argument, NULL, 'd' },
		{ "parent", required_argument, NULL, 'p' },
		{ "autoinstall", required_argument, NULL, 'A' },
		{ "kernel-options", required_argument, NULL, 'o' },
		{ "meta", required_argument, NULL, 'm' },
		{ "loader", required_argument, NULL, 'l' },
		{ "vm-memory", required_argument, NULL, 'M' },
		{ "vm-vcpus", required_argument, NULL, 'C' },
		{ "vm-disk", required_argument, NULL, 'D' },
		{ "vm-disk-format", required_argument, NULL, 'F' },
		{ "comment", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	struct obj *o = NULL;
	struct profile *p;
	int ch, rc = EXIT_USAGE;

	if (cli_wants_help(argc, argv)) {
		cli_verb_usage(stdout, "profile", add_usage, add_help);
		return EXIT_OK;
	}
	o = model_obj_new(OBJ_PROFILE, "");
	if (!o)
		return EXIT_FAIL;
	p = &o->u.profile;
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		struct src_pos none = { NULL, 0, 0 };
		uint64_t u;
		int r = 0;
		switch (ch) {
		case 'd': r = set_str(&p->distro, optarg); break;
		case 'p': r = set_str(&p->parent, optarg); break;
		case 'A': r = set_str(&p->autoinstall, optarg); break;
		case 'l': r = set_str(&p->loader, optarg); break;
		case 'F': r = set_str(&p->vm.disk_format, optarg); break;
		case 'c': r = set_str(&p->comment, optarg); break;
		case 'o':
			if (kvmap_parse_cmdline(&p->kernel_options, optarg, none) < 0) {
				fprintf(stderr, "error: --kernel-options: cannot parse '%s'\n"
					"  hint: key=value words separated by spaces\n", optarg);
				goto out;
			}
			break;
		case 'm':
			if (cli_meta_add(&p->meta, optarg) < 0) {
				fprintf(stderr, "error: --meta: expected KEY=VALUE (or -KEY), got '%s'\n"
					"  hint: keys are letters, digits and '_'\n", optarg);
				goto out;
			}
			break;
		case 'M':
			if (parse_u64(optarg, 16, 1 << 24, &u) < 0) {
				fprintf(stderr, "error: --vm-memory: '%s' is not a size in MiB (16 to 16777216)\n", optarg);
				goto out;
			}
			p->vm.memory_mib = u;
			break;
		case 'C':
			if (parse_u64(optarg, 1, 256, &u) < 0) {
				fprintf(stderr, "error: --vm-vcpus: '%s' is not a number from 1 to 256\n", optarg);
				goto out;
			}
			p->vm.vcpus = (uint32_t)u;
			break;
		case 'D':
			if (parse_size(optarg, 1, &u) < 0 || u < (1 << 20)) {
				fprintf(stderr, "error: --vm-disk: '%s' is not a disk size\n"
					"  hint: a size such as 20G or 512M\n", optarg);
				goto out;
			}
			p->vm.disk_size = u;
			break;
		case ':':
			fprintf(stderr, "provd profile add: %s needs a value\n", argv[optind - 1]);
			goto usage;
		default:
			fprintf(stderr, "provd profile add: unknown option '%s'\n", argv[optind - 1]);
			goto usage;
		}
		if (r < 0) {
			rc = EXIT_FAIL;
			goto out;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "provd profile add: %s\n", optind == argc ? "missing NAME" : "more than one NAME");
		goto usage;
	}
	if (!p->distro == !p->parent) {
		fprintf(stderr, "provd profile add: give exactly one of --distro and --parent\n");
		goto usage;
	}
	if (set_str(&p->name, argv[optind]) < 0) {
		rc = EXIT_FAIL;
		goto out;
	}
	rc = cli_obj_write(c, o, STORE_CREATE);
	if (rc == EXIT_OK && !c->json)
		printf("added profile %s\n", p->name);
	goto out;
usage:
	cli_verb_usage(stderr, "profile", add_usage, NULL);
	rc = EXIT_USAGE;
out:
	model_obj_free(o);
	return rc;
}

static int profile_list(struct cli *c, int argc, char **argv)
{
	return cli_obj_list(c, OBJ_PROFILE, argc, argv);
}

static int profile_show(struct cli *c, int argc, char **argv)
{
	return cli_obj_show(c, OBJ_PROFILE, argc, argv);
}

static int profile_edit(struct cli *c, int argc, char **argv)
{
	return cli_obj_edit(c, OBJ_PROFILE, argc, argv);
}

static int profile_remove(struct cli *c, int argc, char **argv)
{
	return cli_obj_remove(c, OBJ_PROFILE, argc, argv);
}

static const struct cli_verb verbs[] = {
	{ "add", profile_add, add_usage, "add a profile (distro or parent + autoinstall)" },
	{ "list", profile_list, "list", "list profiles" },
	{ "show", profile_show, "show NAME [--resolved]", "print a profile, or its merged view" },
	{ "edit", profile_edit, "edit NAME", "edit a profile in $EDITOR" },
	{ "remove", profile_remove, "remove NAME", "remove a profile (refused while in use)" },
	{ NULL, NULL, NULL, NULL },
};

int cli_profile(struct cli *c, int argc, char **argv)
{
	return cli_dispatch(c, "profile", verbs, argc, argv);
}
