/* render_bench: answer-file renders per second and TFTP tree sync times
 * for a state of N systems (default 10,000), built in a temp directory.
 *   bench/render/render_bench [N]
 * Prints one line per figure; bench/render/run.sh adds the comparison. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "provd/base/buf.h"
#include "provd/base/fsutil.h"
#include "provd/core/render.h"
#include "provd/core/snapshot.h"
#include "provd/core/store.h"
#include "provd/core/tmpl.h"
#include "tftp/tree.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void put(const char *dir, const char *rel, const char *text)
{
	char *p = path_join(dir, rel);

	if (fs_write_atomic(p, text, strlen(text), 0644) < 0) {
		perror(p);
		exit(1);
	}
	free(p);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10000;
	/* $TMPDIR picks the file system: this build machine's / is ext4
	 * without a journal, whose inode allocator skips every inode deleted
	 * in the last five minutes (recently_deleted()); a cold sync there
	 * measures how many files others deleted lately. */
	const char *tmpdir = getenv("TMPDIR");
	char dir[4096];
	struct diags d = { 0 };
	struct snapshot *s, *s2;
	struct tftp_tree_stats st = { 0 };
	struct buf b;
	char rel[128], text[512];
	double t0, t1;
	const char *base = "http://192.0.2.1:8080";

	snprintf(dir, sizeof(dir), "%s/provd-bench-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(dir) || store_init(dir, &d) < 0) {
		diags_print(&d, stderr);
		return 1;
	}
	{
		char *fd = path_join(dir, "files/d");
		fs_mkdir_p(fd, 0755);
		free(fd);
	}
	put(dir, "files/d/linux", "k");
	put(dir, "files/d/initrd.gz", "i");
	put(dir, "distros/d.yaml", "kernel: d/linux\ninitrd: d/initrd.gz\nbreed: debian\n");
	put(dir, "profiles/p.yaml", "distro: d\nautoinstall: preseed/debian.cfg\nmeta:\n  tasks: standard\n");
	for (int i = 0; i < n; i++) {
		snprintf(rel, sizeof(rel), "systems/s%05d.yaml", i);
		snprintf(text, sizeof(text), "profile: p\ninterfaces:\n  - mac: \"02:00:00:%02x:%02x:%02x\"\n",
			 (i >> 16) & 255, (i >> 8) & 255, i & 255);
		put(dir, rel, text);
	}
	t0 = now();
	s = snapshot_load(dir, &d);
	t1 = now();
	if (!s) {
		diags_print(&d, stderr);
		return 1;
	}
	printf("load+validate %d systems: %.1f ms\n", n, (t1 - t0) * 1e3);

	buf_init(&b, TMPL_OUTPUT_MAX);
	t0 = now();
	for (int i = 0; i < n; i++) {
		snprintf(rel, sizeof(rel), "s%05d", i);
		buf_reset(&b);
		if (render_autoinstall(s, OBJ_SYSTEM, rel, base, &b, &d) < 0) {
			diags_print(&d, stderr);
			return 1;
		}
	}
	t1 = now();
	printf("answer renders: %d in %.1f ms = %.0f renders/s (%zu bytes each)\n", n, (t1 - t0) * 1e3,
	       n / (t1 - t0), b.len);
	buf_free(&b);

	t0 = now();
	if (tftp_tree_sync(s, base, &st, &d) < 0)
		diags_print(&d, stderr);
	t1 = now();
	printf("sync cold: %.1f ms (%zu written, %zu linked)\n", (t1 - t0) * 1e3, st.written, st.linked);
	memset(&st, 0, sizeof(st));
	t0 = now();
	tftp_tree_sync(s, base, &st, &d);
	t1 = now();
	printf("sync, nothing changed: %.1f ms (%zu written, %zu unchanged)\n", (t1 - t0) * 1e3, st.written,
	       st.unchanged);

	/* One system changes: what every CLI/API write does. */
	put(dir, "systems/s00042.yaml", "profile: p\nnetboot: false\ninterfaces:\n  - mac: \"02:00:00:00:00:2a\"\n");
	s2 = snapshot_load(dir, &d);
	memset(&st, 0, sizeof(st));
	t0 = now();
	tftp_tree_update_system(s2, s, "s00042", base, &st, &d);
	t1 = now();
	printf("one system changed (update_system): %.2f ms (%zu written)\n", (t1 - t0) * 1e3, st.written);
	/* What the CLI does (no old snapshot): the system's files plus a scan
	 * for per-MAC files nobody owns; here the system also changes MAC. */
	put(dir, "systems/s00043.yaml", "profile: p\ninterfaces:\n  - mac: \"02:00:00:ff:00:2b\"\n");
	snapshot_unref(s);
	s = s2;
	s2 = snapshot_load(dir, &d);
	memset(&st, 0, sizeof(st));
	t0 = now();
	tftp_tree_apply_change(s2, OBJ_SYSTEM, "s00043", base, &st, &d);
	t1 = now();
	printf("one system changed MAC (apply_change, CLI path): %.2f ms (%zu written, %zu removed)\n",
	       (t1 - t0) * 1e3, st.written, st.removed);
	memset(&st, 0, sizeof(st));
	t0 = now();
	tftp_tree_apply_change(s2, OBJ_SYSTEM, "s00044", base, &st, &d);
	t1 = now();
	printf("  of which the orphan scan (apply_change, nothing to write): %.2f ms\n", (t1 - t0) * 1e3);
	/* What the daemon can do with its old snapshot: compare digests. */
	put(dir, "systems/s00045.yaml", "profile: p\nnetboot: false\ninterfaces:\n  - mac: \"02:00:00:00:00:2d\"\n");
	snapshot_unref(s);
	s = s2;
	s2 = snapshot_reload(s, &d);
	memset(&st, 0, sizeof(st));
	t0 = now();
	tftp_tree_update_diff(s2, s, base, &st, &d);
	t1 = now();
	printf("one system changed (update_diff, old vs new snapshot): %.2f ms (%zu written)\n",
	       (t1 - t0) * 1e3, st.written);
	snapshot_unref(s);
	snapshot_unref(s2);
	diags_clear(&d);
	{
		char cmd[4200];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return 0;
}
