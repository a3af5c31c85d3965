/* objjson: objects and resolved views as JSON (jansson), with the same key
 * names as the YAML (netboot, pxe_just_once, interfaces, kernel_options, ...),
 * for `--json` output and the REST API.
 *
 * Returned json_t values are new references: the caller json_decref()s them.
 * NULL on ENOMEM.
 */
#ifndef PROVD_CORE_OBJJSON_H
#define PROVD_CORE_OBJJSON_H

#include <jansson.h>

#include "provd/core/model.h"
#include "provd/core/resolve.h"

/* {"name": ..., "kind": "system", <YAML keys>...}. Unset optional keys are
 * left out; kernel_options/meta are objects whose values are strings, lists
 * or null, with removals as "-key": null. */
json_t *obj_to_json(const struct obj *o);
/* A kv map as a JSON object. */
json_t *kvmap_to_json(const struct kvmap *m);
/* The merged view: {"name", "kind", "distro", "profile", "chain": [...],
 * "kernel": {"value": ..., "from": "profile base (file:line:col)"}, ...,
 * "kernel_options": {"key": {"value": ..., "from": ...}}, "cmdline": "..."} */
json_t *resolved_to_json(const struct resolved *r);

#endif
