/* fuzz_tmpl: the template compiler and evaluator. The input is a template
 * (includes resolve to two fixed snippets, one of them including itself);
 * it is compiled and, when it compiles, rendered against a context with
 * strings, lists, maps, numbers and null. Errors are fine; crashes, leaks,
 * undefined behaviour and output past the cap are not. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "provd/core/tmpl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int load(void *arg, const char *name, char **text, size_t *len, char **path)
{
	const char *t = !strcmp(name, "snippets/a") ? "a={{ meta.k | default('') }}"
		      : !strcmp(name, "snippets/self") ? "{% include \"snippets/self\" %}" : NULL;

	(void)arg;
	if (!t)
		return -2;	/* -ENOENT */
	*text = strdup(t);
	*len = strlen(t);
	*path = strdup(name);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct tmpl_loader ld = { load, NULL };
	struct tval_arena *a;
	struct tval *ctx, *meta, *list;
	struct diags d = { 0 };
	struct tmpl *t = NULL;
	struct buf out;

	if (size > TMPL_SIZE_MAX + 16)
		return 0;
	a = tval_arena_new();
	ctx = tval_map(a);
	meta = tval_map(a);
	list = tval_list(a);
	for (int i = 0; i < 20; i++)
		tval_push(a, list, tval_num(a, i));
	tval_set(a, ctx, "list", list);
	tval_set_str(a, meta, "k", "v'\"");
	tval_set(a, meta, "n", tval_null(a));
	tval_set(a, ctx, "meta", meta);
	tval_set(a, ctx, "flag", tval_bool(a, true));
	tval_set_str(a, ctx, "s", "hello world");
	buf_init(&out, TMPL_OUTPUT_MAX);
	if (tmpl_compile("fuzz", (const char *)data, size, &ld, &d, &t) == 0) {
		tmpl_render(t, ctx, &out, &d);
		if (out.len > TMPL_OUTPUT_MAX)
			abort();
	}
	tmpl_free(t);
	buf_free(&out);
	diags_clear(&d);
	tval_arena_free(a);
	return 0;
}
