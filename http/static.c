/* static: /boot/<distro>/<file> — kernels, initrds and other boot files
 * from <state>/files, sent with sendfile; conditional requests (ETag,
 * Last-Modified: RFC 9110 §13), a single byte range (RFC 9110 §14), HEAD.
 * The same handler serves /pxelinux.cfg/ and /grub/ from the rendered TFTP
 * tree (<state>/tftp/pxelinux.cfg, <state>/tftp/grub: route arg), so
 * lpxelinux and GRUB over HTTP see exactly what TFTP clients see.
 * Also /healthz.
 *
 * Mapping: /boot/REST is <state>/files/REST, opened below <state>/files
 * component by component without following symlinks (http/path.h). One
 * alias: /boot/<distro>/<basename of its kernel or initrd> serves the file
 * the distro names even when that lies outside files/ (an absolute path an
 * admin wrote in the distro, so trusted), which lets renderers always use
 * /boot/<distro>/<basename>. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "http/path.h"
#include "http/serve.h"
#include "provd/base/strparse.h"
#include "provd/core/events.h"
#include "provd/core/model.h"
#include "provd/core/snapshot.h"

#define STATIC_INLINE_MAX (32 * 1024)	/* bytes served from memory, not sendfile */

const struct system *serve_system_by_ip(const struct snapshot *s, const char *ip)
{
	size_t n = snapshot_count(s, OBJ_SYSTEM);

	for (size_t i = 0; i < n; i++) {
		const struct system *sys = snapshot_system_at(s, i);
		for (size_t j = 0; j < sys->ninterfaces; j++)
			if (sys->interfaces[j].ip && strcmp(sys->interfaces[j].ip, ip) == 0)
				return sys;
	}
	return NULL;
}

int static_healthz_handle(struct http_req *req, struct http_resp *resp, void *arg)
{
	(void)req;
	(void)arg;
	http_resp_header(resp, "Cache-Control", "no-store");
	return http_resp_printf(resp, "ok\n");
}

static const char *mime_type(const char *name)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{ ".cfg", "text/plain; charset=utf-8" },  { ".txt", "text/plain; charset=utf-8" },
		{ ".ipxe", "text/plain; charset=utf-8" }, { ".json", "application/json" },
		{ ".html", "text/html; charset=utf-8" },  { ".iso", "application/x-iso9660-image" },
		{ ".gz", "application/gzip" },		  { ".xz", "application/x-xz" },
		{ ".sha256", "text/plain; charset=utf-8" },
	};
	const char *dot = strrchr(name, '.');
	const char *slash = strrchr(name, '/');

	if (dot && (!slash || dot > slash))
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (strcmp(dot, types[i].ext) == 0)
				return types[i].type;
	/* Kernels, initrds, pxelinux.0, *.c32, *.efi: opaque bytes. */
	return "application/octet-stream";
}

static void http_date(time_t t, char *out, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, len, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* IMF-fixdate only (RFC 9110 §5.6.7); the obsolete forms are rare enough
 * that treating them as absent (full 200) is the safe answer. */
static int http_date_parse(const char *s, time_t *out)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (!end || *end)
		return -EINVAL;
	*out = timegm(&tm);
	return 0;
}

/* Strong ETag from inode, size and mtime (ns): changes whenever the file
 * is replaced (atomic rename gives a new inode) or rewritten. */
static void make_etag(const struct stat *st, char *out, size_t len)
{
	snprintf(out, len, "\"%" PRIx64 "-%" PRIx64 "-%" PRIx64 "\"", (uint64_t)st->st_ino,
		 (uint64_t)st->st_size,
		 (uint64_t)st->st_mtim.tv_sec * 1000000000u + (uint64_t)st->st_mtim.tv_nsec);
}

/* If-None-Match list: "*" or comma-separated entity tags; weak comparison
 * (RFC 9110 §13.1.2: W/ prefixes ignored). */
static bool etag_list_matches(const char *list, const char *etag)
{
	size_t elen = strlen(etag);
	const char *p = list;

	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		if (*p == '*')
			return true;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (strncmp(p, etag, elen) == 0 && (p[elen] == '\0' || p[elen] == ',' ||
						    p[elen] == ' ' || p[elen] == '\t'))
			return true;
		while (*p && *p != ',')
			p++;
	}
	return false;
}

enum range_result { RANGE_NONE, RANGE_OK, RANGE_BAD };

/* "bytes=A-B", "bytes=A-", "bytes=-N" (RFC 9110 §14.1.2). Several ranges
 * are answered with the whole file (allowed: a server may ignore Range). */
static enum range_result parse_range(const char *h, uint64_t size, uint64_t *off, uint64_t *len)
{
	const char *p;
	char *end;
	uint64_t a, b;

	if (strncmp(h, "bytes=", 6) != 0)
		return RANGE_NONE;
	p = h + 6;
	while (*p == ' ')
		p++;
	if (strchr(p, ','))
		return RANGE_NONE;
	if (*p == '-') {
		if (p[1] < '0' || p[1] > '9')
			return RANGE_NONE;
		errno = 0;
		b = strtoull(p + 1, &end, 10);
		if (errno || *end)
			return RANGE_NONE;
		if (b == 0 || size == 0)
			return RANGE_BAD;
		if (b > size)
			b = size;
		*off = size - b;
		*len = b;
		return RANGE_OK;
	}
	if (*p < '0' || *p > '9')
		return RANGE_NONE;
	errno = 0;
	a = strtoull(p, &end, 10);
	if (errno || *end != '-')
		return RANGE_NONE;
	p = end + 1;
	if (*p == '\0') {
		b = UINT64_MAX;
	} else {
		if (*p < '0' || *p > '9')
			return RANGE_NONE;
		b = strtoull(p, &end, 10);
		if (errno || *end || b < a)
			return RANGE_NONE;
	}
	if (a >= size)
		return RANGE_BAD;
	if (b >= size)
		b = size - 1;
	*off = a;
	*len = b - a + 1;
	return RANGE_OK;
}

/* The distro alias (see the file-top comment): a local kernel/initrd path
 * when rest is "<distro>/<its basename>". */
static char *distro_alias(const struct snapshot *snap, const char *rest)
{
	const char *slash = strchr(rest, '/');
	char name[128];
	const struct distro *d;
	const char *vals[2];

	if (!slash || (size_t)(slash - rest) >= sizeof(name) || strchr(slash + 1, '/'))
		return NULL;
	memcpy(name, rest, (size_t)(slash - rest));
	name[slash - rest] = '\0';
	d = snapshot_distro(snap, name);
	if (!d)
		return NULL;
	vals[0] = d->kernel;
	vals[1] = d->initrd;
	for (int i = 0; i < 2; i++) {
		const char *v = vals[i], *base;
		if (!v || path_is_url(v))
			continue;
		base = strrchr(v, '/');
		base = base ? base + 1 : v;
		if (strcmp(base, slash + 1) == 0)
			return snapshot_file_path(snap, v);
	}
	return NULL;
}

static int open_boot_file(struct http_req *req, const char *sub, int *fd_out)
{
	char *alias = strcmp(sub, "files") == 0 ? distro_alias(req->snap, req->rest) : NULL;
	char root[4096];
	int rootfd, fd;

	if (alias) {
		fd = open(alias, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		free(alias);
		if (fd >= 0) {
			*fd_out = fd;
			return 0;
		}
		/* Fall through: the files/ tree may still have it. */
	}
	if ((size_t)snprintf(root, sizeof(root), "%s/%s", req->state_dir, sub) >= sizeof(root))
		return -ENAMETOOLONG;
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return -ENOENT;
	fd = http_path_open_beneath(rootfd, req->rest, 0);
	close(rootfd);
	if (fd < 0)
		return fd;
	*fd_out = fd;
	return 0;
}

int static_loader_handle(struct http_req *req, struct http_resp *resp, void *arg)
{
	struct http_req r = *req;

	/* arg is the file name (no '/'); served like /boot/ from tftp/. */
	r.rest = arg;
	return static_boot_handle(&r, resp, (void *)"tftp");
}

int static_boot_handle(struct http_req *req, struct http_resp *resp, void *arg)
{
	char etag[80], lm[64], cr[96], cl[32];
	const char *inm, *ims, *range, *ifr;
	uint64_t off = 0, len, size;
	struct stat st;
	bool ranged = false;
	const char *sub = arg ? arg : "files";
	const char *mac = NULL;
	char macbuf[18];
	int fd = -1, r;

	if (!*req->rest || req->rest[strlen(req->rest) - 1] == '/')
		return http_resp_error(resp, 404, "no file named");
	r = open_boot_file(req, sub, &fd);
	if (r < 0) {
		/* Symlinks out of files/ (ELOOP) and directories look like
		 * absent files to the client; the log says why. */
		if (r == -ELOOP)
			return http_resp_error(resp, 403, "symbolic links are not served");
		if (r == -ENOENT || r == -ENOTDIR || r == -EISDIR || r == -ENAMETOOLONG)
			return http_resp_error(resp, 404, "no such file");
		if (r == -EACCES)
			return http_resp_error(resp, 403, "not a regular file or not readable");
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	size = (uint64_t)st.st_size;
	make_etag(&st, etag, sizeof(etag));
	http_date(st.st_mtim.tv_sec, lm, sizeof(lm));
	http_resp_header(resp, "ETag", etag);
	http_resp_header(resp, "Last-Modified", lm);
	http_resp_header(resp, "Accept-Ranges", "bytes");

	/* RFC 9110 §13.2.2: If-None-Match first; If-Modified-Since only
	 * without it. */
	inm = http_req_header(req, "If-None-Match");
	ims = http_req_header(req, "If-Modified-Since");
	if (inm) {
		if (etag_list_matches(inm, etag)) {
			close(fd);
			http_resp_status(resp, 304);
			return 0;
		}
	} else if (ims) {
		time_t t;
		if (http_date_parse(ims, &t) == 0 && st.st_mtim.tv_sec <= t) {
			close(fd);
			http_resp_status(resp, 304);
			return 0;
		}
	}

	len = size;
	range = http_req_header(req, "Range");
	ifr = http_req_header(req, "If-Range");
	/* If-Range (§13.1.5): serve the range only when the validator still
	 * matches (strong ETag, or the exact Last-Modified date). */
	if (range && ifr && strcmp(ifr, etag) != 0 && strcmp(ifr, lm) != 0)
		range = NULL;
	if (range) {
		switch (parse_range(range, size, &off, &len)) {
		case RANGE_OK:
			ranged = true;
			break;
		case RANGE_BAD:
			close(fd);
			http_resp_error(resp, 416, "range outside the file");
			snprintf(cr, sizeof(cr), "bytes */%" PRIu64, size);
			http_resp_header(resp, "Content-Range", cr);
			return 0;
		case RANGE_NONE:
			off = 0;
			len = size;
			break;
		}
	}
	if (ranged) {
		http_resp_status(resp, 206);
		snprintf(cr, sizeof(cr), "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, off,
			 off + len - 1, size);
		http_resp_header(resp, "Content-Range", cr);
	}
	(void)cl;
	http_resp_type(resp, mime_type(req->rest));
	if (len <= STATIC_INLINE_MAX) {
		/* Small files (configs, .c32 modules): one pread and the body
		 * leaves with the headers in one send, instead of a send for
		 * the headers plus a sendfile. */
		char small[STATIC_INLINE_MAX];
		ssize_t n = len ? pread(fd, small, (size_t)len, (off_t)off) : 0;
		if (n == (ssize_t)len && http_resp_append(resp, small, (size_t)len) == 0) {
			close(fd);
			goto done;
		}
		buf_reset(&resp->body);
	}
	http_resp_file(resp, fd, off, len);
done:

	/* Timeline: first bytes of a file (not every range piece). */
	if (req->method == HTTP_GET && off == 0) {
		const struct system *sys = NULL;
		/* pxelinux.cfg/01-<mac> names its machine (pxelinux's ARP-type
		 * prefix 01 = Ethernet); anything else by the client address. */
		if (strncmp(req->rest, "01-", 3) == 0 && mac_normalise(req->rest + 3, macbuf) == 0) {
			mac = macbuf;
			sys = snapshot_system_by_mac(req->snap, mac);
		}
		if (!sys)
			sys = serve_system_by_ip(req->snap, req->client);
		events_append(req->state_dir, sys ? sys->name : NULL, mac, EVENT_BOOT_FILE,
			      req->path);
	}
	return 0;
}
