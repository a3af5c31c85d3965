/* tval: the values templates see — strings, numbers, booleans, lists and
 * maps — built by the renderers for one render and freed with it.
 *
 * Maps keep insertion order (templates iterate them in the order written).
 * Every value belongs to the tval_arena it was made in; freeing the arena
 * frees them all, so building a context is a handful of bump allocations. */
#ifndef PROVD_CORE_TVAL_H
#define PROVD_CORE_TVAL_H

#include <stdbool.h>
#include <stddef.h>

enum tval_type { TV_NULL, TV_STR, TV_NUM, TV_BOOL, TV_LIST, TV_MAP };

struct tval {
	enum tval_type type;
	const char *s;		/* TV_STR (arena-owned) */
	long long n;		/* TV_NUM */
	bool b;			/* TV_BOOL */
	struct tval **items;	/* TV_LIST, TV_MAP values */
	const char **keys;	/* TV_MAP keys */
	size_t len, cap;
};

struct tval_arena;

struct tval_arena *tval_arena_new(void);
void tval_arena_free(struct tval_arena *a);	/* NULL-safe */
/* Constructors return NULL only on ENOMEM. Strings are copied. */
struct tval *tval_str(struct tval_arena *a, const char *s);
struct tval *tval_strn(struct tval_arena *a, const char *s, size_t n);
struct tval *tval_num(struct tval_arena *a, long long n);
struct tval *tval_bool(struct tval_arena *a, bool b);
struct tval *tval_null(struct tval_arena *a);
struct tval *tval_list(struct tval_arena *a);
struct tval *tval_map(struct tval_arena *a);
/* Append to a list; set a key in a map (replaces). 0 or -ENOMEM. */
int tval_push(struct tval_arena *a, struct tval *list, struct tval *v);
int tval_set(struct tval_arena *a, struct tval *map, const char *key, struct tval *v);
/* Shorthands: map[key] = string (NULL s sets null). */
int tval_set_str(struct tval_arena *a, struct tval *map, const char *key, const char *s);
struct tval *tval_get(const struct tval *map, const char *key);	/* NULL when absent */
/* Raw zeroed memory from the arena (freed with it). */
void *tval_arena_alloc(struct tval_arena *a, size_t n);
/* Copy a string into the arena. */
char *tval_strdup(struct tval_arena *a, const char *s, size_t n);
/* Truth as in templates: null, false, 0, "" and empty containers are false. */
bool tval_truthy(const struct tval *v);

#endif
