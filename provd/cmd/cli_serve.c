/* cli_serve: `provd serve` — parse flags, hand over to daemon_run(). */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provd/base/strparse.h"
#include "provd/cmd/cli.h"
#include "provd/cmd/daemon.h"

static void serve_usage(FILE *f)
{
	fprintf(f,
		"usage: provd serve [--http ADDR:PORT] [--tftp ADDR:PORT | --no-tftp]\n"
		"                   [--dhcp IFACE --dhcp-mode proxy|full [--dhcp-range START-END]]\n"
		"                   [--dhcp-rate N] [--ra on|off] [--ra-prefix PREFIX/LEN]\n"
		"                   [--grace SECONDS] [--no-watch]\n"
		"\n"
		"Serve PXE boot (HTTP, TFTP, DHCP) from the state directory in the\n"
		"foreground; logs go to stderr. Flags override provd.yaml.\n"
		"SIGHUP (or any change to the state's YAML) reloads; a broken state is\n"
		"refused and the previous one keeps serving. SIGTERM/SIGINT stop after\n"
		"in-flight transfers finish (at most --grace seconds, default 10).\n"
		"--ra: IPv6 router advertisements on the DHCP interface (dhcp.ra;\n"
		"default: on in full mode; they spare PXE firmware its wait for IPv6),\n"
		"announcing --ra-prefix (dhcp.ra_prefix, e.g. 2001:db8::/64) for\n"
		"stateless autoconfiguration.\n"
		"--dhcp-rate: requests answered per MAC per 10 s (dhcp.rate; default 30;\n"
		"0: no limit, for benchmarks and relays that funnel many clients).\n");
}

int cli_serve(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "http", required_argument, NULL, 'H' },
		{ "tftp", required_argument, NULL, 'T' },
		{ "no-tftp", no_argument, NULL, 'N' },
		{ "dhcp", required_argument, NULL, 'D' },
		{ "dhcp-mode", required_argument, NULL, 'M' },
		{ "dhcp-range", required_argument, NULL, 'R' },
		{ "ra", required_argument, NULL, 'r' },
		{ "ra-prefix", required_argument, NULL, 'P' },
		{ "dhcp-rate", required_argument, NULL, 'L' },
		{ "grace", required_argument, NULL, 'g' },
		{ "no-watch", no_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon_opts o = { .state_dir = c->state_dir };
	uint64_t v;
	int ch;

	optind = 0;	/* re-initialise getopt for the sub-command */
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'H': o.http_listen = optarg; break;
		case 'T': o.tftp_listen = optarg; break;
		case 'N': o.no_tftp = true; break;
		case 'D': o.dhcp_iface = optarg; break;
		case 'M':
			if (strcmp(optarg, "proxy") && strcmp(optarg, "full") && strcmp(optarg, "off")) {
				fprintf(stderr, "provd serve: --dhcp-mode must be proxy, full or off\n");
				return EXIT_USAGE;
			}
			o.dhcp_mode = optarg;
			break;
		case 'R': o.dhcp_range = optarg; break;
		case 'r':
			if (strcmp(optarg, "on") && strcmp(optarg, "off")) {
				fprintf(stderr, "provd serve: --ra must be on or off\n");
				return EXIT_USAGE;
			}
			o.ra = optarg;
			break;
		case 'P': o.ra_prefix = optarg; break;
		case 'L':
			if (parse_u64(optarg, 0, 100000, &v) < 0) {
				fprintf(stderr, "provd serve: --dhcp-rate wants requests per MAC per 10 s (0: no limit)\n");
				return EXIT_USAGE;
			}
			o.dhcp_rate = (unsigned)v;
			o.dhcp_rate_set = true;
			break;
		case 'g':
			if (parse_u64(optarg, 0, 3600, &v) < 0) {
				fprintf(stderr, "provd serve: --grace wants seconds (0-3600)\n");
				return EXIT_USAGE;
			}
			o.grace_s = (unsigned)v;
			break;
		case 'W': o.no_watch = true; break;
		case 'h': serve_usage(stdout); return EXIT_OK;
		default: serve_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "provd serve: unexpected argument '%s'\n", argv[optind]);
		serve_usage(stderr);
		return EXIT_USAGE;
	}
	if (o.dhcp_mode && strcmp(o.dhcp_mode, "off") != 0 && !o.dhcp_iface) {
		fprintf(stderr, "provd serve: --dhcp-mode needs --dhcp IFACE\n");
		return EXIT_USAGE;
	}
	return daemon_run(&o) == 0 ? EXIT_OK : EXIT_FAIL;
}
