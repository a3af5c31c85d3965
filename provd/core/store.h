/* store: validated, atomic writes of objects under <state>/.lock.
 *
 * Every write takes the exclusive lock <state>/.lock, loads the current state,
 * applies the change, validates the whole new state (snapshot_load_with) and
 * only then writes the object file atomically (temp, fsync, rename, fsync
 * dir). A refused write changes nothing on disk; concurrent writers queue on
 * the lock, so no update is lost. Readers need no lock: they see the old file
 * or the new one, never a torn one.
 *
 * All functions return 0 or a negative errno; user-facing problems (bad
 * YAML, invalid new state, name taken, no such object) also go into d.
 * On success, *snap_out (when not NULL) receives the validated new snapshot
 * (one reference, caller unrefs) so callers can update boot files from it.
 */
#ifndef PROVD_CORE_STORE_H
#define PROVD_CORE_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "provd/base/err.h"
#include "provd/core/model.h"
#include "provd/core/snapshot.h"

enum store_mode {
	STORE_CREATE,	/* fail with -EEXIST if the object exists */
	STORE_REPLACE,	/* fail with -ENOENT if it does not */
	STORE_UPSERT,	/* either */
};

/* Write an object given as YAML text (what `edit` and the API PUT use). The
 * text is stored as given (comments kept) once it validates. */
int store_put_yaml(const char *state_dir, enum obj_kind kind, const char *name,
		   const char *text, size_t len, enum store_mode mode,
		   struct diags *d, struct snapshot **snap_out);

/* As store_put_yaml(..., STORE_REPLACE, ...), but only while the object's
 * file still has the content whose hex sha256 is expect_sha256 (struct
 * obj.sha256, also usable as an ETag): if someone changed it meanwhile,
 * -ESTALE and nothing is written. For `edit` and HTTP If-Match. */
int store_replace_if(const char *state_dir, enum obj_kind kind, const char *name,
		     const char *expect_sha256, const char *text, size_t len,
		     struct diags *d, struct snapshot **snap_out);

/* Write an object built in memory (serialised with model_obj_to_yaml). The
 * name is o's name. */
int store_put(const char *state_dir, const struct obj *o, enum store_mode mode,
	      struct diags *d, struct snapshot **snap_out);

/* Read-modify-write under the lock: loads the object, calls fn on it (fn
 * returns 0 to write, >0 to leave it unchanged, <0 to fail with that
 * error), validates, writes. Comments in the file are not kept. */
typedef int store_update_fn(struct obj *o, void *arg);
int store_update(const char *state_dir, enum obj_kind kind, const char *name,
		 store_update_fn *fn, void *arg, struct diags *d,
		 struct snapshot **snap_out);

/* Convenience for the "done" callback of pxe_just_once systems. */
int store_system_set_netboot(const char *state_dir, const char *name, bool netboot,
			     struct diags *d, struct snapshot **snap_out);

/* Remove an object; refused (nothing changes) if others still reference it. */
int store_remove(const char *state_dir, enum obj_kind kind, const char *name,
		 struct diags *d, struct snapshot **snap_out);

/* Path of an object's file; caller frees. */
char *store_obj_path(const char *state_dir, enum obj_kind kind, const char *name);
/* Read an object's raw YAML (for `edit`, API GET); caller frees. */
int store_read_yaml(const char *state_dir, enum obj_kind kind, const char *name,
		    char **text, size_t *len);

/* Take/release <state>/.lock for a caller doing several steps itself. */
int store_lock(const char *state_dir);
void store_unlock(int fd);

/* Create the state layout (distros/ profiles/ systems/ files/ templates/
 * builds/ tftp/), provd.yaml with defaults, a random server secret and an API
 * bearer token (mode 0600), each only when missing. 0 or negative errno. */
int store_init(const char *state_dir, struct diags *d);

#define STORE_OBJ_MAX (1 << 20)	/* largest object file we read */

#endif
