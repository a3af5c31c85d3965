/* fuzz_render: what an admin or API client writes flows into boot files.
 * The input is a system object's YAML; when the state with it validates, its
 * pxelinux config, iPXE script, GRUB config and answer file are rendered with
 * the shipped templates. Whatever is written must not crash the renderers,
 * and no rendered pxelinux line may carry a newline from a value (a value
 * could otherwise add its own KERNEL/APPEND lines). */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "provd/base/fsutil.h"
#include "provd/core/render.h"
#include "provd/core/snapshot.h"
#include "provd/core/tmpl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char state[64];

/* the state folder goes with the process (replay runs it at every make
 * check) */
static void remove_state(void)
{
	char cmd[128];

	if (state[0] && strncmp(state, "/tmp/provd-fuzz-render-", 23) == 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", state);
		if (system(cmd) != 0)
			fprintf(stderr, "fuzz_render: could not remove %s\n", state);
	}
}

static void make_state(void)
{
	char *p;

	snprintf(state, sizeof(state), "/tmp/provd-fuzz-render-%d", (int)getpid());
	atexit(remove_state);
	p = path_join(state, "files/d");
	fs_mkdir_p(p, 0755);
	free(p);
	p = path_join(state, "distros");
	fs_mkdir_p(p, 0755);
	free(p);
	p = path_join(state, "profiles");
	fs_mkdir_p(p, 0755);
	free(p);
	p = path_join(state, "systems");
	fs_mkdir_p(p, 0755);
	free(p);
#define PUT(rel, text)                                              \
	do {                                                        \
		char *q = path_join(state, rel);                    \
		fs_write_atomic(q, text, strlen(text), 0644);       \
		free(q);                                            \
	} while (0)
	PUT("files/d/linux", "k");
	PUT("files/d/initrd.gz", "i");
	PUT("secret", "00112233445566778899aabbccddeeff");
	PUT("provd.yaml", "base_url: http://192.0.2.1:8080\n");
	PUT("distros/d.yaml", "kernel: d/linux\ninitrd: d/initrd.gz\nbreed: debian\n");
	PUT("profiles/p.yaml", "distro: d\nautoinstall: preseed/debian.cfg\n");
#undef PUT
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diags d = { 0 };
	struct snapshot *s;
	struct buf b;

	if (!state[0])
		make_state();
	if (size > (1 << 14))
		return 0;
	s = snapshot_load_with(state, OBJ_SYSTEM, "fz", (const char *)data, size, &d);
	diags_clear(&d);
	if (!s)
		return 0;
	buf_init(&b, TMPL_OUTPUT_MAX);
	if (render_pxelinux_system(s, "fz", "http://192.0.2.1:8080", &b, &d) == 0) {
		/* Every line must be one the template wrote: its lines start
		 * with '#', a keyword or two spaces of indentation. */
		for (const char *l = buf_str(&b); *l;) {
			const char *e = strchr(l, '\n');
			if (l[0] && l[0] != '#' && l[0] != ' ' && strncmp(l, "DEFAULT", 7) &&
			    strncmp(l, "PROMPT", 6) && strncmp(l, "LABEL", 5))
				abort();
			if (!e)
				break;
			l = e + 1;
		}
	}
	diags_clear(&d);
	buf_reset(&b);
	render_ipxe(s, "fz", "http://192.0.2.1:8080", &b, &d);
	diags_clear(&d);
	buf_reset(&b);
	render_grub(s, "fz", "http://192.0.2.1:8080", &b, &d);
	diags_clear(&d);
	buf_reset(&b);
	render_autoinstall(s, OBJ_SYSTEM, "fz", "http://192.0.2.1:8080", &b, &d);
	diags_clear(&d);
	buf_free(&b);
	snapshot_unref(s);
	return 0;
}
