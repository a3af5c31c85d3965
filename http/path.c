/* path: decode once, canonicalise, open beneath a root. See path.h. */
#include "config.h"
#include "http/path.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef __linux__
#include <linux/openat2.h>
#endif

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int http_path_decode(const char *src, size_t len, char *dst, size_t dstlen)
{
	size_t o = 0;

	if (dstlen == 0)
		return -ENAMETOOLONG;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)src[i];

		if (c == '%') {
			int hi, lo;

			/* RFC 3986 §2.1: '%' HEXDIG HEXDIG, nothing else. */
			if (len - i < 3)
				return -EINVAL;
			hi = hexval((unsigned char)src[i + 1]);
			lo = hexval((unsigned char)src[i + 2]);
			if (hi < 0 || lo < 0)
				return -EINVAL;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		if (c == '\0')
			return -EILSEQ;
		if (o + 1 >= dstlen)
			return -ENAMETOOLONG;
		dst[o++] = (char)c;
	}
	dst[o] = '\0';
	return (int)o;
}

int http_path_canon(char *path)
{
	char *out = path;	/* write position; path[0] == '/' stays */
	const char *p = path;
	size_t len = strlen(path);
	const char *pend = path + len;	/* writes may overwrite the NUL */
	int trailing;

	if (path[0] != '/')
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)path[i];
		if (c < 0x20 || c == 0x7f)
			return -EINVAL;
	}
	trailing = len > 1 && path[len - 1] == '/';

	/* Walk components; out always ends just after a '/' (or is path+1). */
	out = path + 1;
	p = path;
	while (p < pend) {
		const char *start, *end;
		size_t n;

		while (p < pend && *p == '/')
			p++;
		if (p == pend)
			break;
		start = p;
		while (p < pend && *p != '/')
			p++;
		end = p;
		n = (size_t)(end - start);
		if (n == 1 && start[0] == '.')
			continue;
		if (n == 2 && start[0] == '.' && start[1] == '.') {
			/* Back out the previous component: out points just after
			 * "/prev/"; an empty stack means climbing above root. */
			if (out == path + 1)
				return -EACCES;
			out--;	/* the '/' after prev */
			while (out > path && out[-1] != '/')
				out--;
			continue;
		}
		memmove(out, start, n);
		out += n;
		*out++ = '/';
	}
	/* Drop the '/' after the last component unless the input had one. */
	if (out > path + 1 && !trailing)
		out--;
	*out = '\0';
	return (int)(out - path);
}

int http_path_clean(const char *raw, size_t len, char *dst, size_t dstlen)
{
	int r;

	if (dstlen > HTTP_PATH_MAX + 1)
		dstlen = HTTP_PATH_MAX + 1;
	r = http_path_decode(raw, len, dst, dstlen);
	if (r < 0)
		return r;
	return http_path_canon(dst);
}

#if defined(SYS_openat2) && defined(RESOLVE_BENEATH)
static int open_beneath2(int rootfd, const char *rel, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(O_RDONLY | O_CLOEXEC | O_NOCTTY | flags),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, rootfd, rel, &how, sizeof(how));

	if (fd < 0)
		return -errno;
	return (int)fd;
}
#endif

/* Fallback: one openat(O_NOFOLLOW) per component. */
static int open_beneath_walk(int rootfd, const char *rel, int flags)
{
	char comp[256];
	int dfd = rootfd, fd = -1;
	const char *p = rel;

	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		int last = !slash || slash[1] == '\0';

		if (n == 0 || n >= sizeof(comp)) {
			fd = -ENAMETOOLONG;
			goto out;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		if (strcmp(comp, "..") == 0 || strcmp(comp, ".") == 0) {
			fd = -EACCES;
			goto out;
		}
		fd = openat(dfd, comp,
			    (last ? O_RDONLY | flags : O_PATH | O_DIRECTORY) | O_NOFOLLOW | O_CLOEXEC |
				    O_NOCTTY);
		if (fd < 0) {
			fd = -errno;
			goto out;
		}
		if (dfd != rootfd)
			close(dfd);
		dfd = rootfd;
		if (last)
			break;
		dfd = fd;
		fd = -1;
		p = slash + 1;
	}
	return fd;
out:
	if (dfd != rootfd)
		close(dfd);
	return fd;
}

int http_path_open_beneath(int rootfd, const char *rel, int flags)
{
	struct stat st;
	int fd = -ENOSYS;

	if (!rel || !*rel || rel[0] == '/')
		return -EINVAL;
#if defined(SYS_openat2) && defined(RESOLVE_BENEATH)
	fd = open_beneath2(rootfd, rel, flags);
	/* ENOSYS: kernel < 5.6; EPERM: seccomp filters that refuse openat2. */
	if (fd == -ENOSYS || fd == -EPERM)
		fd = open_beneath_walk(rootfd, rel, flags);
#else
	fd = open_beneath_walk(rootfd, rel, flags);
#endif
	if (fd < 0) {
		/* O_NOFOLLOW on a symlink gives ELOOP; openat2 gives ELOOP or
		 * EXDEV for an escape. Report all escapes the same way. */
		if (fd == -EXDEV)
			fd = -ELOOP;
		return fd;
	}
	if (fstat(fd, &st) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return S_ISDIR(st.st_mode) ? -EISDIR : -EACCES;
	}
	return fd;
}
