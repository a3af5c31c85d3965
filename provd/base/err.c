/* err: diagnostic lists. */
#include "config.h"
#include "provd/base/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static char *xstrdup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

void diags_add(struct diags *d, const char *file, int line, int col,
	       const char *hint, const char *fmt, ...)
{
	va_list ap;
	struct diag g = { 0 };

	if (d->n >= DIAGS_MAX)
		return;
	if (d->n == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 8;
		struct diag *nv = realloc(d->v, ncap * sizeof(*nv));
		if (!nv)
			return;
		d->v = nv;
		d->cap = ncap;
	}
	va_start(ap, fmt);
	if (vasprintf(&g.msg, fmt, ap) < 0)
		g.msg = NULL;
	va_end(ap);
	if (!g.msg)
		return;
	g.file = xstrdup_or_null(file);
	g.hint = xstrdup_or_null(hint);
	g.line = line;
	g.col = col;
	d->v[d->n++] = g;
}

void diags_merge(struct diags *dst, const struct diags *src)
{
	for (size_t i = 0; i < src->n; i++) {
		const struct diag *g = &src->v[i];
		diags_add(dst, g->file, g->line, g->col, g->hint, "%s", g->msg);
	}
}

char *diag_format(const struct diag *g)
{
	char *s = NULL;
	int r;

	if (g->file && g->line > 0)
		r = asprintf(&s, "%s:%d:%d: error: %s", g->file, g->line,
			     g->col > 0 ? g->col : 1, g->msg);
	else if (g->file)
		r = asprintf(&s, "%s: error: %s", g->file, g->msg);
	else
		r = asprintf(&s, "error: %s", g->msg);
	return r < 0 ? NULL : s;
}

void diags_print(const struct diags *d, FILE *f)
{
	for (size_t i = 0; i < d->n; i++) {
		char *s = diag_format(&d->v[i]);
		if (s)
			fprintf(f, "%s\n", s);
		if (d->v[i].hint)
			fprintf(f, "  hint: %s\n", d->v[i].hint);
		free(s);
	}
}

void diags_clear(struct diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].msg);
		free(d->v[i].hint);
	}
	free(d->v);
	d->v = NULL;
	d->n = d->cap = 0;
}

const char *err_str(int neg_errno)
{
	return strerror(neg_errno < 0 ? -neg_errno : neg_errno);
}
