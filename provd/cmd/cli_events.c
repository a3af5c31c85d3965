/* cli_events: `provd events [--system N] [--mac M] [--kind K] [--limit N]
 * [--json]` — the event timeline (DHCP, boot files, answer files, install
 * callbacks, VM builds) read straight from <state>/events.log, so it works
 * with or without a running daemon. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "provd/base/err.h"
#include "provd/base/strparse.h"
#include "provd/cmd/cli.h"
#include "provd/core/events.h"

static void events_usage(FILE *f)
{
	fprintf(f,
		"usage: provd events [--system NAME] [--mac MAC] [--kind KIND] [--since TIME] [--limit N]\n"
		"                    [--follow] [--json]\n"
		"\n"
		"Show recorded events, oldest first: DHCP offers, boot and answer files\n"
		"served, install callbacks (install-start/-done/-failed), netboot changes,\n"
		"VM builds. With --system, events recorded for that system.\n"
		"  --system NAME  only this system\n"
		"  --mac MAC      only this MAC address\n"
		"  --kind KIND    only this kind (boot-file, answer-file, dhcp-offer, ...)\n"
		"  --limit N      only the newest N events\n"
		"  --since TIME   only events after TIME (2026-11-22T11:40:00.000Z, as printed by --json)\n"
		"  --follow, -f   keep running and print new events as they are recorded\n"
		"                 (like tail -F; stop with Ctrl-C)\n"
		"  --json         one JSON document {\"events\": [...]}; with --follow,\n"
		"                 one JSON object per line\n");
}

static json_t *event_json(const struct event *e);

static int print_json(const struct event_list *l)
{
	json_t *arr = json_array(), *root = json_object();
	char *s;

	if (!arr || !root) {
		json_decref(arr);
		json_decref(root);
		return -ENOMEM;
	}
	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(arr, event_json(&l->v[i]));
	json_object_set_new(root, "events", arr);
	s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (!s)
		return -ENOMEM;
	puts(s);
	free(s);
	return 0;
}

static json_t *event_json(const struct event *e)
{
	return json_pack("{s:s,s:o,s:o,s:s,s:s}", "time", e->time,
			 "system", e->system ? json_string(e->system) : json_null(),
			 "mac", e->mac ? json_string(e->mac) : json_null(),
			 "kind", e->kind, "detail", e->detail);
}

/* --follow output: text lines, or one compact JSON object per line. */
static void print_lines(const struct event_list *l, bool json, bool header)
{
	if (!json) {
		if (header)
			events_print(l, stdout);
		else
			for (size_t i = 0; i < l->n; i++)
				events_print_line(&l->v[i], stdout);
		return;
	}
	for (size_t i = 0; i < l->n; i++) {
		json_t *j = event_json(&l->v[i]);
		char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		if (s)
			puts(s);
		free(s);
		json_decref(j);
	}
}

static volatile sig_atomic_t follow_stop;

static void on_stop(int sig)
{
	follow_stop = 1;
}

static int follow(struct cli *c, const struct event_filter *f)
{
	struct event_follow *fw = NULL;
	struct sigaction sa = { .sa_handler = on_stop };
	int r;

	r = events_follow_open(c->state_dir, &fw);
	if (r < 0)
		return r;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	fflush(stdout);
	while (!follow_stop) {
		/* Polling keeps this portable and simple; 250 ms is well
		 * below what a human watching an install notices. */
		struct timespec ts = { 0, 250 * 1000 * 1000 };
		struct event_list l;

		r = events_follow_read(fw, f, &l);
		if (r < 0)
			break;
		print_lines(&l, c->json, false);
		event_list_free(&l);
		fflush(stdout);
		nanosleep(&ts, NULL);
	}
	events_follow_close(fw);
	return r < 0 ? r : 0;
}

int cli_events(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "system", required_argument, NULL, 's' },
		{ "mac", required_argument, NULL, 'm' },
		{ "kind", required_argument, NULL, 'k' },
		{ "limit", required_argument, NULL, 'n' },
		{ "since", required_argument, NULL, 'S' },
		{ "follow", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct event_filter f = { 0 };
	struct event_list l;
	bool do_follow = false;
	char mac[18];
	uint64_t n;
	int ch, r;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "hf", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			if (!name_valid(optarg)) {
				fprintf(stderr, "provd events: invalid system name '%s'\n"
					"  hint: names are 1-64 of A-Z a-z 0-9 . _ -\n", optarg);
				return EXIT_USAGE;
			}
			f.system = optarg;
			break;
		case 'm':
			if (mac_normalise(optarg, mac) < 0) {
				fprintf(stderr, "provd events: invalid MAC address '%s'\n"
					"  hint: write it as 52:54:00:12:34:56\n", optarg);
				return EXIT_USAGE;
			}
			f.mac = mac;
			break;
		case 'k':
			if (!event_kind_valid(optarg)) {
				fprintf(stderr, "provd events: invalid kind '%s'\n"
					"  hint: kinds look like boot-file, install-done\n", optarg);
				return EXIT_USAGE;
			}
			f.kind = optarg;
			break;
		case 'n':
			if (parse_u64(optarg, 1, 1000000, &n) < 0) {
				fprintf(stderr, "provd events: invalid --limit '%s'\n"
					"  hint: a number from 1 to 1000000\n", optarg);
				return EXIT_USAGE;
			}
			f.limit = (size_t)n;
			break;
		case 'S':
			f.since = optarg;
			break;
		case 'f':
			do_follow = true;
			break;
		case 'h':
			events_usage(stdout);
			return EXIT_OK;
		default:
			events_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "provd events: unexpected argument '%s'\n", argv[optind]);
		events_usage(stderr);
		return EXIT_USAGE;
	}
	r = events_read(c->state_dir, &f, &l);
	if (r < 0) {
		fprintf(stderr, "provd events: cannot read %s/%s: %s\n", c->state_dir,
			EVENTS_LOG_NAME, err_str(r));
		return EXIT_FAIL;
	}
	if (do_follow)
		print_lines(&l, c->json, true);
	else if (c->json)
		r = print_json(&l);
	else if (l.n == 0)
		printf("(no events)\n");
	else
		events_print(&l, stdout);
	event_list_free(&l);
	if (r == 0 && do_follow) {
		f.limit = 0;
		r = follow(c, &f);
		if (r < 0)
			fprintf(stderr, "provd events: following %s/%s: %s\n", c->state_dir,
				EVENTS_LOG_NAME, err_str(r));
	}
	return r < 0 ? EXIT_FAIL : EXIT_OK;
}
