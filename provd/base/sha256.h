/* sha256: SHA-256 (FIPS 180-4) and HMAC-SHA-256 (RFC 2104), for ETags,
 * manifests and per-system callback tokens. */
#ifndef PROVD_BASE_SHA256_H
#define PROVD_BASE_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32

struct sha256 {
	uint32_t h[8];
	uint64_t nbytes;
	uint8_t blk[64];
	size_t nblk;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t out[SHA256_LEN]);
void sha256(const void *data, size_t len, uint8_t out[SHA256_LEN]);
/* Lower-case hex of sha256(data) into out[65]. */
void sha256_hex(const void *data, size_t len, char out[65]);
/* sha256 of a file's content as hex; 0 or negative errno. */
int sha256_file_hex(const char *path, char out[65]);
void hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
		 uint8_t out[SHA256_LEN]);

#endif
