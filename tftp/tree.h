/* tree: <state>/tftp, the TFTP root that tftp-hpa's in.tftpd serves, kept
 * current from a snapshot. Generated; never edited by hand.
 *
 *   pxelinux.0 lpxelinux.0 ldlinux.c32 menu.c32 ...  from the pxelinux and
 *                                       syslinux-common packages (copied)
 *   pxelinux.cfg/default                profile menu (render_pxelinux_default)
 *   pxelinux.cfg/01-aa-bb-cc-dd-ee-ff   one per system interface
 *   grubnetx64.efi                      Debian's signed GRUB netboot image
 *   ipxe.efi                            Debian's iPXE for UEFI (package ipxe),
 *                                       when installed: UEFI in proxy mode
 *                                       and UEFI HTTP boot (also over HTTP)
 *   grub/grub.cfg                       dispatch on $net_default_mac, then menu
 *   grub/grub.cfg-aa:bb:cc:dd:ee:ff     one per system interface
 *   boot/<distro>/<file>                kernels and initrds, hard links into
 *                                       <state>/files (same paths as HTTP /boot/)
 *
 * Updates are incremental: a file is written (atomically) only when its
 * content differs, a link only when it points at another inode, and files
 * nothing generates any more are removed. One system's change touches only
 * that system's files (tftp_tree_update_system), so no `sync` is needed. */
#ifndef PROVD_TFTP_TREE_H
#define PROVD_TFTP_TREE_H

#include <stdbool.h>
#include <stddef.h>

#include "provd/base/err.h"
#include "provd/core/model.h"

struct snapshot;

struct tftp_tree_stats {
	size_t written;		/* files (re)written */
	size_t unchanged;	/* files already current */
	size_t removed;		/* stale files removed */
	size_t linked;		/* boot files (re)linked */
	/* Optional hook, called for each change: what is 'W' (written), 'L'
	 * (linked) or 'R' (removed), rel the path inside the tree. */
	void (*on_change)(char what, const char *rel, void *arg);
	void *arg;
};

/* Name of the GRUB netboot image in the tree (DHCP boot file for UEFI). */
#define TFTP_GRUB_IMAGE "grubnetx64.efi"
/* Name of iPXE's UEFI image in the tree (UEFI in proxy mode, HTTP boot). */
#define TFTP_IPXE_EFI "ipxe.efi"

/* Full render of <state>/tftp from snap. base_url is what rendered boot
 * files point installers at. Errors (missing loader packages, template
 * errors) go into d; a failure leaves already-current files in place. */
int tftp_tree_sync(struct snapshot *snap, const char *base_url,
		   struct tftp_tree_stats *st, struct diags *d);
/* Render only what belongs to one system (its pxelinux and GRUB files). When
 * the system is gone from snap, or its MACs changed, old_snap (may be NULL)
 * tells which files to remove. */
int tftp_tree_update_system(struct snapshot *snap, struct snapshot *old_snap,
			    const char *name, const char *base_url,
			    struct tftp_tree_stats *st, struct diags *d);

/* After a committed change to one object: for a system, render its files
 * (tftp_tree_update_system) and remove per-MAC files that no system in snap
 * owns any more (the system was removed or lost a MAC), so no old snapshot
 * is needed; for a distro or profile (menus, links and many systems' files
 * depend on them), or when the tree was never built, a full tftp_tree_sync.
 * name may be NULL for "unknown": full sync. */
int tftp_tree_apply_change(struct snapshot *snap, enum obj_kind kind, const char *name,
			   const char *base_url, struct tftp_tree_stats *st, struct diags *d);

/* Bring the tree from old to snap by what differs between them: when both
 * hold the same distros and profiles (same names and file digests), only
 * systems that appeared, disappeared or whose file changed get their files
 * updated (old tells which MACs to remove); otherwise, or when old is NULL
 * or the tree was never built, a full tftp_tree_sync. For writes that
 * change objects only (API, install callbacks): snapshots do not see edits
 * of templates or provd.yaml, so after those (SIGHUP, start) call
 * tftp_tree_sync. */
int tftp_tree_update_diff(struct snapshot *snap, struct snapshot *old, const char *base_url,
			  struct tftp_tree_stats *st, struct diags *d);

/* The pxelinux.cfg file name for a MAC ("01-aa-bb-cc-dd-ee-ff"). */
void tftp_pxelinux_name(const char *mac, char out[21]);

#endif
