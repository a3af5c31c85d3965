/*
 * kvm/kcache.c - the unpacked-kernel cache (kvm/kcache.h).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "kvm/boot_elf.h"
#include "kvm/kcache.h"
#include "provd/base/fsutil.h"
#include "provd/base/sha256.h"

#define HDR_PAYLOAD_OFFSET 0x248
#define HDR_PAYLOAD_LENGTH 0x24c
#define OUT_CHUNK (1u << 20)
#define ZERO_BLOCK 4096u
#define MAX_VMLINUX (512ull << 20)	/* far above any real kernel */
#define KEEP 4				/* newest unpacked kernels kept */

/* "<dir>/<first 16 bytes of h in hex>.vmlinux" */
static int name(const char *dir, const uint8_t *h, char *out, size_t n)
{
	int k = snprintf(out, n, "%s/", dir);

	for (int i = 0; i < 16 && k > 0 && (size_t)k < n; i++)
		k += snprintf(out + k, n - (size_t)k, "%02x", h[i]);
	if (k > 0 && (size_t)k < n)
		k += snprintf(out + k, n - (size_t)k, ".vmlinux");
	return k > 0 && (size_t)k < n ? 0 : -ENAMETOOLONG;
}

int kcache_path(const char *dir, const struct stat *st, char *out, size_t n)
{
	struct sha256 s;
	uint8_t h[SHA256_LEN];
	char id[160];
	int k;

	/* format version first: a new layout must not read old files */
	k = snprintf(id, sizeof(id), "kcache1 %llu %llu %lld %lld.%09ld %lld.%09ld",
		     (unsigned long long)st->st_dev, (unsigned long long)st->st_ino,
		     (long long)st->st_size, (long long)st->st_mtim.tv_sec,
		     st->st_mtim.tv_nsec, (long long)st->st_ctim.tv_sec,
		     st->st_ctim.tv_nsec);
	sha256_init(&s);
	sha256_update(&s, id, (size_t)k);
	sha256_final(&s, h);
	return name(dir, h, out, n);
}

int kcache_path_content(const char *dir, const uint8_t *img, size_t len,
			char *out, size_t n)
{
	static const char tag[] = "kcache1 content ";
	struct sha256 s;
	uint8_t h[SHA256_LEN];

	/* the tag keeps content keys apart from identity keys */
	sha256_init(&s);
	sha256_update(&s, tag, sizeof(tag) - 1);
	sha256_update(&s, img, len);
	sha256_final(&s, h);
	return name(dir, h, out, n);
}

/* --- output: zero blocks become holes -------------------------------- */

struct sink {
	int fd;
	uint64_t off;		/* bytes produced */
	int err;
};

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static void sink_put(struct sink *o, const uint8_t *p, size_t n)
{
	while (n && !o->err) {
		size_t b = ZERO_BLOCK - (size_t)(o->off % ZERO_BLOCK);

		if (b > n)
			b = n;
		if (o->off + b > MAX_VMLINUX) {
			o->err = -EBADMSG;
			return;
		}
		if (!all_zero(p, b)) {
			size_t done = 0;

			while (done < b) {
				ssize_t w = pwrite(o->fd, p + done, b - done,
						   (off_t)(o->off + done));

				if (w < 0 && errno == EINTR)
					continue;
				if (w <= 0) {
					o->err = w < 0 ? -errno : -EIO;
					return;
				}
				done += (size_t)w;
			}
		}
		o->off += b;
		p += b;
		n -= b;
	}
}

/* --- decoders ----------------------------------------------------------- */

static int unxz(const uint8_t *in, size_t len, struct sink *o,
		const atomic_bool *stop, uint8_t *buf)
{
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_ret r;
	int rc = 0;

	/* single stream, no memory limit worth having: the kernel's own
	 * decompressor ran the same data in a few MiB */
	if (lzma_stream_decoder(&s, UINT64_MAX, 0) != LZMA_OK)
		return -ENOMEM;
	s.next_in = in;
	s.avail_in = len;
	do {
		if (atomic_load(stop)) {
			rc = -ECANCELED;
			break;
		}
		s.next_out = buf;
		s.avail_out = OUT_CHUNK;
		r = lzma_code(&s, LZMA_FINISH);
		sink_put(o, buf, OUT_CHUNK - s.avail_out);
		if (o->err) {
			rc = o->err;
			break;
		}
		if (r != LZMA_OK && r != LZMA_STREAM_END) {
			rc = -EBADMSG;
			break;
		}
		if (r == LZMA_OK && s.avail_in == 0 && s.avail_out) {
			rc = -EBADMSG;	/* truncated */
			break;
		}
	} while (r != LZMA_STREAM_END);
	lzma_end(&s);
	return rc;
}

static int unzstd(const uint8_t *in, size_t len, struct sink *o,
		  const atomic_bool *stop, uint8_t *buf)
{
	ZSTD_DStream *d = ZSTD_createDStream();
	ZSTD_inBuffer ib = { in, len, 0 };
	size_t r = 1;
	int rc = 0;

	if (d == NULL)
		return -ENOMEM;
	/* the kernel's zstd payload is one frame with up to a 128 MiB window
	 * (scripts/Makefile.lib: zstd22 --ultra) */
	ZSTD_DCtx_setParameter(d, ZSTD_d_windowLogMax, 27);
	while (r != 0) {
		ZSTD_outBuffer ob = { buf, OUT_CHUNK, 0 };

		if (atomic_load(stop)) {
			rc = -ECANCELED;
			break;
		}
		r = ZSTD_decompressStream(d, &ob, &ib);
		if (ZSTD_isError(r)) {
			rc = -EBADMSG;
			break;
		}
		sink_put(o, buf, ob.pos);
		if (o->err) {
			rc = o->err;
			break;
		}
		if (r != 0 && ib.pos == ib.size && ob.pos < ob.size) {
			rc = -EBADMSG;	/* truncated */
			break;
		}
	}
	ZSTD_freeDStream(d);
	return rc;
}

static int ungzip(const uint8_t *in, size_t len, struct sink *o,
		  const atomic_bool *stop, uint8_t *buf)
{
	z_stream z;
	int r = Z_OK, rc = 0;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)	/* gzip wrapper */
		return -ENOMEM;
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = len > UINT32_MAX ? UINT32_MAX : (uInt)len;
	while (r != Z_STREAM_END) {
		if (atomic_load(stop)) {
			rc = -ECANCELED;
			break;
		}
		z.next_out = buf;
		z.avail_out = OUT_CHUNK;
		r = inflate(&z, Z_NO_FLUSH);
		if (r != Z_OK && r != Z_STREAM_END) {
			rc = -EBADMSG;	/* includes Z_BUF_ERROR: truncated */
			break;
		}
		sink_put(o, buf, OUT_CHUNK - z.avail_out);
		if (o->err) {
			rc = o->err;
			break;
		}
	}
	inflateEnd(&z);
	return rc;
}

static uint32_t rd32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

int kcache_unpack(const uint8_t *img, size_t len,
		  const struct bzimage_info *bi, int fd,
		  const atomic_bool *stop)
{
	static const uint8_t xz[6] = { 0xfd, '7', 'z', 'X', 'Z', 0 },
			     zst[4] = { 0x28, 0xb5, 0x2f, 0xfd },
			     gz[2] = { 0x1f, 0x8b };
	struct sink o = { .fd = fd };
	const uint8_t *p;
	uint32_t poff, plen;
	uint8_t *buf, head[64];
	struct elf_kernel k;
	const char *why;
	ssize_t n;
	int rc;

	if (bi->version < 0x0208 || len < HDR_PAYLOAD_LENGTH + 4)
		return -ENOTSUP;
	poff = rd32(img + HDR_PAYLOAD_OFFSET);
	plen = rd32(img + HDR_PAYLOAD_LENGTH);
	if (poff > bi->pm_size || plen > bi->pm_size - poff || plen < 16)
		return -EBADMSG;
	p = img + bi->pm_offset + poff;
	buf = malloc(OUT_CHUNK);
	if (buf == NULL)
		return -ENOMEM;
	if (memcmp(p, xz, sizeof(xz)) == 0)
		rc = unxz(p, plen, &o, stop, buf);
	else if (memcmp(p, zst, sizeof(zst)) == 0)
		rc = unzstd(p, plen, &o, stop, buf);
	else if (memcmp(p, gz, sizeof(gz)) == 0)
		rc = ungzip(p, plen, &o, stop, buf);
	else
		rc = -ENOTSUP;
	free(buf);
	if (rc < 0)
		return rc;
	if (ftruncate(fd, (off_t)o.off) < 0)	/* trailing holes */
		return -errno;
	/* only a kernel the ELF loader takes is worth keeping */
	n = pread(fd, head, sizeof(head), 0);
	if (n != (ssize_t)sizeof(head) || !elf_kernel_is_elf(head, sizeof(head)))
		return -EBADMSG;
	{
		uint8_t *m = mmap(NULL, (size_t)o.off, PROT_READ, MAP_PRIVATE, fd, 0);

		if (m == MAP_FAILED)
			return -errno;
		rc = elf_kernel_parse(m, (size_t)o.off, &k, &why) < 0 ? -EBADMSG : 0;
		munmap(m, (size_t)o.off);
	}
	return rc;
}

/* Keeps the KEEP most recently used entries (a hit refreshes the mtime). */
static void prune(const char *dir)
{
	struct ent {
		char name[64];
		struct timespec t;
	} e[64];
	unsigned int n = 0;
	struct dirent *d;
	DIR *dh = opendir(dir);

	if (dh == NULL)
		return;
	while ((d = readdir(dh)) != NULL && n < 64) {
		size_t l = strlen(d->d_name);
		struct stat st;

		if (l != 32 + 8 || strcmp(d->d_name + 32, ".vmlinux") != 0 ||
		    fstatat(dirfd(dh), d->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		memcpy(e[n].name, d->d_name, l + 1);
		e[n].t = st.st_mtim;
		n++;
	}
	while (n > KEEP) {	/* drop the oldest */
		unsigned int o = 0;

		for (unsigned int i = 1; i < n; i++)
			if (e[i].t.tv_sec < e[o].t.tv_sec ||
			    (e[i].t.tv_sec == e[o].t.tv_sec &&
			     e[i].t.tv_nsec < e[o].t.tv_nsec))
				o = i;
		unlinkat(dirfd(dh), e[o].name, 0);
		e[o] = e[--n];
	}
	closedir(dh);
}

int kcache_fill(const char *dir, const char *entry, const char *path,
		const struct stat *st, const atomic_bool *stop)
{
	char tmp[4200];
	struct bzimage_info bi;
	struct stat now;
	const char *why;
	uint8_t *img;
	int fd, out, rc;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", entry) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	rc = fs_mkdir_p(dir, 0700);
	if (rc < 0)
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* the file must still be the one the key names */
	if (fstat(fd, &now) < 0 || now.st_ino != st->st_ino ||
	    now.st_dev != st->st_dev || now.st_size != st->st_size ||
	    now.st_mtim.tv_sec != st->st_mtim.tv_sec ||
	    now.st_mtim.tv_nsec != st->st_mtim.tv_nsec || now.st_size <= 0) {
		close(fd);
		return -ESTALE;
	}
	img = mmap(NULL, (size_t)now.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (img == MAP_FAILED)
		return -errno;
	rc = bzimage_parse(img, (size_t)now.st_size, &bi, &why);
	if (rc == 0) {
		out = mkstemp(tmp);
		if (out < 0) {
			rc = -errno;
		} else {
			rc = kcache_unpack(img, (size_t)now.st_size, &bi, out, stop);
			if (rc == 0 && fchmod(out, 0644) < 0)
				rc = -errno;
			close(out);
			if (rc == 0 && rename(tmp, entry) < 0)
				rc = -errno;
			if (rc < 0)
				unlink(tmp);
		}
	}
	munmap(img, (size_t)now.st_size);
	if (rc == 0)
		prune(dir);
	return rc;
}
