/* config: <state>/provd.yaml through a field table; defaults; the run-time
 * mirror default from the host's apt sources; per-system tokens. */
#include <config.h>
#include "provd/core/config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provd/base/buf.h"
#include "provd/base/fsutil.h"
#include "provd/base/netaddr.h"
#include "provd/base/sha256.h"
#include "provd/base/strparse.h"
#include "provd/core/yaml.h"

#define CONFIG_MAX (1 << 20)
#define SECRET_MAX 4096

const char *dhcp_mode_name(enum dhcp_mode m)
{
	switch (m) {
	case DHCP_MODE_OFF: return "off";
	case DHCP_MODE_PROXY: return "proxy";
	case DHCP_MODE_FULL: return "full";
	}
	return "?";
}

void config_mirror_clear(struct config_mirror *m)
{
	free(m->protocol);
	free(m->host);
	free(m->directory);
	memset(m, 0, sizeof(*m));
}

void config_free(struct config *c)
{
	if (!c)
		return;
	free(c->file);
	free(c->state_dir);
	free(c->http_listen);
	free(c->base_url);
	free(c->tftp_listen);
	free(c->server_address);
	free(c->dhcp.interface);
	free(c->dhcp.range_start);
	free(c->dhcp.range_end);
	free(c->dhcp.router);
	for (size_t i = 0; i < c->dhcp.ndns; i++)
		free(c->dhcp.dns[i]);
	free(c->dhcp.dns);
	free(c->dhcp.domain);
	free(c->dhcp.ra_prefix);
	config_mirror_clear(&c->mirror);
	free(c->proxy);
	free(c->user);
	free(c->secret_file);
	free(c->api_token_file);
	if (c->secret)
		memset(c->secret, 0, c->secret_len);
	free(c->secret);
	free(c);
}

/* ---- validators ---- */

static const char *v_listen(const char *v, const char **hint)
{
	struct netaddr a;

	if (netaddr_parse(v, "0.0.0.0", 1, &a) == 0)
		return NULL;
	*hint = "ADDR:PORT such as 0.0.0.0:8080, [::]:8080 or :8080";
	return "not a listen address";
}

static const char *v_url(const char *v, const char **hint)
{
	*hint = "an http:// or https:// URL";
	if (strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0)
		return "not an http(s) URL";
	if (!strstr(v, "://")[3] || strstr(v, "://")[3] == '/')
		return "URL has no host";
	for (const char *p = v; *p; p++)
		if (!isgraph((unsigned char)*p))
			return "URL contains spaces or control characters";
	return NULL;
}

static const char *v_ipv4(const char *v, const char **hint)
{
	uint32_t a;

	if (ipv4_parse(v, &a) == 0)
		return NULL;
	*hint = "a dotted IPv4 address such as 192.0.2.1";
	return "not an IPv4 address";
}

/* The same syntax dhcp/ra.c ra_prefix_parse() takes (dhcp/ is above us):
 * ADDR/LEN, LEN 1-128; host bits are cleared when the RA is built. */
static const char *v_ipv6_prefix(const char *v, const char **hint)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash = strchr(v, '/');
	unsigned char bin[16];
	uint64_t len;

	*hint = "an IPv6 prefix such as 2001:db8::/64 (64 for SLAAC)";
	if (!slash || slash == v || (size_t)(slash - v) >= sizeof(addr))
		return "not an IPv6 prefix";
	memcpy(addr, v, (size_t)(slash - v));
	addr[slash - v] = '\0';
	if (inet_pton(AF_INET6, addr, bin) != 1)
		return "not an IPv6 prefix";
	if (parse_u64(slash + 1, 1, 128, &len) < 0)
		return "prefix length is not 1-128";
	return NULL;
}

static const char *v_word(const char *v, const char **hint)
{
	for (const char *p = v; *p; p++) {
		if (!isgraph((unsigned char)*p)) {
			*hint = "no spaces or control characters";
			return "bad value";
		}
	}
	return NULL;
}

static const char *v_protocol(const char *v, const char **hint)
{
	if (strcmp(v, "http") == 0 || strcmp(v, "https") == 0)
		return NULL;
	*hint = "http or https";
	return "unknown protocol";
}

static const char *v_directory(const char *v, const char **hint)
{
	const char *r = v_word(v, hint);

	if (r)
		return r;
	if (v[0] != '/') {
		*hint = "an absolute path on the mirror such as /debian";
		return "mirror directory must start with '/'";
	}
	return NULL;
}

static const char *v_path(const char *v, const char **hint)
{
	if (!*v) {
		*hint = "a file name, relative to the state directory or absolute";
		return "empty path";
	}
	return NULL;
}

/* ---- custom binders ---- */

static int bind_mode(struct ybind *b, const struct ynode *n, void *target)
{
	const char *s = ybind_scalar(b, n, "dhcp.mode");

	if (!s)
		return 0;
	if (strcmp(s, "off") == 0 || strcmp(s, "false") == 0 || strcmp(s, "no") == 0)
		*(enum dhcp_mode *)target = DHCP_MODE_OFF;
	else if (strcmp(s, "proxy") == 0)
		*(enum dhcp_mode *)target = DHCP_MODE_PROXY;
	else if (strcmp(s, "full") == 0)
		*(enum dhcp_mode *)target = DHCP_MODE_FULL;
	else
		ybind_error(b, n, "use off, proxy (PXE info only, beside the lab's DHCP) or full (leases)",
			    "dhcp.mode: unknown mode '%s'", s);
	return 0;
}

static int bind_unknown_mac(struct ybind *b, const struct ynode *n, void *target)
{
	const char *s = ybind_scalar(b, n, "unknown_mac");

	if (!s)
		return 0;
	if (strcmp(s, "menu") == 0)
		*(enum unknown_mac *)target = UNKNOWN_MAC_MENU;
	else if (strcmp(s, "ignore") == 0)
		*(enum unknown_mac *)target = UNKNOWN_MAC_IGNORE;
	else
		ybind_error(b, n, "use menu or ignore", "unknown_mac: unknown value '%s'", s);
	return 0;
}

static int bind_ra(struct ybind *b, const struct ynode *n, void *target)
{
	const char *s = ybind_scalar(b, n, "dhcp.ra");
	bool on;

	if (!s)
		return 0;
	if (parse_bool(s, &on) < 0) {
		ybind_error(b, n, "use on (IPv6 router advertisements on the DHCP interface) or off",
			    "dhcp.ra: expected on or off, got '%s'", s);
		return 0;
	}
	*(enum config_ra *)target = on ? CONFIG_RA_ON : CONFIG_RA_OFF;
	return 0;
}

static int bind_range(struct ybind *b, const struct ynode *n, void *target)
{
	struct config_dhcp *dh = (struct config_dhcp *)((char *)target - offsetof(struct config_dhcp, range_start));
	const char *s = ybind_scalar(b, n, "dhcp.range");
	const char *dash;
	uint32_t lo, hi;
	char a[64];

	if (!s)
		return 0;
	dash = strchr(s, '-');
	if (!dash || (size_t)(dash - s) >= sizeof(a))
		goto bad;
	memcpy(a, s, (size_t)(dash - s));
	a[dash - s] = '\0';
	if (ipv4_parse(a, &lo) < 0 || ipv4_parse(dash + 1, &hi) < 0)
		goto bad;
	if (__builtin_bswap32(lo) > __builtin_bswap32(hi)) {
		ybind_error(b, n, "write the lower address first", "dhcp.range: start is above end");
		return 0;
	}
	free(dh->range_start);
	free(dh->range_end);
	dh->range_start = strdup(a);
	dh->range_end = strdup(dash + 1);
	if (!dh->range_start || !dh->range_end)
		return -ENOMEM;
	return 0;
bad:
	ybind_error(b, n, "START-END such as 192.0.2.100-192.0.2.200", "dhcp.range: bad range '%s'", s);
	return 0;
}

static int dns_add(struct config_dhcp *dh, const char *s)
{
	char **v = realloc(dh->dns, (dh->ndns + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	dh->dns = v;
	if (!(v[dh->ndns] = strdup(s)))
		return -ENOMEM;
	dh->ndns++;
	return 0;
}

static int bind_dns(struct ybind *b, const struct ynode *n, void *target)
{
	struct config_dhcp *dh = (struct config_dhcp *)((char *)target - offsetof(struct config_dhcp, dns));
	uint32_t a;

	if (ynode_is_null(n))
		return 0;
	if (n->type == YNODE_SCALAR) {
		if (ipv4_parse(n->str, &a) < 0) {
			ybind_error(b, n, "a dotted IPv4 address or a list of them",
				    "dhcp.dns: '%s' is not an IPv4 address", n->str);
			return 0;
		}
		return dns_add(dh, n->str);
	}
	if (n->type != YNODE_SEQ || n->n > 16) {
		ybind_error(b, n, "a list of up to 16 IPv4 addresses", "dhcp.dns: expected a list, got %s",
			    ynode_type_desc(n));
		return 0;
	}
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *it = n->items[i];
		if (it->type != YNODE_SCALAR || ipv4_parse(it->str, &a) < 0) {
			ybind_error(b, it, "a dotted IPv4 address", "dhcp.dns: not an IPv4 address");
			continue;
		}
		if (dns_add(dh, it->str) < 0)
			return -ENOMEM;
	}
	return 0;
}

#define C(f) offsetof(struct config, f)
static const struct yfield http_fields[] = {
	{ .name = "listen", .type = YF_STR, .off = C(http_listen), .pos_off = -1, .required = false, .valid = v_listen },
	{ .name = "base_url", .type = YF_STR, .off = C(base_url), .pos_off = -1, .required = false, .valid = v_url },
};
static const struct yfield tftp_fields[] = {
	{ .name = "listen", .type = YF_STR, .off = C(tftp_listen), .pos_off = -1, .required = false, .valid = v_listen },
};
#define DH(f) (C(dhcp) + offsetof(struct config_dhcp, f))
static const struct yfield dhcp_fields[] = {
	{ .name = "interface", .type = YF_STR, .off = DH(interface), .pos_off = -1, .required = false, .valid = v_word },
	{ .name = "mode", .type = YF_CUSTOM, .off = DH(mode), .pos_off = -1, .required = false, .custom = bind_mode },
	{ .name = "range", .type = YF_CUSTOM, .off = DH(range_start), .pos_off = -1, .required = false, .custom = bind_range },
	{ .name = "lease_time", .type = YF_U32, .off = DH(lease_time), .pos_off = -1, .required = false, .valid = NULL, .min = 60, .max = 365 * 86400 },
	{ .name = "router", .type = YF_STR, .off = DH(router), .pos_off = -1, .required = false, .valid = v_ipv4 },
	{ .name = "dns", .type = YF_CUSTOM, .off = DH(dns), .pos_off = -1, .required = false, .custom = bind_dns },
	{ .name = "domain", .type = YF_STR, .off = DH(domain), .pos_off = -1, .required = false, .valid = v_word },
	{ .name = "rate", .type = YF_U32, .off = DH(rate), .pos_off = -1, .required = false, .valid = NULL, .min = 0, .max = 100000 },
	{ .name = "ra", .type = YF_CUSTOM, .off = DH(ra), .pos_off = -1, .required = false, .custom = bind_ra },
	{ .name = "ra_prefix", .type = YF_STR, .off = DH(ra_prefix), .pos_off = -1, .required = false, .valid = v_ipv6_prefix },
};
#define MI(f) (C(mirror) + offsetof(struct config_mirror, f))
static const struct yfield mirror_fields[] = {
	{ .name = "protocol", .type = YF_STR, .off = MI(protocol), .pos_off = -1, .required = false, .valid = v_protocol },
	{ .name = "host", .type = YF_STR, .off = MI(host), .pos_off = -1, .required = false, .valid = v_word },
	{ .name = "directory", .type = YF_STR, .off = MI(directory), .pos_off = -1, .required = false, .valid = v_directory },
};
#define N(a) (sizeof(a) / sizeof((a)[0]))
static const struct yfield config_fields[] = {
	{ .name = "http", .type = YF_MAP, .off = 0, .pos_off = -1, .required = false, .sub = http_fields, .nsub = N(http_fields) },
	{ .name = "tftp", .type = YF_MAP, .off = 0, .pos_off = -1, .required = false, .sub = tftp_fields, .nsub = N(tftp_fields) },
	{ .name = "server_address", .type = YF_STR, .off = C(server_address), .pos_off = -1, .required = false, .valid = v_ipv4 },
	{ .name = "dhcp", .type = YF_MAP, .off = 0, .pos_off = -1, .required = false, .sub = dhcp_fields, .nsub = N(dhcp_fields) },
	{ .name = "mirror", .type = YF_MAP, .off = 0, .pos_off = -1, .required = false, .sub = mirror_fields, .nsub = N(mirror_fields) },
	{ .name = "proxy", .type = YF_STR, .off = C(proxy), .pos_off = -1, .required = false, .valid = v_url },
	{ .name = "unknown_mac", .type = YF_CUSTOM, .off = C(unknown_mac), .pos_off = -1, .required = false, .custom = bind_unknown_mac },
	{ .name = "user", .type = YF_STR, .off = C(user), .pos_off = -1, .required = false, .valid = v_word },
	{ .name = "secret_file", .type = YF_STR, .off = C(secret_file), .pos_off = -1, .required = false, .valid = v_path },
	{ .name = "api_token_file", .type = YF_STR, .off = C(api_token_file), .pos_off = -1, .required = false, .valid = v_path },
};
#undef C

/* ---- apt sources ---- */

struct apt_pick {
	struct config_mirror m;
	int score;		/* best so far; 0 = none */
};

static bool suite_is_main(const char *suite)
{
	/* Security, updates and backports archives are not install sources. */
	return !strstr(suite, "-security") && !strstr(suite, "-updates") &&
	       !strstr(suite, "-backports") && !strstr(suite, "-proposed") &&
	       strcmp(suite, "nodistro") != 0;
}

static void apt_consider(struct apt_pick *pk, const char *uri, const char *suite)
{
	const char *p = uri, *host, *slash, *last;
	size_t plen;
	int score = 1;
	char dir[512];

	if (strncmp(p, "http://", 7) == 0)
		plen = 4;
	else if (strncmp(p, "https://", 8) == 0)
		plen = 5;
	else
		return;
	if (!suite_is_main(suite))
		return;
	host = p + plen + 3;
	slash = strchr(host, '/');
	if (!slash || slash == host)
		return;
	snprintf(dir, sizeof(dir), "%s", slash);
	while (strlen(dir) > 1 && dir[strlen(dir) - 1] == '/')
		dir[strlen(dir) - 1] = '\0';
	if (strstr(dir, "security"))
		return;
	last = strrchr(dir, '/');
	last = last ? last + 1 : dir;
	/* The distribution's own archive beats third-party repositories. */
	if (strcmp(last, "debian") == 0 || strcmp(last, "ubuntu") == 0)
		score = 2;
	if (score <= pk->score)
		return;
	config_mirror_clear(&pk->m);
	pk->m.protocol = strndup(p, plen);
	pk->m.host = strndup(host, (size_t)(slash - host));
	pk->m.directory = strdup(dir);
	pk->score = score;
}

/* One-line format: deb [opts] URI SUITE [COMPONENT...] */
static void apt_parse_list(struct apt_pick *pk, char *text)
{
	char *lsave = NULL;

	/* strtok_r: config loads may run on several daemon threads. */
	for (char *line = strtok_r(text, "\n", &lsave); line; line = strtok_r(NULL, "\n", &lsave)) {
		char *save = NULL, *w, *uri, *suite;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		w = strtok_r(line, " \t", &save);
		if (!w || strcmp(w, "deb") != 0)
			continue;
		uri = strtok_r(NULL, " \t", &save);
		if (uri && uri[0] == '[') {
			while (uri && !strchr(uri, ']'))
				uri = strtok_r(NULL, " \t", &save);
			uri = strtok_r(NULL, " \t", &save);
		}
		suite = strtok_r(NULL, " \t", &save);
		if (uri && suite)
			apt_consider(pk, uri, suite);
	}
}

/* deb822 format (sources.list(5) "DEB822-STYLE FORMAT"): stanzas separated
 * by blank lines, fields Types, URIs, Suites, Enabled. */
static void apt_stanza(struct apt_pick *pk, char *types, char *uris, char *suites, bool enabled)
{
	char *s1 = NULL, *s2 = NULL;
	bool deb = false;

	if (!enabled || !types || !uris || !suites)
		return;
	for (char *t = strtok_r(types, " \t", &s1); t; t = strtok_r(NULL, " \t", &s1))
		if (strcmp(t, "deb") == 0)
			deb = true;
	if (!deb)
		return;
	for (char *u = strtok_r(uris, " \t", &s1); u; u = strtok_r(NULL, " \t", &s1)) {
		char sbuf[1024];
		snprintf(sbuf, sizeof(sbuf), "%s", suites);
		for (char *s = strtok_r(sbuf, " \t", &s2); s; s = strtok_r(NULL, " \t", &s2))
			apt_consider(pk, u, s);
	}
}

static void apt_parse_sources(struct apt_pick *pk, char *text)
{
	char types[256] = "", uris[1024] = "", suites[1024] = "";
	bool have = false, enabled = true;
	char *p = text;

	for (;;) {
		char *nl = strchr(p, '\n');
		char *line = p, *colon;
		bool end = !nl;
		if (nl)
			*nl = '\0';
		if (line[0] == '#') {
			/* comment line */
		} else if (strspn(line, " \t") == strlen(line)) {
			if (have)
				apt_stanza(pk, types, uris, suites, enabled);
			types[0] = uris[0] = suites[0] = '\0';
			have = false;
			enabled = true;
		} else if (line[0] != ' ' && line[0] != '\t' && (colon = strchr(line, ':'))) {
			char *v = colon + 1;
			*colon = '\0';
			v += strspn(v, " \t");
			have = true;
			if (strcasecmp(line, "Types") == 0)
				snprintf(types, sizeof(types), "%s", v);
			else if (strcasecmp(line, "URIs") == 0)
				snprintf(uris, sizeof(uris), "%s", v);
			else if (strcasecmp(line, "Suites") == 0)
				snprintf(suites, sizeof(suites), "%s", v);
			else if (strcasecmp(line, "Enabled") == 0)
				enabled = strcasecmp(v, "no") != 0;
		}
		if (end)
			break;
		p = nl + 1;
	}
	if (have)
		apt_stanza(pk, types, uris, suites, enabled);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int config_mirror_from_apt(const char *root, struct config_mirror *out)
{
	struct apt_pick pk = { 0 };
	char path[4096];
	char *text = NULL;
	DIR *dir;
	char **names = NULL;
	size_t nnames = 0;

	snprintf(path, sizeof(path), "%s/etc/apt/sources.list", root);
	if (fs_read_file(path, CONFIG_MAX, &text, NULL) == 0) {
		apt_parse_list(&pk, text);
		free(text);
	}
	/* apt reads sources.list.d in lexical order; so do we. */
	snprintf(path, sizeof(path), "%s/etc/apt/sources.list.d", root);
	dir = opendir(path);
	if (dir) {
		struct dirent *de;
		while ((de = readdir(dir)) && nnames < 256) {
			size_t n = strlen(de->d_name);
			char **nv;
			bool list = n > 5 && strcmp(de->d_name + n - 5, ".list") == 0;
			bool src = n > 8 && strcmp(de->d_name + n - 8, ".sources") == 0;
			if (!list && !src)
				continue;
			nv = realloc(names, (nnames + 1) * sizeof(*nv));
			if (!nv)
				break;
			names = nv;
			if ((names[nnames] = strdup(de->d_name)))
				nnames++;
		}
		closedir(dir);
		qsort(names, nnames, sizeof(*names), cmp_str);
		for (size_t i = 0; i < nnames; i++) {
			size_t n = strlen(names[i]);
			snprintf(path, sizeof(path), "%s/etc/apt/sources.list.d/%s", root, names[i]);
			if (fs_read_file(path, CONFIG_MAX, &text, NULL) == 0) {
				if (n > 5 && strcmp(names[i] + n - 5, ".list") == 0)
					apt_parse_list(&pk, text);
				else
					apt_parse_sources(&pk, text);
				free(text);
			}
			free(names[i]);
		}
		free(names);
	}
	if (!pk.score)
		return -ENOENT;
	if (!pk.m.protocol || !pk.m.host || !pk.m.directory) {
		config_mirror_clear(&pk.m);
		return -ENOMEM;
	}
	*out = pk.m;
	out->from_host = true;
	out->found = true;
	return 0;
}

/* ---- load ---- */

static char *abs_in_state(const char *state_dir, const char *p)
{
	if (p[0] == '/')
		return strdup(p);
	return path_join(state_dir, p);
}

static int set_default(char **slot, const char *v)
{
	if (*slot)
		return 0;
	return (*slot = strdup(v)) ? 0 : -ENOMEM;
}

int config_parse(const char *state_dir, const char *file, const char *text, size_t len,
		 const char *apt_root, struct diags *d, struct config **out)
{
	struct config *c = calloc(1, sizeof(*c));
	struct ynode *root = NULL;
	struct ybind b = { .d = d };
	int r = 0;

	*out = NULL;
	if (!c)
		return -ENOMEM;
	c->dhcp.lease_time = 3600;
	c->dhcp.rate = 30;	/* DHCP_RATE_PER_MAC */
	if (!(c->state_dir = strdup(state_dir ? state_dir : ".")) ||
	    !(c->file = strdup(file ? file : "<defaults>"))) {
		r = -ENOMEM;
		goto out;
	}
	b.file = c->file;
	if (text) {
		r = ynode_parse(text, len, c->file, d, &root);
		if (r < 0)
			goto out;
		if (root)
			ybind_map(&b, root, config_fields, N(config_fields), c);
		if (b.oom) {
			r = -ENOMEM;
			goto out;
		}
	}
	if (c->dhcp.mode == DHCP_MODE_FULL && !c->dhcp.range_start) {
		const struct ynode *dn = ynode_get(root, "dhcp");
		diags_add(d, c->file, dn ? dn->line : 0, dn ? dn->col : 0,
			  "add 'range: START-END' under dhcp", "dhcp mode full needs a range");
		b.nerr++;
	}
	if ((c->mirror.host != NULL) != (c->mirror.directory != NULL)) {
		const struct ynode *mn = ynode_get(root, "mirror");
		diags_add(d, c->file, mn ? mn->line : 0, mn ? mn->col : 0,
			  "give both host and directory (or neither, to use the host's apt sources)",
			  "mirror needs both host and directory");
		b.nerr++;
	}
	if (b.nerr) {
		r = -EINVAL;
		goto out;
	}
	if ((r = set_default(&c->http_listen, "0.0.0.0:8080")) < 0 ||
	    (r = set_default(&c->tftp_listen, "0.0.0.0:69")) < 0)
		goto out;
	if (c->base_url) {
		size_t n = strlen(c->base_url);
		while (n > 0 && c->base_url[n - 1] == '/')
			c->base_url[--n] = '\0';
	} else if (c->server_address) {
		struct netaddr a;
		if (netaddr_parse(c->http_listen, "0.0.0.0", 8080, &a) == 0 &&
		    asprintf(&c->base_url, "http://%s:%u", c->server_address,
			     (unsigned)netaddr_port(&a)) < 0) {
			c->base_url = NULL;
			r = -ENOMEM;
			goto out;
		}
	}
	if (c->mirror.host) {
		c->mirror.found = true;
		if ((r = set_default(&c->mirror.protocol, "http")) < 0)
			goto out;
	} else if (apt_root) {
		config_mirror_clear(&c->mirror);
		(void)config_mirror_from_apt(apt_root, &c->mirror);
	}
	{
		char *s = abs_in_state(c->state_dir, c->secret_file ? c->secret_file : "secret");
		char *t = abs_in_state(c->state_dir, c->api_token_file ? c->api_token_file : "api-token");
		free(c->secret_file);
		free(c->api_token_file);
		c->secret_file = s;
		c->api_token_file = t;
		if (!s || !t) {
			r = -ENOMEM;
			goto out;
		}
	}
	if (fs_read_file(c->secret_file, SECRET_MAX, &c->secret, &c->secret_len) == 0) {
		while (c->secret_len && isspace((unsigned char)c->secret[c->secret_len - 1]))
			c->secret[--c->secret_len] = '\0';
		if (!c->secret_len) {
			free(c->secret);
			c->secret = NULL;
		}
	} else {
		c->secret = NULL;
		c->secret_len = 0;
	}
out:
	ynode_free(root);
	if (r < 0) {
		config_free(c);
		return r;
	}
	*out = c;
	return 0;
}

int config_load(const char *state_dir, struct diags *d, struct config **out)
{
	char *path = path_join(state_dir, "provd.yaml");
	char *text = NULL;
	size_t len = 0;
	int r;

	if (!path)
		return -ENOMEM;
	r = fs_read_file(path, CONFIG_MAX, &text, &len);
	if (r == -ENOENT) {
		r = config_parse(state_dir, path, NULL, 0, "/", d, out);
	} else if (r < 0) {
		diags_add(d, path, 0, 0, r == -EFBIG ? "provd.yaml is limited to 1 MiB" : NULL,
			  "cannot read: %s", err_str(r));
	} else {
		r = config_parse(state_dir, path, text, len, "/", d, out);
	}
	free(text);
	free(path);
	return r;
}

char *config_default_yaml(void)
{
	/* The mirror stays unset: it defaults at run time to the host's apt
	 * sources, so a moved mirror needs no edit here. */
	return strdup(
		"# provd server configuration; see provd(1) and docs/objects.md.\n"
		"http:\n"
		"  listen: 0.0.0.0:8080\n"
		"  # base_url: http://192.0.2.1:8080   # what clients use; default http://SERVER_ADDRESS:PORT\n"
		"tftp:\n"
		"  listen: 0.0.0.0:69\n"
		"# server_address: 192.0.2.1           # next-server given to PXE clients; default: auto\n"
		"dhcp:\n"
		"  mode: off                           # off | proxy | full\n"
		"  # interface: eth0\n"
		"  # range: 192.0.2.100-192.0.2.200\n"
		"  lease_time: 3600\n"
		"  # rate: 30                         # requests per MAC per 10 s; 0: no limit\n"
		"  # ra: on                           # IPv6 RAs; default on in full mode only\n"
		"  # ra_prefix: 2001:db8::/64         # prefix announced for SLAAC\n"
		"# mirror:                              # default: the host's apt sources\n"
		"#   protocol: http\n"
		"#   host: mirror.example.org\n"
		"#   directory: /debian\n"
		"# proxy: http://192.0.2.1:3128\n"
		"unknown_mac: menu                     # menu | ignore\n"
		"secret_file: secret\n"
		"api_token_file: api-token\n");
}

int system_token(const struct config *c, const char *system_name, char out[65])
{
	uint8_t mac[SHA256_LEN];

	if (!c || !c->secret || !c->secret_len)
		return -ENOKEY;
	hmac_sha256(c->secret, c->secret_len, system_name, strlen(system_name), mac);
	hex_encode(mac, SHA256_LEN, out);
	return 0;
}
