/* tree: incremental rendering of the TFTP root (see tree.h). */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "provd/base/buf.h"
#include "provd/base/fsutil.h"
#include "provd/core/model.h"
#include "provd/core/render.h"
#include "provd/core/snapshot.h"
#include "tftp/tree.h"

#define BOOTFILE_MAX (1u << 20)	/* a rendered boot config larger than this is a bug */

/* Loaders and modules pxelinux needs: menu.c32 pulls libutil and libcom32. */
static const char *const bios_files[] = {
	"ldlinux.c32", "menu.c32", "vesamenu.c32", "libutil.c32", "libcom32.c32",
	"chain.c32", "reboot.c32",
};
static const char *const pxelinux_dirs[] = { "/usr/lib/PXELINUX", "/usr/share/syslinux" };
static const char *const module_dirs[] = { "/usr/lib/syslinux/modules/bios", "/usr/share/syslinux" };
static const char *const grub_images[] = {
	"/usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed",
	"/usr/lib/grub/x86_64-efi/monolithic/grubnetx64.efi",
};
/* A symlink to /boot/ipxe.efi in Debian's package: resolved before it is
 * linked, so the tree holds the file (in.tftpd chroots into the tree). */
#define IPXE_EFI_SRC "/usr/lib/ipxe/ipxe.efi"

void tftp_pxelinux_name(const char *mac, char out[21])
{
	/* pxelinux looks up "01-" (ARP type Ethernet) + the MAC with dashes. */
	snprintf(out, 21, "01-%.17s", mac);
	for (char *p = out + 3; *p; p++)
		if (*p == ':')
			*p = '-';
}

static char *tree_root(struct snapshot *snap)
{
	return path_join(snapshot_state_dir(snap), "tftp");
}

/* Full syncs batch their writes (one syncfs at the end); single-system
 * updates fsync their one or two files, cheaper than syncing the whole
 * file system. */
static __thread bool batch_writes;
/* A cold sync builds a new tree in an empty directory and renames it into
 * place: no file exists yet, so files are created in place (a reader cannot
 * see them before the directory rename), which is several times faster
 * than a temp file and a rename each on ext4. */
static __thread bool fresh_tree;

static int write_new(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	ssize_t k = 0;
	size_t off = 0;

	if (fd < 0)
		return -errno;
	while (off < len && (k = write(fd, data + off, len - off)) > 0)
		off += (size_t)k;
	if (close(fd) < 0 || k < 0)
		return -EIO;
	return 0;
}

/* Count a change and tell the caller's hook, if any. */
static void note(struct tftp_tree_stats *st, char what, const char *rel)
{
	switch (what) {
	case 'W': st->written++; break;
	case 'L': st->linked++; break;
	case 'R': st->removed++; break;
	}
	if (st->on_change)
		st->on_change(what, rel, st->arg);
}

/* Write rel under root when its content differs. */
static int put_file(const char *root, const char *rel, const char *data, size_t len,
		    struct tftp_tree_stats *st)
{
	char *path = path_join(root, rel), *old = NULL;
	size_t oldlen = 0;
	int r;

	if (!path)
		return -ENOMEM;
	if (fresh_tree) {
		r = write_new(path, data, len);
		if (r == 0)
			note(st, 'W', rel);
		free(path);
		return r;
	}
	if (fs_read_file(path, BOOTFILE_MAX, &old, &oldlen) == 0 && oldlen == len &&
	    memcmp(old, data, len) == 0) {
		st->unchanged++;
		r = 0;
	} else {
		/* No fsync per file: the tree is derived state, re-rendered
		 * at every daemon start; one syncfs() ends each batch. */
		r = batch_writes ? fs_write_replace(path, data, len, 0644)
				 : fs_write_atomic(path, data, len, 0644);
		if (r == 0)
			note(st, 'W', rel);
	}
	free(old);
	free(path);
	return r;
}

/* Make a batch of writes durable at once. */
static void sync_tree(const char *root, const struct tftp_tree_stats *st)
{
	int fd;

	if (!st->written && !st->linked)
		return;
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		syncfs(fd);
		close(fd);
	}
}

static int remove_file(const char *root, const char *rel, struct tftp_tree_stats *st)
{
	char *path = path_join(root, rel);
	int r = 0;

	if (!path)
		return -ENOMEM;
	if (unlink(path) == 0)
		note(st, 'R', rel);
	else if (errno != ENOENT)
		r = -errno;
	free(path);
	return r;
}

/* Hard link (or copy across file systems) src to root/rel unless it is
 * already that inode, or a same-size copy not older than src. */
static int put_link(const char *root, const char *rel, const char *src, struct tftp_tree_stats *st)
{
	char *dst = path_join(root, rel);
	struct stat s, t;
	int r = 0;

	if (!dst)
		return -ENOMEM;
	if (stat(src, &s) < 0) {
		r = -errno;
		goto out;
	}
	if (fresh_tree) {
		r = link(src, dst) == 0 ? 0 : fs_copy_file(src, dst, 0644);
		if (r == 0)
			note(st, 'L', rel);
		goto out;
	}
	if (stat(dst, &t) == 0 &&
	    ((s.st_ino == t.st_ino && s.st_dev == t.st_dev) ||
	     (s.st_size == t.st_size && t.st_mtime >= s.st_mtime))) {
		st->unchanged++;
		goto out;
	}
	r = fs_link_or_copy(src, dst, 0644);
	if (r == 0)
		note(st, 'L', rel);
out:
	free(dst);
	return r;
}

static const char *find_file(const char *const *dirs, size_t ndirs, const char *name, char *buf, size_t len)
{
	for (size_t i = 0; i < ndirs; i++) {
		snprintf(buf, len, "%s/%s", dirs[i], name);
		if (access(buf, R_OK) == 0)
			return buf;
	}
	return NULL;
}

static int put_loaders(const char *root, struct tftp_tree_stats *st, struct diags *d)
{
	char buf[512];
	int r;

	for (size_t i = 0; i < 2; i++) {
		const char *name = i == 0 ? "pxelinux.0" : "lpxelinux.0";
		const char *src = find_file(pxelinux_dirs, 2, name, buf, sizeof(buf));
		if (!src) {
			diags_add(d, NULL, 0, 0, "apt-get install pxelinux",
				  "%s not found in /usr/lib/PXELINUX: BIOS machines cannot boot", name);
			return -ENOENT;
		}
		if ((r = put_link(root, name, src, st)) < 0)
			return r;
	}
	for (size_t i = 0; i < sizeof(bios_files) / sizeof(bios_files[0]); i++) {
		const char *src = find_file(module_dirs, 2, bios_files[i], buf, sizeof(buf));
		if (!src) {
			diags_add(d, NULL, 0, 0, "apt-get install syslinux-common",
				  "%s not found in /usr/lib/syslinux/modules/bios", bios_files[i]);
			return -ENOENT;
		}
		if ((r = put_link(root, bios_files[i], src, st)) < 0)
			return r;
	}
	/* iPXE for UEFI is optional too (the DHCP server hands it out only
	 * when it is in the tree); drop a stale one when the package left. */
	{
		char *src = realpath(IPXE_EFI_SRC, NULL);
		r = src && access(src, R_OK) == 0 ? put_link(root, TFTP_IPXE_EFI, src, st)
						  : remove_file(root, TFTP_IPXE_EFI, st);
		free(src);
		if (r < 0)
			return r;
	}
	/* GRUB is optional: without it UEFI clients get no boot file, BIOS
	 * ones still work, so say so once and go on. */
	for (size_t i = 0; i < sizeof(grub_images) / sizeof(grub_images[0]); i++) {
		if (access(grub_images[i], R_OK) == 0)
			return put_link(root, TFTP_GRUB_IMAGE, grub_images[i], st);
	}
	return 0;
}

/* GRUB's netboot image sources $prefix/grub.cfg ((tftp)/grub): dispatch to
 * the per-MAC file when there is one, else fall through to the menu. */
static const char grub_dispatch[] =
	"# generated by provd: per-machine file first, else the menu below\n"
	"if [ -s \"$prefix/grub.cfg-$net_default_mac\" ]; then\n"
	"\tconfigfile \"$prefix/grub.cfg-$net_default_mac\"\n"
	"fi\n";

static int render_system_files(const char *root, struct snapshot *snap, const struct system *sys,
			       const char *base_url, struct tftp_tree_stats *st, struct diags *d)
{
	struct buf px, gr;
	int r;

	buf_init(&px, BOOTFILE_MAX);
	buf_init(&gr, BOOTFILE_MAX);
	r = render_pxelinux_system(snap, sys->name, base_url, &px, d);
	if (r == 0)
		r = render_grub(snap, sys->name, base_url, &gr, d);
	for (size_t i = 0; r == 0 && i < sys->ninterfaces; i++) {
		char name[21], rel[64];
		tftp_pxelinux_name(sys->interfaces[i].mac, name);
		snprintf(rel, sizeof(rel), "pxelinux.cfg/%s", name);
		r = put_file(root, rel, px.p ? px.p : "", px.len, st);
		if (r == 0) {
			snprintf(rel, sizeof(rel), "grub/grub.cfg-%s", sys->interfaces[i].mac);
			r = put_file(root, rel, gr.p ? gr.p : "", gr.len, st);
		}
	}
	buf_free(&px);
	buf_free(&gr);
	return r;
}

static int put_boot_files(const char *root, struct snapshot *snap, struct tftp_tree_stats *st,
			  struct diags *d)
{
	for (size_t i = 0; i < snapshot_count(snap, OBJ_DISTRO); i++) {
		const struct distro *ds = snapshot_distro_at(snap, i);
		const char *vals[2] = { ds->kernel, ds->initrd };
		char dir[128];

		snprintf(dir, sizeof(dir), "boot/%s", ds->name);
		for (int k = 0; k < 2; k++) {
			char *src = snapshot_file_path(snap, vals[k]), *rel = NULL, *full;
			const char *base;
			int r;

			if (!src)	/* a URL: fetched over HTTP by the loader */
				continue;
			base = strrchr(src, '/');
			base = base ? base + 1 : src;
			full = path_join(root, dir);
			if (!full || fs_mkdir_p(full, 0755) < 0 ||
			    asprintf(&rel, "%s/%s", dir, base) < 0) {
				free(full);
				free(src);
				return -ENOMEM;
			}
			free(full);
			r = put_link(root, rel, src, st);
			if (r < 0)
				diags_add(d, src, 0, 0, "check the distro's kernel/initrd paths",
					  "cannot link into the TFTP tree: %s", strerror(-r));
			free(rel);
			free(src);
		}
	}
	return 0;
}

/* Remove generated files in root/sub that are not in keep (sorted names). */
static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void prune_dir(const char *root, const char *sub, const char *prefix, char **keep, size_t nkeep,
		      struct tftp_tree_stats *st)
{
	char *dir = path_join(root, sub);
	DIR *dh = dir ? opendir(dir) : NULL;
	struct dirent *e;

	while (dh && (e = readdir(dh))) {
		char rel[300];
		const char *key = e->d_name;
		if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
			continue;
		if (bsearch(&key, keep, nkeep, sizeof(*keep), cmp_str))
			continue;
		snprintf(rel, sizeof(rel), "%s/%s", sub, e->d_name);
		remove_file(root, rel, st);
	}
	if (dh)
		closedir(dh);
	free(dir);
}

static int mkdirs(const char *root)
{
	static const char *const subs[] = { "", "pxelinux.cfg", "grub", "boot" };

	for (size_t i = 0; i < 4; i++) {
		char *p = path_join(root, subs[i]);
		int r = p ? fs_mkdir_p(p, 0755) : -ENOMEM;
		free(p);
		if (r < 0)
			return r;
	}
	return 0;
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p) < 0 ? -1 : 0;
}

static int sync_into(struct snapshot *snap, char *root, const char *base_url,
		     struct tftp_tree_stats *st, struct diags *d);

/* An empty directory can be replaced by rename(2) like a missing one. */
static bool dir_empty(const char *path)
{
	DIR *dh = opendir(path);
	struct dirent *e;
	bool empty = true;

	if (!dh)
		return false;
	while ((e = readdir(dh)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = false;
	closedir(dh);
	return empty;
}

int tftp_tree_sync(struct snapshot *snap, const char *base_url, struct tftp_tree_stats *st,
		   struct diags *d)
{
	struct tftp_tree_stats local = { 0 };
	char *root = tree_root(snap), *tmp = NULL;
	struct stat sb;
	int r;

	errno = 0;
	if (!st)
		st = &local;
	if (!root)
		return -ENOMEM;
	if ((stat(root, &sb) == 0 && !dir_empty(root)) || (errno != ENOENT && errno != 0)) {
		r = sync_into(snap, root, base_url, st, d);
		free(root);
		return r;
	}
	/* Cold: build beside it, then one rename makes it appear whole. */
	if (asprintf(&tmp, "%s.new.%d", root, (int)getpid()) < 0) {
		free(root);
		return -ENOMEM;
	}
	nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	fresh_tree = true;
	r = sync_into(snap, tmp, base_url, st, d);
	fresh_tree = false;
	if (r == 0 && rename(tmp, root) == 0) {
		free(tmp);
		free(root);
		return 0;
	}
	/* Lost a race with another writer, or a render error: clean up and
	 * do the careful incremental pass on whatever is there. */
	nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(tmp);
	st->written = st->unchanged = st->removed = st->linked = 0;
	r = sync_into(snap, root, base_url, st, d);
	free(root);
	return r;
}

/* Full render of the tree at root. */
static int sync_into(struct snapshot *snap, char *root, const char *base_url,
		     struct tftp_tree_stats *st, struct diags *d)
{
	struct buf b;
	char **px_keep = NULL, **gr_keep = NULL;
	size_t nkeep = 0, nsys = snapshot_count(snap, OBJ_SYSTEM), cap = 0;
	int r, rc = 0;

	batch_writes = true;
	if ((r = mkdirs(root)) < 0) {
		batch_writes = false;
		diags_add(d, root, 0, 0, "check the state directory's permissions",
			  "cannot create the TFTP tree: %s", strerror(-r));
		return r;
	}
	if ((r = put_loaders(root, st, d)) < 0)
		rc = r;
	put_boot_files(root, snap, st, d);

	buf_init(&b, BOOTFILE_MAX);
	r = render_pxelinux_default(snap, base_url, &b, d);
	if (r == 0)
		r = put_file(root, "pxelinux.cfg/default", b.p ? b.p : "", b.len, st);
	if (r < 0)
		rc = r;
	buf_reset(&b);
	r = buf_puts(&b, grub_dispatch);
	if (r == 0)
		r = render_grub(snap, NULL, base_url, &b, d);
	if (r == 0)
		r = put_file(root, "grub/grub.cfg", b.p ? b.p : "", b.len, st);
	if (r < 0)
		rc = r;
	buf_free(&b);

	for (size_t i = 0; i < nsys; i++)
		cap += snapshot_system_at(snap, i)->ninterfaces;
	px_keep = calloc(cap + 1, sizeof(*px_keep));
	gr_keep = calloc(cap + 1, sizeof(*gr_keep));
	if (!px_keep || !gr_keep) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < nsys; i++) {
		const struct system *sys = snapshot_system_at(snap, i);
		r = render_system_files(root, snap, sys, base_url, st, d);
		if (r < 0)
			rc = r;
		for (size_t k = 0; k < sys->ninterfaces; k++) {
			char name[21];
			tftp_pxelinux_name(sys->interfaces[k].mac, name);
			px_keep[nkeep] = strdup(name);
			if (asprintf(&gr_keep[nkeep], "grub.cfg-%s", sys->interfaces[k].mac) < 0)
				gr_keep[nkeep] = NULL;
			if (!px_keep[nkeep] || !gr_keep[nkeep]) {
				rc = -ENOMEM;
				goto out;
			}
			nkeep++;
		}
	}
	sync_tree(root, st);
	batch_writes = false;
	/* Prune only after a clean render: a template error must not take
	 * every machine's boot file away. */
	if (rc == 0) {
		qsort(px_keep, nkeep, sizeof(*px_keep), cmp_str);
		qsort(gr_keep, nkeep, sizeof(*gr_keep), cmp_str);
		prune_dir(root, "pxelinux.cfg", "01-", px_keep, nkeep, st);
		prune_dir(root, "grub", "grub.cfg-", gr_keep, nkeep, st);
	}
out:
	batch_writes = false;
	for (size_t i = 0; i < nkeep + 1 && px_keep && gr_keep; i++) {
		free(px_keep[i]);
		free(gr_keep[i]);
	}
	free(px_keep);
	free(gr_keep);
	return rc;
}

int tftp_tree_update_system(struct snapshot *snap, struct snapshot *old_snap, const char *name,
			    const char *base_url, struct tftp_tree_stats *st, struct diags *d)
{
	struct tftp_tree_stats local = { 0 };
	const struct system *sys = snapshot_system(snap, name);
	const struct system *old = old_snap ? snapshot_system(old_snap, name) : NULL;
	char *root = tree_root(snap);
	int r = 0;

	if (!st)
		st = &local;
	if (!root)
		return -ENOMEM;
	if ((r = mkdirs(root)) < 0)
		goto out;
	/* MACs the system no longer has (or all of them when it is gone). */
	for (size_t i = 0; old && i < old->ninterfaces; i++) {
		const char *mac = old->interfaces[i].mac;
		bool still = false;
		char px[21], rel[64];
		for (size_t k = 0; sys && k < sys->ninterfaces; k++)
			if (strcmp(sys->interfaces[k].mac, mac) == 0)
				still = true;
		if (still)
			continue;
		tftp_pxelinux_name(mac, px);
		snprintf(rel, sizeof(rel), "pxelinux.cfg/%s", px);
		remove_file(root, rel, st);
		snprintf(rel, sizeof(rel), "grub/grub.cfg-%s", mac);
		remove_file(root, rel, st);
	}
	if (sys)
		r = render_system_files(root, snap, sys, base_url, st, d);
out:
	free(root);
	return r;
}

/* "01-aa-bb-cc-dd-ee-ff" or "grub.cfg-aa:bb:cc:dd:ee:ff" back to the MAC. */
static bool mac_of_file(const char *fname, const char *prefix, char mac[18])
{
	size_t n = strlen(prefix);

	if (strncmp(fname, prefix, n) != 0 || strlen(fname + n) != 17)
		return false;
	memcpy(mac, fname + n, 17);
	mac[17] = '\0';
	for (char *p = mac; *p; p++)
		if (*p == '-')
			*p = ':';
	return true;
}

/* Remove per-MAC files in root/sub whose MAC no system in snap has. */
static void prune_orphans(const char *root, const char *sub, const char *prefix,
			  struct snapshot *snap, struct tftp_tree_stats *st)
{
	char *dir = path_join(root, sub);
	DIR *dh = dir ? opendir(dir) : NULL;
	struct dirent *e;

	while (dh && (e = readdir(dh))) {
		char mac[18], rel[300];
		if (!mac_of_file(e->d_name, prefix, mac) || snapshot_system_by_mac(snap, mac))
			continue;
		snprintf(rel, sizeof(rel), "%s/%s", sub, e->d_name);
		remove_file(root, rel, st);
	}
	if (dh)
		closedir(dh);
	free(dir);
}

int tftp_tree_apply_change(struct snapshot *snap, enum obj_kind kind, const char *name,
			   const char *base_url, struct tftp_tree_stats *st, struct diags *d)
{
	struct tftp_tree_stats local = { 0 };
	char *root = tree_root(snap), *menu = NULL;
	bool built;
	int r;

	if (!st)
		st = &local;
	if (!root)
		return -ENOMEM;
	menu = path_join(root, "pxelinux.cfg/default");
	built = menu && access(menu, F_OK) == 0;
	free(menu);
	if (kind != OBJ_SYSTEM || !name || !built) {
		free(root);
		return tftp_tree_sync(snap, base_url, st, d);
	}
	r = tftp_tree_update_system(snap, NULL, name, base_url, st, d);
	/* A directory scan (~1 ms for 10,000 entries) instead of the old
	 * snapshot: the CLI commits before it knows what the files were. */
	prune_orphans(root, "pxelinux.cfg", "01-", snap, st);
	prune_orphans(root, "grub", "grub.cfg-", snap, st);
	free(root);
	return r;
}

/* Same objects of kind in a and b: names and file digests. */
static bool same_objs(struct snapshot *a, struct snapshot *b, enum obj_kind kind)
{
	size_t n = snapshot_count(a, kind);

	if (n != snapshot_count(b, kind))
		return false;
	for (size_t i = 0; i < n; i++) {
		const struct obj *x = snapshot_at(a, kind, i), *y = snapshot_at(b, kind, i);
		if (x == y)	/* shared by snapshot_reload() */
			continue;
		if (strcmp(x->sha256, y->sha256) != 0)
			return false;
		if (strcmp(kind == OBJ_DISTRO ? x->u.distro.name : x->u.profile.name,
			   kind == OBJ_DISTRO ? y->u.distro.name : y->u.profile.name) != 0)
			return false;
	}
	return true;
}

int tftp_tree_update_diff(struct snapshot *snap, struct snapshot *old, const char *base_url,
			  struct tftp_tree_stats *st, struct diags *d)
{
	struct tftp_tree_stats local = { 0 };
	char *root, *menu;
	bool built;
	int r, rc = 0;

	if (!st)
		st = &local;
	root = tree_root(snap);
	menu = root ? path_join(root, "pxelinux.cfg/default") : NULL;
	built = menu && access(menu, F_OK) == 0;
	free(menu);
	free(root);
	if (!old || !built || !same_objs(snap, old, OBJ_DISTRO) || !same_objs(snap, old, OBJ_PROFILE))
		return tftp_tree_sync(snap, base_url, st, d);
	for (size_t i = 0; i < snapshot_count(snap, OBJ_SYSTEM); i++) {
		const struct obj *o = snapshot_at(snap, OBJ_SYSTEM, i);
		const struct obj *p = snapshot_obj(old, OBJ_SYSTEM, o->u.system.name);
		if (p == o || (p && strcmp(p->sha256, o->sha256) == 0))
			continue;
		if ((r = tftp_tree_update_system(snap, old, o->u.system.name, base_url, st, d)) < 0)
			rc = r;
	}
	for (size_t i = 0; i < snapshot_count(old, OBJ_SYSTEM); i++) {
		const struct obj *p = snapshot_at(old, OBJ_SYSTEM, i);
		if (snapshot_obj(snap, OBJ_SYSTEM, p->u.system.name))
			continue;
		if ((r = tftp_tree_update_system(snap, old, p->u.system.name, base_url, st, d)) < 0)
			rc = r;
	}
	return rc;
}
