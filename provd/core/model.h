/* model: the objects admins edit — distro, profile, system — as typed C
 * structs, plus loading one object from YAML text and writing it back.
 *
 * One YAML file per object (<state>/{distros,profiles,systems}/NAME.yaml).
 * Loading goes through a field table (provd/core/model.c: name, type,
 * offset, required, validator); every value remembers where it was written
 * (file:line:col) so that validation errors and `show --resolved` can point
 * at it. Cross-object checks (references, cycles, duplicate MACs) live in
 * snapshot.c; this module checks one object on its own.
 *
 * Ownership: every string in an object is owned by the object and freed by
 * model_obj_free(). Objects inside a snapshot are immutable: treat them as
 * const and never free them.
 */
#ifndef PROVD_CORE_MODEL_H
#define PROVD_CORE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "provd/base/err.h"
#include "provd/core/yaml.h"	/* struct src_pos */

enum obj_kind {
	OBJ_DISTRO = 0,
	OBJ_PROFILE = 1,
	OBJ_SYSTEM = 2,
};
#define OBJ_KIND_COUNT 3

/* "distro", "profile", "system" */
const char *obj_kind_name(enum obj_kind k);
/* "distros", "profiles", "systems": the folder under the state dir */
const char *obj_kind_dir(enum obj_kind k);
/* "distro" -> OBJ_DISTRO; 0 or -EINVAL */
int obj_kind_parse(const char *s, enum obj_kind *out);

/* A value in a kernel_options or meta map: a string, a list of strings, or
 * null (for kernel_options, null means a bare flag such as `quiet`). */
enum kv_type {
	KV_NULL = 0,
	KV_STR = 1,
	KV_LIST = 2,
};

struct kv {
	char *key;		/* without the leading '-' of a removal */
	enum kv_type type;
	char *str;		/* KV_STR */
	char **list;		/* KV_LIST: nlist strings */
	size_t nlist;
	bool remove;		/* written as "-key": drop an inherited key */
	struct src_pos at;	/* position of the key */
};

/* An ordered map (order as written; keys unique). */
struct kvmap {
	struct kv *v;
	size_t n, cap;
};

const struct kv *kvmap_get(const struct kvmap *m, const char *key);
/* Set key to a string (or KV_NULL when value is NULL), replacing an existing
 * entry. 0 or -ENOMEM. */
int kvmap_set(struct kvmap *m, const char *key, const char *value, bool remove);
/* Parse "a=b c -d e=f" (kernel command-line form) into m, appending/replacing.
 * A key given twice becomes a list (console=tty0 console=ttyS0). Quotes
 * ("a b") group words as the kernel does. 0 or -EINVAL/-ENOMEM. */
int kvmap_parse_cmdline(struct kvmap *m, const char *s, struct src_pos at);
void kvmap_free(struct kvmap *m);

/* Optional VM settings of a profile (for build-vm). A zero/NULL field is
 * unset and inherited. */
struct vm_settings {
	uint64_t memory_mib;	/* vm.memory: MiB */
	uint32_t vcpus;		/* vm.vcpus */
	uint64_t disk_size;	/* vm.disk_size: bytes ("20G" in YAML) */
	char *disk_format;	/* vm.disk_format: "raw" | "qcow2" */
	struct src_pos memory_at, vcpus_at, disk_size_at, disk_format_at;
};

/* Boot loader override: which loader DHCP/HTTP hand out (bootsel.h). */
#define LOADER_NAMES "pxelinux, grub, ipxe"

/* Breeds decide how the autoinstall URL goes on the kernel command line. */
#define BREED_NAMES "debian, ubuntu, fedora, redhat, generic"

struct distro {
	char *name;		/* from the file name */
	char *file;		/* path of the YAML file (or "<input>") */
	char *kernel;		/* required: path relative to <state>/files, absolute, or http(s) URL */
	char *initrd;		/* required: same */
	char *breed;		/* default "generic" */
	char *arch;		/* default "x86_64" */
	char *version;		/* optional: filled by import ("12", "bookworm") */
	char *kernel_sha256;	/* optional: recorded by import */
	char *initrd_sha256;	/* optional */
	char *source;		/* optional: where import took it from */
	char *comment;		/* optional, free text */
	struct kvmap kernel_options;
	struct kvmap meta;
	struct src_pos kernel_at, initrd_at, breed_at, arch_at, version_at,
		kernel_sha256_at, initrd_sha256_at, source_at, comment_at,
		kernel_options_at, meta_at;
};

struct profile {
	char *name;
	char *file;
	char *distro;		/* exactly one of distro and parent */
	char *parent;
	char *autoinstall;	/* template name, e.g. "preseed/debian.cfg" */
	char *loader;		/* optional loader override (LOADER_NAMES) */
	char *comment;
	struct kvmap kernel_options;
	struct kvmap meta;
	struct vm_settings vm;
	struct src_pos distro_at, parent_at, autoinstall_at, loader_at, comment_at,
		kernel_options_at, meta_at, vm_at;
};

struct iface {
	char mac[18];		/* normalised lower-case colon form */
	char *ip;		/* optional dotted IPv4 */
	char *hostname;		/* optional */
	struct src_pos mac_at, ip_at, hostname_at, at;
};

struct system {
	char *name;
	char *file;
	char *profile;		/* required */
	struct iface *interfaces;	/* at least one */
	size_t ninterfaces;
	char *hostname;		/* optional system-wide hostname */
	bool netboot;		/* default true */
	bool pxe_just_once;	/* default false: "done" callback turns netboot off */
	char *autoinstall;	/* optional override of the profile's template */
	char *loader;		/* optional loader override */
	char *comment;
	struct kvmap kernel_options;
	struct kvmap meta;
	struct src_pos profile_at, interfaces_at, hostname_at, netboot_at,
		pxe_just_once_at, autoinstall_at, loader_at, comment_at,
		kernel_options_at, meta_at;
};

/* A loaded object of any kind. */
struct obj {
	enum obj_kind kind;
	union {
		struct distro distro;
		struct profile profile;
		struct system system;
	} u;
	char sha256[65];	/* hex digest of the file content (ETags, change detection) */
	/* Private to snapshot.c: reference count of the snapshots sharing
	 * this object, and the identity of the file it was loaded from, so
	 * snapshot_reload() can reuse objects whose file did not change. */
	int refs;
	uint64_t f_ino, f_size;
	int64_t f_mtime_ns, f_ctime_ns;
};

/* Parse one object from YAML text. name is the object's name (from the file
 * name); file is used in diagnostics and src_pos. Every problem found is added
 * to d (unknown keys, wrong types, bad names/MACs/IPs, missing required
 * fields) with its position and a hint. Returns 0 and *out (caller frees with
 * model_obj_free) or a negative errno (-EINVAL when d got errors). */
int model_obj_parse(enum obj_kind kind, const char *name, const char *file,
		    const char *text, size_t len, struct diags *d, struct obj **out);
/* A new empty object with defaults (netboot true, breed "generic", ...);
 * caller fills it and frees it with model_obj_free. NULL on ENOMEM. */
struct obj *model_obj_new(enum obj_kind kind, const char *name);
void model_obj_free(struct obj *o);

/* Serialise to YAML in canonical key order (comments are not kept). Caller
 * frees. NULL on ENOMEM. model_obj_parse() of the result gives the same
 * object. */
char *model_obj_to_yaml(const struct obj *o, size_t *len);

/* Kernel options as a command line ("a=b c"), removals left out; caller
 * frees. */
char *kvmap_to_cmdline(const struct kvmap *m);

#endif
