/*
 * kvm/kcache.h - boot a bzImage without the guest's decompression.
 *
 * A bzImage carries the kernel as a compressed ELF vmlinux (Debian: XZ;
 * Ubuntu and Fedora: zstd; older ones gzip) that the guest unpacks itself
 * before it runs a line of the kernel: seconds under nested virtualisation,
 * a few hundred milliseconds on hardware, at every boot. The VMM unpacks
 * it once into a cache directory, keyed by the bzImage's identity (device,
 * inode, size, mtime, ctime), and later boots of the same file load the
 * ELF segments and enter startup_64 directly (kvm/boot_elf.h), as
 * Firecracker does with a vmlinux. The first boot of a kernel boots the
 * bzImage and fills the cache on an idle-priority thread.
 */
#ifndef PROVD_KVM_KCACHE_H
#define PROVD_KVM_KCACHE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "kvm/boot_bzimage.h"

/* "<dir>/<32 hex digits>.vmlinux" for the bzImage st describes (a kernel
 * file the user names: its identity is the key, nothing is read);
 * -ENAMETOOLONG. */
int kcache_path(const char *dir, const struct stat *st, char *out, size_t n);

/* The same for a bzImage keyed by its bytes: kernels the netboot firmware
 * fetches land in a fresh temporary file at every boot, so only their
 * content names them (one SHA-256 pass over img). */
int kcache_path_content(const char *dir, const uint8_t *img, size_t len,
			char *out, size_t n);

/*
 * Writes the ELF vmlinux inside bzImage img (bi from bzimage_parse) to fd,
 * leaving holes for zero blocks. The payload (setup header payload_offset
 * and payload_length, protocol 2.08+) may be XZ, zstd or gzip. 0, or
 * -ENOTSUP (other formats), -EBADMSG (corrupt, or not an x86-64 ELF
 * kernel), -ECANCELED (*stop became true), -errno of a failed write.
 */
int kcache_unpack(const uint8_t *img, size_t len,
		  const struct bzimage_info *bi, int fd,
		  const atomic_bool *stop);

/*
 * Unpacks the bzImage at path (identified by st, which it must still
 * match) into entry, its cache file in dir (kcache_path or
 * kcache_path_content; dir is created 0700 if missing), through a
 * temporary file and a rename, so a reader never sees a partial file; then
 * keeps only the 4 most recently used entries (a boot from the cache
 * refreshes its entry's mtime). 0 or a negative errno (-ESTALE: the file
 * changed).
 */
int kcache_fill(const char *dir, const char *entry, const char *path,
		const struct stat *st, const atomic_bool *stop);

#endif
