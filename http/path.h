/* path: request paths decoded once, canonicalised, and opened below a root
 * without escaping it (OpenBSD httpd's url_decode() + canonicalize_path()
 * are the model).
 *
 * Order matters: the request target is percent-decoded exactly once, then
 * canonicalised. A "%252e%252e" therefore becomes the literal component
 * "%2e%2e" (a file name, not a parent reference), and "%2e%2e" becomes ".."
 * which canonicalisation resolves; climbing above "/" is an error, not a
 * clamp, so the client gets 400 rather than a different file.
 *
 * Opening: http_path_open_beneath() resolves each component with
 * openat(O_NOFOLLOW) below the root fd (openat2 RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS when the kernel has it), so a symlink planted in the
 * served tree cannot point outside it.
 */
#ifndef PROVD_HTTP_PATH_H
#define PROVD_HTTP_PATH_H

#include <stddef.h>

#ifndef HTTP_PATH_MAX
#define HTTP_PATH_MAX 1024	/* also in http/route.h */
#endif

/* Percent-decode src[0..len) into dst (size dstlen, NUL-terminated). '+' is
 * kept (it is a space only in queries). Errors: -EINVAL for a bad escape
 * ("%g1", "%4"), -EILSEQ for a decoded NUL, -ENAMETOOLONG when it does not
 * fit. Returns the decoded length. */
int http_path_decode(const char *src, size_t len, char *dst, size_t dstlen);

/* Canonicalise an absolute decoded path in place: collapse "//", drop "."
 * components, resolve ".." (-EACCES when it climbs above "/"), keep a
 * trailing '/' when the input had one. -EINVAL when it does not start with
 * '/' or holds a control character (bytes < 0x20 and 0x7f). Returns the
 * new length. */
int http_path_canon(char *path);

/* decode + canon of a raw request path (the part before '?'). dst must hold
 * HTTP_PATH_MAX + 1 bytes. Returns length or negative errno as above. */
int http_path_clean(const char *raw, size_t len, char *dst, size_t dstlen);

/* Open rel (canonical, relative, no leading '/') below rootfd, refusing
 * symlinks in every component (-ELOOP) and anything that is not a regular
 * file at the end (-EISDIR / -EACCES). flags: extra O_* flags for the final
 * open (O_RDONLY is implied, O_CLOEXEC always). Returns an fd or negative
 * errno (-ENOENT, ...). */
int http_path_open_beneath(int rootfd, const char *rel, int flags);

#endif
