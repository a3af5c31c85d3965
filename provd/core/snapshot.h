/* snapshot: one immutable, fully validated load of the whole state —
 * provd.yaml plus every distro, profile and system — with hash-table lookups
 * by name and by MAC.
 *
 * A snapshot is reference counted (atomically, so daemon threads can share
 * one): a request takes a reference and never sees a half-updated state; a
 * reload builds a new snapshot and swaps it in whole. Objects and strings
 * returned by the lookups stay valid while the caller holds a reference.
 *
 * Validation (all errors reported, each with file:line:col and a hint):
 * everything model_obj_parse checks per object, plus file names that are not
 * valid object names, dangling references (profile -> distro/parent, system
 * -> profile), inheritance cycles, duplicate MACs across systems and
 * kernel/initrd paths under <state>/files that cannot be read. All checks
 * are O(n) in the number of objects.
 */
#ifndef PROVD_CORE_SNAPSHOT_H
#define PROVD_CORE_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>

#include "provd/base/err.h"
#include "provd/core/config.h"
#include "provd/core/model.h"

struct snapshot;

/* Load and validate <state_dir>. Returns a snapshot holding one reference,
 * or NULL with at least one diagnostic in d (errno set: EINVAL when the state
 * is invalid, else the system error). */
struct snapshot *snapshot_load(const char *state_dir, struct diags *d);

/* As snapshot_load, but with one object replaced by the given YAML text
 * (text NULL: the object removed). Used by the store to validate a write
 * before it commits, and by `edit`. */
struct snapshot *snapshot_load_with(const char *state_dir, enum obj_kind kind,
				    const char *name, const char *text, size_t len,
				    struct diags *d);

/* As snapshot_load, but when the state has errors (all still reported in d)
 * return what did load, with *valid false: objects that failed to parse are
 * missing, references may dangle (resolve_* then gives -ENOENT), a duplicate
 * MAC maps to one of its systems. Only for read-only views of a partly
 * broken state (`provd system list`); never serve or render from it. NULL
 * only on system errors. */
struct snapshot *snapshot_load_lenient(const char *state_dir, struct diags *d, bool *valid);

/* As snapshot_load, reusing the already-parsed objects of old (a snapshot of
 * the same state_dir) whose files did not change (same inode, size, mtime and
 * ctime): the daemon's reload after one change costs a directory scan and the
 * O(n) cross checks instead of parsing every file. */
struct snapshot *snapshot_reload(const struct snapshot *old, struct diags *d);

struct snapshot *snapshot_ref(struct snapshot *s);
void snapshot_unref(struct snapshot *s);	/* NULL-safe */

const char *snapshot_state_dir(const struct snapshot *s);
const struct config *snapshot_config(const struct snapshot *s);

/* Lookups: NULL when absent. */
const struct distro *snapshot_distro(const struct snapshot *s, const char *name);
const struct profile *snapshot_profile(const struct snapshot *s, const char *name);
const struct system *snapshot_system(const struct snapshot *s, const char *name);
const struct obj *snapshot_obj(const struct snapshot *s, enum obj_kind kind, const char *name);
/* MAC in any form mac_normalise() accepts. */
const struct system *snapshot_system_by_mac(const struct snapshot *s, const char *mac);

/* Iteration in name order: for (i = 0; i < snapshot_count(s, k); i++)
 * o = snapshot_at(s, k, i); */
size_t snapshot_count(const struct snapshot *s, enum obj_kind kind);
const struct obj *snapshot_at(const struct snapshot *s, enum obj_kind kind, size_t i);
const struct distro *snapshot_distro_at(const struct snapshot *s, size_t i);
const struct profile *snapshot_profile_at(const struct snapshot *s, size_t i);
const struct system *snapshot_system_at(const struct snapshot *s, size_t i);

/* The object struct that holds a distro/profile/system from this snapshot
 * (for its sha256). */
const struct obj *snapshot_obj_of(const void *member);

/* Absolute local path of a kernel/initrd value: relative paths are under
 * <state>/files. Returns NULL for http(s) URLs (and on ENOMEM); caller frees. */
char *snapshot_file_path(const struct snapshot *s, const char *value);
/* True when value is an http:// or https:// URL. */
bool path_is_url(const char *value);

#endif
