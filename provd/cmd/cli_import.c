/* cli_import: `provd distro import NAME --from DIR|URL`.
 *
 * Recognises an install tree by its own layout, with no signature file to
 * keep up to date:
 *   - .treeinfo (Fedora, RHEL, CentOS): [general] family/version/arch and
 *     [images-ARCH] kernel=/initrd= paths;
 *   - the Debian netboot layout (debian-installer-NN-netboot-ARCH package,
 *     netboot.tar.gz): debian-installer/ARCH/linux + initrd.gz, with
 *     version.info for the release;
 *   - .disk/info (Debian and Ubuntu media): install.amd/ or casper/;
 *   - images/pxeboot/vmlinuz + initrd.img without .treeinfo.
 * The kernel's own version string comes from its bzImage header. Kernel and
 * initrd are copied (files) or fetched (URLs, resumable, progress on a tty)
 * into <state>/files/NAME/ with their sha256 recorded in the distro. */
#include "config.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "provd/base/fsutil.h"
#include "provd/base/sha256.h"
#include "provd/cmd/import_parse.h"
#include "provd/base/strparse.h"
#include "provd/cmd/cli.h"
#include "provd/cmd/cli_obj.h"
#include "provd/core/model.h"
#include "provd/core/store.h"

#define SMALL_FILE_MAX (1 << 20)

struct tree {
	char *kernel;		/* path or URL of the kernel in the source */
	char *initrd;
	char breed[16];
	char version[64];
	char arch[16];
	char layout[64];	/* what we recognised, for the user */
};

static void tree_clear(struct tree *t)
{
	free(t->kernel);
	free(t->initrd);
	memset(t, 0, sizeof(*t));
}

static bool is_url(const char *s)
{
	return strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0 ||
	       strncmp(s, "ftp://", 6) == 0;
}

/* ---- fetching (URLs) ---- */

struct fetch_state {
	FILE *f;
	bool progress;
	curl_off_t resume_from;
	const char *label;
};

static size_t fetch_write(char *p, size_t sz, size_t n, void *arg)
{
	struct fetch_state *fs = arg;

	return fwrite(p, sz, n, fs->f);
}

static int fetch_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
			  curl_off_t ulnow)
{
	struct fetch_state *fs = arg;

	(void)ultotal;
	(void)ulnow;
	if (fs->progress && dltotal > 0)
		fprintf(stderr, "\r  %s: %3d%% (%lld of %lld KiB)", fs->label,
			(int)((dlnow + fs->resume_from) * 100 / (dltotal + fs->resume_from)),
			(long long)(dlnow + fs->resume_from) / 1024,
			(long long)(dltotal + fs->resume_from) / 1024);
	return 0;
}

/* Fetch url into path (resuming a partial path.part), atomically renamed.
 * Returns 0, -ENOENT for a 404, or another negative errno. */
static int fetch_url(const char *url, const char *path, bool progress)
{
	char *part = NULL;
	struct fetch_state fs = { .progress = progress, .label = strrchr(url, '/') ? strrchr(url, '/') + 1 : url };
	struct stat st;
	CURL *h;
	CURLcode cc;
	long code = 0;
	int r = 0;

	if (asprintf(&part, "%s.part", path) < 0)
		return -ENOMEM;
	if (stat(part, &st) == 0)
		fs.resume_from = st.st_size;
	fs.f = fopen(part, "ab");
	if (!fs.f) {
		r = -errno;
		free(part);
		return r;
	}
	h = curl_easy_init();
	if (!h) {
		fclose(fs.f);
		free(part);
		return -ENOMEM;
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 20L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, fetch_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &fs);
	curl_easy_setopt(h, CURLOPT_RESUME_FROM_LARGE, fs.resume_from);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, fetch_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, &fs);
	cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (progress)
		fputc('\n', stderr);
	if (fclose(fs.f) != 0 && cc == CURLE_OK)
		r = -EIO;
	if (cc == CURLE_HTTP_RETURNED_ERROR && code == 404) {
		unlink(part);
		r = -ENOENT;
	} else if (cc == CURLE_HTTP_RETURNED_ERROR && code == 416) {
		/* Range past the end: what we have is the whole file. */
		r = 0;
	} else if (cc != CURLE_OK) {
		fprintf(stderr, "provd: fetching %s: %s\n", url, curl_easy_strerror(cc));
		if (cc != CURLE_OPERATION_TIMEDOUT && cc != CURLE_PARTIAL_FILE)
			unlink(part);
		r = -EIO;
	}
	curl_easy_cleanup(h);
	if (r == 0 && rename(part, path) < 0)
		r = -errno;
	free(part);
	return r;
}

/* Read a small file from the source (local path or URL) into *out. */
static int source_read(const char *base, const char *rel, char **out)
{
	char *p = NULL;
	int r;

	if (asprintf(&p, "%s/%s", base, rel) < 0)
		return -ENOMEM;
	if (is_url(base)) {
		char tmpl[] = "/tmp/provd-import-XXXXXX";
		int fd = mkstemp(tmpl);
		if (fd < 0) {
			free(p);
			return -errno;
		}
		close(fd);
		unlink(tmpl);
		r = fetch_url(p, tmpl, false);
		if (r == 0)
			r = fs_read_file(tmpl, SMALL_FILE_MAX, out, NULL);
		unlink(tmpl);
	} else {
		r = fs_read_file(p, SMALL_FILE_MAX, out, NULL);
	}
	free(p);
	return r;
}

/* Does base/rel exist? (URLs: a HEAD request.) */
static bool source_exists(const char *base, const char *rel)
{
	char *p = NULL;
	bool ok = false;

	if (asprintf(&p, "%s/%s", base, rel) < 0)
		return false;
	if (is_url(base)) {
		CURL *h = curl_easy_init();
		if (h) {
			curl_easy_setopt(h, CURLOPT_URL, p);
			curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
			curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
			curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L);
			curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 20L);
			ok = curl_easy_perform(h) == CURLE_OK;
			curl_easy_cleanup(h);
		}
	} else {
		ok = access(p, R_OK) == 0;
	}
	free(p);
	return ok;
}

static char *join2(const char *a, const char *b)
{
	char *s = NULL;

	if (asprintf(&s, "%s/%s", a, b) < 0)
		return NULL;
	return s;
}

/* ---- layouts ---- */

static bool try_treeinfo(const char *src, const char *arch, struct tree *t)
{
	char *ti = NULL, *family, *ver, *ta, *k, *i, sect[64];

	if (source_read(src, ".treeinfo", &ti) < 0)
		return false;
	family = import_ini_get(ti, "general", "family");
	if (!family)
		family = import_ini_get(ti, "release", "name");
	ver = import_ini_get(ti, "general", "version");
	if (!ver)
		ver = import_ini_get(ti, "release", "version");
	ta = import_ini_get(ti, "general", "arch");
	if (!ta)
		ta = import_ini_get(ti, "tree", "arch");
	snprintf(sect, sizeof(sect), "images-%s", ta ? ta : arch);
	k = import_ini_get(ti, sect, "kernel");
	i = import_ini_get(ti, sect, "initrd");
	if (k && i) {
		t->kernel = join2(src, k);
		t->initrd = join2(src, i);
		snprintf(t->breed, sizeof(t->breed), "%s",
			 family && strcasestr(family, "fedora") ? "fedora" : "redhat");
		snprintf(t->version, sizeof(t->version), "%s", ver ? ver : "");
		snprintf(t->arch, sizeof(t->arch), "%s", ta ? ta : arch);
		snprintf(t->layout, sizeof(t->layout), ".treeinfo (%s)", family ? family : "?");
	}
	free(ti);
	free(family);
	free(ver);
	free(ta);
	free(k);
	free(i);
	return t->kernel && t->initrd;
}

static const char *deb_arch(const char *arch)
{
	return strcmp(arch, "x86_64") == 0 ? "amd64" : strcmp(arch, "aarch64") == 0 ? "arm64" : arch;
}

static void debian_version(const char *src, struct tree *t)
{
	char *vi = NULL;

	/* version.info: "Debian version:  12 (bookworm)" */
	if (source_read(src, "version.info", &vi) == 0) {
		char *p = strstr(vi, "version:");
		if (p) {
			p += 8;
			while (*p == ' ')
				p++;
			size_t n = strcspn(p, " \n(");
			snprintf(t->version, sizeof(t->version), "%.*s", (int)n, p);
		}
		if (strstr(vi, "Ubuntu"))
			snprintf(t->breed, sizeof(t->breed), "ubuntu");
	}
	free(vi);
}

static bool try_debian_netboot(const char *src, const char *arch, struct tree *t)
{
	char rel[128];
	const char *da = deb_arch(arch);

	snprintf(rel, sizeof(rel), "debian-installer/%s/linux", da);
	if (!source_exists(src, rel))
		return false;
	t->kernel = join2(src, rel);
	snprintf(rel, sizeof(rel), "debian-installer/%s/initrd.gz", da);
	t->initrd = join2(src, rel);
	snprintf(t->breed, sizeof(t->breed), "debian");
	snprintf(t->arch, sizeof(t->arch), "%s", arch);
	snprintf(t->layout, sizeof(t->layout), "Debian netboot (debian-installer/%s)", da);
	debian_version(src, t);
	return true;
}

static bool try_disk_info(const char *src, const char *arch, struct tree *t)
{
	char *info = NULL;
	static const char *const pairs[][2] = {
		{ "install.amd/vmlinuz", "install.amd/initrd.gz" },
		{ "casper/vmlinuz", "casper/initrd" },
		{ "install/vmlinuz", "install/initrd.gz" },
	};

	if (source_read(src, ".disk/info", &info) < 0)
		return false;
	for (size_t i = 0; i < 3; i++) {
		if (source_exists(src, pairs[i][0])) {
			t->kernel = join2(src, pairs[i][0]);
			t->initrd = join2(src, pairs[i][1]);
			break;
		}
	}
	snprintf(t->breed, sizeof(t->breed), "%s", strstr(info, "Ubuntu") ? "ubuntu" : "debian");
	snprintf(t->arch, sizeof(t->arch), "%s", arch);
	{
		/* "Debian GNU/Linux 12.5.0 "Bookworm" - Official amd64 ..." */
		const char *p = info;
		while (*p && !isdigit((unsigned char)*p))
			p++;
		size_t n = strspn(p, "0123456789.");
		snprintf(t->version, sizeof(t->version), "%.*s", (int)n, p);
	}
	snprintf(t->layout, sizeof(t->layout), ".disk/info (%s media)", t->breed);
	free(info);
	return t->kernel != NULL;
}

static bool try_pxeboot(const char *src, const char *arch, struct tree *t)
{
	if (!source_exists(src, "images/pxeboot/vmlinuz"))
		return false;
	t->kernel = join2(src, "images/pxeboot/vmlinuz");
	t->initrd = join2(src, "images/pxeboot/initrd.img");
	snprintf(t->breed, sizeof(t->breed), "redhat");
	snprintf(t->arch, sizeof(t->arch), "%s", arch);
	snprintf(t->layout, sizeof(t->layout), "images/pxeboot");
	return true;
}

static bool try_flat(const char *src, const char *arch, struct tree *t)
{
	static const char *const pairs[][2] = {
		{ "linux", "initrd.gz" }, { "vmlinuz", "initrd.img" }, { "vmlinuz", "initrd.gz" },
	};

	for (size_t i = 0; i < 3; i++) {
		if (source_exists(src, pairs[i][0]) && source_exists(src, pairs[i][1])) {
			t->kernel = join2(src, pairs[i][0]);
			t->initrd = join2(src, pairs[i][1]);
			snprintf(t->breed, sizeof(t->breed), "generic");
			snprintf(t->arch, sizeof(t->arch), "%s", arch);
			snprintf(t->layout, sizeof(t->layout), "kernel and initrd (%s, %s)", pairs[i][0],
				 pairs[i][1]);
			return true;
		}
	}
	return false;
}

/* The kernel's version from the start of its image (import_parse.c). */
static void kernel_version_of(const char *path, char *out, size_t len)
{
	unsigned char *img = malloc(IMPORT_KVER_SCAN);
	FILE *f = fopen(path, "rb");
	size_t n = 0;

	out[0] = '\0';
	if (img && f)
		n = fread(img, 1, IMPORT_KVER_SCAN, f);
	if (n)
		import_kernel_version(img, n, out, len);
	if (f)
		fclose(f);
	free(img);
}

static int bring_file(const char *src, const char *dst, bool progress)
{
	if (is_url(src))
		return fetch_url(src, dst, progress);
	return fs_copy_file(src, dst, 0644);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: provd distro import NAME --from DIR|URL [--arch A] [--breed B]\n"
		"                           [--kernel-options S]\n"
		"\n"
		"Recognise an install tree (.treeinfo, the Debian netboot layout,\n"
		".disk/info, images/pxeboot) and copy or fetch its kernel and initrd into\n"
		"<state>/files/NAME/, recording breed, version and sha256.\n"
		"Example (Debian's netboot package, apt-get install\n"
		"debian-installer-12-netboot-amd64):\n"
		"  provd distro import debian12 --from /usr/lib/debian-installer/images/12/amd64/text\n");
}

int cli_distro_import(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "arch", required_argument, NULL, 'a' },
		{ "breed", required_argument, NULL, 'b' },
		{ "kernel-options", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = NULL, *from = NULL, *arch = "x86_64", *breed = NULL, *kopts = NULL;
	struct tree t = { 0 };
	struct obj *o = NULL;
	char *dir = NULL, *kdst = NULL, *idst = NULL, *src = NULL;
	char ksha[65], isha[65], kver[128];
	bool progress = isatty(STDERR_FILENO);
	int ch, rc = EXIT_FAIL, r;

	optind = 0;	/* 0: full re-init, so GNU getopt permutes again after main's "+" */
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'f': from = optarg; break;
		case 'a': arch = optarg; break;
		case 'b': breed = optarg; break;
		case 'k': kopts = optarg; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc)
		name = argv[optind++];
	if (!name || !from || optind < argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!name_valid(name)) {
		fprintf(stderr, "provd: error: '%s' is not a valid distro name\n  hint: use [A-Za-z0-9._-], "
			"at most 64 characters\n", name);
		return EXIT_USAGE;
	}
	src = strdup(from);
	if (!src)
		return EXIT_FAIL;
	for (size_t n = strlen(src); n > 1 && src[n - 1] == '/'; n--)
		src[n - 1] = '\0';
	if (!is_url(src) && access(src, R_OK | X_OK) < 0) {
		fprintf(stderr, "provd: error: %s: %s\n  hint: --from takes a directory or an http(s) URL\n",
			src, strerror(errno));
		goto out;
	}
	if (!try_treeinfo(src, arch, &t) && (tree_clear(&t), !try_debian_netboot(src, arch, &t)) &&
	    (tree_clear(&t), !try_disk_info(src, arch, &t)) && (tree_clear(&t), !try_pxeboot(src, arch, &t)) &&
	    (tree_clear(&t), !try_flat(src, arch, &t))) {
		fprintf(stderr, "provd: error: %s: no install tree recognised (looked for .treeinfo, "
			"debian-installer/%s/linux, .disk/info, images/pxeboot/vmlinuz, linux+initrd.gz)\n"
			"  hint: point --from at the top of the tree, or use `provd distro add NAME "
			"--kernel K --initrd I`\n", src, deb_arch(arch));
		goto out;
	}
	fprintf(stderr, "import: %s: %s, breed %s%s%s\n", src, t.layout, breed ? breed : t.breed,
		t.version[0] ? ", version " : "", t.version);
	if (asprintf(&dir, "%s/files/%s", c->state_dir, name) < 0 || fs_mkdir_p(dir, 0755) < 0) {
		fprintf(stderr, "provd: error: cannot create %s/files/%s\n  hint: run `provd init` first\n",
			c->state_dir, name);
		goto out;
	}
	{
		const char *kb = strrchr(t.kernel, '/') + 1, *ib = strrchr(t.initrd, '/') + 1;
		kdst = join2(dir, kb);
		idst = join2(dir, ib);
		if (!kdst || !idst)
			goto out;
		if ((r = bring_file(t.kernel, kdst, progress)) < 0 ||
		    (r = bring_file(t.initrd, idst, progress)) < 0) {
			fprintf(stderr, "provd: error: copying %s: %s\n", r == -ENOENT ? "(missing file)" : "",
				strerror(-r));
			goto out;
		}
		if (sha256_file_hex(kdst, ksha) < 0 || sha256_file_hex(idst, isha) < 0)
			goto out;
		kernel_version_of(kdst, kver, sizeof(kver));
		o = model_obj_new(OBJ_DISTRO, name);
		if (!o)
			goto out;
		struct distro *ds = &o->u.distro;
		free(ds->breed);
		free(ds->arch);
		if (asprintf(&ds->kernel, "%s/%s", name, kb) < 0 || asprintf(&ds->initrd, "%s/%s", name, ib) < 0)
			goto out;
		ds->breed = strdup(breed ? breed : t.breed);
		ds->arch = strdup(t.arch);
		ds->version = t.version[0] ? strdup(t.version) : NULL;
		ds->kernel_sha256 = strdup(ksha);
		ds->initrd_sha256 = strdup(isha);
		ds->source = strdup(src);
		if (kver[0] && asprintf(&ds->comment, "kernel %s; imported from %s", kver, t.layout) < 0)
			ds->comment = NULL;
		if (kopts) {
			struct src_pos at = { 0 };
			if (kvmap_parse_cmdline(&ds->kernel_options, kopts, at) < 0) {
				fprintf(stderr, "provd: error: cannot parse --kernel-options '%s'\n", kopts);
				rc = EXIT_USAGE;
				goto out;
			}
		}
	}
	rc = cli_obj_write(c, o, STORE_UPSERT);
	if (rc == EXIT_OK)
		printf("imported distro %s (%s%s%s, kernel %s)\n", name, breed ? breed : t.breed,
		       t.version[0] ? " " : "", t.version, kver[0] ? kver : "?");
out:
	model_obj_free(o);
	tree_clear(&t);
	free(dir);
	free(kdst);
	free(idst);
	free(src);
	return rc;
}
