/* cli_build_vm: `provd build-vm` and `provd rebuild` (what the nightly
 * timer runs). */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "provd/base/strparse.h"
#include "provd/cmd/build.h"
#include "provd/cmd/cli.h"
#include "provd/cmd/cli_obj.h"
#include "provd/core/resolve.h"
#include "provd/core/snapshot.h"

static void build_usage(FILE *f)
{
	fprintf(f,
		"usage: provd build-vm --profile P [--output FILE] [--format raw|qcow2]\n"
		"                      [--timeout SECONDS] [--hypervisor auto|builtin|qemu]\n"
		"                      [--accel kvm|tcg] [--append \"k=v ...\"] [--keep] [--json]\n"
		"\n"
		"Build a golden disk image: boot a VM from provd's own PXE service (the\n"
		"profile's installer and answer file) and wait for the install to call\n"
		"back 'done' and the guest to reboot. No root needed: the VM uses user-mode\n"
		"networking and reaches provd's in-process HTTP service as 10.0.2.2.\n"
		"\n"
		"  --profile P       profile to install (its vm: memory, vcpus, disk_size,\n"
		"                    disk_format apply; defaults 2048 MiB, 2 vCPUs, 20G, raw)\n"
		"  --output FILE     where the image goes (default <state>/images/P.FORMAT);\n"
		"                    replaced atomically only when the build succeeds, with a\n"
		"                    manifest beside it (FILE.json)\n"
		"  --format F        raw or qcow2 (qcow2 through qemu-img convert)\n"
		"  --timeout S       give up after S seconds (default 14400)\n"
		"  --hypervisor H    auto (default), builtin or qemu; auto says what it chose\n"
		"  --accel A         qemu accelerator: kvm or tcg (default: kvm when usable)\n"
		"  --append S        extra kernel arguments for this build\n"
		"  --keep            keep the transient system and a failed build's disk\n"
		"  --json            print the manifest as JSON when done\n"
		"\n"
		"Logs: <state>/builds/ID/ (console.log, status, manifest.json).\n"
		"Exit status: 0 built, 1 failed (the previous image stays), 2 usage.\n");
}

static int parse_build_opts(int argc, char **argv, struct build_opts *o, bool need_profile)
{
	static const struct option opts[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'f' },
		{ "timeout", required_argument, NULL, 't' },
		{ "hypervisor", required_argument, NULL, 'H' },
		{ "accel", required_argument, NULL, 'a' },
		{ "append", required_argument, NULL, 'A' },
		{ "keep", no_argument, NULL, 'k' },
		{ "all", no_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int ch;

	optind = 0;	/* 0: full re-init, so GNU getopt permutes again after main's "+" */
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'p': o->profile = optarg; break;
		case 'o': o->output = optarg; break;
		case 'f':
			if (strcmp(optarg, "raw") != 0 && strcmp(optarg, "qcow2") != 0) {
				fprintf(stderr, "provd: --format must be raw or qcow2, not '%s'\n", optarg);
				return EXIT_USAGE;
			}
			o->format = optarg;
			break;
		case 't':
			if (parse_u64(optarg, 1, 7 * 24 * 3600, &v) < 0) {
				fprintf(stderr, "provd: --timeout wants seconds (1..604800), not '%s'\n", optarg);
				return EXIT_USAGE;
			}
			o->timeout_s = (unsigned)v;
			break;
		case 'H': o->hypervisor = optarg; break;
		case 'a': o->accel = optarg; break;
		case 'A': o->append = optarg; break;
		case 'k': o->keep_system = true; break;
		case 'L': o->profile = NULL; break;
		case 'h': return -1;
		default: return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "provd: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (need_profile && !o->profile) {
		fprintf(stderr, "provd: build-vm needs --profile P\n  hint: `provd profile list` shows the profiles\n");
		return EXIT_USAGE;
	}
	return 0;
}

int cli_build_vm(struct cli *c, int argc, char **argv)
{
	struct build_opts o = { .state_dir = c->state_dir, .json = c->json };
	int r;

	if (cli_wants_help(argc, argv)) {
		build_usage(stdout);
		return EXIT_OK;
	}
	r = parse_build_opts(argc, argv, &o, true);
	if (r != 0) {
		if (r == EXIT_USAGE)
			build_usage(stderr);
		return EXIT_USAGE;
	}
	o.progress = isatty(STDERR_FILENO);
	return build_vm_run(&o);
}

static void rebuild_usage(FILE *f)
{
	fprintf(f,
		"usage: provd rebuild --all | --profile P  [build-vm options]\n"
		"\n"
		"Rebuild golden images (what the nightly timer runs). --all builds every\n"
		"profile that has a vm: section and an autoinstall template, one after\n"
		"another; a failed build keeps the last good image. Exit 1 if any failed.\n");
}

int cli_rebuild(struct cli *c, int argc, char **argv)
{
	struct build_opts o = { .state_dir = c->state_dir, .json = c->json };
	bool all = false;
	struct snapshot *s;
	int failed = 0, built = 0;

	if (cli_wants_help(argc, argv)) {
		rebuild_usage(stdout);
		return EXIT_OK;
	}
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--all") == 0)
			all = true;
	if (parse_build_opts(argc, argv, &o, false) != 0 || (!all && !o.profile) ||
	    (all && o.profile) || o.output) {
		rebuild_usage(stderr);
		return EXIT_USAGE;
	}
	o.progress = isatty(STDERR_FILENO);
	if (!all)
		return build_vm_run(&o);
	s = cli_snapshot(c);
	if (!s)
		return EXIT_FAIL;
	for (size_t i = 0; i < snapshot_count(s, OBJ_PROFILE); i++) {
		const struct profile *p = snapshot_profile_at(s, i);
		struct resolved *res = NULL;
		bool wanted = false;

		if (resolve_profile(s, p->name, &res) == 0)
			wanted = res->autoinstall.value &&
				 (res->vm_memory_mib.value || res->vm_vcpus.value || res->vm_disk_size.value);
		resolved_free(res);
		if (!wanted)
			continue;
		o.profile = p->name;
		fprintf(stderr, "provd: rebuild: profile %s\n", p->name);
		if (build_vm_run(&o) != 0)
			failed++;
		built++;
	}
	snapshot_unref(s);
	fprintf(stderr, "provd: rebuild: %d built, %d failed\n", built - failed, failed);
	return failed ? EXIT_FAIL : EXIT_OK;
}
