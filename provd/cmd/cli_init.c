/* cli_init: `provd init` creates the state directory layout, provd.yaml with
 * defaults, the server secret (per-system tokens) and the API bearer token. */
#include "config.h"

#include <stdio.h>

#include "provd/cmd/cli_obj.h"

static const char init_help[] =
	"usage: provd [--state DIR] init\n"
	"\n"
	"Creates DIR/{distros,profiles,systems,files,templates,builds,tftp},\n"
	"DIR/provd.yaml with defaults, DIR/secret (keys the per-system callback\n"
	"tokens) and DIR/api-token (bearer token for API writes), both mode 0600.\n"
	"Anything that already exists is left as it is, so init is safe to re-run.\n";

int cli_init(struct cli *c, int argc, char **argv)
{
	struct diags d = { 0 };
	int r;

	if (cli_wants_help(argc, argv)) {
		fputs(init_help, stdout);
		return EXIT_OK;
	}
	if (argc != 1) {
		fputs(init_help, stderr);
		return EXIT_USAGE;
	}
	r = store_init(c->state_dir, &d);
	cli_print_diags(&d);
	diags_clear(&d);
	if (r < 0)
		return EXIT_FAIL;
	if (!c->json)
		printf("initialised %s\n", c->state_dir);
	return EXIT_OK;
}
