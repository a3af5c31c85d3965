/* tval: template values in an arena (see tval.h). */
#include <config.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "provd/core/tval.h"

#define CHUNK (16 * 1024)

struct chunk {
	struct chunk *next;
	size_t used, size;
	max_align_t data[];
};

struct tval_arena {
	struct chunk *head;
};

struct tval_arena *tval_arena_new(void)
{
	return calloc(1, sizeof(struct tval_arena));
}

void tval_arena_free(struct tval_arena *a)
{
	if (!a)
		return;
	for (struct chunk *c = a->head, *n; c; c = n) {
		n = c->next;
		free(c);
	}
	free(a);
}

void *tval_arena_alloc(struct tval_arena *a, size_t n)
{
	struct chunk *c = a->head;

	n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	if (!c || c->size - c->used < n) {
		size_t size = n > CHUNK ? n : CHUNK;
		c = malloc(sizeof(*c) + size);
		if (!c)
			return NULL;
		c->size = size;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	void *p = (char *)c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

char *tval_strdup(struct tval_arena *a, const char *s, size_t n)
{
	char *p = tval_arena_alloc(a, n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

static struct tval *mk(struct tval_arena *a, enum tval_type t)
{
	struct tval *v = tval_arena_alloc(a, sizeof(*v));

	if (v)
		v->type = t;
	return v;
}

struct tval *tval_strn(struct tval_arena *a, const char *s, size_t n)
{
	struct tval *v = mk(a, TV_STR);

	if (v && !(v->s = tval_strdup(a, s, n)))
		return NULL;
	return v;
}

struct tval *tval_str(struct tval_arena *a, const char *s)
{
	return s ? tval_strn(a, s, strlen(s)) : tval_null(a);
}

struct tval *tval_num(struct tval_arena *a, long long n)
{
	struct tval *v = mk(a, TV_NUM);

	if (v)
		v->n = n;
	return v;
}

struct tval *tval_bool(struct tval_arena *a, bool b)
{
	struct tval *v = mk(a, TV_BOOL);

	if (v)
		v->b = b;
	return v;
}

struct tval *tval_null(struct tval_arena *a) { return mk(a, TV_NULL); }
struct tval *tval_list(struct tval_arena *a) { return mk(a, TV_LIST); }
struct tval *tval_map(struct tval_arena *a) { return mk(a, TV_MAP); }

static int grow(struct tval_arena *a, struct tval *c)
{
	size_t ncap;
	struct tval **ni;
	const char **nk = NULL;

	if (c->len < c->cap)
		return 0;
	ncap = c->cap ? c->cap * 2 : 8;
	ni = tval_arena_alloc(a, ncap * sizeof(*ni));
	if (!ni)
		return -ENOMEM;
	if (c->len)
		memcpy(ni, c->items, c->len * sizeof(*ni));
	if (c->type == TV_MAP) {
		nk = tval_arena_alloc(a, ncap * sizeof(*nk));
		if (!nk)
			return -ENOMEM;
		if (c->len)
			memcpy(nk, c->keys, c->len * sizeof(*nk));
		c->keys = nk;
	}
	c->items = ni;
	c->cap = ncap;
	return 0;
}

int tval_push(struct tval_arena *a, struct tval *list, struct tval *v)
{
	if (!list || !v || list->type != TV_LIST)
		return -EINVAL;
	if (grow(a, list) < 0)
		return -ENOMEM;
	list->items[list->len++] = v;
	return 0;
}

int tval_set(struct tval_arena *a, struct tval *map, const char *key, struct tval *v)
{
	if (!map || !v || map->type != TV_MAP)
		return -EINVAL;
	for (size_t i = 0; i < map->len; i++) {
		if (strcmp(map->keys[i], key) == 0) {
			map->items[i] = v;
			return 0;
		}
	}
	if (grow(a, map) < 0)
		return -ENOMEM;
	map->keys[map->len] = tval_strdup(a, key, strlen(key));
	if (!map->keys[map->len])
		return -ENOMEM;
	map->items[map->len++] = v;
	return 0;
}

int tval_set_str(struct tval_arena *a, struct tval *map, const char *key, const char *s)
{
	struct tval *v = tval_str(a, s);

	return v ? tval_set(a, map, key, v) : -ENOMEM;
}

struct tval *tval_get(const struct tval *map, const char *key)
{
	if (!map || map->type != TV_MAP)
		return NULL;
	for (size_t i = 0; i < map->len; i++)
		if (strcmp(map->keys[i], key) == 0)
			return map->items[i];
	return NULL;
}

bool tval_truthy(const struct tval *v)
{
	if (!v)
		return false;
	switch (v->type) {
	case TV_NULL: return false;
	case TV_STR: return v->s[0] != '\0';
	case TV_NUM: return v->n != 0;
	case TV_BOOL: return v->b;
	case TV_LIST:
	case TV_MAP: return v->len > 0;
	}
	return false;
}
