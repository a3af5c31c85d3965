/* buf: a growable byte buffer that knows its maximum (curl's dynbuf idea).
 * Appending past the cap fails with -E2BIG and leaves the buffer unchanged,
 * so a hostile input can never make us allocate without bound. The content
 * is always NUL-terminated (the NUL is not counted in len). */
#ifndef PROVD_BASE_BUF_H
#define PROVD_BASE_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *p;	/* NULL until the first append */
	size_t len;
	size_t cap;	/* allocated bytes */
	size_t max;	/* maximum len */
};

void buf_init(struct buf *b, size_t max);
int buf_append(struct buf *b, const void *data, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);
void buf_reset(struct buf *b);		/* len = 0, keeps memory */
/* Give the content away (caller frees; never NULL on success: "" if empty),
 * leaving b empty. Returns NULL on allocation failure. */
char *buf_steal(struct buf *b, size_t *len);
void buf_free(struct buf *b);
/* Content as a C string ("" when empty). */
const char *buf_str(const struct buf *b);

#endif
