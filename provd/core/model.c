/* model: field tables for distro, profile and system; per-object validation;
 * kernel_options/meta maps; canonical YAML output. */
#include <config.h>
#include "provd/core/model.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "provd/base/buf.h"
#include "provd/base/log.h"
#include "provd/base/netaddr.h"
#include "provd/base/sha256.h"
#include "provd/base/strparse.h"

#define MAX_INTERFACES 64
#define MAX_MAP_KEYS 512
#define MAX_LIST 1024

static const char *const kind_names[] = { "distro", "profile", "system" };
static const char *const kind_dirs[] = { "distros", "profiles", "systems" };

const char *obj_kind_name(enum obj_kind k)
{
	return (unsigned)k < OBJ_KIND_COUNT ? kind_names[k] : "?";
}

const char *obj_kind_dir(enum obj_kind k)
{
	return (unsigned)k < OBJ_KIND_COUNT ? kind_dirs[k] : "?";
}

int obj_kind_parse(const char *s, enum obj_kind *out)
{
	for (int i = 0; i < OBJ_KIND_COUNT; i++) {
		if (strcmp(s, kind_names[i]) == 0 || strcmp(s, kind_dirs[i]) == 0) {
			*out = (enum obj_kind)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* ---- kv maps ---- */

static void kv_clear(struct kv *e)
{
	free(e->key);
	free(e->str);
	for (size_t i = 0; i < e->nlist; i++)
		free(e->list[i]);
	free(e->list);
	memset(e, 0, sizeof(*e));
}

void kvmap_free(struct kvmap *m)
{
	for (size_t i = 0; i < m->n; i++)
		kv_clear(&m->v[i]);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

const struct kv *kvmap_get(const struct kvmap *m, const char *key)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->v[i].key, key) == 0)
			return &m->v[i];
	return NULL;
}

static struct kv *kvmap_slot(struct kvmap *m, const char *key, bool *fresh)
{
	for (size_t i = 0; i < m->n; i++) {
		if (strcmp(m->v[i].key, key) == 0) {
			*fresh = false;
			return &m->v[i];
		}
	}
	if (m->n == m->cap) {
		size_t ncap = m->cap ? m->cap * 2 : 4;
		struct kv *nv = realloc(m->v, ncap * sizeof(*nv));
		if (!nv)
			return NULL;
		m->v = nv;
		m->cap = ncap;
	}
	memset(&m->v[m->n], 0, sizeof(m->v[0]));
	if (!(m->v[m->n].key = strdup(key)))
		return NULL;
	*fresh = true;
	return &m->v[m->n++];
}

int kvmap_set(struct kvmap *m, const char *key, const char *value, bool remove)
{
	bool fresh;
	struct kv *e = kvmap_slot(m, key, &fresh);
	char *k;

	if (!e)
		return -ENOMEM;
	k = e->key;
	e->key = NULL;
	kv_clear(e);
	e->key = k;
	e->remove = remove;
	if (value && !remove) {
		if (!(e->str = strdup(value)))
			return -ENOMEM;
		e->type = KV_STR;
	}
	return 0;
}

/* Append value to key: a second value turns a string into a list. */
static int kvmap_add(struct kvmap *m, const char *key, const char *value, bool remove,
		     struct src_pos at)
{
	bool fresh;
	struct kv *e = kvmap_slot(m, key, &fresh);

	if (!e)
		return -ENOMEM;
	if (fresh || remove || e->remove || !value || e->type == KV_NULL) {
		int r = kvmap_set(m, key, value, remove);
		if (r < 0)
			return r;
		e->at = at;
		return 0;
	}
	if (e->type == KV_STR) {
		char **l = malloc(sizeof(*l));
		if (!l)
			return -ENOMEM;
		l[0] = e->str;
		e->str = NULL;
		e->list = l;
		e->nlist = 1;
		e->type = KV_LIST;
	}
	if (e->nlist >= MAX_LIST)
		return -E2BIG;
	{
		char **l = realloc(e->list, (e->nlist + 1) * sizeof(*l));
		if (!l)
			return -ENOMEM;
		e->list = l;
	}
	if (!(e->list[e->nlist] = strdup(value)))
		return -ENOMEM;
	e->nlist++;
	return 0;
}

static bool kopt_key_ok(const char *k)
{
	if (!*k)
		return false;
	for (; *k; k++)
		if (isspace((unsigned char)*k) || *k == '=' || *k == '"' || !isprint((unsigned char)*k))
			return false;
	return true;
}

int kvmap_parse_cmdline(struct kvmap *m, const char *s, struct src_pos at)
{
	char tok[4096];

	while (*s) {
		size_t n = 0;
		bool quoted = false;
		char *eq, *key;
		bool remove;
		int r;

		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		/* A token runs to unquoted whitespace; quotes group words the
		 * way the kernel's own parser (lib/cmdline.c next_arg) does. */
		for (; *s && (quoted || !isspace((unsigned char)*s)); s++) {
			if (*s == '"') {
				quoted = !quoted;
				continue;
			}
			if (n + 1 >= sizeof(tok))
				return -E2BIG;
			tok[n++] = *s;
		}
		if (quoted)
			return -EINVAL;
		tok[n] = '\0';
		key = tok;
		remove = key[0] == '-' && key[1];
		if (remove)
			key++;
		eq = strchr(key, '=');
		if (eq)
			*eq = '\0';
		if (!kopt_key_ok(key))
			return -EINVAL;
		if (m->n >= MAX_MAP_KEYS)
			return -E2BIG;
		r = kvmap_add(m, key, eq ? eq + 1 : NULL, remove, at);
		if (r < 0)
			return r;
	}
	return 0;
}

static int cmdline_word(struct buf *b, const char *key, const char *val)
{
	if (b->len)
		buf_putc(b, ' ');
	if (!val)
		return buf_puts(b, key);
	if (strpbrk(val, " \t"))
		return buf_printf(b, "%s=\"%s\"", key, val);
	return buf_printf(b, "%s=%s", key, val);
}

char *kvmap_to_cmdline(const struct kvmap *m)
{
	struct buf b;

	buf_init(&b, 1 << 20);
	for (size_t i = 0; i < m->n; i++) {
		const struct kv *e = &m->v[i];
		if (e->remove)
			continue;
		if (e->type == KV_LIST)
			for (size_t j = 0; j < e->nlist; j++)
				cmdline_word(&b, e->key, e->list[j]);
		else
			cmdline_word(&b, e->key, e->type == KV_STR ? e->str : NULL);
	}
	return buf_steal(&b, NULL);
}

/* ---- validators: NULL when fine, else the message; *hint what to do ---- */

static const char *v_name(const char *v, const char **hint)
{
	if (name_valid(v))
		return NULL;
	*hint = "names are 1-64 characters of letters, digits, '.', '_' and '-'";
	return "not a valid object name";
}

static bool is_url(const char *v)
{
	return strncmp(v, "http://", 7) == 0 || strncmp(v, "https://", 8) == 0;
}

static bool has_dotdot(const char *v)
{
	for (const char *p = v; (p = strstr(p, "..")); p += 2) {
		bool start = p == v || p[-1] == '/';
		bool end = p[2] == '\0' || p[2] == '/';
		if (start && end)
			return true;
	}
	return false;
}

static const char *v_bootfile(const char *v, const char **hint)
{
	*hint = "give a path under <state>/files, an absolute path, or an http(s):// URL";
	for (const char *p = v; *p; p++)
		if (!isprint((unsigned char)*p) || *p == ' ')
			return "path contains spaces or control characters";
	if (is_url(v)) {
		const char *host = strstr(v, "://") + 3;
		if (!*host || *host == '/')
			return "URL has no host";
		return NULL;
	}
	if (strstr(v, "://"))
		return "only http:// and https:// URLs are supported";
	if (has_dotdot(v)) {
		*hint = "paths may not climb out with '..'; use an absolute path instead";
		return "path contains a '..' component";
	}
	return NULL;
}

static const char *v_breed(const char *v, const char **hint)
{
	static const char *const ok[] = { "debian", "ubuntu", "fedora", "redhat", "generic" };

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(v, ok[i]) == 0)
			return NULL;
	*hint = "use one of: " BREED_NAMES;
	return "unknown breed";
}

static const char *v_arch(const char *v, const char **hint)
{
	static const char *const ok[] = { "x86_64", "i386", "aarch64" };

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(v, ok[i]) == 0)
			return NULL;
	*hint = "use one of: x86_64, i386, aarch64";
	return "unknown architecture";
}

static const char *v_loader(const char *v, const char **hint)
{
	if (strcmp(v, "pxelinux") == 0 || strcmp(v, "grub") == 0 || strcmp(v, "ipxe") == 0)
		return NULL;
	*hint = "use one of: " LOADER_NAMES;
	return "unknown boot loader";
}

static const char *v_sha256(const char *v, const char **hint)
{
	size_t n = strlen(v);

	*hint = "64 lower-case hex digits (sha256sum output)";
	if (n != 64)
		return "not a sha256 digest";
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)v[i]) || isupper((unsigned char)v[i]))
			return "not a sha256 digest";
	return NULL;
}

static const char *v_template(const char *v, const char **hint)
{
	*hint = "a template name such as preseed/debian.cfg, relative to the templates folder";
	if (!*v || v[0] == '/')
		return "template names are relative";
	if (has_dotdot(v))
		return "template name contains a '..' component";
	for (const char *p = v; *p; p++)
		if (!(isalnum((unsigned char)*p) || strchr("._-/+", *p)))
			return "template name contains unusual characters";
	return NULL;
}

static const char *v_ipv4(const char *v, const char **hint)
{
	uint32_t a;

	if (ipv4_parse(v, &a) == 0)
		return NULL;
	*hint = "a dotted IPv4 address such as 192.0.2.10";
	return "not an IPv4 address";
}

static const char *v_hostname(const char *v, const char **hint)
{
	size_t n = strlen(v), lab = 0;

	/* RFC 1123 §2.1 host names. */
	*hint = "letters, digits and '-' in dot-separated labels of at most 63 characters";
	if (n == 0 || n > 253)
		return "bad host name length";
	for (size_t i = 0; i <= n; i++) {
		char c = v[i];
		if (c == '.' || c == '\0') {
			if (lab == 0 || v[i - 1] == '-')
				return "not a valid host name";
			lab = 0;
			continue;
		}
		if (!(isalnum((unsigned char)c) || c == '-') || (lab == 0 && c == '-'))
			return "not a valid host name";
		if (++lab > 63)
			return "host name label longer than 63 characters";
	}
	return NULL;
}

static const char *v_disk_format(const char *v, const char **hint)
{
	if (strcmp(v, "raw") == 0 || strcmp(v, "qcow2") == 0)
		return NULL;
	*hint = "use raw or qcow2";
	return "unknown disk format";
}

static const char *v_text(const char *v, const char **hint)
{
	return NULL;
}

/* ---- custom binders ---- */

static bool meta_key_ok(const char *k)
{
	if (!(isalpha((unsigned char)*k) || *k == '_'))
		return false;
	for (k++; *k; k++)
		if (!(isalnum((unsigned char)*k) || *k == '_'))
			return false;
	return true;
}

static int bind_kvmap(struct ybind *b, const struct ynode *n, struct kvmap *m, bool meta)
{
	const char *what = meta ? "meta" : "kernel_options";
	int r;

	kvmap_free(m);
	if (ynode_is_null(n))
		return 0;
	if (n->type == YNODE_SCALAR) {
		r = kvmap_parse_cmdline(m, n->str, ybind_pos(b, n));
		if (r == -ENOMEM)
			return r;
		if (r < 0) {
			ybind_error(b, n, "write key=value words separated by spaces; \"quote\" values with spaces",
				    "%s: cannot parse '%s'", what, n->str);
			return 0;
		}
		if (meta) {
			for (size_t i = 0; i < m->n; i++)
				if (!meta_key_ok(m->v[i].key))
					ybind_error(b, n, "meta keys are template variable names: letters, digits, '_'",
						    "meta: bad key '%s'", m->v[i].key);
		}
		return 0;
	}
	if (n->type != YNODE_MAP) {
		ybind_error(b, n, "write key: value lines (or one line of key=value words)",
			    "%s: expected a mapping, got %s", what, ynode_type_desc(n));
		return 0;
	}
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *k = n->items[2 * i], *v = n->items[2 * i + 1];
		const char *key;
		bool remove;
		struct kv *e;
		bool fresh;

		if (k->type != YNODE_SCALAR || ynode_is_null(k)) {
			ybind_error(b, k, NULL, "%s: keys must be plain words", what);
			continue;
		}
		key = k->str;
		remove = key[0] == '-' && key[1];
		if (remove)
			key++;
		if (meta ? !meta_key_ok(key) : !kopt_key_ok(key)) {
			ybind_error(b, k, meta ? "meta keys are template variable names: letters, digits, '_'"
					       : "kernel option names have no spaces, quotes or '='",
				    "%s: bad key '%s'", what, k->str);
			continue;
		}
		if (kvmap_get(m, key)) {
			ybind_error(b, k, "keep one; for a repeated kernel option use a list",
				    "%s: duplicate key '%s'", what, key);
			continue;
		}
		if (m->n >= MAX_MAP_KEYS) {
			ybind_error(b, k, NULL, "%s: too many keys", what);
			return 0;
		}
		if (!(e = kvmap_slot(m, key, &fresh)))
			return -ENOMEM;
		e->at = ybind_pos(b, k);
		e->remove = remove;
		if (remove || ynode_is_null(v)) {
			e->type = KV_NULL;
		} else if (v->type == YNODE_SCALAR) {
			e->type = KV_STR;
			if (!(e->str = strdup(v->str)))
				return -ENOMEM;
		} else if (v->type == YNODE_SEQ) {
			e->type = KV_LIST;
			if (v->n > MAX_LIST) {
				ybind_error(b, v, NULL, "%s.%s: list too long", what, key);
				continue;
			}
			e->list = calloc(v->n ? v->n : 1, sizeof(char *));
			if (!e->list)
				return -ENOMEM;
			for (size_t j = 0; j < v->n; j++) {
				const struct ynode *it = v->items[j];
				if (it->type != YNODE_SCALAR) {
					ybind_error(b, it, "list items are plain values",
						    "%s.%s: expected a string, got %s", what, key,
						    ynode_type_desc(it));
					continue;
				}
				if (!(e->list[e->nlist++] = strdup(it->str)))
					return -ENOMEM;
			}
		} else {
			ybind_error(b, v, "give a value or a list of values",
				    "%s.%s: expected a string or a list, got %s", what, key,
				    ynode_type_desc(v));
		}
	}
	return 0;
}

static int bind_kopts(struct ybind *b, const struct ynode *n, void *target)
{
	return bind_kvmap(b, n, target, false);
}

static int bind_meta(struct ybind *b, const struct ynode *n, void *target)
{
	return bind_kvmap(b, n, target, true);
}

static int bind_objname(struct ybind *b, const struct ynode *n, void *target)
{
	const char *s = ybind_scalar(b, n, "name");
	const char *want = b->user;

	if (s && want && strcmp(s, want) != 0)
		ybind_error(b, n, "an object's name is its file name; rename the file instead",
			    "name '%s' does not match the file name '%s'", s, want);
	return 0;
}

static const struct yfield iface_fields[] = {
	{ .name = "mac", .type = YF_CUSTOM, .off = 0, .pos_off = -1, .required = true },	/* filled below */
	{ .name = "ip", .type = YF_STR, .off = offsetof(struct iface, ip), .pos_off = offsetof(struct iface, ip_at), .required = false, .valid = v_ipv4 },
	{ .name = "hostname", .type = YF_STR, .off = offsetof(struct iface, hostname), .pos_off = offsetof(struct iface, hostname_at), .required = false, .valid = v_hostname },
};

static int bind_mac(struct ybind *b, const struct ynode *n, void *target)
{
	struct iface *ifc = (struct iface *)((char *)target - offsetof(struct iface, mac));
	const char *s = ybind_scalar(b, n, "mac");

	if (!s)
		return 0;
	ifc->mac_at = ybind_pos(b, n);
	if (mac_normalise(s, ifc->mac) < 0)
		ybind_error(b, n, "six hex bytes such as 52:54:00:12:34:56 (':' or '-' separated, or bare)",
			    "mac: '%s' is not a MAC address", s);
	return 0;
}

static int bind_ifaces(struct ybind *b, const struct ynode *n, void *target)
{
	struct system *sys = (struct system *)((char *)target - offsetof(struct system, interfaces));
	struct yfield f[3];

	memcpy(f, iface_fields, sizeof(f));
	f[0].custom = bind_mac;
	f[0].off = offsetof(struct iface, mac);
	if (!n || n->type != YNODE_SEQ || n->n == 0) {
		ybind_error(b, n, "list at least one interface:\n    interfaces:\n      - mac: 52:54:00:12:34:56",
			    "interfaces: expected a list of interfaces, got %s",
			    n && n->type == YNODE_SEQ ? "an empty list" : ynode_type_desc(n));
		return 0;
	}
	if (n->n > MAX_INTERFACES) {
		ybind_error(b, n, NULL, "interfaces: more than %d", MAX_INTERFACES);
		return 0;
	}
	sys->interfaces = calloc(n->n, sizeof(*sys->interfaces));
	if (!sys->interfaces)
		return -ENOMEM;
	for (size_t i = 0; i < n->n; i++) {
		struct iface *ifc = &sys->interfaces[sys->ninterfaces++];
		const struct ynode *it = n->items[i];
		ifc->at = ybind_pos(b, it);
		if (it->type == YNODE_SCALAR && !ynode_is_null(it)) {
			/* "- 52:54:00:..": a bare MAC is an interface too. */
			ifc->mac_at = ifc->at;
			if (mac_normalise(it->str, ifc->mac) < 0)
				ybind_error(b, it, "six hex bytes such as 52:54:00:12:34:56",
					    "interfaces: '%s' is not a MAC address", it->str);
			continue;
		}
		ybind_map(b, it, f, 3, ifc);
	}
	/* The same MAC twice in one system. */
	for (size_t i = 0; i < sys->ninterfaces; i++)
		for (size_t j = 0; j < i; j++)
			if (sys->interfaces[i].mac[0] && strcmp(sys->interfaces[i].mac, sys->interfaces[j].mac) == 0) {
				const struct iface *x = &sys->interfaces[i];
				diags_add(b->d, b->file, x->mac_at.line, x->mac_at.col,
					  "each interface has its own MAC", "mac %s listed twice", x->mac);
				b->nerr++;
			}
	return 0;
}

#define D(f) offsetof(struct distro, f)
static const struct yfield distro_fields[] = {
	{ .name = "name", .type = YF_CUSTOM, .off = 0, .pos_off = -1, .required = false, .custom = bind_objname },
	{ .name = "kernel", .type = YF_STR, .off = D(kernel), .pos_off = D(kernel_at), .required = true, .valid = v_bootfile },
	{ .name = "initrd", .type = YF_STR, .off = D(initrd), .pos_off = D(initrd_at), .required = true, .valid = v_bootfile },
	{ .name = "breed", .type = YF_STR, .off = D(breed), .pos_off = D(breed_at), .required = false, .valid = v_breed },
	{ .name = "arch", .type = YF_STR, .off = D(arch), .pos_off = D(arch_at), .required = false, .valid = v_arch },
	{ .name = "version", .type = YF_STR, .off = D(version), .pos_off = D(version_at), .required = false, .valid = v_text },
	{ .name = "kernel_options", .type = YF_CUSTOM, .off = D(kernel_options), .pos_off = D(kernel_options_at), .required = false, .custom = bind_kopts },
	{ .name = "meta", .type = YF_CUSTOM, .off = D(meta), .pos_off = D(meta_at), .required = false, .custom = bind_meta },
	{ .name = "kernel_sha256", .type = YF_STR, .off = D(kernel_sha256), .pos_off = D(kernel_sha256_at), .required = false, .valid = v_sha256 },
	{ .name = "initrd_sha256", .type = YF_STR, .off = D(initrd_sha256), .pos_off = D(initrd_sha256_at), .required = false, .valid = v_sha256 },
	{ .name = "source", .type = YF_STR, .off = D(source), .pos_off = D(source_at), .required = false, .valid = v_text },
	{ .name = "comment", .type = YF_STR, .off = D(comment), .pos_off = D(comment_at), .required = false, .valid = v_text },
};
#undef D

#define V(f) offsetof(struct vm_settings, f)
static const struct yfield vm_fields[] = {
	{ .name = "memory", .type = YF_U64, .off = V(memory_mib), .pos_off = V(memory_at), .required = false, .valid = NULL, .min = 16, .max = 1 << 24 },
	{ .name = "vcpus", .type = YF_U32, .off = V(vcpus), .pos_off = V(vcpus_at), .required = false, .valid = NULL, .min = 1, .max = 256 },
	{ .name = "disk_size", .type = YF_SIZE, .off = V(disk_size), .pos_off = V(disk_size_at), .required = false, .valid = NULL, .min = 1 << 20, .max = 1ULL << 50 },
	{ .name = "disk_format", .type = YF_STR, .off = V(disk_format), .pos_off = V(disk_format_at), .required = false, .valid = v_disk_format },
};
#undef V

#define P(f) offsetof(struct profile, f)
static const struct yfield profile_fields[] = {
	{ .name = "name", .type = YF_CUSTOM, .off = 0, .pos_off = -1, .required = false, .custom = bind_objname },
	{ .name = "distro", .type = YF_STR, .off = P(distro), .pos_off = P(distro_at), .required = false, .valid = v_name },
	{ .name = "parent", .type = YF_STR, .off = P(parent), .pos_off = P(parent_at), .required = false, .valid = v_name },
	{ .name = "autoinstall", .type = YF_STR, .off = P(autoinstall), .pos_off = P(autoinstall_at), .required = false, .valid = v_template },
	{ .name = "loader", .type = YF_STR, .off = P(loader), .pos_off = P(loader_at), .required = false, .valid = v_loader },
	{ .name = "kernel_options", .type = YF_CUSTOM, .off = P(kernel_options), .pos_off = P(kernel_options_at), .required = false, .custom = bind_kopts },
	{ .name = "meta", .type = YF_CUSTOM, .off = P(meta), .pos_off = P(meta_at), .required = false, .custom = bind_meta },
	{ .name = "vm", .type = YF_MAP, .off = P(vm), .pos_off = P(vm_at), .required = false, .sub = vm_fields, .nsub = 4 },
	{ .name = "comment", .type = YF_STR, .off = P(comment), .pos_off = P(comment_at), .required = false, .valid = v_text },
};
#undef P

#define S(f) offsetof(struct system, f)
static const struct yfield system_fields[] = {
	{ .name = "name", .type = YF_CUSTOM, .off = 0, .pos_off = -1, .required = false, .custom = bind_objname },
	{ .name = "profile", .type = YF_STR, .off = S(profile), .pos_off = S(profile_at), .required = true, .valid = v_name },
	{ .name = "interfaces", .type = YF_CUSTOM, .off = S(interfaces), .pos_off = S(interfaces_at), .required = true, .custom = bind_ifaces },
	{ .name = "hostname", .type = YF_STR, .off = S(hostname), .pos_off = S(hostname_at), .required = false, .valid = v_hostname },
	{ .name = "netboot", .type = YF_BOOL, .off = S(netboot), .pos_off = S(netboot_at), .required = false },
	{ .name = "pxe_just_once", .type = YF_BOOL, .off = S(pxe_just_once), .pos_off = S(pxe_just_once_at), .required = false },
	{ .name = "autoinstall", .type = YF_STR, .off = S(autoinstall), .pos_off = S(autoinstall_at), .required = false, .valid = v_template },
	{ .name = "loader", .type = YF_STR, .off = S(loader), .pos_off = S(loader_at), .required = false, .valid = v_loader },
	{ .name = "kernel_options", .type = YF_CUSTOM, .off = S(kernel_options), .pos_off = S(kernel_options_at), .required = false, .custom = bind_kopts },
	{ .name = "meta", .type = YF_CUSTOM, .off = S(meta), .pos_off = S(meta_at), .required = false, .custom = bind_meta },
	{ .name = "comment", .type = YF_STR, .off = S(comment), .pos_off = S(comment_at), .required = false, .valid = v_text },
};
#undef S

/* ---- objects ---- */

static char **obj_name_slot(struct obj *o)
{
	switch (o->kind) {
	case OBJ_DISTRO: return &o->u.distro.name;
	case OBJ_PROFILE: return &o->u.profile.name;
	case OBJ_SYSTEM: return &o->u.system.name;
	}
	return NULL;
}

static char **obj_file_slot(struct obj *o)
{
	switch (o->kind) {
	case OBJ_DISTRO: return &o->u.distro.file;
	case OBJ_PROFILE: return &o->u.profile.file;
	case OBJ_SYSTEM: return &o->u.system.file;
	}
	return NULL;
}

struct obj *model_obj_new(enum obj_kind kind, const char *name)
{
	struct obj *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->kind = kind;
	if (!(*obj_name_slot(o) = strdup(name ? name : "")))
		goto fail;
	if (kind == OBJ_DISTRO) {
		if (!(o->u.distro.breed = strdup("generic")) || !(o->u.distro.arch = strdup("x86_64")))
			goto fail;
	} else if (kind == OBJ_SYSTEM) {
		o->u.system.netboot = true;
	}
	return o;
fail:
	model_obj_free(o);
	return NULL;
}

void model_obj_free(struct obj *o)
{
	if (!o)
		return;
	switch (o->kind) {
	case OBJ_DISTRO: {
		struct distro *d = &o->u.distro;
		free(d->kernel); free(d->initrd); free(d->breed); free(d->arch);
		free(d->version); free(d->kernel_sha256); free(d->initrd_sha256);
		free(d->source); free(d->comment);
		kvmap_free(&d->kernel_options);
		kvmap_free(&d->meta);
		break;
	}
	case OBJ_PROFILE: {
		struct profile *p = &o->u.profile;
		free(p->distro); free(p->parent); free(p->autoinstall); free(p->loader);
		free(p->comment); free(p->vm.disk_format);
		kvmap_free(&p->kernel_options);
		kvmap_free(&p->meta);
		break;
	}
	case OBJ_SYSTEM: {
		struct system *s = &o->u.system;
		for (size_t i = 0; i < s->ninterfaces; i++) {
			free(s->interfaces[i].ip);
			free(s->interfaces[i].hostname);
		}
		free(s->interfaces);
		free(s->profile); free(s->hostname); free(s->autoinstall); free(s->loader);
		free(s->comment);
		kvmap_free(&s->kernel_options);
		kvmap_free(&s->meta);
		break;
	}
	}
	free(*obj_name_slot(o));
	free(*obj_file_slot(o));
	free(o);
}

int model_obj_parse(enum obj_kind kind, const char *name, const char *file,
		    const char *text, size_t len, struct diags *d, struct obj **out)
{
	struct ynode *root = NULL;
	struct obj *o = NULL;
	struct ybind b = { .d = d, .user = name };
	size_t before = d->n;
	int r;

	*out = NULL;
	if ((unsigned)kind >= OBJ_KIND_COUNT)
		return -EINVAL;
	o = model_obj_new(kind, name);
	if (!o)
		return -ENOMEM;
	if (!(*obj_file_slot(o) = strdup(file ? file : "<input>"))) {
		r = -ENOMEM;
		goto out;
	}
	b.file = *obj_file_slot(o);
	sha256_hex(text, len, o->sha256);
	if (!name_valid(name)) {
		char esc[4 * NAME_MAX_LEN + 8];
		/* The name comes from a file name: escape it before printing. */
		log_escape(esc, sizeof(esc), name, strlen(name));
		diags_add(d, b.file, 0, 0, "names are 1-64 characters of letters, digits, '.', '_' and '-'",
			  "'%s' is not a valid %s name", esc, obj_kind_name(kind));
		b.nerr++;
	}
	r = ynode_parse(text, len, b.file, d, &root);
	if (r < 0)
		goto out;
	if (!root) {
		diags_add(d, b.file, 0, 0, "write the object as key: value lines (see docs/objects.md)",
			  "empty %s file", obj_kind_name(kind));
		r = -EINVAL;
		goto out;
	}
	switch (kind) {
	case OBJ_DISTRO:
		ybind_map(&b, root, distro_fields, sizeof(distro_fields) / sizeof(distro_fields[0]), &o->u.distro);
		break;
	case OBJ_PROFILE: {
		struct profile *p = &o->u.profile;
		ybind_map(&b, root, profile_fields, sizeof(profile_fields) / sizeof(profile_fields[0]), p);
		if (root->type != YNODE_MAP)
			break;
		if (p->distro && p->parent) {
			diags_add(d, b.file, p->parent_at.line, p->parent_at.col,
				  "a profile takes its distro either directly or from its parent; drop one",
				  "profile has both 'distro' and 'parent'");
			b.nerr++;
		} else if (!p->distro && !p->parent &&
			   ynode_is_null(ynode_get(root, "distro")) && ynode_is_null(ynode_get(root, "parent"))) {
			/* (a bad non-empty value was already reported as such) */
			diags_add(d, b.file, root->line, root->col, "add 'distro: NAME' or 'parent: PROFILE'",
				  "profile needs a distro or a parent profile");
			b.nerr++;
		}
		break;
	}
	case OBJ_SYSTEM:
		ybind_map(&b, root, system_fields, sizeof(system_fields) / sizeof(system_fields[0]), &o->u.system);
		break;
	}
	if (b.oom)
		r = -ENOMEM;
	else if (b.nerr || d->n > before)
		r = -EINVAL;
out:
	ynode_free(root);
	if (r < 0) {
		model_obj_free(o);
		return r;
	}
	*out = o;
	return 0;
}

/* ---- YAML output ---- */

static bool yaml_word_special(const char *s)
{
	static const char *const words[] = { "y", "n", "yes", "no", "true", "false", "on", "off",
					     "null", "~" };

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasecmp(s, words[i]) == 0)
			return true;
	return false;
}

/* One UTF-8 sequence at p: its length, or -1 when it is not valid UTF-8
 * (RFC 3629: no overlongs, no surrogates, at most U+10FFFF). */
static int utf8_decode(const char *p, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)p;
	int n;
	uint32_t v, min;

	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	}
	if ((u[0] & 0xe0) == 0xc0) {
		n = 2; v = u[0] & 0x1f; min = 0x80;
	} else if ((u[0] & 0xf0) == 0xe0) {
		n = 3; v = u[0] & 0x0f; min = 0x800;
	} else if ((u[0] & 0xf8) == 0xf0) {
		n = 4; v = u[0] & 0x07; min = 0x10000;
	} else {
		return -1;
	}
	for (int i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return -1;
		v = (v << 6) | (u[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return -1;
	*cp = v;
	return n;
}

/* What a YAML 1.1 stream may carry unescaped (libyaml's "printable"). */
static bool yaml_printable(uint32_t c)
{
	return c == 0x9 || c == 0xa || c == 0xd || (c >= 0x20 && c <= 0x7e) || c == 0x85 ||
	       (c >= 0xa0 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd && c != 0xfeff) ||
	       (c >= 0x10000 && c <= 0x10ffff);
}

/* Plain when unambiguous to any YAML 1.1/1.2 reader, else double-quoted. */
static void yaml_scalar(struct buf *b, const char *s)
{
	bool plain = *s && !yaml_word_special(s);
	bool numeric = true;

	for (const char *p = s; *p && plain; p++) {
		unsigned char c = (unsigned char)*p;
		if (!(isalnum(c) || strchr("_./@%+,=-", c)))
			plain = false;
		if (!(isdigit(c) || c == '.' || c == '_'))
			numeric = false;
	}
	if (plain && (s[0] == '-' || s[0] == '%' || s[0] == '@' || s[0] == ','))
		plain = false;
	if (plain && numeric)
		plain = false;	/* "12" stays a string for every reader */
	if (plain) {
		buf_puts(b, s);
		return;
	}
	buf_putc(b, '"');
	for (const char *p = s; *p;) {
		unsigned char c = (unsigned char)*p;
		uint32_t cp;
		int n = utf8_decode(p, &cp);
		if (c == '"' || c == '\\')
			buf_printf(b, "\\%c", c);
		else if (c == '\n')
			buf_puts(b, "\\n");
		else if (c == '\t')
			buf_puts(b, "\\t");
		else if (n < 0)	/* not UTF-8 (only from outside YAML): as a code point */
			buf_printf(b, "\\x%02x", c);
		else if (!yaml_printable(cp) || cp == 0xd || cp == 0x85 || cp == 0x2028 || cp == 0x2029)
			/* (line breaks would be folded inside quotes: escape them) */
			buf_printf(b, cp < 0x100 ? "\\x%02x" : cp < 0x10000 ? "\\u%04x" : "\\U%08x", cp);
		else
			buf_append(b, p, (size_t)n);
		p += n < 0 ? 1 : n;
	}
	buf_putc(b, '"');
}

static void yaml_kv_str(struct buf *b, int indent, const char *key, const char *v)
{
	if (!v)
		return;
	buf_printf(b, "%*s%s: ", indent, "", key);
	yaml_scalar(b, v);
	buf_putc(b, '\n');
}

static void yaml_kvmap(struct buf *b, const char *key, const struct kvmap *m)
{
	if (!m->n)
		return;
	buf_printf(b, "%s:\n", key);
	for (size_t i = 0; i < m->n; i++) {
		const struct kv *e = &m->v[i];
		char k[600];
		snprintf(k, sizeof(k), "%s%s", e->remove ? "-" : "", e->key);
		buf_puts(b, "  ");
		yaml_scalar(b, k);
		buf_putc(b, ':');
		if (e->remove || e->type == KV_NULL) {
			buf_putc(b, '\n');
		} else if (e->type == KV_STR) {
			buf_putc(b, ' ');
			yaml_scalar(b, e->str);
			buf_putc(b, '\n');
		} else if (e->nlist == 0) {
			buf_puts(b, " []\n");
		} else {
			buf_putc(b, '\n');
			for (size_t j = 0; j < e->nlist; j++) {
				buf_puts(b, "    - ");
				yaml_scalar(b, e->list[j]);
				buf_putc(b, '\n');
			}
		}
	}
}

static void yaml_size(struct buf *b, const char *key, uint64_t v)
{
	static const char units[] = "KMGT";
	int u = -1;

	while (u < 3 && v && (v % 1024) == 0) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		buf_printf(b, "  %s: %llu\n", key, (unsigned long long)v);
	else
		buf_printf(b, "  %s: %llu%c\n", key, (unsigned long long)v, units[u]);
}

char *model_obj_to_yaml(const struct obj *o, size_t *len)
{
	struct buf b;

	buf_init(&b, 4 << 20);
	switch (o->kind) {
	case OBJ_DISTRO: {
		const struct distro *d = &o->u.distro;
		yaml_kv_str(&b, 0, "kernel", d->kernel);
		yaml_kv_str(&b, 0, "initrd", d->initrd);
		yaml_kv_str(&b, 0, "breed", d->breed);
		yaml_kv_str(&b, 0, "arch", d->arch);
		yaml_kv_str(&b, 0, "version", d->version);
		yaml_kvmap(&b, "kernel_options", &d->kernel_options);
		yaml_kvmap(&b, "meta", &d->meta);
		yaml_kv_str(&b, 0, "kernel_sha256", d->kernel_sha256);
		yaml_kv_str(&b, 0, "initrd_sha256", d->initrd_sha256);
		yaml_kv_str(&b, 0, "source", d->source);
		yaml_kv_str(&b, 0, "comment", d->comment);
		break;
	}
	case OBJ_PROFILE: {
		const struct profile *p = &o->u.profile;
		const struct vm_settings *vm = &p->vm;
		yaml_kv_str(&b, 0, "distro", p->distro);
		yaml_kv_str(&b, 0, "parent", p->parent);
		yaml_kv_str(&b, 0, "autoinstall", p->autoinstall);
		yaml_kv_str(&b, 0, "loader", p->loader);
		yaml_kvmap(&b, "kernel_options", &p->kernel_options);
		yaml_kvmap(&b, "meta", &p->meta);
		if (vm->memory_mib || vm->vcpus || vm->disk_size || vm->disk_format) {
			buf_puts(&b, "vm:\n");
			if (vm->memory_mib)
				buf_printf(&b, "  memory: %llu\n", (unsigned long long)vm->memory_mib);
			if (vm->vcpus)
				buf_printf(&b, "  vcpus: %u\n", vm->vcpus);
			if (vm->disk_size)
				yaml_size(&b, "disk_size", vm->disk_size);
			yaml_kv_str(&b, 2, "disk_format", vm->disk_format);
		}
		yaml_kv_str(&b, 0, "comment", p->comment);
		break;
	}
	case OBJ_SYSTEM: {
		const struct system *s = &o->u.system;
		yaml_kv_str(&b, 0, "profile", s->profile);
		buf_puts(&b, "interfaces:\n");
		for (size_t i = 0; i < s->ninterfaces; i++) {
			const struct iface *f = &s->interfaces[i];
			buf_puts(&b, "  - mac: ");
			yaml_scalar(&b, f->mac);
			buf_putc(&b, '\n');
			yaml_kv_str(&b, 4, "ip", f->ip);
			yaml_kv_str(&b, 4, "hostname", f->hostname);
		}
		yaml_kv_str(&b, 0, "hostname", s->hostname);
		buf_printf(&b, "netboot: %s\n", s->netboot ? "true" : "false");
		buf_printf(&b, "pxe_just_once: %s\n", s->pxe_just_once ? "true" : "false");
		yaml_kv_str(&b, 0, "autoinstall", s->autoinstall);
		yaml_kv_str(&b, 0, "loader", s->loader);
		yaml_kvmap(&b, "kernel_options", &s->kernel_options);
		yaml_kvmap(&b, "meta", &s->meta);
		yaml_kv_str(&b, 0, "comment", s->comment);
		break;
	}
	}
	return buf_steal(&b, len);
}
