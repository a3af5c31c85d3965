/* yaml: libyaml events -> node tree with marks; field-table binder. */
#include <config.h>
#include "provd/core/yaml.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "provd/base/strparse.h"

struct yparse {
	yaml_parser_t p;
	const char *file;
	struct diags *d;
	size_t nodes;
	int err;		/* negative errno once something failed */
};

void ynode_free(struct ynode *n)
{
	if (!n)
		return;
	if (n->type != YNODE_SCALAR) {
		size_t k = n->type == YNODE_MAP ? 2 * n->n : n->n;
		for (size_t i = 0; i < k; i++)
			ynode_free(n->items[i]);
	}
	free(n->items);
	free(n->str);
	free(n);
}

static void yp_error_mark(struct yparse *y, const yaml_mark_t *m, const char *hint,
			  const char *msg)
{
	diags_add(y->d, y->file, (int)m->line + 1, (int)m->column + 1, hint, "%s", msg);
	if (!y->err)
		y->err = -EINVAL;
}

/* Fetch the next event; on a libyaml error report its problem with mark. */
static int yp_next(struct yparse *y, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&y->p, ev)) {
		char msg[256];
		const yaml_mark_t *m = &y->p.problem_mark;
		if (y->p.error == YAML_MEMORY_ERROR) {
			y->err = -ENOMEM;
			return -ENOMEM;
		}
		snprintf(msg, sizeof(msg), "YAML syntax: %s%s%s",
			 y->p.problem ? y->p.problem : "parse error",
			 y->p.context ? " " : "", y->p.context ? y->p.context : "");
		yp_error_mark(y, m, "check indentation, colons and quoting around this point", msg);
		return -EINVAL;
	}
	return 0;
}

static int node_push(struct ynode *parent, struct ynode *child, size_t *cap)
{
	size_t need = parent->type == YNODE_MAP ? 2 * parent->n + 2 : parent->n + 1;

	if (need > *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		struct ynode **nv;
		while (ncap < need)
			ncap *= 2;
		nv = realloc(parent->items, ncap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		parent->items = nv;
		*cap = ncap;
	}
	return 0;
}

/* Build the node that starts with ev (already fetched; consumed here). */
static struct ynode *yp_node(struct yparse *y, yaml_event_t *ev, int depth)
{
	struct ynode *n = NULL;
	yaml_event_t sub;
	size_t cap = 0;

	if (++y->nodes > YAML_MAX_NODES) {
		yp_error_mark(y, &ev->start_mark, "split the data into several objects",
			      "document has too many nodes");
		goto fail_event;
	}
	if (depth > YAML_MAX_DEPTH) {
		yp_error_mark(y, &ev->start_mark, NULL, "nesting too deep");
		goto fail_event;
	}
	n = calloc(1, sizeof(*n));
	if (!n) {
		y->err = -ENOMEM;
		goto fail_event;
	}
	n->line = (int)ev->start_mark.line + 1;
	n->col = (int)ev->start_mark.column + 1;
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		yp_error_mark(y, &ev->start_mark, "write the value out instead of using *alias",
			      "YAML aliases are not supported");
		goto fail_event;
	case YAML_SCALAR_EVENT:
		n->type = YNODE_SCALAR;
		if (ev->data.scalar.length > YAML_MAX_SCALAR) {
			yp_error_mark(y, &ev->start_mark, NULL, "value too long");
			goto fail_event;
		}
		if (memchr(ev->data.scalar.value, '\0', ev->data.scalar.length)) {
			yp_error_mark(y, &ev->start_mark, "remove the \\0 escape", "value contains a NUL byte");
			goto fail_event;
		}
		n->str = strndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
		if (!n->str) {
			y->err = -ENOMEM;
			goto fail_event;
		}
		n->len = ev->data.scalar.length;
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ||
			   ev->data.scalar.style == YAML_ANY_SCALAR_STYLE;
		yaml_event_delete(ev);
		return n;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		bool map = ev->type == YAML_MAPPING_START_EVENT;
		yaml_event_type_t end = map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;
		n->type = map ? YNODE_MAP : YNODE_SEQ;
		yaml_event_delete(ev);
		for (;;) {
			struct ynode *k, *v = NULL;
			if (yp_next(y, &sub) < 0)
				goto fail;
			if (sub.type == end) {
				yaml_event_delete(&sub);
				return n;
			}
			k = yp_node(y, &sub, depth + 1);
			if (!k)
				goto fail;
			if (map) {
				if (yp_next(y, &sub) < 0) {
					ynode_free(k);
					goto fail;
				}
				v = yp_node(y, &sub, depth + 1);
				if (!v) {
					ynode_free(k);
					goto fail;
				}
			}
			if (node_push(n, k, &cap) < 0) {
				ynode_free(k);
				ynode_free(v);
				y->err = -ENOMEM;
				goto fail;
			}
			if (map) {
				n->items[2 * n->n] = k;
				n->items[2 * n->n + 1] = v;
			} else {
				n->items[n->n] = k;
			}
			n->n++;
		}
	}
	default:
		yp_error_mark(y, &ev->start_mark, NULL, "unexpected YAML event");
		goto fail_event;
	}
fail_event:
	yaml_event_delete(ev);
fail:
	ynode_free(n);
	if (!y->err)
		y->err = -EINVAL;
	return NULL;
}

int ynode_parse(const char *text, size_t len, const char *file, struct diags *d,
		struct ynode **root)
{
	struct yparse y = { .file = file, .d = d };
	yaml_event_t ev;
	struct ynode *n = NULL;
	int r = 0;

	*root = NULL;
	if (!yaml_parser_initialize(&y.p))
		return -ENOMEM;
	yaml_parser_set_input_string(&y.p, (const unsigned char *)text, len);
	/* STREAM-START */
	if (yp_next(&y, &ev) < 0)
		goto out;
	yaml_event_delete(&ev);
	if (yp_next(&y, &ev) < 0)
		goto out;
	if (ev.type == YAML_STREAM_END_EVENT) {	/* empty file */
		yaml_event_delete(&ev);
		goto out;
	}
	yaml_event_delete(&ev);	/* DOCUMENT-START */
	if (yp_next(&y, &ev) < 0)
		goto out;
	n = yp_node(&y, &ev, 0);
	if (!n)
		goto out;
	if (yp_next(&y, &ev) < 0)	/* DOCUMENT-END */
		goto out;
	yaml_event_delete(&ev);
	if (yp_next(&y, &ev) < 0)
		goto out;
	if (ev.type != YAML_STREAM_END_EVENT)
		yp_error_mark(&y, &ev.start_mark, "keep one object per file",
			      "more than one YAML document");
	yaml_event_delete(&ev);
out:
	yaml_parser_delete(&y.p);
	r = y.err;
	if (r < 0) {
		ynode_free(n);
		return r;
	}
	*root = n;
	return 0;
}

bool ynode_is_null(const struct ynode *n)
{
	if (!n)
		return true;
	if (n->type != YNODE_SCALAR || !n->plain)
		return false;
	return n->len == 0 || strcmp(n->str, "~") == 0 || strcmp(n->str, "null") == 0 ||
	       strcmp(n->str, "Null") == 0 || strcmp(n->str, "NULL") == 0;
}

const char *ynode_type_desc(const struct ynode *n)
{
	if (!n || ynode_is_null(n))
		return "nothing (null)";
	switch (n->type) {
	case YNODE_SCALAR: return "a string";
	case YNODE_SEQ: return "a list";
	case YNODE_MAP: return "a mapping";
	}
	return "?";
}

const struct ynode *ynode_get(const struct ynode *map, const char *key)
{
	if (!map || map->type != YNODE_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++) {
		const struct ynode *k = map->items[2 * i];
		if (k->type == YNODE_SCALAR && strcmp(k->str, key) == 0)
			return map->items[2 * i + 1];
	}
	return NULL;
}

void ybind_error(struct ybind *b, const struct ynode *at, const char *hint,
		 const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diags_add(b->d, b->file, at ? at->line : 0, at ? at->col : 0, hint, "%s", msg);
	b->nerr++;
}

struct src_pos ybind_pos(const struct ybind *b, const struct ynode *n)
{
	struct src_pos p = { b->file, n ? n->line : 0, n ? n->col : 0 };
	return p;
}

const char *ybind_scalar(struct ybind *b, const struct ynode *n, const char *what)
{
	if (n && n->type == YNODE_SCALAR && !ynode_is_null(n))
		return n->str;
	ybind_error(b, n, "write a single value (quote it if it contains ': ' or '#')",
		    "%s: expected a string, got %s", what, ynode_type_desc(n));
	return NULL;
}

static void keys_hint(const struct yfield *fields, size_t nfields, char *buf, size_t len)
{
	size_t o = 0;

	o += (size_t)snprintf(buf, len, "known keys: ");
	for (size_t i = 0; i < nfields && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "", fields[i].name);
}

static void bind_field(struct ybind *b, const struct yfield *f, const struct ynode *k,
		       const struct ynode *v, void *base)
{
	void *target = (char *)base + f->off;
	const char *s, *hint = NULL, *msg;

	if (f->pos_off >= 0)
		*(struct src_pos *)((char *)base + f->pos_off) =
			ybind_pos(b, ynode_is_null(v) && v && v->len == 0 ? k : v);
	switch (f->type) {
	case YF_STR:
		if (ynode_is_null(v)) {
			if (f->required)
				ybind_error(b, v && v->len ? v : k, "give it a value",
					    "%s: must not be empty", f->name);
			return;
		}
		if (!(s = ybind_scalar(b, v, f->name)))
			return;
		if (f->valid && (msg = f->valid(s, &hint))) {
			ybind_error(b, v, hint, "%s: %s", f->name, msg);
			return;
		}
		free(*(char **)target);
		if (!(*(char **)target = strdup(s)))
			b->oom = 1;
		return;
	case YF_BOOL: {
		bool bv;
		if (!v || v->type != YNODE_SCALAR || parse_bool(v->str, &bv) < 0) {
			if (v && v->type == YNODE_SCALAR && !ynode_is_null(v))
				ybind_error(b, v, "use true or false",
					    "%s: expected true or false, got '%s'", f->name, v->str);
			else
				ybind_error(b, v && !ynode_is_null(v) ? v : k, "use true or false",
					    "%s: expected true or false, got %s", f->name,
					    ynode_type_desc(v));
			return;
		}
		*(bool *)target = bv;
		return;
	}
	case YF_U64:
	case YF_U32:
	case YF_SIZE: {
		uint64_t u;
		int r;
		if (!v || v->type != YNODE_SCALAR || ynode_is_null(v)) {
			ybind_error(b, v ? v : k, NULL, "%s: expected a number, got %s",
				    f->name, ynode_type_desc(v));
			return;
		}
		if (f->type == YF_SIZE)
			r = parse_size(v->str, 1, &u);
		else
			r = parse_u64(v->str, 0, UINT64_MAX, &u);
		if (r < 0 || u < f->min || u > f->max) {
			char h[128];
			if (f->type == YF_SIZE)
				snprintf(h, sizeof(h), "give a size such as 512M or 20G");
			else
				snprintf(h, sizeof(h), "give a whole number from %llu to %llu",
					 (unsigned long long)f->min, (unsigned long long)f->max);
			ybind_error(b, v, h, "%s: bad %s '%s'", f->name,
				    f->type == YF_SIZE ? "size" : "number", v->str);
			return;
		}
		if (f->type == YF_U32)
			*(uint32_t *)target = (uint32_t)u;
		else
			*(uint64_t *)target = u;
		return;
	}
	case YF_MAP:
		if (ynode_is_null(v))
			return;
		if (v->type != YNODE_MAP) {
			ybind_error(b, v, "write it as an indented block of key: value lines",
				    "%s: expected a mapping, got %s", f->name, ynode_type_desc(v));
			return;
		}
		ybind_map(b, v, f->sub, f->nsub, target);
		return;
	case YF_CUSTOM:
		if (f->custom(b, v, target) == -ENOMEM)
			b->oom = 1;
		return;
	}
}

void ybind_map(struct ybind *b, const struct ynode *n, const struct yfield *fields,
	       size_t nfields, void *base)
{
	/* Fields are few (< 32): a bitmap of the ones seen finds duplicates
	 * and missing required keys without a second pass over the node. */
	const struct ynode *seen[64] = { 0 };

	if (nfields > 64)
		return;
	if (!n || n->type != YNODE_MAP) {
		ybind_error(b, n, "an object file is a mapping of key: value lines",
			    "expected a mapping, got %s", ynode_type_desc(n));
		return;
	}
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *k = n->items[2 * i], *v = n->items[2 * i + 1];
		size_t j;
		if (k->type != YNODE_SCALAR) {
			ybind_error(b, k, NULL, "keys must be plain words, got %s", ynode_type_desc(k));
			continue;
		}
		for (j = 0; j < nfields; j++)
			if (strcmp(fields[j].name, k->str) == 0)
				break;
		if (j == nfields) {
			char h[512];
			keys_hint(fields, nfields, h, sizeof(h));
			ybind_error(b, k, h, "unknown key '%s'", k->str);
			continue;
		}
		if (seen[j]) {
			char h[128];
			snprintf(h, sizeof(h), "first given at line %d; keep one", seen[j]->line);
			ybind_error(b, k, h, "duplicate key '%s'", k->str);
			continue;
		}
		seen[j] = k;
		bind_field(b, &fields[j], k, v, base);
	}
	for (size_t j = 0; j < nfields; j++) {
		if (fields[j].required && !seen[j]) {
			char h[128];
			snprintf(h, sizeof(h), "add a line '%s: ...'", fields[j].name);
			ybind_error(b, n, h, "missing required key '%s'", fields[j].name);
		}
	}
}
