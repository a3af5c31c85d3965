/* test_kcache: the unpacked-kernel cache. Debian's real bzImage unpacks to
 * an ELF kernel of exactly the size its payload trailer records; synthetic
 * bzImages with gzip, XZ and zstd payloads unpack to the very ELF that was
 * packed (zero blocks left as holes); corrupt, truncated, unknown and
 * non-ELF payloads are refused; a stop request cancels; the cache key
 * follows the file's identity (or its bytes); kcache_fill writes the entry atomically and
 * keeps the four most recent. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <lzma.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cmocka.h>

#include "kvm/boot_bzimage.h"
#include "kvm/boot_elf.h"
#include "kvm/kcache.h"

#define ELF_LEN (64 * 1024)
#define PAYLOAD_AT 0x100	/* payload_offset in the synthetic images */

static uint8_t *real;
static size_t real_len;
static uint8_t elf[ELF_LEN];
static atomic_bool no_stop;

static uint32_t rd32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void wr64(uint8_t *p, uint64_t v)
{
	wr32(p, (uint32_t)v);
	wr32(p + 4, (uint32_t)(v >> 32));
}

static void elf_build(void);

static int setup(void **state)
{
	glob_t g;
	FILE *f;
	long n;

	(void)state;
	/* scripts/setup installs linux-image-amd64: its bzImage is the input */
	if (glob("/boot/vmlinuz-*", 0, NULL, &g) != 0 || g.gl_pathc == 0)
		return -1;
	f = fopen(g.gl_pathv[g.gl_pathc - 1], "rb");
	globfree(&g);
	if (f == NULL)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	real = malloc((size_t)n);
	if (real == NULL || fread(real, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		return -1;
	}
	fclose(f);
	real_len = (size_t)n;
	elf_build();
	return 0;
}

/* a small vmlinux: one PT_LOAD of text at 16 MiB, zero pages in it */
static void elf_build(void)
{
	/* a small vmlinux: one PT_LOAD of text at 16 MiB, zero pages in it */
	memset(elf, 0, sizeof(elf));
	memcpy(elf, "\x7f" "ELF", 4);
	elf[4] = 2;
	elf[5] = 1;
	elf[6] = 1;
	elf[16] = 2;		/* ET_EXEC */
	elf[18] = 62;		/* EM_X86_64 */
	wr64(elf + 24, 0x1000000);
	wr64(elf + 32, 64);
	elf[54] = 56;
	elf[56] = 1;
	wr32(elf + 64, 1);	/* PT_LOAD */
	wr64(elf + 64 + 8, 0x1000);
	wr64(elf + 64 + 16, 0xffffffff81000000ull);
	wr64(elf + 64 + 24, 0x1000000);
	wr64(elf + 64 + 32, ELF_LEN - 0x1000);
	wr64(elf + 64 + 40, ELF_LEN - 0x1000);
	for (size_t i = 0x1000; i < 0x3000; i++)
		elf[i] = (uint8_t)(i * 7 + 1);
	for (size_t i = 0x9000; i < 0x9100; i++)	/* after a zero gap */
		elf[i] = 0xcc;
}

static int teardown(void **state)
{
	(void)state;
	free(real);
	return 0;
}

/* the real setup code with a payload of our own at PAYLOAD_AT */
static uint8_t *make_bz(const uint8_t *payload, size_t plen, size_t *len,
			struct bzimage_info *bi)
{
	const char *why = NULL;
	size_t pm;
	uint8_t *b;

	assert_int_equal(bzimage_parse(real, real_len, bi, &why), 0);
	pm = bi->pm_offset;
	*len = pm + PAYLOAD_AT + plen;
	b = calloc(1, *len);
	assert_non_null(b);
	memcpy(b, real, pm);
	memcpy(b + pm + PAYLOAD_AT, payload, plen);
	wr32(b + 0x248, PAYLOAD_AT);
	wr32(b + 0x24c, (uint32_t)plen);
	assert_int_equal(bzimage_parse(b, *len, bi, &why), 0);
	return b;
}

static int tmpfd(void)
{
	char path[] = "/tmp/test_kcache.XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	return fd;
}

static int unpack(const uint8_t *payload, size_t plen, uint8_t *out,
		  size_t *outlen, const atomic_bool *stop)
{
	struct bzimage_info bi;
	size_t len;
	uint8_t *b = make_bz(payload, plen, &len, &bi);
	int fd = tmpfd(), r;
	struct stat st;

	r = kcache_unpack(b, len, &bi, fd, stop);
	free(b);
	if (r == 0) {
		assert_int_equal(fstat(fd, &st), 0);
		*outlen = (size_t)st.st_size;
		assert_true(*outlen <= ELF_LEN);
		assert_int_equal(pread(fd, out, *outlen, 0), (ssize_t)*outlen);
		/* zero blocks are holes: less allocated than the size */
		assert_true((size_t)st.st_blocks * 512 < *outlen);
	}
	close(fd);
	return r;
}

static size_t pack_gzip(uint8_t *out, size_t cap)
{
	z_stream z;

	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 9,
				      Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = elf;
	z.avail_in = sizeof(elf);
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	deflateEnd(&z);
	return cap - z.avail_out;
}

static size_t pack_xz(uint8_t *out, size_t cap)
{
	size_t n = 0;

	assert_int_equal(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32, NULL, elf,
						 sizeof(elf), out, &n, cap),
			 LZMA_OK);
	return n;
}

static size_t pack_zstd(uint8_t *out, size_t cap)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();
	size_t n;

	/* with a checksum, as the zstd tool writes the kernel's payload */
	assert_non_null(c);
	ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 19);
	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
	n = ZSTD_compress2(c, out, cap, elf, sizeof(elf));
	ZSTD_freeCCtx(c);
	assert_false(ZSTD_isError(n));
	return n;
}

static void roundtrip(size_t (*pack)(uint8_t *, size_t))
{
	static uint8_t z[ELF_LEN + 4096], out[ELF_LEN];
	size_t n = pack(z, sizeof(z) - 4), outlen = 0;

	wr32(z + n, ELF_LEN);	/* the kernel appends the size, so do we */
	assert_int_equal(unpack(z, n + 4, out, &outlen, &no_stop), 0);
	assert_int_equal(outlen, ELF_LEN);
	assert_memory_equal(out, elf, ELF_LEN);
	/* truncated: the end of the stream is missing */
	assert_int_equal(unpack(z, n / 2, out, &outlen, &no_stop), -EBADMSG);
	/* corrupt in the middle */
	z[n / 2] ^= 0x55;
	assert_int_equal(unpack(z, n + 4, out, &outlen, &no_stop), -EBADMSG);
}

static void test_gzip(void **state)
{
	(void)state;
	roundtrip(pack_gzip);
}

static void test_xz(void **state)
{
	(void)state;
	roundtrip(pack_xz);
}

static void test_zstd(void **state)
{
	(void)state;
	roundtrip(pack_zstd);
}

static void test_refused(void **state)
{
	static uint8_t z[ELF_LEN + 4096], out[ELF_LEN];
	uint8_t junk[64];
	atomic_bool stop;
	size_t n, outlen;

	(void)state;
	memset(junk, 0x42, sizeof(junk));	/* no known magic: LZ4, bzip2... */
	assert_int_equal(unpack(junk, sizeof(junk), out, &outlen, &no_stop),
			 -ENOTSUP);
	/* a valid stream of something that is not an ELF kernel */
	memset(elf, 'A', 64);
	n = pack_gzip(z, sizeof(z));
	assert_int_equal(unpack(z, n, out, &outlen, &no_stop), -EBADMSG);
	elf_build();
	n = pack_xz(z, sizeof(z));
	atomic_init(&stop, true);
	assert_int_equal(unpack(z, n, out, &outlen, &stop), -ECANCELED);
}

/* Debian's kernel: an ELF of the size the payload's trailer says */
static void test_real(void **state)
{
	struct bzimage_info bi;
	const char *why = NULL;
	const uint8_t *p;
	struct stat st;
	uint32_t plen;
	int fd = tmpfd();

	(void)state;
	assert_int_equal(bzimage_parse(real, real_len, &bi, &why), 0);
	assert_int_equal(kcache_unpack(real, real_len, &bi, fd, &no_stop), 0);
	p = real + bi.pm_offset + rd32(real + 0x248);
	plen = rd32(real + 0x24c);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal((uint64_t)st.st_size, rd32(p + plen - 4));
	assert_true(st.st_size > 16 << 20);
	close(fd);
}

/* path := the len bytes at b; *st its stat afterwards */
static void put_file(const char *path, const uint8_t *b, size_t len,
		     struct stat *st)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, len, f), len);
	fclose(f);
	assert_int_equal(stat(path, st), 0);
}

static void test_key_and_fill(void **state)
{
	char dir[] = "/tmp/test_kcache_dir.XXXXXX", bz[4200], p1[4200], p2[4200],
	     p3[4200], old[4200], copy[4200];
	static uint8_t z[ELF_LEN + 4096], z2[ELF_LEN + 4096];
	struct stat st2;
	struct bzimage_info bi;
	struct timeval tv[2] = { { 1000, 0 }, { 1000, 0 } };
	struct stat st;
	size_t n, len;
	uint8_t *b;
	FILE *f;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	n = pack_xz(z, sizeof(z));
	b = make_bz(z, n, &len, &bi);
	snprintf(bz, sizeof(bz), "%s/bzImage", dir);
	put_file(bz, b, len, &st);
	free(b);
	assert_int_equal(kcache_path(dir, &st, p1, sizeof(p1)), 0);
	assert_int_equal(kcache_path(dir, &st, p2, sizeof(p2)), 0);
	assert_string_equal(p1, p2);
	assert_int_equal(strlen(p1), strlen(dir) + 1 + 32 + 8);
	assert_int_equal(kcache_path(dir, &st, p2, 10), -ENAMETOOLONG);
	st.st_mtim.tv_nsec ^= 1;	/* a rewritten file: another key */
	assert_int_equal(kcache_path(dir, &st, p2, sizeof(p2)), 0);
	assert_string_not_equal(p1, p2);
	st.st_mtim.tv_nsec ^= 1;

	/* six older entries: after the fill, the four newest remain */
	for (int i = 0; i < 6; i++) {
		snprintf(old, sizeof(old), "%s/%032d.vmlinux", dir, i);
		fd = open(old, O_CREAT | O_WRONLY, 0644);
		assert_true(fd >= 0);
		close(fd);
		tv[0].tv_sec = tv[1].tv_sec = 1000 + i;
		assert_int_equal(utimes(old, tv), 0);
	}
	assert_int_equal(kcache_fill(dir, p1, bz, &st, &no_stop), 0);
	f = fopen(p1, "rb");
	assert_non_null(f);
	assert_int_equal(fread(z, 1, sizeof(z), f), ELF_LEN);
	fclose(f);
	assert_memory_equal(z, elf, ELF_LEN);
	for (int i = 0; i < 6; i++) {
		snprintf(old, sizeof(old), "%s/%032d.vmlinux", dir, i);
		assert_int_equal(access(old, F_OK) == 0, i >= 3);
		unlink(old);
	}
	/* keyed by content: the bytes name the entry, not the file; a copy
	 * (another inode, as netboot's temporary files) finds it */
	b = make_bz(z2, pack_xz(z2, sizeof(z2)), &len, &bi);
	assert_int_equal(kcache_path_content(dir, b, len, p2, sizeof(p2)), 0);
	assert_string_not_equal(p1, p2);
	assert_int_equal(strlen(p2), strlen(p1));
	assert_int_equal(kcache_path_content(dir, b, len, p3, sizeof(p3)), 0);
	assert_string_equal(p2, p3);
	b[len - 1] ^= 1;
	assert_int_equal(kcache_path_content(dir, b, len, p3, sizeof(p3)), 0);
	assert_string_not_equal(p2, p3);
	b[len - 1] ^= 1;
	snprintf(copy, sizeof(copy), "%s/fetched", dir);
	put_file(copy, b, len, &st2);
	free(b);
	assert_int_equal(kcache_fill(dir, p2, copy, &st2, &no_stop), 0);
	assert_int_equal(access(p2, R_OK), 0);
	unlink(copy);
	unlink(p2);
	/* a file that changed since it was looked at is not unpacked */
	st.st_size++;
	assert_int_equal(kcache_fill(dir, p1, bz, &st, &no_stop), -ESTALE);
	unlink(p1);
	unlink(bz);
	assert_int_equal(rmdir(dir), 0);	/* no temporary file left */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_xz),
		cmocka_unit_test(test_zstd),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_real),
		cmocka_unit_test(test_key_and_fill),
	};

	atomic_init(&no_stop, false);
	return cmocka_run_group_tests(tests, setup, teardown);
}
