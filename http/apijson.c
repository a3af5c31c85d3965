/* apijson: JSON bodies <-> object YAML, diagnostics -> JSON errors with
 * field paths, RFC 7396 merge patch. See apijson.h. */
#include "config.h"
#include "http/apijson.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provd/base/buf.h"
#include "provd/core/yaml.h"

/* Generated YAML is never larger than a few times the body. */
#define YAML_OUT_MAX (4 * APIJSON_BODY_MAX)

static int json_depth(const json_t *j, int depth)
{
	const char *k;
	json_t *v;
	size_t i;
	int m = depth;

	if (depth > APIJSON_MAX_DEPTH)
		return depth;
	if (json_is_object(j)) {
		json_object_foreach((json_t *)j, k, v) {
			int dd = json_depth(v, depth + 1);
			if (dd > m)
				m = dd;
			if (m > APIJSON_MAX_DEPTH)
				break;
		}
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v) {
			int dd = json_depth(v, depth + 1);
			if (dd > m)
				m = dd;
			if (m > APIJSON_MAX_DEPTH)
				break;
		}
	}
	return m;
}

json_t *apijson_parse_body(const char *body, size_t len, struct diags *d)
{
	json_error_t e;
	json_t *j;

	if (len > APIJSON_BODY_MAX) {
		diags_add(d, NULL, 0, 0, "send at most 256 KiB", "request body too large (%zu bytes)", len);
		return NULL;
	}
	if (len == 0) {
		diags_add(d, NULL, 0, 0, "send a JSON object such as {\"profile\": \"web\"}",
			  "empty request body");
		return NULL;
	}
	/* JSON_REJECT_DUPLICATES: {"netboot":true,"netboot":false} is an
	 * error, as a duplicate YAML key is, not a silent last-wins.
	 * JSON_ALLOW_NUL is not given, so "\u0000" in a string is refused. */
	j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &e);
	if (!j) {
		diags_add(d, NULL, e.line > 0 ? e.line : 0, e.column > 0 ? e.column : 0,
			  "send valid UTF-8 JSON (RFC 8259)", "malformed JSON: %s", e.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		diags_add(d, NULL, 0, 0, "send a JSON object: {\"key\": value, ...}",
			  "request body must be a JSON object");
		json_decref(j);
		return NULL;
	}
	if (json_depth(j, 1) > APIJSON_MAX_DEPTH) {
		diags_add(d, NULL, 0, 0, NULL, "JSON nested deeper than %d levels", APIJSON_MAX_DEPTH);
		json_decref(j);
		return NULL;
	}
	return j;
}

/* ---- JSON -> YAML ---- */

static bool word_is_special(const char *s)
{
	/* YAML 1.1 booleans and nulls: a plain one would change type. */
	static const char *const words[] = {
		"y", "n", "yes", "no", "true", "false", "on", "off", "null", "~",
	};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasecmp(s, words[i]) == 0)
			return true;
	return false;
}

/* Plain only when the string starts with a letter or '/', holds only
 * characters that mean nothing to YAML there, and is not a bool/null word.
 * Everything else (numbers, MACs, empty, leading/trailing spaces, ": ",
 * " #", non-ASCII) is double-quoted. */
static bool plain_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 200)
		return false;
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '/'))
		return false;
	if (s[n - 1] == ' ' || s[n - 1] == ':')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
			continue;
		if (strchr("_./=@+,-", c))
			continue;
		if (c == ':' && s[i + 1] != ' ')
			continue;
		if (c == ' ' && s[i + 1] != '#' && s[i + 1] != ' ')
			continue;
		return false;
	}
	return !word_is_special(s);
}

/* Double-quoted YAML scalar. Characters YAML does not allow raw (C0 and C1
 * controls, DEL, U+FFFE/U+FFFF: YAML 1.1 §5.1 printable set) and the ones it
 * reads as line breaks or a byte-order mark (U+0085, U+2028, U+2029,
 * U+FEFF) are escaped, so the scalar reads back byte for byte. Input is
 * valid UTF-8 (jansson checked it). */
static int emit_quoted(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int r = buf_putc(b, '"');

	while (*p && r == 0) {
		unsigned c = *p;
		size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : 4;
		unsigned cp = n == 1 ? c : n == 2 ? c & 0x1f : n == 3 ? c & 0x0f : c & 0x07;

		for (size_t i = 1; i < n; i++) {
			if ((p[i] & 0xc0) != 0x80) {
				n = 1;	/* not UTF-8 after all: keep the byte */
				cp = c;
				break;
			}
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if (cp == '"' || cp == '\\')
			r = buf_printf(b, "\\%c", (char)cp);
		else if (cp == '\n')
			r = buf_puts(b, "\\n");
		else if (cp == '\t')
			r = buf_puts(b, "\\t");
		else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			r = buf_printf(b, "\\x%02x", cp);
		else if (cp == 0x2028 || cp == 0x2029 || cp == 0xfeff || cp == 0xfffe || cp == 0xffff)
			r = buf_printf(b, "\\u%04x", cp);
		else
			r = buf_append(b, p, n);
		p += n;
	}
	if (r == 0)
		r = buf_putc(b, '"');
	return r;
}

static int emit_string(struct buf *b, const char *s)
{
	return plain_ok(s) ? buf_puts(b, s) : emit_quoted(b, s);
}

static int emit_indent(struct buf *b, int n)
{
	int r = 0;

	for (int i = 0; i < n && r == 0; i++)
		r = buf_puts(b, "  ");
	return r;
}

static bool is_container(const json_t *v)
{
	return (json_is_object(v) && json_object_size(v) > 0) ||
	       (json_is_array(v) && json_array_size(v) > 0);
}

static int emit_scalar(struct buf *b, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		return emit_string(b, json_string_value(v));
	case JSON_INTEGER:
		return buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	case JSON_REAL:
		return buf_printf(b, "%.17g", json_real_value(v));
	case JSON_TRUE:
		return buf_puts(b, "true");
	case JSON_FALSE:
		return buf_puts(b, "false");
	case JSON_NULL:
		return buf_puts(b, "null");
	case JSON_OBJECT:
		return buf_puts(b, "{}");
	case JSON_ARRAY:
		return buf_puts(b, "[]");
	}
	return -EINVAL;
}

static int emit_node(struct buf *b, const json_t *v, int indent, const char *skip_key);

/* Mapping entries, each on its own line at indent; first_inline: the first
 * key goes right after a "- " already written. */
static int emit_map(struct buf *b, const json_t *obj, int indent, bool first_inline,
		    const char *skip_key)
{
	const char *k;
	json_t *v;
	bool first = true;
	int r = 0;

	json_object_foreach((json_t *)obj, k, v) {
		if (skip_key && strcmp(k, skip_key) == 0)
			continue;
		if (!(first && first_inline))
			r = emit_indent(b, indent);
		first = false;
		if (r == 0)
			r = emit_string(b, k);
		if (r == 0)
			r = buf_putc(b, ':');
		if (r == 0 && is_container(v)) {
			r = buf_putc(b, '\n');
			if (r == 0)
				r = emit_node(b, v, indent + 1, NULL);
		} else if (r == 0) {
			r = buf_putc(b, ' ');
			if (r == 0)
				r = emit_scalar(b, v);
			if (r == 0)
				r = buf_putc(b, '\n');
		}
		if (r < 0)
			return r;
	}
	return r;
}

static int emit_node(struct buf *b, const json_t *v, int indent, const char *skip_key)
{
	size_t i;
	json_t *item;
	int r = 0;

	if (json_is_object(v))
		return emit_map(b, v, indent, false, skip_key);
	json_array_foreach(v, i, item) {
		r = emit_indent(b, indent);
		if (r == 0)
			r = buf_puts(b, "- ");
		if (r < 0)
			return r;
		if (json_is_object(item) && json_object_size(item) > 0) {
			r = emit_map(b, item, indent + 1, true, NULL);
		} else if (json_is_array(item) && json_array_size(item) > 0) {
			/* A list inside a list: flow style keeps it on
			 * one line; objects never need it, but stay total. */
			char *s = json_dumps(item, JSON_COMPACT | JSON_ENSURE_ASCII);
			if (!s)
				return -ENOMEM;
			r = buf_puts(b, s);
			free(s);
			if (r == 0)
				r = buf_putc(b, '\n');
		} else {
			r = emit_scalar(b, item);
			if (r == 0)
				r = buf_putc(b, '\n');
		}
		if (r < 0)
			return r;
	}
	return r;
}

/* YAML implicit keys are at most 1024 characters (YAML 1.1 §7.4.2; libyaml
 * enforces it), and no object field comes near; the store's YAML reader caps
 * scalars at YAML_MAX_SCALAR. Refuse both up front, with their path, rather
 * than write YAML that does not read back. Each problem goes to report(). */
typedef void limit_report_fn(void *arg, const char *path, const char *msg);

static bool limits_ok(const json_t *j, const char *path, int depth,
		      limit_report_fn *report, void *arg)
{
	const char *k;
	json_t *v;
	size_t i;
	char sub[512], msg[128];
	bool good = true;

	if (depth > APIJSON_MAX_DEPTH + 1)
		return true;
	if (json_is_string(j) && json_string_length(j) > YAML_MAX_SCALAR) {
		snprintf(msg, sizeof(msg), "value longer than %d bytes", YAML_MAX_SCALAR);
		report(arg, path, msg);
		return false;
	}
	if (json_is_object(j)) {
		json_object_foreach((json_t *)j, k, v) {
			if (strlen(k) > APIJSON_KEY_MAX) {
				snprintf(msg, sizeof(msg), "key longer than %d bytes", APIJSON_KEY_MAX);
				report(arg, path, msg);
				good = false;
				continue;
			}
			snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", k);
			good &= limits_ok(v, sub, depth + 1, report, arg);
		}
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v) {
			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			good &= limits_ok(v, sub, depth + 1, report, arg);
		}
	}
	return good;
}

static void report_diag(void *arg, const char *path, const char *msg)
{
	diags_add(arg, NULL, 0, 0, NULL, "%s%s%s", path, *path ? ": " : "", msg);
}

static json_t *error_obj(const char *path, const char *msg, const char *hint);

static void report_json(void *arg, const char *path, const char *msg)
{
	json_array_append_new(arg, error_obj(path, msg, NULL));
}

json_t *apijson_check_limits(const json_t *obj)
{
	json_t *arr = json_array(), *root;

	if (!arr)
		return NULL;
	if (limits_ok(obj, "", 0, report_json, arr)) {
		json_decref(arr);
		return NULL;
	}
	root = json_object();
	if (!root) {
		json_decref(arr);
		return NULL;
	}
	json_object_set_new(root, "errors", arr);
	return root;
}

char *apijson_to_yaml(const json_t *obj, const char *skip_key, size_t *len,
		      struct diags *d)
{
	struct buf b;
	int r;

	if (!json_is_object(obj)) {
		diags_add(d, NULL, 0, 0, NULL, "expected a JSON object");
		return NULL;
	}
	if (!limits_ok(obj, "", 0, report_diag, d))
		return NULL;
	buf_init(&b, YAML_OUT_MAX);
	r = emit_map(&b, obj, 0, false, skip_key);
	if (r == 0 && b.len == 0)
		r = buf_puts(&b, "{}\n");
	if (r < 0) {
		buf_free(&b);
		diags_add(d, NULL, 0, 0, NULL, "object too large");
		return NULL;
	}
	return buf_steal(&b, len);
}

/* ---- YAML -> JSON ---- */

static bool plain_integer(const char *s)
{
	const char *p = s;

	if (*p == '-')
		p++;
	if (!*p || (p[0] == '0' && p[1]))
		return false;	/* "0755" stays a string */
	if (strlen(p) > 18)
		return false;	/* fits a json_int_t */
	for (; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

static json_t *node_to_json(const struct ynode *n)
{
	json_t *j;

	if (!n)
		return json_null();
	switch (n->type) {
	case YNODE_SCALAR:
		if (n->plain) {
			if (ynode_is_null(n))
				return json_null();
			if (strcmp(n->str, "true") == 0)
				return json_true();
			if (strcmp(n->str, "false") == 0)
				return json_false();
			if (plain_integer(n->str))
				return json_integer(strtoll(n->str, NULL, 10));
		}
		return json_stringn_nocheck(n->str, n->len);
	case YNODE_SEQ:
		j = json_array();
		for (size_t i = 0; j && i < n->n; i++)
			if (json_array_append_new(j, node_to_json(n->items[i])) < 0) {
				json_decref(j);
				return NULL;
			}
		return j;
	case YNODE_MAP:
		j = json_object();
		for (size_t i = 0; j && i < n->n; i++) {
			const struct ynode *k = n->items[2 * i];
			const char *key = k->type == YNODE_SCALAR ? k->str : "?";
			if (json_object_set_new_nocheck(j, key, node_to_json(n->items[2 * i + 1])) < 0) {
				json_decref(j);
				return NULL;
			}
		}
		return j;
	}
	return NULL;
}

json_t *apijson_from_yaml(const char *text, size_t len, struct diags *d)
{
	struct ynode *root = NULL;
	json_t *j;

	if (ynode_parse(text, len, NULL, d, &root) < 0)
		return NULL;
	j = root ? node_to_json(root) : json_object();
	ynode_free(root);
	return j;
}

/* ---- line:col -> field path ---- */

struct path_find {
	int line, col;
	int best_line, best_col;
	char best[512];
	bool found;
};

static bool pos_le(int l1, int c1, int l2, int c2)
{
	return l1 < l2 || (l1 == l2 && c1 <= c2);
}

static void consider(struct path_find *f, const struct ynode *n, const char *path)
{
	if (!pos_le(n->line, n->col, f->line, f->col))
		return;
	/* Later (or equal: the deeper node, visited later) start wins. */
	if (!f->found || pos_le(f->best_line, f->best_col, n->line, n->col)) {
		f->found = true;
		f->best_line = n->line;
		f->best_col = n->col;
		snprintf(f->best, sizeof(f->best), "%s", path);
	}
}

static void walk(struct path_find *f, const struct ynode *n, const char *path, int depth)
{
	char sub[512];

	if (!n || depth > YAML_MAX_DEPTH)
		return;
	consider(f, n, path);
	if (n->type == YNODE_SEQ) {
		for (size_t i = 0; i < n->n; i++) {
			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			walk(f, n->items[i], sub, depth + 1);
		}
	} else if (n->type == YNODE_MAP) {
		for (size_t i = 0; i < n->n; i++) {
			const struct ynode *k = n->items[2 * i];
			const char *key = k->type == YNODE_SCALAR ? k->str : "?";
			snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", key);
			/* The key itself maps to its field: an unknown key
			 * error points there. */
			consider(f, k, sub);
			walk(f, n->items[2 * i + 1], sub, depth + 1);
		}
	}
}

char *apijson_path_at(const char *text, size_t len, int line, int col)
{
	struct path_find f = { .line = line, .col = col > 0 ? col : 1 };
	struct diags d = { 0 };
	struct ynode *root = NULL;

	if (text && line > 0 && ynode_parse(text, len, NULL, &d, &root) == 0 && root)
		walk(&f, root, "", 0);
	ynode_free(root);
	diags_clear(&d);
	return strdup(f.found ? f.best : "");
}

static json_t *error_obj(const char *path, const char *msg, const char *hint)
{
	json_t *e = json_object();

	if (!e)
		return NULL;
	json_object_set_new(e, "path", json_string(path ? path : ""));
	json_object_set_new(e, "message", json_string(msg ? msg : ""));
	if (hint && *hint)
		json_object_set_new(e, "hint", json_string(hint));
	return e;
}

json_t *apijson_errors(const struct diags *d, const char *yaml, size_t yaml_len)
{
	json_t *root = json_object(), *arr = json_array();

	if (!root || !arr) {
		json_decref(root);
		json_decref(arr);
		return NULL;
	}
	for (size_t i = 0; i < d->n; i++) {
		const struct diag *g = &d->v[i];
		char *path = NULL;
		/* Diagnostics about the text we generated carry its line; a
		 * diagnostic about the raw JSON body (file NULL, from
		 * apijson_parse_body) keeps line:col in the message instead. */
		if (yaml && g->line > 0)
			path = apijson_path_at(yaml, yaml_len, g->line, g->col);
		if (!yaml && g->line > 0) {
			char msg[1024];
			snprintf(msg, sizeof(msg), "%s (at line %d, column %d)", g->msg, g->line, g->col);
			json_array_append_new(arr, error_obj("", msg, g->hint));
		} else {
			json_array_append_new(arr, error_obj(path ? path : "", g->msg, g->hint));
		}
		free(path);
	}
	json_object_set_new(root, "errors", arr);
	return root;
}

json_t *apijson_error1(const char *path, const char *hint, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	json_t *root = json_object(), *arr = json_array();

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!root || !arr) {
		json_decref(root);
		json_decref(arr);
		return NULL;
	}
	json_array_append_new(arr, error_obj(path, msg, hint));
	json_object_set_new(root, "errors", arr);
	return root;
}

/* ---- RFC 7396 ---- */

json_t *apijson_merge_patch(const json_t *target, const json_t *patch)
{
	const char *k;
	json_t *v, *res;

	/* §2: a patch that is not an object replaces the target. */
	if (!json_is_object(patch))
		return json_deep_copy(patch);
	res = json_is_object(target) ? json_deep_copy(target) : json_object();
	if (!res)
		return NULL;
	json_object_foreach((json_t *)patch, k, v) {
		if (json_is_null(v)) {
			json_object_del(res, k);
		} else {
			json_t *m = apijson_merge_patch(json_object_get(res, k), v);
			if (!m || json_object_set_new(res, k, m) < 0) {
				json_decref(res);
				return NULL;
			}
		}
	}
	return res;
}
