/* Fuzz target for the parsers `provd distro import` runs on untrusted
 * install trees (provd/cmd/import_parse.h): the input is both a .treeinfo
 * text (looked up the way the import does) and the start of a kernel image. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "provd/cmd/import_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[][2] = {
		{ "general", "family" }, { "release", "name" }, { "general", "version" },
		{ "general", "arch" }, { "images-x86_64", "kernel" }, { "images-x86_64", "initrd" },
	};
	char *text = malloc(size + 1), ver[65];

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		free(import_ini_get(text, keys[i][0], keys[i][1]));
	free(text);
	import_kernel_version(data, size, ver, sizeof(ver));
	/* The result is a bounded string of version characters. */
	if (strlen(ver) >= sizeof(ver) || strpbrk(ver, " /\n"))
		abort();
	return 0;
}
