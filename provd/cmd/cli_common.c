/* cli_common: verb dispatch, diagnostics, writes and the after-change hook
 * shared by every object command. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provd/cmd/cli_obj.h"
#include "provd/cmd/daemon.h"
#include "provd/core/baseurl.h"
#include "tftp/tree.h"

int cli_after_change(struct cli *c)
{
	struct diags d = { 0 };
	struct snapshot *s = c->snap ? c->snap : snapshot_load(c->state_dir, &d);

	c->snap = NULL;
	int r;

	/* Boot files and a running daemon follow the new state here (tftp and
	 * http teams extend this). The write already committed, so a failure
	 * to load is reported but does not undo it. */
	if (!s) {
		cli_print_diags(&d);
		diags_clear(&d);
		return EXIT_FAIL;
	}
	diags_clear(&d);
	/* With no daemon running, bring the TFTP tree up to date here; a
	 * running daemon does it itself on reload (with its own base URL). */
	if (daemon_running(c->state_dir) == 0) {
		char *url = base_url_pick(snapshot_config(s), NULL);
		struct tftp_tree_stats st = { 0 };
		/* One system's change touches only its files (milliseconds at
		 * 10,000 systems); anything else re-renders what changed. */
		if (url && tftp_tree_apply_change(s, c->changed_system ? OBJ_SYSTEM : OBJ_PROFILE,
						  c->changed_system, url, &st, &d) < 0) {
			fprintf(stderr, "provd: warning: the TFTP tree could not be fully updated:\n");
			cli_print_diags(&d);
		}
		diags_clear(&d);
		free(url);
	}
	snapshot_unref(s);
	/* A running `provd serve` on this state reloads now, and we wait for
	 * it so the edit is served when this command returns. */
	r = daemon_notify(c->state_dir, 3000);
	if (r == -ETIMEDOUT)
		fprintf(stderr, "provd: warning: the running daemon did not confirm the reload within 3 s\n");
	else if (r < 0)
		fprintf(stderr, "provd: warning: cannot notify the running daemon: %s\n", strerror(-r));
	return EXIT_OK;
}

void cli_print_diags(const struct diags *d)
{
	diags_print(d, stderr);
}

struct snapshot *cli_snapshot(struct cli *c)
{
	struct diags d = { 0 };
	struct snapshot *s = snapshot_load(c->state_dir, &d);

	if (!s) {
		cli_print_diags(&d);
		fprintf(stderr, "provd: the state in %s is invalid; fix the files above "
			"(`provd check` lists every problem)\n", c->state_dir);
	}
	diags_clear(&d);
	return s;
}

static const char *obj_name_of(const struct obj *o)
{
	switch (o->kind) {
	case OBJ_DISTRO: return o->u.distro.name;
	case OBJ_PROFILE: return o->u.profile.name;
	case OBJ_SYSTEM: return o->u.system.name;
	}
	return "";
}

struct snapshot *cli_snapshot_view(struct cli *c, const char *focus_file, bool *valid)
{
	struct diags d = { 0 }, mine = { 0 };
	struct snapshot *s = snapshot_load_lenient(c->state_dir, &d, valid);
	size_t others = 0;

	/* A read-only view still works on a partly broken state: print the
	 * errors of the object asked about, count the rest. */
	for (size_t i = 0; i < d.n; i++) {
		const struct diag *g = &d.v[i];
		if (focus_file && g->file && strcmp(g->file, focus_file) == 0)
			diags_add(&mine, g->file, g->line, g->col, g->hint, "%s", g->msg);
		else
			others++;
	}
	cli_print_diags(&mine);
	if (!s)
		cli_print_diags(&d);
	else if (others)
		fprintf(stderr, "provd: warning: the state has %zu error%s elsewhere; showing what loaded "
			"(`provd check` lists them)\n", others, others == 1 ? "" : "s");
	diags_clear(&mine);
	diags_clear(&d);
	return s;
}

int cli_obj_write(struct cli *c, const struct obj *o, enum store_mode mode)
{
	struct diags d = { 0 };
	int r = store_put(c->state_dir, o, mode, &d, &c->snap);
	char *path = store_obj_path(c->state_dir, o->kind, obj_name_of(o));

	c->changed_system = o->kind == OBJ_SYSTEM ? o->u.system.name : NULL;

	/* A new object built from command-line options has no file yet:
	 * positions in the never-written YAML would only confuse, and each
	 * message already names its key. */
	for (size_t i = 0; path && r < 0 && mode == STORE_CREATE && i < d.n; i++) {
		if (d.v[i].file && strcmp(d.v[i].file, path) == 0) {
			free(d.v[i].file);
			d.v[i].file = NULL;
			d.v[i].line = d.v[i].col = 0;
		}
	}
	free(path);
	cli_print_diags(&d);
	diags_clear(&d);
	if (r < 0) {
		if (r == -ENOMEM)
			fprintf(stderr, "provd: out of memory\n");
		return EXIT_FAIL;
	}
	return cli_after_change(c);
}

int cli_meta_add(struct kvmap *m, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char key[256];
	bool remove = arg[0] == '-';
	const char *k = remove ? arg + 1 : arg;
	size_t n = eq ? (size_t)(eq - k) : strlen(k);

	if (n == 0 || n >= sizeof(key) || (remove && eq) || (!remove && !eq))
		return -EINVAL;
	memcpy(key, k, n);
	key[n] = '\0';
	if (!(key[0] == '_' || (key[0] >= 'A' && key[0] <= 'Z') || (key[0] >= 'a' && key[0] <= 'z')))
		return -EINVAL;
	for (size_t i = 1; i < n; i++) {
		char ch = key[i];
		if (!(ch == '_' || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')))
			return -EINVAL;
	}
	return kvmap_set(m, key, remove ? NULL : eq + 1, remove);
}

void cli_verb_usage(FILE *f, const char *noun, const char *usage, const char *help)
{
	fprintf(f, "usage: provd %s %s\n", noun, usage);
	if (help)
		fprintf(f, "\n%s", help);
}

static void noun_help(FILE *f, const char *noun, const struct cli_verb *verbs)
{
	fprintf(f, "usage: provd %s VERB [ARGS...]\n\nVerbs:\n", noun);
	for (const struct cli_verb *v = verbs; v->name; v++)
		fprintf(f, "  %-8s %s\n", v->name, v->summary);
	fprintf(f, "\n`provd %s VERB --help` for a verb's options; --json for machine output.\n", noun);
}

int cli_dispatch(struct cli *c, const char *noun, const struct cli_verb *verbs,
		 int argc, char **argv)
{
	if (argc < 2) {
		noun_help(stderr, noun, verbs);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
		noun_help(stdout, noun, verbs);
		return EXIT_OK;
	}
	for (const struct cli_verb *v = verbs; v->name; v++)
		if (strcmp(v->name, argv[1]) == 0)
			return v->fn(c, argc - 1, argv + 1);
	fprintf(stderr, "provd %s: unknown verb '%s'\n  hint: `provd %s --help` lists them\n",
		noun, argv[1], noun);
	return EXIT_USAGE;
}
