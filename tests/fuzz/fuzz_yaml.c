/* fuzz_yaml: the YAML object loader (libyaml events -> node tree -> field
 * tables) and provd.yaml. The first byte picks distro, profile, system or
 * config; the rest is the file. Whatever parses must serialise and parse
 * back to the same canonical text (a fixed point), or we abort. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provd/core/config.h"
#include "provd/core/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diags d = { 0 };
	struct obj *o = NULL, *o2 = NULL;
	const char *text = (const char *)data + 1;
	char *y = NULL, *y2 = NULL;
	size_t len, ylen = 0, y2len = 0;
	int kind;

	if (size < 1 || size > (1 << 16))
		return 0;
	kind = data[0] % 4;
	len = size - 1;
	if (kind == 3) {
		struct config *c = NULL;
		/* No apt root: the fuzzer must not depend on the host. */
		if (config_parse("/nonexistent", "provd.yaml", text, len, NULL, &d, &c) == 0)
			config_free(c);
		diags_clear(&d);
		return 0;
	}
	if (model_obj_parse((enum obj_kind)kind, "fuzz", "fuzz.yaml", text, len, &d, &o) == 0) {
		y = model_obj_to_yaml(o, &ylen);
		if (y) {
			struct diags d2 = { 0 };
			if (model_obj_parse((enum obj_kind)kind, "fuzz", "fuzz.yaml", y, ylen, &d2, &o2) != 0) {
				fprintf(stderr, "canonical output does not parse:\n%s\n", y);
				diags_print(&d2, stderr);
				abort();
			}
			y2 = model_obj_to_yaml(o2, &y2len);
			if (y2 && (ylen != y2len || memcmp(y, y2, ylen) != 0)) {
				fprintf(stderr, "round trip differs:\n%s\n---\n%s\n", y, y2);
				abort();
			}
			diags_clear(&d2);
		}
	}
	free(y);
	free(y2);
	model_obj_free(o);
	model_obj_free(o2);
	diags_clear(&d);
	return 0;
}
