/* yaml: libyaml events into a small node tree with positions, and a field
 * table that binds a mapping node onto a C struct.
 *
 * The tree keeps every node's start mark (line:col, 1-based) so errors can
 * point at the exact key or value. Limits: nesting depth, node count and
 * scalar size are capped; aliases are refused (no "billion laughs"); one
 * document per file.
 *
 * The binder walks a mapping against a table of struct yfield (name, type,
 * offset, required, validator), reports unknown keys, duplicate keys, wrong
 * types and failed validators, and keeps going so that every error in a file
 * is reported at once.
 */
#ifndef PROVD_CORE_YAML_H
#define PROVD_CORE_YAML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "provd/base/err.h"

/* Where a value was written. file points at a string owned by whoever owns
 * the value (the object's path); line/col 1-based, 0 when not from a file. */
struct src_pos {
	const char *file;
	int line;
	int col;
};

enum ynode_type {
	YNODE_SCALAR,
	YNODE_SEQ,
	YNODE_MAP,
};

struct ynode {
	enum ynode_type type;
	int line, col;
	/* SCALAR */
	char *str;
	size_t len;
	bool plain;		/* unquoted: "~", "null" and "" mean null */
	/* SEQ: items[0..n); MAP: items[2i] key, items[2i+1] value, n pairs */
	struct ynode **items;
	size_t n;
};

#define YAML_MAX_DEPTH 32
#define YAML_MAX_NODES 200000
#define YAML_MAX_SCALAR (64 * 1024)

/* Parse one YAML document. An empty document gives *root = NULL. Errors go
 * to d with file:line:col. 0 or negative errno (-EINVAL on syntax errors). */
int ynode_parse(const char *text, size_t len, const char *file, struct diags *d,
		struct ynode **root);
void ynode_free(struct ynode *n);
/* A plain "", "~", "null" or "Null"/"NULL" scalar. */
bool ynode_is_null(const struct ynode *n);
/* "a string", "a list", "a mapping" */
const char *ynode_type_desc(const struct ynode *n);
/* Value of key in a mapping node, or NULL. */
const struct ynode *ynode_get(const struct ynode *map, const char *key);

struct ybind;

enum yfield_type {
	YF_STR,		/* char *; null leaves it unset */
	YF_BOOL,	/* bool */
	YF_U64,		/* uint64_t in [min, max] */
	YF_U32,		/* uint32_t in [min, max] */
	YF_SIZE,	/* uint64_t bytes, "20G" (min/max apply) */
	YF_MAP,		/* nested mapping bound with sub (offsets relative to off) */
	YF_CUSTOM,	/* custom(): anything else */
};

struct yfield {
	const char *name;
	enum yfield_type type;
	size_t off;		/* value offset in the bound struct */
	ssize_t pos_off;	/* offset of a struct src_pos, or -1 */
	bool required;
	/* YF_STR: NULL when v is fine, else the error message, with *hint
	 * set to what to do instead. */
	const char *(*valid)(const char *v, const char **hint);
	uint64_t min, max;	/* YF_U64/YF_U32/YF_SIZE */
	const struct yfield *sub;	/* YF_MAP */
	size_t nsub;
	/* YF_CUSTOM: bind n into (char *)base + off; report with ybind_error.
	 * Return 0, or negative errno to stop (-ENOMEM). */
	int (*custom)(struct ybind *b, const struct ynode *n, void *target);
};

struct ybind {
	const char *file;	/* stored into src_pos.file: must outlive the struct */
	struct diags *d;
	size_t nerr;		/* errors reported so far */
	int oom;		/* set on allocation failure */
	const void *user;	/* for custom binders */
};

/* Bind mapping node n onto base using fields. Reports every problem. */
void ybind_map(struct ybind *b, const struct ynode *n, const struct yfield *fields,
	       size_t nfields, void *base);
void ybind_error(struct ybind *b, const struct ynode *at, const char *hint,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
struct src_pos ybind_pos(const struct ybind *b, const struct ynode *n);
/* A scalar (not null) as a string; reports a type error and returns NULL
 * otherwise. */
const char *ybind_scalar(struct ybind *b, const struct ynode *n, const char *what);

#endif
