/* apijson: the bridge between API JSON bodies and the YAML the object store
 * validates, so that an API write is checked by exactly the same code as a
 * YAML file (model_obj_parse + snapshot validation), and errors come back as
 * JSON with field paths ("interfaces[0].mac") instead of line numbers.
 *
 * Pure functions (no I/O), shared by http/api.c, tests/unit/test_api.c and
 * tests/fuzz/fuzz_apijson.c.
 *
 * JSON -> YAML: an object becomes block-style YAML, one key per line; strings
 * are written plain when that cannot change their meaning, double-quoted
 * otherwise; numbers, true/false and null are plain. YAML -> JSON (used by
 * PATCH to merge onto the stored object): mappings, sequences, and scalars
 * where plain true/false become booleans, plain null/~ null, plain decimal
 * integers numbers, and everything else strings, so JSON -> YAML -> JSON
 * gives back the same document (the fuzz target checks this).
 */
#ifndef PROVD_HTTP_APIJSON_H
#define PROVD_HTTP_APIJSON_H

#include <stddef.h>

#include <jansson.h>

#include "provd/base/err.h"

#define APIJSON_BODY_MAX (256 * 1024)	/* largest request body accepted */
#define APIJSON_MAX_DEPTH 16		/* nesting of objects/arrays in a body */
#define APIJSON_KEY_MAX 256		/* longest key (YAML caps implicit keys at 1024) */

/* Parse a request body: UTF-8 JSON, one object, duplicate keys refused,
 * nesting at most APIJSON_MAX_DEPTH, at most APIJSON_BODY_MAX bytes. On
 * failure returns NULL and adds one diagnostic (line:col of the problem, file
 * NULL). Caller decrefs. */
json_t *apijson_parse_body(const char *body, size_t len, struct diags *d);

/* JSON object -> YAML text (caller frees; *len set). Values that YAML objects
 * cannot hold (nested arrays of arrays deeper than the limit) are reported in
 * d with their path and give NULL. skip_key, when not NULL, is left out (the
 * "name" of a POST body names the file, it is not a field). */
char *apijson_to_yaml(const json_t *obj, const char *skip_key, size_t *len,
		      struct diags *d);

/* Keys longer than APIJSON_KEY_MAX or strings longer than the store's YAML
 * scalar cap, which YAML could not carry: NULL when there are none, else
 * {"errors":[{"path":...,"message":...}]} (caller decrefs). */
json_t *apijson_check_limits(const json_t *obj);

/* YAML text -> JSON (caller decrefs); NULL with diagnostics in d when the text
 * does not parse. An empty document gives an empty object. */
json_t *apijson_from_yaml(const char *text, size_t len, struct diags *d);

/* The field path ("interfaces[0].mac", "" for the whole object) of the YAML
 * node at line:col (1-based) of text, or of the nearest node before it.
 * Caller frees; never NULL except on ENOMEM. */
char *apijson_path_at(const char *text, size_t len, int line, int col);

/* {"errors":[{"path":...,"message":...,"hint":...}, ...]} from diagnostics.
 * A diagnostic with a line is mapped to a field path through yaml (the text
 * that was validated; may be NULL); file names are dropped, since the client
 * sent no file. "hint" is left out when there is none. */
json_t *apijson_errors(const struct diags *d, const char *yaml, size_t yaml_len);

/* One error object list with a single message at path (may be ""). */
json_t *apijson_error1(const char *path, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* RFC 7396 JSON Merge Patch: returns the patched document (a new reference;
 * target is not modified). NULL on ENOMEM. */
json_t *apijson_merge_patch(const json_t *target, const json_t *patch);

#endif
