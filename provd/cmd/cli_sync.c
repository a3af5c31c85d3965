/* cli_sync: `provd sync` — full re-render of the TFTP tree. Normally never
 * needed: every change updates exactly the affected boot files at once. */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "provd/cmd/cli.h"
#include "provd/cmd/cli_obj.h"
#include "provd/core/baseurl.h"
#include "provd/core/snapshot.h"
#include "tftp/tree.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: provd sync [--base-url URL] [--json]\n"
		"\n"
		"Re-render the TFTP tree (<state>/tftp) from the whole state: loaders,\n"
		"pxelinux and GRUB configs per system, kernels and initrds. Only files\n"
		"whose content changed are rewritten; stale ones are removed. Normally\n"
		"never needed: every change already updates the affected files.\n"
		"\n"
		"  --base-url URL  URL boot files point installers at (default: provd.yaml\n"
		"                  base_url, else http://SERVER_ADDRESS:PORT, else this\n"
		"                  host's first IPv4 address)\n");
}

#define SHOW_MAX 50	/* changed files listed in text output; the rest counted */
#define JSON_MAX 1000	/* and in --json output ("changes_truncated") */

struct changes {
	bool json;
	size_t n;
	json_t *list;
};

static void on_change(char what, const char *rel, void *arg)
{
	struct changes *ch = arg;
	const char *verb = what == 'W' ? "written" : what == 'L' ? "linked" : "removed";

	ch->n++;
	if (ch->json) {
		if (ch->n <= JSON_MAX)
			json_array_append_new(ch->list, json_pack("{s:s, s:s}", "file", rel, "action", verb));
	} else if (ch->n <= SHOW_MAX) {
		printf("  %-7s %s\n", verb, rel);
	}
}

int cli_sync(struct cli *c, int argc, char **argv)
{
	const char *base = NULL;
	struct snapshot *s;
	struct diags d = { 0 };
	struct tftp_tree_stats st = { 0 };
	struct changes ch = { 0 };
	struct timespec t0, t1;
	char *url;
	int r;

	if (cli_wants_help(argc, argv)) {
		usage(stdout);
		return EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--base-url") == 0 && i + 1 < argc) {
			base = argv[++i];
		} else {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	ch.json = c->json;
	ch.list = c->json ? json_array() : NULL;
	st.on_change = on_change;
	st.arg = &ch;
	s = cli_snapshot(c);
	if (!s) {
		json_decref(ch.list);
		return EXIT_FAIL;
	}
	url = base ? strdup(base) : base_url_pick(snapshot_config(s), NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = url ? tftp_tree_sync(s, url, &st, &d) : -1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	if (d.n)
		cli_print_diags(&d);
	if (c->json) {
		json_t *j = json_pack("{s:b, s:s, s:I, s:I, s:I, s:I, s:f}", "ok", r == 0,
				      "base_url", url ? url : "", "written", (json_int_t)st.written,
				      "linked", (json_int_t)st.linked, "removed", (json_int_t)st.removed,
				      "unchanged", (json_int_t)st.unchanged, "milliseconds", ms);
		json_object_set_new(j, "changes", ch.list);
		json_object_set_new(j, "changes_truncated", json_boolean(ch.n > JSON_MAX));
		ch.list = NULL;
		json_dumpf(j, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(j);
	} else {
		if (ch.n > SHOW_MAX)
			printf("  ... and %zu more\n", ch.n - SHOW_MAX);
		printf("sync: %zu written, %zu linked, %zu removed, %zu unchanged in %.1f ms (base URL %s)\n",
		       st.written, st.linked, st.removed, st.unchanged, ms, url ? url : "?");
	}
	diags_clear(&d);
	free(url);
	snapshot_unref(s);
	return r == 0 ? EXIT_OK : EXIT_FAIL;
}
