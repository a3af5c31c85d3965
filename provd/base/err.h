/* err: user-facing diagnostics (file:line:col: error: message, plus a hint).
 *
 * Functions below provd/cmd return 0 or a negative errno; when the failure is
 * the user's to fix they also append a diagnostic here. Parsers keep going and
 * report every error they find, so a list collects them. */
#ifndef PROVD_BASE_ERR_H
#define PROVD_BASE_ERR_H

#include <stddef.h>
#include <stdio.h>

struct diag {
	char *file;	/* may be NULL (no file: API body, command line) */
	int line;	/* 1-based; 0 when unknown */
	int col;	/* 1-based; 0 when unknown */
	char *msg;
	char *hint;	/* what to do next; may be NULL */
};

/* A list of diagnostics; zero-initialise ({0}) before use. */
struct diags {
	struct diag *v;
	size_t n, cap;
};

#define DIAGS_MAX 1000	/* past this, further diagnostics are counted, not kept */

void diags_add(struct diags *d, const char *file, int line, int col,
	       const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
/* Append every diagnostic of src to dst (copies). */
void diags_merge(struct diags *dst, const struct diags *src);
/* Print as "file:line:col: error: msg" then "  hint: ..." lines. */
void diags_print(const struct diags *d, FILE *f);
/* One diagnostic formatted as above, without hint; caller frees. */
char *diag_format(const struct diag *g);
void diags_clear(struct diags *d);

/* strerror for a negative errno. */
const char *err_str(int neg_errno);

#endif
