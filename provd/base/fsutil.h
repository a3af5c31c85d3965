/* fsutil: files the way provd writes them: whole, atomically, under a lock.
 *
 * fs_write_atomic() writes a temp file beside the target, fsyncs it, renames
 * it over the target and fsyncs the directory, so a crash leaves either the
 * old file or the new one, never a torn one. */
#ifndef PROVD_BASE_FSUTIL_H
#define PROVD_BASE_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Read a whole file, at most max bytes (-EFBIG past that). *out is
 * NUL-terminated; caller frees. */
int fs_read_file(const char *path, size_t max, char **out, size_t *len);
/* Atomic replace of path with data (mode for a new file). */
int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* Same, relative to a directory fd. */
int fs_write_atomic_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode);
/* Replace path with data through a temp file and rename, without fsync:
 * readers never see a torn file, but after a power loss the new content may
 * be lost. For derived files that are regenerated anyway (the TFTP tree),
 * where one syncfs() after a batch beats an fsync per file. */
int fs_write_replace(const char *path, const void *data, size_t len, mode_t mode);
/* mkdir -p */
int fs_mkdir_p(const char *path, mode_t mode);
/* Take an exclusive flock on path (created if missing); returns the fd to
 * pass to fs_unlock, or a negative errno. Blocks unless nonblock, where a
 * held lock gives -EWOULDBLOCK. */
int fs_lock(const char *path, bool nonblock);
void fs_unlock(int fd);
/* Remove a file; missing is not an error. */
int fs_unlink(const char *path);
bool fs_exists(const char *path);
/* Join two path parts with one '/'; caller frees. */
char *path_join(const char *a, const char *b);
/* Copy a file (atomically at dst). */
int fs_copy_file(const char *src, const char *dst, mode_t mode);
/* Hard-link src to dst, replacing dst atomically; falls back to a copy
 * across file systems. */
int fs_link_or_copy(const char *src, const char *dst, mode_t mode);

#endif
