/* import_parse: the two parsers `provd distro import` runs on files from an
 * install tree it does not trust: .treeinfo (INI) lookups and the Linux
 * bzImage header's version string. Pure functions on buffers, so the fuzzer
 * (tests/fuzz/fuzz_import.c) calls them exactly as the CLI does. */
#ifndef PROVD_CMD_IMPORT_PARSE_H
#define PROVD_CMD_IMPORT_PARSE_H

#include <stddef.h>

/* Bytes of a kernel image import_kernel_version() may look at: the version
 * pointer is 16 bits relative to 0x200, plus the string. */
#define IMPORT_KVER_SCAN (0x200 + 0x10000 + 256)

/* Value of key in [section] of the NUL-terminated INI text; NULL if absent.
 * Lines longer than 511 bytes are cut. Caller frees. */
char *import_ini_get(const char *text, const char *section, const char *key);

/* The bzImage header's kernel_version string (Linux boot protocol 2.00+:
 * "HdrS" at 0x202, kernel_version pointer at 0x20e, relative to 0x200),
 * up to the first space, from the first len bytes of the image. out gets ""
 * when there is none or it holds characters a version never has. */
void import_kernel_version(const unsigned char *img, size_t len, char *out, size_t outlen);

#endif
