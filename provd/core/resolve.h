/* resolve: the inherited, merged view of a profile or system, Cobbler-style.
 *
 * Chain, nearest first: system -> profile -> parent profile(s) -> distro.
 * Scalars (kernel, initrd, breed, arch, autoinstall, loader, vm.*): the
 * nearest object that sets one wins. kernel_options and meta are maps merged
 * nearest-wins per key; a key written "-key" removes what an ancestor set.
 * Every resolved value records where it came from (object kind, name and
 * file:line:col) for `show --resolved` and for error messages.
 *
 * A resolved view points into the snapshot it was made from (strings and
 * objects are not copied): keep a snapshot reference while using it, free the
 * view with resolved_free(). Input must come from a validated snapshot, so
 * references resolve and there are no cycles.
 */
#ifndef PROVD_CORE_RESOLVE_H
#define PROVD_CORE_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "provd/core/model.h"
#include "provd/core/snapshot.h"

/* Where a resolved value came from. kind/name NULL for a built-in default. */
struct origin {
	enum obj_kind kind;
	const char *name;	/* NULL: default */
	struct src_pos at;
};

struct rstr {
	const char *value;	/* NULL when unset everywhere */
	struct origin from;
};

struct ru64 {
	uint64_t value;		/* 0 when unset */
	struct origin from;
};

/* One merged map entry; kv->remove is never set here. */
struct rkv {
	const struct kv *kv;
	struct origin from;
};

struct rmap {
	struct rkv *v;
	size_t n;
};

struct resolved {
	enum obj_kind kind;		/* OBJ_PROFILE or OBJ_SYSTEM */
	const char *name;
	const struct system *system;	/* NULL for a profile view */
	const struct profile *profile;	/* the system's profile, or the profile itself */
	const struct distro *distro;	/* end of the chain */
	/* The profile chain, nearest first: profile, its parent, ... */
	const struct profile **chain;
	size_t nchain;

	struct rstr kernel, initrd, breed, arch, autoinstall, loader;
	char *kernel_path;		/* absolute local path, NULL for a URL (owned) */
	char *initrd_path;
	struct rmap kernel_options;	/* merged: distro < profiles < system */
	struct rmap meta;
	struct ru64 vm_memory_mib, vm_vcpus, vm_disk_size;
	struct rstr vm_disk_format;

	/* systems only */
	bool netboot;
	bool pxe_just_once;
	const char *hostname;		/* system hostname, else first interface's, else name */
};

/* 0 and *out, or -ENOENT (no such object) / -ENOMEM. Caller frees. */
int resolve_profile(const struct snapshot *s, const char *name, struct resolved **out);
int resolve_system(const struct snapshot *s, const char *name, struct resolved **out);
void resolved_free(struct resolved *r);	/* NULL-safe */

const struct rkv *rmap_get(const struct rmap *m, const char *key);
/* Merged kernel options as a command line ("a=b c console=tty0
 * console=ttyS0"); caller frees. */
char *resolved_cmdline(const struct resolved *r);
/* "system web1 (systems/web1.yaml:4:3)" or "default"; caller frees. */
char *origin_format(const struct origin *o);

#endif
