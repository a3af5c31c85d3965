/* fuzz_apijson: API request bodies through the whole pure path the API
 * takes: JSON parse (limits, duplicates), JSON -> YAML, YAML -> JSON (must
 * give back the same document: the generated YAML never changes meaning),
 * object validation by the model for each kind, errors -> JSON with field
 * paths, and merge patch of the body onto itself. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "http/apijson.h"
#include "provd/core/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* JSON reals print through "%.17g" and may come back as strings ("1e+300")
 * or integers ("3"): compare everything else exactly. */
static int has_real(const json_t *j)
{
	const char *k;
	json_t *v;
	size_t i;

	if (json_is_real(j))
		return 1;
	if (json_is_object(j)) {
		json_object_foreach((json_t *)j, k, v)
			if (has_real(v))
				return 1;
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			if (has_real(v))
				return 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diags d = { 0 };
	json_t *j, *back, *errs, *patched;
	size_t ylen = 0;
	char *y;

	j = apijson_parse_body((const char *)data, size, &d);
	if (!j) {
		errs = apijson_errors(&d, NULL, 0);
		json_decref(errs);
		diags_clear(&d);
		return 0;
	}
	errs = apijson_check_limits(j);
	json_decref(errs);
	y = apijson_to_yaml(j, NULL, &ylen, &d);
	if (y) {
		back = apijson_from_yaml(y, ylen, &d);
		if (!back || (!has_real(j) && !json_equal(j, back))) {
			fprintf(stderr, "round trip changed the document:\n%s\n", y);
			abort();
		}
		json_decref(back);
		for (int k = 0; k < OBJ_KIND_COUNT; k++) {
			struct diags pd = { 0 };
			struct obj *o = NULL;
			if (model_obj_parse((enum obj_kind)k, "fuzz", "<input>", y, ylen, &pd, &o) == 0) {
				size_t l2 = 0;
				char *y2 = model_obj_to_yaml(o, &l2);
				free(y2);
				model_obj_free(o);
			}
			errs = apijson_errors(&pd, y, ylen);
			json_decref(errs);
			diags_clear(&pd);
		}
		free(y);
	}
	patched = apijson_merge_patch(j, j);
	json_decref(patched);
	json_decref(j);
	diags_clear(&d);
	return 0;
}
