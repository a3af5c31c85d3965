/*
 * kvm/fw/localboot.c - boot an installed disk without running its boot
 * loader: the default entry of its grub.cfg (the kernel, initrd and
 * command line GRUB would use), read with libext2fs from the partition
 * that holds it. Partition tables: MBR primaries and GPT; a disk without
 * one is taken as a single file system. The disk is opened read-only and
 * is untrusted (a guest wrote it): every table entry and size is bounded.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ext2fs/ext2fs.h>

#include "kvm/fw/localboot.h"
#include "provd/base/log.h"

#define MAX_PARTS 16
#define FILE_MAX (1ULL << 31)

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* next whitespace-separated word of [*p, end); quotes are kept out */
static size_t word(const char **p, const char *end, const char **w)
{
	const char *s = *p;

	while (s < end && isspace((unsigned char)*s))
		s++;
	*w = s;
	while (s < end && !isspace((unsigned char)*s))
		s++;
	*p = s;
	return (size_t)(s - *w);
}

int grubcfg_first_entry(const char *text, size_t len, struct grub_entry *e, const char **why)
{
	const char *p = text, *end = text + len;
	int depth = 0, in_entry = 0;

	memset(e, 0, sizeof(*e));
	if (len > GRUBCFG_MAX) {
		*why = "grub.cfg is larger than 1 MiB";
		return -1;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end, *w, *q = p;
		size_t n = word(&q, le, &w);

		if (n == 0 || *w == '#')
			goto next;
		if (!in_entry && n == 9 && memcmp(w, "menuentry", 9) == 0) {
			/* menuentry 'Title' ... { */
			const char *t = q;

			while (t < le && isspace((unsigned char)*t))
				t++;
			if (t < le && (*t == '\'' || *t == '"')) {
				const char *c = memchr(t + 1, *t, (size_t)(le - t - 1));
				size_t tl = c ? (size_t)(c - t - 1) : 0;

				if (tl >= sizeof(e->title))
					tl = sizeof(e->title) - 1;
				memcpy(e->title, t + 1, tl);
			}
			in_entry = 1;
			depth = memchr(q, '{', (size_t)(le - q)) ? 1 : 0;
			goto next;
		}
		if (in_entry) {
			if (n == 1 && *w == '}') {
				if (--depth <= 0)
					break;
			} else if ((n == 5 && memcmp(w, "linux", 5) == 0) ||
				   (n == 8 && memcmp(w, "linuxefi", 8) == 0) ||
				   (n == 7 && memcmp(w, "linux16", 7) == 0)) {
				const char *a;
				size_t pl = word(&q, le, &a), o = 0;

				if (pl == 0 || pl >= sizeof(e->linux_path)) {
					*why = "the linux line names no usable kernel path";
					return -1;
				}
				memcpy(e->linux_path, a, pl);
				/* the arguments, minus GRUB variables ($vt_handoff) */
				while ((pl = word(&q, le, &a)) > 0) {
					if (*a == '$')
						continue;
					if (o + pl + 2 > sizeof(e->args)) {
						*why = "the kernel command line is too long";
						return -1;
					}
					if (o)
						e->args[o++] = ' ';
					memcpy(e->args + o, a, pl);
					o += pl;
				}
			} else if ((n == 6 && memcmp(w, "initrd", 6) == 0) ||
				   (n == 9 && memcmp(w, "initrdefi", 9) == 0) ||
				   (n == 8 && memcmp(w, "initrd16", 8) == 0)) {
				const char *a;
				size_t pl = word(&q, le, &a);

				if (pl && pl < sizeof(e->initrd_path) && !e->initrd_path[0])
					memcpy(e->initrd_path, a, pl);
			} else if (memchr(w, '{', n) || memchr(q, '{', (size_t)(le - q))) {
				depth++;
			}
		}
next:
		p = nl ? nl + 1 : end;
	}
	if (!in_entry) {
		*why = "grub.cfg has no menuentry";
		return -1;
	}
	if (!e->linux_path[0]) {
		*why = "grub.cfg's first menuentry has no linux line";
		return -1;
	}
	return 0;
}

/* byte offsets of the file systems to look at */
static int partitions(int fd, uint64_t *off, int max)
{
	uint8_t s[512];
	int n = 0;

	if (pread(fd, s, sizeof(s), 0) != (ssize_t)sizeof(s))
		return 0;
	if (s[510] != 0x55 || s[511] != 0xaa) {
		off[n++] = 0;	/* no table: the whole disk */
		return n;
	}
	for (int i = 0; i < 4; i++) {
		const uint8_t *e = s + 446 + 16 * i;
		uint8_t type = e[4];

		if (type == 0xee) {	/* protective MBR: read the GPT */
			uint8_t h[512], ent[128];
			uint64_t lba;
			uint32_t cnt, esz;

			if (pread(fd, h, sizeof(h), 512) != (ssize_t)sizeof(h) || memcmp(h, "EFI PART", 8))
				break;
			lba = le64(h + 72);
			cnt = le32(h + 80);
			esz = le32(h + 84);
			if (esz < 128 || esz > 4096 || cnt > 256 || lba > (1ULL << 40))
				break;
			for (uint32_t k = 0; k < cnt && n < max; k++) {
				static const uint8_t zero[16];

				if (pread(fd, ent, sizeof(ent), (off_t)(lba * 512 + (uint64_t)k * esz)) !=
				    (ssize_t)sizeof(ent))
					break;
				if (memcmp(ent, zero, 16) == 0)
					continue;
				if (le64(ent + 32) < (1ULL << 40))
					off[n++] = le64(ent + 32) * 512;
			}
			return n;
		}
		if (type == 0 || type == 0x05 || type == 0x0f || type == 0x85)
			continue;	/* empty or extended */
		if (le32(e + 8) && n < max)
			off[n++] = (uint64_t)le32(e + 8) * 512;
	}
	if (n == 0)
		off[n++] = 0;	/* a boot signature but no partitions: a bare file system */
	return n;
}

static int read_file(ext2_filsys fs, const char *path, char **buf, size_t *len, size_t max, int fd_out)
{
	ext2_ino_t ino;
	ext2_file_t f;
	char chunk[65536];
	unsigned int got;
	size_t total = 0;
	__u64 size = 0;
	errcode_t err;

	err = ext2fs_namei_follow(fs, EXT2_ROOT_INO, EXT2_ROOT_INO, path, &ino);
	if (err)
		return -ENOENT;
	if (ext2fs_file_open(fs, ino, 0, &f))
		return -EIO;
	if (ext2fs_file_get_lsize(f, &size) || size > max) {
		ext2fs_file_close(f);
		return -EFBIG;
	}
	if (buf) {
		*buf = malloc((size_t)size + 1);
		if (!*buf) {
			ext2fs_file_close(f);
			return -ENOMEM;
		}
	}
	for (;;) {
		err = ext2fs_file_read(f, chunk, sizeof(chunk), &got);
		if (err || got == 0)
			break;
		if (total + got > max) {
			err = EFBIG;
			break;
		}
		if (buf) {
			memcpy(*buf + total, chunk, got);
		} else if (write(fd_out, chunk, got) != (ssize_t)got) {
			err = EIO;
			break;
		}
		total += got;
	}
	ext2fs_file_close(f);
	if (err) {
		if (buf) {
			free(*buf);
			*buf = NULL;
		}
		return -EIO;
	}
	if (buf)
		(*buf)[total] = '\0';
	*len = total;
	return 0;
}

static int extract(ext2_filsys fs, const char *path, const char *dir, const char *as, char *out,
		   size_t outmax)
{
	size_t len;
	int fd, r;

	if (snprintf(out, outmax, "%s/%s", dir, as) >= (int)outmax)
		return -ENAMETOOLONG;
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	r = read_file(fs, path, NULL, &len, FILE_MAX, fd);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0) {
		unlink(out);
		out[0] = '\0';
	}
	return r;
}

/* the file system's UUID as root=UUID= wants it (8-4-4-4-12, lower case) */
static void fs_uuid(const uint8_t *u, char *out)
{
	int o = 0;

	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		o += sprintf(out + o, "%02x", u[i]);
	}
}

/* one file system: its grub.cfg, else Debian's /vmlinuz links */
static int try_fs(ext2_filsys fs, int part, const char *dir, struct vm_netboot *o)
{
	static const char *cfgs[] = { "/boot/grub/grub.cfg", "/grub/grub.cfg" };
	struct grub_entry *e = calloc(1, sizeof(*e));
	char *text = NULL, uuid[40];
	const char *why = NULL, *kpath = NULL, *ipath = NULL;
	size_t len;
	int r = -ENOENT;

	if (!e)
		return -ENOMEM;
	fs_uuid(fs->super->s_uuid, uuid);
	for (unsigned int i = 0; i < 2 && !kpath; i++) {
		if (read_file(fs, cfgs[i], &text, &len, GRUBCFG_MAX, -1) < 0)
			continue;
		if (grubcfg_first_entry(text, len, e, &why) < 0) {
			log_warn("vm: localboot: partition %d %s: %s", part, cfgs[i], why);
		} else {
			kpath = e->linux_path;
			ipath = e->initrd_path[0] ? e->initrd_path : NULL;
			snprintf(o->config, sizeof(o->config), "partition %d %s", part, cfgs[i]);
			snprintf(o->label, sizeof(o->label), "%s", e->title);
			snprintf(o->append, sizeof(o->append), "%s", e->args);
		}
		free(text);
		text = NULL;
	}
	if (!kpath) {
		ext2_ino_t ino;

		if (ext2fs_namei_follow(fs, EXT2_ROOT_INO, EXT2_ROOT_INO, "/vmlinuz", &ino) == 0) {
			kpath = "/vmlinuz";
			ipath = "/initrd.img";
		} else if (ext2fs_namei_follow(fs, EXT2_ROOT_INO, EXT2_ROOT_INO, "/boot/vmlinuz", &ino) == 0) {
			kpath = "/boot/vmlinuz";
			ipath = "/boot/initrd.img";
		}
		if (kpath) {
			snprintf(o->config, sizeof(o->config), "partition %d %s (no grub.cfg)", part, kpath);
			snprintf(o->label, sizeof(o->label), "%s", "linux");
			snprintf(o->append, sizeof(o->append), "root=UUID=%s ro console=ttyS0", uuid);
		}
	}
	if (kpath) {
		snprintf(o->kernel_tftp, sizeof(o->kernel_tftp), "%s", kpath);
		r = extract(fs, kpath, dir, "kernel", o->kernel, sizeof(o->kernel));
		if (r < 0)
			log_err("vm: localboot: partition %d: cannot read %s: %s", part, kpath, strerror(-r));
		else if (ipath) {
			snprintf(o->initrd_tftp, sizeof(o->initrd_tftp), "%s", ipath);
			r = extract(fs, ipath, dir, "initrd", o->initrd, sizeof(o->initrd));
			if (r == -ENOENT && !e->initrd_path[0]) {
				o->initrd_tftp[0] = '\0';
				r = 0;	/* the fallback's initrd link is optional */
			} else if (r < 0) {
				log_err("vm: localboot: partition %d: cannot read %s: %s", part, ipath,
					strerror(-r));
			}
		}
	}
	free(e);
	return r;
}

int fw_localboot(const char *disk, const char *dir, struct vm_netboot *o)
{
	uint64_t off[MAX_PARTS];
	int fd, n, r = -ENOENT;

	fd = open(disk, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		log_err("vm: localboot: cannot open %s: %s", disk, strerror(errno));
		return r;
	}
	n = partitions(fd, off, MAX_PARTS);
	close(fd);
	initialize_ext2_error_table();
	for (int i = 0; i < n && r == -ENOENT; i++) {
		char opts[64];
		ext2_filsys fs;

		snprintf(opts, sizeof(opts), "offset=%llu", (unsigned long long)off[i]);
		if (ext2fs_open2(disk, opts, 0, 0, 0, unix_io_manager, &fs))
			continue;	/* not ext2/3/4 */
		r = try_fs(fs, i + 1, dir, o);
		ext2fs_close_free(&fs);
	}
	if (r == -ENOENT)
		log_err("vm: localboot: %s: no ext2/3/4 file system with /boot/grub/grub.cfg or "
			"/vmlinuz in %d place(s) looked at", disk, n);
	return r;
}
