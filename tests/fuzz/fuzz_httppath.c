/* fuzz_httppath: the HTTP request-path decoder and canonicaliser
 * (http/path.c). Invariants checked on every input that is accepted: the
 * result is absolute, has no empty, "." or ".." component, no NUL or control
 * byte, fits HTTP_PATH_MAX, and canonicalising it again changes nothing. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *p, int n)
{
	char again[HTTP_PATH_MAX + 1];
	const char *c = p;

	if (p[0] != '/' || (size_t)n != strlen(p) || n > HTTP_PATH_MAX)
		abort();
	for (int i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			abort();
	while (*c) {
		const char *e;
		size_t len;
		c++;	/* past '/' */
		e = strchr(c, '/');
		len = e ? (size_t)(e - c) : strlen(c);
		if (len == 0 && e)
			abort();	/* "//" */
		if ((len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
			abort();
		c += len;
	}
	memcpy(again, p, (size_t)n + 1);
	if (http_path_canon(again) != n || strcmp(again, p) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[HTTP_PATH_MAX + 1];
	int n = http_path_clean((const char *)data, size, out, sizeof(out));

	if (n >= 0)
		check(out, n);
	return 0;
}
