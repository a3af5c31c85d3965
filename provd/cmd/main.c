/* main: global options, state directory resolution, noun dispatch. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "provd/base/log.h"
#include "provd/cmd/cli.h"

struct noun {
	const char *name;
	cli_fn *fn;
	const char *summary;
};

/* Handlers are added here as they land. */
static const struct noun nouns[] = {
	{ "init", cli_init, "create the state directory, provd.yaml and secrets" },
	{ "distro", cli_distro, "kernels and initrds: add, import, list, show, edit, remove" },
	{ "profile", cli_profile, "what to install: add, list, show [--resolved], edit, remove" },
	{ "system", cli_system, "machines by MAC: add, list, show [--resolved], edit, remove" },
	{ "check", cli_check, "validate every object and template without serving" },
	{ "serve", cli_serve, "serve PXE boot over HTTP, TFTP and DHCP (foreground daemon)" },
	{ "events", cli_events, "show the event timeline (DHCP, boot files, answers, install callbacks)" },
	{ "render", cli_render, "print a rendered answer file, pxelinux/iPXE/GRUB config" },
	{ "sync", cli_sync, "re-render the TFTP tree from the whole state (normally never needed)" },
	{ "vm", cli_vm, "run one VM on provd's own KVM hypervisor (vm run --kernel ...)" },
	{ "build-vm", cli_build_vm, "build a golden VM image by network-booting the profile's installer" },
	{ "rebuild", cli_rebuild, "rebuild images of every profile (--all) or one (nightly timer)" },
	{ NULL, NULL, NULL },
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: provd [--state DIR] [--log-level LEVEL] [--json] NOUN VERB [ARGS...]\n"
		"\n"
		"provd serves PXE boot (DHCP, TFTP, HTTP), renders kickstart and preseed\n"
		"answers, and builds golden VM images with its own KVM hypervisor.\n"
		"\n"
		"Commands:\n");
	for (const struct noun *n = nouns; n->name; n++)
		fprintf(f, "  %-10s %s\n", n->name, n->summary);
	fprintf(f,
		"\n"
		"Global options:\n"
		"  --state DIR        state directory (default: $PROVD_STATE, /var/lib/provd\n"
		"                     as root, else $XDG_DATA_HOME/provd)\n"
		"  --log-level LEVEL  error, warn, info (default) or debug\n"
		"  --json             machine-readable output\n"
		"  -h, --help         this help; `provd NOUN --help` for a command\n"
		"  -V, --version      print the version\n"
		"\n"
		"See provd(1).\n");
}

static char *default_state_dir(void)
{
	const char *env = getenv("PROVD_STATE");
	const char *xdg, *home;
	char *s = NULL;

	if (env && *env)
		return strdup(env);
	if (geteuid() == 0)
		return strdup("/var/lib/provd");
	xdg = getenv("XDG_DATA_HOME");
	if (xdg && *xdg) {
		if (asprintf(&s, "%s/provd", xdg) < 0)
			return NULL;
		return s;
	}
	home = getenv("HOME");
	if (asprintf(&s, "%s/.local/share/provd", home ? home : ".") < 0)
		return NULL;
	return s;
}

int cli_take_json(struct cli *c, int argc, char **argv)
{
	int o = 0;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			c->json = true;
			continue;
		}
		argv[o++] = argv[i];
	}
	argv[o] = NULL;
	return o;
}

bool cli_wants_help(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return true;
	return false;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli c = { .argv0 = argv[0] };
	char *state = NULL;
	int ch, rc;

	/* '+': stop at the noun; its options belong to the handler. */
	while ((ch = getopt_long(argc, argv, "+hV", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			free(state);
			state = strdup(optarg);
			break;
		case 'l': {
			enum log_level lvl;
			if (log_parse_level(optarg, &lvl) < 0) {
				fprintf(stderr, "provd: unknown log level '%s' (use error, warn, info or debug)\n", optarg);
				return EXIT_USAGE;
			}
			log_set_level(lvl);
			break;
		}
		case 'j':
			c.json = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("provd %s\n", PACKAGE_VERSION);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!state)
		state = default_state_dir();
	c.state_dir = state;
	for (const struct noun *n = nouns; n->name; n++) {
		if (strcmp(n->name, argv[optind]) == 0) {
			int sub_argc = cli_take_json(&c, argc - optind, argv + optind);
			rc = n->fn(&c, sub_argc, argv + optind);
			free(state);
			return rc;
		}
	}
	fprintf(stderr, "provd: unknown command '%s'\n  hint: run `provd --help` for the list\n", argv[optind]);
	free(state);
	return EXIT_USAGE;
}
