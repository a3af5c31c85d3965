/*
 * kvm/fw/pxecfg.c - picks the unattended entry of a pxelinux config.
 *
 * SYSLINUX semantics kept here (doc/syslinux.txt, doc/menu.txt): keywords
 * are case-insensitive and may be indented; "DEFAULT x" names a label, or
 * a command line when no label x exists (then x is the kernel); with a menu
 * module as DEFAULT (UI lines are the same), the entry is ONTIMEOUT's
 * label, else the one marked MENU DEFAULT, else the first label. KERNEL,
 * LINUX and the other kernel-type keywords name the kernel; "initrd=" in
 * APPEND names the initrd (the first of a comma list: the firmware loads
 * one). INCLUDE and TEXT HELP blocks are not followed.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kvm/fw/pxecfg.h"

#define MAX_LABELS 256

/* one keyword line split into keyword and value (trimmed) */
static bool split(const char *line, size_t n, char *kw, size_t kwmax,
		  const char **val, size_t *vlen)
{
	size_t i = 0, k = 0;

	while (i < n && isspace((unsigned char)line[i]))
		i++;
	if (i == n || line[i] == '#')
		return false;
	while (i < n && !isspace((unsigned char)line[i])) {
		if (k + 1 < kwmax)
			kw[k++] = (char)tolower((unsigned char)line[i]);
		i++;
	}
	kw[k] = '\0';
	while (i < n && isspace((unsigned char)line[i]))
		i++;
	while (n > i && isspace((unsigned char)line[n - 1]))
		n--;
	*val = line + i;
	*vlen = n - i;
	return true;
}

static int set(char *dst, size_t max, const char *v, size_t n)
{
	if (n >= max)
		return -1;
	memcpy(dst, v, n);
	dst[n] = '\0';
	return 0;
}

static bool is_menu_module(const char *v)
{
	const char *b = strrchr(v, '/');

	b = b ? b + 1 : v;
	return strncasecmp(b, "menu.c32", 8) == 0 || strncasecmp(b, "vesamenu.c32", 12) == 0;
}

/* takes initrd= out of append into e->initrd */
static int move_initrd(struct pxecfg_entry *e)
{
	char out[PXECFG_APPEND_MAX];
	size_t o = 0;
	const char *p = e->append;

	while (*p) {
		const char *w = p;
		size_t n;

		while (*p && !isspace((unsigned char)*p))
			p++;
		n = (size_t)(p - w);
		if (n > 7 && strncmp(w, "initrd=", 7) == 0) {
			const char *c = memchr(w + 7, ',', n - 7);
			size_t l = c ? (size_t)(c - (w + 7)) : n - 7;

			if (e->initrd[0] == '\0' && set(e->initrd, sizeof(e->initrd), w + 7, l) < 0)
				return -1;
		} else if (n) {
			if (o + n + 2 > sizeof(out))
				return -1;
			if (o)
				out[o++] = ' ';
			memcpy(out + o, w, n);
			o += n;
		}
		while (*p && isspace((unsigned char)*p))
			p++;
	}
	out[o] = '\0';
	memcpy(e->append, out, o + 1);
	return 0;
}

static struct pxecfg_entry *find(struct pxecfg_entry *l, unsigned int n, const char *name)
{
	for (unsigned int i = 0; i < n; i++)
		if (strcmp(l[i].label, name) == 0)
			return &l[i];
	return NULL;
}

static int parse(const char *text, size_t len, struct pxecfg_entry *e,
		 const char **why, struct pxecfg_entry *labels)
{
	char def[128] = "", ontimeout[128] = "", menu_default[128] = "";
	char def_line[PXECFG_APPEND_MAX] = "";
	bool def_is_menu = false, in_text = false;
	unsigned int n = 0;
	struct pxecfg_entry *cur = NULL, *pick = NULL;
	const char *p = text, *end = text + len;

	if (len > PXECFG_MAX_LEN) {
		*why = "the file is larger than 256 KiB";
		return -1;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ln = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char kw[16];
		const char *v;
		size_t vl;
		int bad = 0;

		if (memchr(p, '\0', ln)) {
			*why = "the file contains a NUL byte";
			return -1;
		}
		if (!split(p, ln, kw, sizeof(kw), &v, &vl))
			goto next;
		if (in_text) {
			if (strcmp(kw, "endtext") == 0)
				in_text = false;
			goto next;
		}
		if (strcmp(kw, "text") == 0) {
			in_text = true;
		} else if (strcmp(kw, "default") == 0) {
			bad = set(def_line, sizeof(def_line), v, vl);
			def_is_menu = is_menu_module(def_line);
		} else if (strcmp(kw, "ui") == 0) {
			def_is_menu = true;
		} else if (strcmp(kw, "ontimeout") == 0) {
			bad = set(ontimeout, sizeof(ontimeout), v, vl);
		} else if (strcmp(kw, "label") == 0) {
			if (n == MAX_LABELS) {
				*why = "more than 256 labels";
				return -1;
			}
			cur = &labels[n++];
			memset(cur, 0, sizeof(*cur));
			bad = set(cur->label, sizeof(cur->label), v, vl);
		} else if (strcmp(kw, "menu") == 0) {
			/* MENU DEFAULT marks the current label */
			if (cur && vl >= 7 && strncasecmp(v, "default", 7) == 0 &&
			    (vl == 7 || isspace((unsigned char)v[7])))
				snprintf(menu_default, sizeof(menu_default), "%s", cur->label);
		} else if (cur && (strcmp(kw, "kernel") == 0 || strcmp(kw, "linux") == 0 ||
				   strcmp(kw, "boot") == 0 || strcmp(kw, "bss") == 0)) {
			bad = set(cur->kernel, sizeof(cur->kernel), v, vl);
		} else if (cur && strcmp(kw, "initrd") == 0) {
			bad = set(cur->initrd, sizeof(cur->initrd), v, vl);
		} else if (cur && strcmp(kw, "append") == 0) {
			bad = (vl == 1 && v[0] == '-') ? 0 : set(cur->append, sizeof(cur->append), v, vl);
		} else if (cur && strcmp(kw, "localboot") == 0) {
			cur->localboot = true;
		} else if (cur && strcmp(kw, "ipappend") == 0) {
			cur->ipappend = 0;
			for (size_t i = 0; i < vl && isdigit((unsigned char)v[i]) && cur->ipappend < 1000; i++)
				cur->ipappend = cur->ipappend * 10 + (unsigned)(v[i] - '0');
		}
		if (bad) {
			*why = "a value is too long";
			return -1;
		}
next:
		p = nl ? nl + 1 : end;
	}

	/* DEFAULT's first word is the label (or kernel); the rest is arguments */
	{
		size_t w = strcspn(def_line, " \t");

		if (w >= sizeof(def))
			w = sizeof(def) - 1;
		memcpy(def, def_line, w);
		def[w] = '\0';
	}
	if (def_is_menu) {
		if (ontimeout[0])
			pick = find(labels, n, ontimeout);
		if (!pick && menu_default[0])
			pick = find(labels, n, menu_default);
		if (!pick && n)
			pick = &labels[0];
	} else if (def[0]) {
		pick = find(labels, n, def);
		if (!pick) {
			/* DEFAULT is a command line: kernel and its arguments */
			memset(e, 0, sizeof(*e));
			snprintf(e->label, sizeof(e->label), "%s", "(default)");
			memcpy(e->kernel, def, strlen(def) + 1);
			snprintf(e->append, sizeof(e->append), "%s", def_line + strlen(def) +
				 strspn(def_line + strlen(def), " \t"));
			pick = e;
		}
	} else if (ontimeout[0]) {
		pick = find(labels, n, ontimeout);
	}
	if (!pick) {
		*why = n ? "no DEFAULT, ONTIMEOUT or menu default names one of its labels"
			 : "it has no DEFAULT and no LABEL";
		return -1;
	}
	if (pick != e)
		*e = *pick;
	if (!e->localboot && e->kernel[0] == '\0') {
		*why = "the default label has neither KERNEL nor LOCALBOOT";
		return -1;
	}
	if (move_initrd(e) < 0) {
		*why = "APPEND is too long";
		return -1;
	}
	return 0;
}

int pxecfg_parse(const char *text, size_t len, struct pxecfg_entry *e,
		 const char **why)
{
	/* 256 labels of ~5 KiB: on the heap, not the stack */
	struct pxecfg_entry *labels = calloc(MAX_LABELS, sizeof(*labels));
	int r;

	if (!labels) {
		*why = "out of memory";
		return -1;
	}
	r = parse(text, len, e, why, labels);
	free(labels);
	return r;
}
