/* tmpl: the template language of answer files and boot menus — a small,
 * strict Jinja subset. Compile once, render many.
 *
 *   {{ expr }}  {{ expr | filter(args) | ... }}      output
 *   {% if e %} {% elif e %} {% else %} {% endif %}
 *   {% for x in list %} / {% for k, v in map %} ... {% endfor %}
 *        (loop.index, loop.index0, loop.first, loop.last, loop.length)
 *   {% include "snippets/name" %}                     compiled in at compile time
 *   {# comment #}
 *   {%- / -%} / {{- / -}}                             strip whitespace on that side
 * Block tags drop the newline after them and the indentation before them
 * (Jinja's trim_blocks + lstrip_blocks), so templates read naturally.
 * Expressions: a.b.c paths (list index as a.0), 'strings', "strings",
 * numbers, true/false/none, ==, !=, in, and, or, not, ( ), `x is defined`,
 * `x is not defined`. Filters: default(v), join(sep), upper, lower, quote
 * (POSIX shell single quotes), length, replace(a, b), trim, required(msg)
 * (a missing, null or empty value is a render error saying msg), split
 * and split(sep) (text to a list: words split on blanks and commas, or
 * fields on sep; a list passes through).
 *
 * Strict: an undefined variable is an error (with template file:line:col
 * and the include chain) unless `default` or `is defined` handles it.
 * Caps: template size, include depth and count, output size, loop iterations,
 * expression size and nesting, if/for nesting (parser and evaluator
 * recurse on them). */
#ifndef PROVD_CORE_TMPL_H
#define PROVD_CORE_TMPL_H

#include <stddef.h>

#include "provd/base/buf.h"
#include "provd/base/err.h"
#include "provd/core/tval.h"

#define TMPL_SIZE_MAX (1u << 20)	/* one template file */
#define TMPL_INCLUDE_DEPTH 8
#define TMPL_OUTPUT_MAX (4u << 20)
#define TMPL_LOOP_MAX 100000		/* iterations per render */
#define TMPL_NAME_MAX 200
#define TMPL_EXPR_NODES 256		/* parts of one expression */
#define TMPL_EXPR_PARENS 32		/* ( nesting in one expression */
#define TMPL_BLOCK_DEPTH 64		/* if/for nesting in one template */
#define TMPL_INCLUDES_MAX 256		/* includes compiled into one template */

struct tmpl;

/* Finds an included template: 0 with *text (malloc'd) and *path (malloc'd,
 * for messages), -ENOENT when there is none, other negative errno. */
struct tmpl_loader {
	int (*load)(void *arg, const char *name, char **text, size_t *len, char **path);
	void *arg;
};

/* Compile text (file names it in messages). Every error goes into d.
 * 0 and *out (free with tmpl_free), or -EINVAL. loader may be NULL (then
 * include is an error). */
int tmpl_compile(const char *file, const char *text, size_t len, const struct tmpl_loader *loader,
		 struct diags *d, struct tmpl **out);
/* Render with ctx (a TV_MAP) appended to out. Thread-safe: a compiled
 * template is immutable. 0, or negative errno with the error in d. */
int tmpl_render(const struct tmpl *t, const struct tval *ctx, struct buf *out, struct diags *d);
void tmpl_free(struct tmpl *t);
/* Template names: [A-Za-z0-9._/-], no "..", no leading '/'. */
int tmpl_name_valid(const char *name);

#endif
