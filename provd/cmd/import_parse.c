/* import_parse: .treeinfo and bzImage version parsing (see import_parse.h). */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provd/cmd/import_parse.h"

char *import_ini_get(const char *text, const char *section, const char *key)
{
	const char *p = text;
	bool in = false;
	size_t kl = strlen(key), sl = strlen(section);

	while (*p) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		char line[512];
		size_t m = n < sizeof(line) ? n : sizeof(line) - 1;

		memcpy(line, p, m);
		line[m] = '\0';
		if (m && line[m - 1] == '\r')
			line[--m] = '\0';
		if (line[0] == '[') {
			char *c = strchr(line, ']');
			in = c && (size_t)(c - line - 1) == sl && strncmp(line + 1, section, sl) == 0;
		} else if (in && strncmp(line, key, kl) == 0) {
			char *v = line + kl;
			while (*v == ' ' || *v == '\t')
				v++;
			if (*v == '=') {
				v++;
				while (*v == ' ' || *v == '\t')
					v++;
				return strdup(v);
			}
		}
		if (!e)
			break;
		p = e + 1;
	}
	return NULL;
}

static bool version_char(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '.' || c == '-' || c == '_' || c == '+' || c == '~';
}

void import_kernel_version(const unsigned char *img, size_t len, char *out, size_t outlen)
{
	size_t off, k = 0;

	if (outlen)
		out[0] = '\0';
	if (outlen < 2 || len < 0x210 || memcmp(img + 0x202, "HdrS", 4) != 0)
		return;
	off = (size_t)(img[0x20e] | img[0x20f] << 8);
	if (!off)
		return;
	off += 0x200;
	while (off + k < len && k < outlen - 1 && version_char(img[off + k]))
		k++;
	/* A version ends at a space (the rest is the builder and date) or
	 * the string's NUL; anything else means a bogus pointer. */
	if (k == 0 || off + k >= len || (img[off + k] != ' ' && img[off + k] != '\0'))
		return;
	memcpy(out, img + off, k);
	out[k] = '\0';
}
