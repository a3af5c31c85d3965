/* cli_check: `provd check` validates every object and the server config
 * (reporting every error with file:line:col and a hint) without serving
 * anything, like `httpd -n`. Template rendering for every system is added
 * by the template owners below the object checks. */
#include "config.h"

#include <stdlib.h>

#include "provd/core/baseurl.h"
#include "provd/core/render.h"

#include <jansson.h>
#include <stdio.h>

#include "provd/cmd/cli_obj.h"

static const char check_help[] =
	"usage: provd [--state DIR] check [--json]\n"
	"\n"
	"Validates provd.yaml and every distro, profile and system: unknown keys,\n"
	"wrong types, bad names and MACs, duplicate MACs, dangling references,\n"
	"inheritance cycles and unreadable kernel/initrd files. Prints every\n"
	"problem as file:line:col: error: ... with a hint; exits 1 if any.\n";

static json_t *diags_json(const struct diags *d)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < d->n; i++) {
		const struct diag *g = &d->v[i];
		json_t *o = json_object();
		json_object_set_new(o, "file", g->file ? json_string(g->file) : json_null());
		json_object_set_new(o, "line", json_integer(g->line));
		json_object_set_new(o, "column", json_integer(g->col));
		json_object_set_new(o, "message", json_string(g->msg));
		json_object_set_new(o, "hint", g->hint ? json_string(g->hint) : json_null());
		json_array_append_new(a, o);
	}
	return a;
}

int cli_check(struct cli *c, int argc, char **argv)
{
	struct diags d = { 0 };
	struct snapshot *s;
	int rc;

	if (cli_wants_help(argc, argv)) {
		fputs(check_help, stdout);
		return EXIT_OK;
	}
	if (argc != 1) {
		fputs(check_help, stderr);
		return EXIT_USAGE;
	}
	s = snapshot_load(c->state_dir, &d);
	/* Templates: compile each one used and render every system's and
	 * profile's files, so a bad edit is caught here, not by a machine
	 * halfway through its install. */
	if (s) {
		char *url = base_url_pick(snapshot_config(s), NULL);
		render_check_all(s, url ? url : "http://127.0.0.1:8080", &d);
		free(url);
	}
	rc = s && d.n == 0 ? EXIT_OK : EXIT_FAIL;
	if (c->json) {
		json_t *o = json_object();
		json_object_set_new(o, "ok", json_boolean(rc == EXIT_OK));
		json_object_set_new(o, "distros", json_integer(s ? (json_int_t)snapshot_count(s, OBJ_DISTRO) : 0));
		json_object_set_new(o, "profiles", json_integer(s ? (json_int_t)snapshot_count(s, OBJ_PROFILE) : 0));
		json_object_set_new(o, "systems", json_integer(s ? (json_int_t)snapshot_count(s, OBJ_SYSTEM) : 0));
		json_object_set_new(o, "errors", diags_json(&d));
		json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(o);
	} else {
		cli_print_diags(&d);
		if (rc == EXIT_OK)
			printf("ok: %zu distros, %zu profiles, %zu systems\n",
			       snapshot_count(s, OBJ_DISTRO), snapshot_count(s, OBJ_PROFILE),
			       snapshot_count(s, OBJ_SYSTEM));
		else
			fprintf(stderr, "%zu error%s\n", d.n, d.n == 1 ? "" : "s");
	}
	snapshot_unref(s);
	diags_clear(&d);
	return rc;
}
