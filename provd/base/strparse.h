/* strparse: bounded parsing of numbers, sizes, booleans and names.
 * Everything a user or a peer types goes through here (OpenBSD strtonum). */
#ifndef PROVD_BASE_STRPARSE_H
#define PROVD_BASE_STRPARSE_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

/* Decimal integer in [min, max], whole string. 0, -EINVAL or -ERANGE. */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
int parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);
/* Size with optional suffix K, M, G, T (binary; "20G", "512M", "4096").
 * A bare number is bytes unless default_unit is given (e.g. 1<<20 for MiB). */
int parse_size(const char *s, uint64_t default_unit, uint64_t *out);
/* true/false yes/no on/off 1/0 (case-insensitive). */
int parse_bool(const char *s, bool *out);
/* Object names: [A-Za-z0-9._-]{1,64}, not "." or "..". */
bool name_valid(const char *s);
#define NAME_MAX_LEN 64
/* MAC in colon, dash or bare-hex form -> lower-case colon form in out[18]. */
int mac_normalise(const char *s, char out[18]);
int mac_parse(const char *s, uint8_t mac[6]);
void mac_format(const uint8_t mac[6], char out[18]);
/* Hex encode n bytes into out (2n+1 bytes). */
void hex_encode(const uint8_t *in, size_t n, char *out);

#endif
