/* cli_obj: what the distro, profile and system commands share — verb
 * dispatch, diagnostics, and the generic list/show/edit/remove verbs. */
#ifndef PROVD_CMD_CLI_OBJ_H
#define PROVD_CMD_CLI_OBJ_H

#include "provd/base/err.h"
#include "provd/cmd/cli.h"
#include "provd/core/model.h"
#include "provd/core/snapshot.h"
#include "provd/core/store.h"

struct cli_verb {
	const char *name;
	int (*fn)(struct cli *c, int argc, char **argv);	/* argv[0] = verb */
	const char *usage;	/* "add NAME --kernel PATH|URL ..." */
	const char *summary;
};

/* Run the verb in argv[1] from verbs (NULL-terminated); prints help for
 * `provd NOUN --help` and usage errors. */
int cli_dispatch(struct cli *c, const char *noun, const struct cli_verb *verbs,
		 int argc, char **argv);
/* Print "usage: provd NOUN USAGE" plus the option help text to f. */
void cli_verb_usage(FILE *f, const char *noun, const char *usage, const char *help);

void cli_print_diags(const struct diags *d);
/* Load the snapshot, printing diagnostics on failure (NULL). */
struct snapshot *cli_snapshot(struct cli *c);
/* Load leniently for list/show (snapshot_load_lenient): prints focus_file's
 * errors in full and a count of the others; *valid false when there were
 * any. NULL only on system errors. */
struct snapshot *cli_snapshot_view(struct cli *c, const char *focus_file, bool *valid);
/* Write an object (store_put), print diagnostics, run cli_after_change. */
int cli_obj_write(struct cli *c, const struct obj *o, enum store_mode mode);

/* Generic verbs; argv[0] is the verb. */
int cli_obj_list(struct cli *c, enum obj_kind kind, int argc, char **argv);
int cli_obj_show(struct cli *c, enum obj_kind kind, int argc, char **argv);
int cli_obj_edit(struct cli *c, enum obj_kind kind, int argc, char **argv);
int cli_obj_remove(struct cli *c, enum obj_kind kind, int argc, char **argv);

/* Parse "K=V" into key/value (value may be empty; "-K" removes). 0 or -EINVAL. */
int cli_meta_add(struct kvmap *m, const char *arg);

#endif
