/* cli: what every `provd NOUN VERB` handler gets, and the handlers.
 *
 * A handler returns the process exit status: 0 ok, 1 failure, 2 usage.
 * Handlers print `file:line:col: error: ...` plus a hint through diags_print
 * and never call exit() themselves. */
#ifndef PROVD_CMD_CLI_H
#define PROVD_CMD_CLI_H

#include <stdbool.h>

#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2

struct snapshot;

struct cli {
	const char *state_dir;	/* resolved: --state, $PROVD_STATE, /var/lib/provd, XDG */
	bool json;		/* --json given (global or after the verb) */
	const char *argv0;
	/* The validated new state a successful write produced (one reference),
	 * handed to cli_after_change() so it need not load it again; NULL
	 * otherwise. cli_after_change() releases it. */
	struct snapshot *snap;
	/* Set with snap when the write was to one system (its name, valid
	 * until cli_after_change() returns): the TFTP tree then updates only
	 * that system's files. NULL: distro/profile/unknown, full re-render. */
	const char *changed_system;
};

/* argv[0] is the noun ("distro"); argv[1] the verb, and so on. */
typedef int cli_fn(struct cli *c, int argc, char **argv);

cli_fn cli_init, cli_distro, cli_profile, cli_system, cli_render, cli_sync,
	cli_check, cli_serve, cli_vm, cli_build_vm, cli_rebuild, cli_events;

/* Called after every successful write of an object (provd/cmd/cli_common.c):
 * loads the new snapshot and brings derived state up to date (the tftp team
 * adds the incremental TFTP tree update, the http team a nudge to a running
 * daemon). 0 or an exit status. */
int cli_after_change(struct cli *c);

/* `provd distro import NAME --from DIR|URL` (provd/cmd/cli_import.c, tftp
 * team); argv[0] is "import". Hooked into cli_distro.c's verb table. */
int cli_distro_import(struct cli *c, int argc, char **argv);

/* Strip a "--json" anywhere in argv (sets c->json); returns the new argc. */
int cli_take_json(struct cli *c, int argc, char **argv);
/* True when argv holds -h or --help. */
bool cli_wants_help(int argc, char **argv);

#endif
