/* tmpl: lexer, parser and evaluator of the template language (tmpl.h).
 *
 * Compilation turns the text into a tree of nodes (text, output, if, for,
 * include) whose expressions are small trees too; all of it lives in one
 * arena owned by the compiled template. Rendering walks the tree against a
 * context of tvals; nothing is parsed at render time. */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provd/core/tmpl.h"

/* ------------------------------------------------------------------ */
/* tree */

enum ekind { E_LIT, E_PATH, E_NOT, E_AND, E_OR, E_EQ, E_NE, E_IN, E_DEFINED, E_FILTER };

struct expr {
	enum ekind k;
	int line, col;
	struct tval *lit;		/* E_LIT */
	const char **parts;		/* E_PATH */
	size_t nparts;
	struct expr *a, *b;		/* operands; E_DEFINED: a = path */
	bool negate;			/* E_DEFINED: "is not defined" */
	const char *fname;		/* E_FILTER */
	struct expr **args;
	size_t nargs;
};

enum nkind { N_TEXT, N_OUT, N_IF, N_FOR, N_INCLUDE };

struct node;
struct nlist {
	struct node **v;
	size_t n, cap;
};

struct node {
	enum nkind k;
	int line, col;
	const char *text;		/* N_TEXT */
	size_t len;
	struct expr *e;			/* N_OUT; N_FOR: iterable */
	struct expr **conds;		/* N_IF: ncond conditions ... */
	struct nlist *bodies;		/* ... with their bodies */
	size_t ncond;
	struct nlist els;		/* N_IF else / N_FOR else */
	const char *var1, *var2;	/* N_FOR */
	struct nlist body;		/* N_FOR */
	struct tmpl *sub;		/* N_INCLUDE */
};

struct tmpl {
	struct tval_arena *arena;
	const char *file;
	const char *chain;		/* "included from a:1:2, b:3:4" or "" */
	struct nlist top;
	struct tmpl **subs;		/* included templates, freed with us */
	size_t nsubs;
};

/* ------------------------------------------------------------------ */
/* compile state */

struct cstate {
	struct tmpl *t;
	const char *src, *end;
	const struct tmpl_loader *ld;
	struct diags *d;
	int depth;
	int errors;
	/* the current expression's size and parenthesis nesting: the parser
	 * and the evaluator recurse along the tree, so both are bounded */
	int nodes, parens;
	int blocks;			/* if/for nesting (parse_nodes recursion) */
	int *includes;			/* includes compiled so far, whole tree */
	bool fatal;			/* reported an error that ends the parse */
	/* current tag's inner text, for the expression lexer */
	const char *p, *tend;
	int line, col;			/* position of p */
};

static void cerr(struct cstate *c, int line, int col, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static void cerr(struct cstate *c, int line, int col, const char *hint, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (c->fatal)
		return;	/* the enclosing blocks' "never closed" would be noise */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->t->chain[0])
		diags_add(c->d, c->t->file, line, col, hint, "%s (%s)", msg, c->t->chain);
	else
		diags_add(c->d, c->t->file, line, col, hint, "%s", msg);
	c->errors++;
}

static void *nalloc(struct cstate *c, size_t n)
{
	return tval_arena_alloc(c->t->arena, n);
}

static int nlist_push(struct cstate *c, struct nlist *l, struct node *n)
{
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 8;
		struct node **nv = nalloc(c, ncap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		if (l->n)
			memcpy(nv, l->v, l->n * sizeof(*nv));
		l->v = nv;
		l->cap = ncap;
	}
	l->v[l->n++] = n;
	return 0;
}

/* ---- expression lexer over [p, tend) ---- */

enum tok { T_END, T_IDENT, T_STR, T_NUM, T_DOT, T_PIPE, T_LP, T_RP, T_COMMA, T_EQ, T_NE, T_BAD };

struct token {
	enum tok t;
	const char *s;		/* T_IDENT/T_NUM: start; T_STR: decoded (arena) */
	size_t len;
	int line, col;
};

static void adv(struct cstate *c, size_t n)
{
	while (n-- && c->p < c->tend) {
		if (*c->p == '\n') {
			c->line++;
			c->col = 1;
		} else {
			c->col++;
		}
		c->p++;
	}
}

static struct token lex(struct cstate *c)
{
	struct token k = { T_END, NULL, 0, 0, 0 };

	while (c->p < c->tend && isspace((unsigned char)*c->p))
		adv(c, 1);
	k.line = c->line;
	k.col = c->col;
	if (c->p >= c->tend)
		return k;
	char ch = *c->p;
	if (isalpha((unsigned char)ch) || ch == '_') {
		const char *s = c->p;
		while (c->p < c->tend && (isalnum((unsigned char)*c->p) || *c->p == '_' || *c->p == '-'))
			adv(c, 1);
		/* "a-b" is a name (meta keys often have dashes), "a - b" is not
		 * allowed anyway: there is no arithmetic. */
		k.t = T_IDENT;
		k.s = s;
		k.len = (size_t)(c->p - s);
		return k;
	}
	if (isdigit((unsigned char)ch)) {
		const char *s = c->p;
		while (c->p < c->tend && isdigit((unsigned char)*c->p))
			adv(c, 1);
		k.t = T_NUM;
		k.s = s;
		k.len = (size_t)(c->p - s);
		return k;
	}
	if (ch == '"' || ch == '\'') {
		char q = ch, *out;
		size_t o = 0;
		const char *s;
		adv(c, 1);
		s = c->p;
		out = nalloc(c, (size_t)(c->tend - s) + 1);
		if (!out) {
			k.t = T_BAD;
			return k;
		}
		while (c->p < c->tend && *c->p != q) {
			if (*c->p == '\\' && c->p + 1 < c->tend) {
				adv(c, 1);
				char e = *c->p;
				out[o++] = e == 'n' ? '\n' : e == 't' ? '\t' : e;
			} else {
				out[o++] = *c->p;
			}
			adv(c, 1);
		}
		if (c->p >= c->tend) {
			k.t = T_BAD;
			k.s = "unterminated string";
			return k;
		}
		adv(c, 1);
		out[o] = '\0';
		k.t = T_STR;
		k.s = out;
		k.len = o;
		return k;
	}
	adv(c, 1);
	switch (ch) {
	case '.': k.t = T_DOT; break;
	case '|': k.t = T_PIPE; break;
	case '(': k.t = T_LP; break;
	case ')': k.t = T_RP; break;
	case ',': k.t = T_COMMA; break;
	case '=':
	case '!':
		if (c->p < c->tend && *c->p == '=') {
			adv(c, 1);
			k.t = ch == '=' ? T_EQ : T_NE;
		} else {
			k.t = T_BAD;
			k.s = ch == '=' ? "'=' (did you mean '==')" : "'!' (did you mean '!=' or 'not')";
		}
		break;
	default:
		k.t = T_BAD;
		k.s = NULL;
		break;
	}
	return k;
}

static struct token peek(struct cstate *c)
{
	const char *p = c->p;
	int line = c->line, col = c->col;
	struct token k = lex(c);

	c->p = p;
	c->line = line;
	c->col = col;
	return k;
}

static bool is_kw(const struct token *k, const char *kw)
{
	return k->t == T_IDENT && k->len == strlen(kw) && strncmp(k->s, kw, k->len) == 0;
}

static struct expr *mkexpr(struct cstate *c, enum ekind kind, int line, int col)
{
	struct expr *e;

	if (++c->nodes > TMPL_EXPR_NODES) {
		if (c->nodes == TMPL_EXPR_NODES + 1)
			cerr(c, line, col, "split it over several tags or set a variable in meta",
			     "expression too complex (more than %d parts)", TMPL_EXPR_NODES);
		return NULL;
	}
	e = nalloc(c, sizeof(*e));

	if (e) {
		e->k = kind;
		e->line = line;
		e->col = col;
	}
	return e;
}

static struct expr *parse_or(struct cstate *c);

static void bad_token(struct cstate *c, const struct token *k, const char *want)
{
	if (k->t == T_END)
		cerr(c, k->line, k->col, NULL, "expected %s, found the end of the tag", want);
	else if (k->t == T_BAD && k->s)
		cerr(c, k->line, k->col, NULL, "unexpected %s", k->s);
	else if (k->t == T_BAD)
		cerr(c, k->line, k->col, NULL, "unexpected character '%c' (expected %s)",
		     c->p > c->src ? c->p[-1] : '?', want);
	else if (k->t == T_IDENT)
		cerr(c, k->line, k->col, NULL, "expected %s, found '%.*s'", want, (int)k->len, k->s);
	else
		cerr(c, k->line, k->col, NULL, "expected %s", want);
}

static struct expr *parse_primary(struct cstate *c)
{
	struct token k = lex(c);
	struct expr *e;

	if (k.t == T_LP) {
		if (++c->parens > TMPL_EXPR_PARENS) {
			cerr(c, k.line, k.col, NULL, "parentheses nested deeper than %d", TMPL_EXPR_PARENS);
			return NULL;
		}
		e = parse_or(c);
		c->parens--;
		if (!e)
			return NULL;
		struct token r = lex(c);
		if (r.t != T_RP) {
			bad_token(c, &r, "')'");
			return NULL;
		}
		return e;
	}
	if (k.t == T_STR || k.t == T_NUM) {
		e = mkexpr(c, E_LIT, k.line, k.col);
		if (!e)
			return NULL;
		if (k.t == T_STR) {
			e->lit = tval_strn(c->t->arena, k.s, k.len);
		} else {
			char num[24];
			if (k.len >= sizeof(num)) {
				cerr(c, k.line, k.col, NULL, "number too long");
				return NULL;
			}
			memcpy(num, k.s, k.len);
			num[k.len] = '\0';
			e->lit = tval_num(c->t->arena, strtoll(num, NULL, 10));
		}
		return e->lit ? e : NULL;
	}
	if (k.t != T_IDENT) {
		bad_token(c, &k, "a value (name, 'string' or number)");
		return NULL;
	}
	if (is_kw(&k, "true") || is_kw(&k, "false") || is_kw(&k, "none") || is_kw(&k, "null")) {
		e = mkexpr(c, E_LIT, k.line, k.col);
		if (!e)
			return NULL;
		e->lit = is_kw(&k, "none") || is_kw(&k, "null") ? tval_null(c->t->arena)
								   : tval_bool(c->t->arena, is_kw(&k, "true"));
		return e->lit ? e : NULL;
	}
	if (is_kw(&k, "and") || is_kw(&k, "or") || is_kw(&k, "in") || is_kw(&k, "is")) {
		bad_token(c, &k, "a value");
		return NULL;
	}
	/* A path: name(.name|.digits)* */
	const char *parts[32];
	size_t n = 0;
	parts[n++] = tval_strdup(c->t->arena, k.s, k.len);
	for (;;) {
		struct token dot = peek(c);
		if (dot.t != T_DOT)
			break;
		lex(c);
		struct token nm = lex(c);
		if (nm.t != T_IDENT && nm.t != T_NUM) {
			bad_token(c, &nm, "a name after '.'");
			return NULL;
		}
		if (n == sizeof(parts) / sizeof(parts[0])) {
			cerr(c, nm.line, nm.col, NULL, "path too deep");
			return NULL;
		}
		parts[n++] = tval_strdup(c->t->arena, nm.s, nm.len);
	}
	e = mkexpr(c, E_PATH, k.line, k.col);
	if (!e)
		return NULL;
	e->parts = nalloc(c, n * sizeof(*e->parts));
	if (!e->parts)
		return NULL;
	memcpy(e->parts, parts, n * sizeof(*parts));
	e->nparts = n;
	return e;
}

static const char *const filters[] = { "default", "join", "upper", "lower", "quote",
				       "length", "replace", "trim", "required", "split", NULL };

static struct expr *parse_filtered(struct cstate *c)
{
	struct expr *e = parse_primary(c);

	while (e) {
		struct token k = peek(c);
		if (k.t != T_PIPE)
			break;
		lex(c);
		struct token nm = lex(c);
		if (nm.t != T_IDENT) {
			bad_token(c, &nm, "a filter name after '|'");
			return NULL;
		}
		bool known = false;
		for (const char *const *f = filters; *f; f++)
			if (strlen(*f) == nm.len && strncmp(*f, nm.s, nm.len) == 0)
				known = true;
		if (!known) {
			cerr(c, nm.line, nm.col,
			     "filters: default, join, upper, lower, quote, length, replace, trim, required, split",
			     "unknown filter '%.*s'", (int)nm.len, nm.s);
			return NULL;
		}
		struct expr *f = mkexpr(c, E_FILTER, nm.line, nm.col);
		struct expr *args[4];
		size_t na = 0;
		if (!f)
			return NULL;
		f->a = e;
		f->fname = tval_strdup(c->t->arena, nm.s, nm.len);
		if (peek(c).t == T_LP) {
			lex(c);
			if (peek(c).t != T_RP) {
				for (;;) {
					if (na == 4) {
						cerr(c, nm.line, nm.col, NULL, "too many filter arguments");
						return NULL;
					}
					args[na] = parse_or(c);
					if (!args[na++])
						return NULL;
					struct token sep = lex(c);
					if (sep.t == T_RP)
						break;
					if (sep.t != T_COMMA) {
						bad_token(c, &sep, "',' or ')'");
						return NULL;
					}
				}
			} else {
				lex(c);
			}
		}
		size_t want_min = 0, want_max = 0;
		if (!strcmp(f->fname, "default") || !strcmp(f->fname, "required"))
			want_min = want_max = 1;
		else if (!strcmp(f->fname, "join") || !strcmp(f->fname, "split"))
			want_max = 1;
		else if (!strcmp(f->fname, "replace"))
			want_min = want_max = 2;
		if (na < want_min || na > want_max) {
			cerr(c, nm.line, nm.col, NULL, "filter '%s' takes %zu argument(s), not %zu",
			     f->fname, want_max, na);
			return NULL;
		}
		f->args = nalloc(c, (na ? na : 1) * sizeof(*f->args));
		if (!f->args)
			return NULL;
		memcpy(f->args, args, na * sizeof(*args));
		f->nargs = na;
		e = f;
	}
	return e;
}

static struct expr *parse_cmp(struct cstate *c)
{
	struct expr *l = parse_filtered(c);
	struct token k;

	if (!l)
		return NULL;
	k = peek(c);
	if (is_kw(&k, "is")) {
		lex(c);
		struct expr *e = mkexpr(c, E_DEFINED, k.line, k.col);
		struct token t = lex(c);
		if (!e)
			return NULL;
		if (is_kw(&t, "not")) {
			e->negate = true;
			t = lex(c);
		}
		if (!is_kw(&t, "defined")) {
			bad_token(c, &t, "'defined' after 'is'");
			return NULL;
		}
		if (l->k != E_PATH) {
			cerr(c, k.line, k.col, NULL, "'is defined' needs a variable name");
			return NULL;
		}
		e->a = l;
		return e;
	}
	if (k.t == T_EQ || k.t == T_NE || is_kw(&k, "in")) {
		lex(c);
		struct expr *e = mkexpr(c, k.t == T_EQ ? E_EQ : k.t == T_NE ? E_NE : E_IN, k.line, k.col);
		if (!e)
			return NULL;
		e->a = l;
		e->b = parse_filtered(c);
		return e->b ? e : NULL;
	}
	return l;
}

static struct expr *parse_not(struct cstate *c)
{
	struct token k = peek(c);

	if (is_kw(&k, "not")) {
		lex(c);
		struct expr *e = mkexpr(c, E_NOT, k.line, k.col);
		if (!e)
			return NULL;
		e->a = parse_not(c);
		return e->a ? e : NULL;
	}
	return parse_cmp(c);
}

static struct expr *parse_and(struct cstate *c)
{
	struct expr *l = parse_not(c);

	while (l) {
		struct token k = peek(c);
		if (!is_kw(&k, "and"))
			break;
		lex(c);
		struct expr *e = mkexpr(c, E_AND, k.line, k.col);
		if (!e)
			return NULL;
		e->a = l;
		e->b = parse_not(c);
		if (!e->b)
			return NULL;
		l = e;
	}
	return l;
}

static struct expr *parse_or(struct cstate *c)
{
	struct expr *l = parse_and(c);

	while (l) {
		struct token k = peek(c);
		if (!is_kw(&k, "or"))
			break;
		lex(c);
		struct expr *e = mkexpr(c, E_OR, k.line, k.col);
		if (!e)
			return NULL;
		e->a = l;
		e->b = parse_and(c);
		if (!e->b)
			return NULL;
		l = e;
	}
	return l;
}

/* A whole expression filling the tag. */
static struct expr *parse_full(struct cstate *c)
{
	struct expr *e;

	c->nodes = 0;
	c->parens = 0;
	e = parse_or(c);

	if (e) {
		struct token k = lex(c);
		if (k.t != T_END) {
			bad_token(c, &k, "the end of the tag");
			return NULL;
		}
	}
	return e;
}

/* ---- template scanner ---- */

struct tag {
	char kind;		/* '{' output, '%' block, '#' comment */
	const char *inner, *inner_end;
	int line, col;		/* of the opening brace */
	int iline, icol;	/* of inner */
	const char *after;	/* first byte after the tag */
};

struct scan {
	const char *p;
	int line, col;
};

static void scan_adv(struct scan *s, const char *to)
{
	for (; s->p < to; s->p++) {
		if (*s->p == '\n') {
			s->line++;
			s->col = 1;
		} else {
			s->col++;
		}
	}
}

/* Block keyword of a '%' tag: first word of inner. */
static size_t tag_word(const struct tag *t, const char **w)
{
	const char *p = t->inner;

	while (p < t->inner_end && isspace((unsigned char)*p))
		p++;
	*w = p;
	while (p < t->inner_end && (isalnum((unsigned char)*p) || *p == '_'))
		p++;
	return (size_t)(p - *w);
}

static bool word_is(const char *w, size_t n, const char *kw)
{
	return n == strlen(kw) && strncmp(w, kw, n) == 0;
}

/* Parse nodes until an end tag in stop ("endif elif else" ...). Returns the
 * stopping word (static string) or NULL at end of input. */
static const char *parse_nodes(struct cstate *c, struct scan *s, struct nlist *out,
			       const char *const *stop, struct tag *stopped);

static int add_text(struct cstate *c, struct nlist *out, const char *b, const char *e, int line, int col)
{
	struct node *n;

	if (e <= b)
		return 0;
	n = nalloc(c, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->k = N_TEXT;
	n->text = b;
	n->len = (size_t)(e - b);
	n->line = line;
	n->col = col;
	return nlist_push(c, out, n);
}

/* Find the next tag from s->p; fills t and returns the text end (where the
 * tag starts, after whitespace control), or NULL when there is no tag. */
static const char *next_tag(struct cstate *c, struct scan *s, struct tag *t, const char **text_end)
{
	const char *p = s->p;

	while ((p = memchr(p, '{', (size_t)(c->end - p))) && p + 1 < c->end) {
		char k = p[1];
		if (k == '{' || k == '%' || k == '#') {
			const char *close;
			char want = k == '{' ? '}' : k;
			const char *q = p + 2;
			close = NULL;
			for (; q + 1 < c->end; q++) {
				if (q[0] == want && q[1] == '}') {
					close = q;
					break;
				}
			}
			struct scan at = *s;
			scan_adv(&at, p);
			t->kind = k;
			t->line = at.line;
			t->col = at.col;
			if (!close) {
				cerr(c, t->line, t->col, "close it with the matching brace",
				     "unterminated '{%c' tag", k);
				return NULL;
			}
			t->inner = p + 2;
			t->inner_end = close;
			t->after = close + 2;
			const char *te = p;
			/* {%- / {{- / {#-: strip whitespace before. */
			if (t->inner < t->inner_end && *t->inner == '-') {
				t->inner++;
				while (te > s->p && isspace((unsigned char)te[-1]))
					te--;
			} else if (k != '{') {
				/* lstrip_blocks: a block tag alone on its line
				 * takes its indentation with it. */
				const char *b = te;
				while (b > s->p && (b[-1] == ' ' || b[-1] == '\t'))
					b--;
				if (b == c->src || b[-1] == '\n' || (b == s->p && b > c->src && b[-1] == '\n'))
					te = b;
			}
			/* -%} / -}}: strip whitespace after. */
			if (t->inner_end > t->inner && t->inner_end[-1] == '-') {
				t->inner_end--;
				while (t->after < c->end && isspace((unsigned char)*t->after))
					t->after++;
			} else if (k != '{' && t->after < c->end && *t->after == '\n') {
				t->after++;	/* trim_blocks */
			}
			struct scan in = at;
			scan_adv(&in, t->inner);
			t->iline = in.line;
			t->icol = in.col;
			*text_end = te;
			return p;
		}
		p++;
	}
	return NULL;
}

static void set_expr_src(struct cstate *c, const struct tag *t, const char *from, int line, int col)
{
	c->p = from;
	c->tend = t->inner_end;
	c->line = line;
	c->col = col;
}

static int compile_include(struct cstate *c, const struct tag *t, const char *w, size_t wl,
			   struct nlist *out);

static const char *parse_nodes_in(struct cstate *c, struct scan *s, struct nlist *out,
				  const char *const *stop, struct tag *stopped);

/* parse_nodes recurses once per open if/for block: bounded, so a template
 * of 40,000 nested ifs is an error and not a stack overflow. */
static const char *parse_nodes(struct cstate *c, struct scan *s, struct nlist *out,
			       const char *const *stop, struct tag *stopped)
{
	const char *why;

	if (c->blocks > TMPL_BLOCK_DEPTH) {
		cerr(c, s->line, s->col, NULL, "if/for blocks nested deeper than %d", TMPL_BLOCK_DEPTH);
		c->fatal = true;
		return NULL;
	}
	c->blocks++;
	why = parse_nodes_in(c, s, out, stop, stopped);
	c->blocks--;
	return why;
}

static const char *parse_nodes_in(struct cstate *c, struct scan *s, struct nlist *out,
				  const char *const *stop, struct tag *stopped)
{
	struct tag t;
	const char *te;

	for (;;) {
		const char *tag = next_tag(c, s, &t, &te);
		if (!tag) {
			if (c->errors)
				return NULL;
			add_text(c, out, s->p, c->end, s->line, s->col);
			scan_adv(s, c->end);
			return NULL;
		}
		add_text(c, out, s->p, te, s->line, s->col);
		scan_adv(s, t.after);
		if (t.kind == '#')
			continue;
		if (t.kind == '{') {
			struct node *n = nalloc(c, sizeof(*n));
			if (!n)
				return NULL;
			set_expr_src(c, &t, t.inner, t.iline, t.icol);
			n->k = N_OUT;
			n->line = t.line;
			n->col = t.col;
			n->e = parse_full(c);
			if (n->e)
				nlist_push(c, out, n);
			continue;
		}
		const char *w;
		size_t wl = tag_word(&t, &w);
		for (const char *const *st = stop; st && *st; st++) {
			if (word_is(w, wl, *st)) {
				*stopped = t;
				return *st;
			}
		}
		if (word_is(w, wl, "if")) {
			struct node *n = nalloc(c, sizeof(*n));
			static const char *const if_stop[] = { "elif", "else", "endif", NULL };
			struct expr *conds[64];
			struct nlist bodies[64];
			size_t nc = 0;
			struct tag cur = t;
			const char *cw = w;
			size_t cwl = wl;
			if (!n)
				return NULL;
			n->k = N_IF;
			n->line = t.line;
			n->col = t.col;
			for (;;) {
				/* cur is an "if" or "elif" tag: its condition. */
				struct scan es = { cur.inner, cur.iline, cur.icol };
				scan_adv(&es, cw + cwl);
				set_expr_src(c, &cur, cw + cwl, es.line, es.col);
				if (nc == 64) {
					cerr(c, cur.line, cur.col, NULL, "too many elif branches");
					return NULL;
				}
				conds[nc] = parse_full(c);
				memset(&bodies[nc], 0, sizeof(bodies[nc]));
				const char *why = parse_nodes(c, s, &bodies[nc], if_stop, &cur);
				nc++;
				if (!why) {
					cerr(c, t.line, t.col, "close it with {% endif %}", "'if' is never closed");
					return NULL;
				}
				if (!strcmp(why, "elif")) {
					cwl = tag_word(&cur, &cw);
					continue;
				}
				if (!strcmp(why, "else")) {
					static const char *const else_stop[] = { "endif", NULL };
					why = parse_nodes(c, s, &n->els, else_stop, &cur);
					if (!why) {
						cerr(c, t.line, t.col, "close it with {% endif %}",
						     "'if' is never closed");
						return NULL;
					}
				}
				break;
			}
			n->conds = nalloc(c, nc * sizeof(*n->conds));
			n->bodies = nalloc(c, nc * sizeof(*n->bodies));
			if (!n->conds || !n->bodies)
				return NULL;
			memcpy(n->conds, conds, nc * sizeof(*conds));
			memcpy(n->bodies, bodies, nc * sizeof(*bodies));
			n->ncond = nc;
			nlist_push(c, out, n);
			continue;
		}
		if (word_is(w, wl, "for")) {
			struct node *n = nalloc(c, sizeof(*n));
			static const char *const for_stop[] = { "else", "endfor", NULL };
			struct scan es = { t.inner, t.iline, t.icol };
			struct token a, b;
			struct tag end;
			if (!n)
				return NULL;
			n->k = N_FOR;
			n->line = t.line;
			n->col = t.col;
			scan_adv(&es, w + wl);
			set_expr_src(c, &t, w + wl, es.line, es.col);
			a = lex(c);
			if (a.t != T_IDENT) {
				bad_token(c, &a, "a loop variable name");
				return NULL;
			}
			n->var1 = tval_strdup(c->t->arena, a.s, a.len);
			b = lex(c);
			if (b.t == T_COMMA) {
				struct token v2 = lex(c);
				if (v2.t != T_IDENT) {
					bad_token(c, &v2, "a second loop variable name");
					return NULL;
				}
				n->var2 = tval_strdup(c->t->arena, v2.s, v2.len);
				b = lex(c);
			}
			if (!is_kw(&b, "in")) {
				bad_token(c, &b, "'in'");
				return NULL;
			}
			n->e = parse_full(c);
			if (!n->e)
				return NULL;
			const char *why = parse_nodes(c, s, &n->body, for_stop, &end);
			if (why && !strcmp(why, "else")) {
				static const char *const end_stop[] = { "endfor", NULL };
				why = parse_nodes(c, s, &n->els, end_stop, &end);
			}
			if (!why) {
				cerr(c, t.line, t.col, "close it with {% endfor %}", "'for' is never closed");
				return NULL;
			}
			nlist_push(c, out, n);
			continue;
		}
		if (word_is(w, wl, "include")) {
			if (compile_include(c, &t, w, wl, out) < 0 && !c->errors)
				return NULL;
			continue;
		}
		if (word_is(w, wl, "endif") || word_is(w, wl, "endfor") || word_is(w, wl, "elif") ||
		    word_is(w, wl, "else"))
			cerr(c, t.line, t.col, "check the nesting of if/for blocks",
			     "'%.*s' without a matching opening tag", (int)wl, w);
		else
			cerr(c, t.line, t.col, "block tags: if, elif, else, endif, for, endfor, include",
			     "unknown tag '%.*s'", (int)(wl ? wl : 1), wl ? w : t.inner);
		return NULL;
	}
}

static int compile_rec(const char *file, const char *chain, const char *text, size_t len,
		       const struct tmpl_loader *ld, int depth, int *includes, struct diags *d,
		       struct tmpl **out);

static int compile_include(struct cstate *c, const struct tag *t, const char *w, size_t wl,
			   struct nlist *out)
{
	struct scan es = { t->inner, t->iline, t->icol };
	struct token name;
	char *text = NULL, *path = NULL, *chain = NULL;
	size_t len = 0;
	struct tmpl *sub = NULL, **nsubs;
	struct node *n;
	int r;

	scan_adv(&es, w + wl);
	set_expr_src(c, t, w + wl, es.line, es.col);
	name = lex(c);
	if (name.t != T_STR) {
		bad_token(c, &name, "a quoted template name");
		return -EINVAL;
	}
	if (lex(c).t != T_END) {
		cerr(c, t->line, t->col, NULL, "include takes one quoted name");
		return -EINVAL;
	}
	if (!tmpl_name_valid(name.s)) {
		cerr(c, name.line, name.col, "names are relative, like \"snippets/callback\"",
		     "bad template name \"%s\"", name.s);
		return -EINVAL;
	}
	if (c->fatal) {
		c->errors++;	/* already failed for good: compile nothing more */
		return -ECANCELED;
	}
	if (c->depth + 1 > TMPL_INCLUDE_DEPTH) {
		cerr(c, t->line, t->col, "an include loop? each template may include others at most 8 deep",
		     "includes nested deeper than %d", TMPL_INCLUDE_DEPTH);
		c->fatal = true;
		return -ELOOP;
	}
	/* Each include is compiled in where it stands, so a snippet that
	 * includes another ten times, eight deep, would be 10^8 compilations:
	 * the whole tree gets a budget. */
	if (*c->includes >= TMPL_INCLUDES_MAX) {
		if (*c->includes == TMPL_INCLUDES_MAX)	/* reported once per tree */
			cerr(c, t->line, t->col, "include a snippet once and loop inside it",
			     "more than %d includes in one template (counting nested ones)",
			     TMPL_INCLUDES_MAX);
		(*c->includes)++;
		c->errors++;
		c->fatal = true;
		return -E2BIG;
	}
	(*c->includes)++;
	if (!c->ld || !c->ld->load) {
		cerr(c, name.line, name.col, NULL, "include \"%s\": no template directory", name.s);
		return -ENOENT;
	}
	r = c->ld->load(c->ld->arg, name.s, &text, &len, &path);
	if (r < 0) {
		cerr(c, name.line, name.col,
		     "templates are looked up in <state>/templates, then the shipped templates",
		     "include \"%s\": %s", name.s, r == -ENOENT ? "no such template" : strerror(-r));
		return r;
	}
	if (asprintf(&chain, "included from %s:%d:%d%s%s", c->t->file, t->line, t->col,
		     c->t->chain[0] ? ", " : "", c->t->chain) < 0)
		chain = NULL;
	r = chain ? compile_rec(path, chain, text, len, c->ld, c->depth + 1, c->includes, c->d, &sub) : -ENOMEM;
	free(chain);
	free(text);
	free(path);
	if (r < 0) {
		c->errors++;
		if (r == -ELOOP)
			c->fatal = true;	/* one report, not one per fan-out */
		return r;
	}
	nsubs = realloc(c->t->subs, (c->t->nsubs + 1) * sizeof(*nsubs));
	if (!nsubs) {
		tmpl_free(sub);
		return -ENOMEM;
	}
	c->t->subs = nsubs;
	c->t->subs[c->t->nsubs++] = sub;
	n = nalloc(c, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->k = N_INCLUDE;
	n->line = t->line;
	n->col = t->col;
	n->sub = sub;
	return nlist_push(c, out, n);
}

static int compile_rec(const char *file, const char *chain, const char *text, size_t len,
		       const struct tmpl_loader *ld, int depth, int *includes, struct diags *d,
		       struct tmpl **out)
{
	struct tmpl *t = calloc(1, sizeof(*t));
	struct cstate c = { 0 };
	struct scan s = { 0 };
	struct tag stopped;
	char *copy;

	if (!t || !(t->arena = tval_arena_new())) {
		free(t);
		return -ENOMEM;
	}
	t->file = tval_strdup(t->arena, file ? file : "<template>", strlen(file ? file : "<template>"));
	t->chain = tval_strdup(t->arena, chain ? chain : "", strlen(chain ? chain : ""));
	if (len > TMPL_SIZE_MAX) {
		diags_add(d, t->file, 0, 0, "split it with {% include %}", "template larger than %u bytes",
			  TMPL_SIZE_MAX);
		tmpl_free(t);
		return -EFBIG;
	}
	if (memchr(text, '\0', len)) {
		diags_add(d, t->file, 0, 0, NULL, "template contains a NUL byte");
		tmpl_free(t);
		return -EINVAL;
	}
	/* Text nodes point into our own copy of the source. */
	copy = tval_strdup(t->arena, text, len);
	if (!copy || !t->file || !t->chain) {
		tmpl_free(t);
		return -ENOMEM;
	}
	c.t = t;
	c.src = copy;
	c.end = copy + len;
	c.ld = ld;
	c.d = d;
	c.depth = depth;
	c.includes = includes;
	s.p = copy;
	s.line = 1;
	s.col = 1;
	const char *why = parse_nodes(&c, &s, &t->top, NULL, &stopped);
	(void)why;
	if (c.errors) {
		tmpl_free(t);
		/* -ELOOP tells the including template to stop, too */
		return c.fatal ? -ELOOP : -EINVAL;
	}
	*out = t;
	return 0;
}

int tmpl_compile(const char *file, const char *text, size_t len, const struct tmpl_loader *loader,
		 struct diags *d, struct tmpl **out)
{
	int includes = 0;
	int r = compile_rec(file, "", text, len, loader, 0, &includes, d, out);

	return r == -ELOOP ? -EINVAL : r;
}

void tmpl_free(struct tmpl *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nsubs; i++)
		tmpl_free(t->subs[i]);
	free(t->subs);
	tval_arena_free(t->arena);
	free(t);
}

int tmpl_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > TMPL_NAME_MAX || name[0] == '/' || strstr(name, ".."))
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)name[i];
		if (!(isalnum(ch) || ch == '.' || ch == '_' || ch == '-' || ch == '/'))
			return 0;
	}
	return 1;
}

/* ------------------------------------------------------------------ */
/* render */

struct scope {
	const char *name;
	struct tval *v;
};

struct rstate {
	const struct tmpl *t;		/* template being rendered (for messages) */
	const struct tval *ctx;
	struct tval_arena *a;		/* temporaries of this render */
	struct buf *out;
	struct diags *d;
	struct scope sc[64];
	size_t nsc;
	unsigned long iters;
	int failed;
};

static void rerr(struct rstate *r, int line, int col, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static void rerr(struct rstate *r, int line, int col, const char *hint, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (r->failed++)
		return;	/* the first error is the one to fix */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r->t->chain[0])
		diags_add(r->d, r->t->file, line, col, hint, "%s (%s)", msg, r->t->chain);
	else
		diags_add(r->d, r->t->file, line, col, hint, "%s", msg);
}

/* Path lookup; NULL when undefined (no error here). */
static struct tval *lookup(struct rstate *r, const struct expr *e, size_t *bad)
{
	struct tval *v = NULL;

	for (size_t i = r->nsc; i-- > 0;) {
		if (!strcmp(r->sc[i].name, e->parts[0])) {
			v = r->sc[i].v;
			break;
		}
	}
	if (!v)
		v = tval_get(r->ctx, e->parts[0]);
	*bad = 0;
	for (size_t i = 1; v && i < e->nparts; i++) {
		const char *p = e->parts[i];
		if (v->type == TV_MAP) {
			v = tval_get(v, p);
		} else if (v->type == TV_LIST && isdigit((unsigned char)p[0])) {
			unsigned long idx = strtoul(p, NULL, 10);
			v = idx < v->len ? v->items[idx] : NULL;
		} else {
			v = NULL;
		}
		*bad = i;
	}
	return v;
}

static void path_str(const struct expr *e, size_t upto, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i <= upto && i < e->nparts; i++) {
		int n = snprintf(buf + o, len - o, "%s%s", i ? "." : "", e->parts[i]);
		if (n < 0 || (size_t)n >= len - o)
			break;
		o += (size_t)n;
	}
}

/* Text of a scalar value (arena or static). NULL for containers. */
static const char *to_text(struct rstate *r, const struct tval *v)
{
	switch (v->type) {
	case TV_NULL: return "";
	case TV_STR: return v->s;
	case TV_BOOL: return v->b ? "true" : "false";
	case TV_NUM: {
		char num[24];
		int n = snprintf(num, sizeof(num), "%lld", v->n);
		return tval_strdup(r->a, num, (size_t)n);
	}
	default: return NULL;
	}
}

static struct tval *eval(struct rstate *r, const struct expr *e);

static bool values_equal(struct rstate *r, const struct tval *x, const struct tval *y)
{
	const char *a = to_text(r, x), *b = to_text(r, y);

	if (x->type == TV_NULL || y->type == TV_NULL)
		return x->type == y->type;
	return a && b && strcmp(a, b) == 0;
}

/* split / split(sep): meta given on the command line is text ("vim curl"),
 * in YAML it may be a list; templates iterate either. Without sep, words are
 * separated by runs of blanks and commas; with sep, fields are split on sep
 * and trimmed. Empty fields are dropped. A list passes through. */
static struct tval *filter_split(struct rstate *r, const struct expr *e, struct tval *v)
{
	const char *sep = NULL, *s;
	struct tval *l;

	if (v->type == TV_LIST)
		return v;
	if (e->nargs) {
		struct tval *a = eval(r, e->args[0]);
		sep = a ? to_text(r, a) : NULL;
		if (!sep || !*sep) {
			if (!r->failed)
				rerr(r, e->line, e->col, NULL, "split: the separator must be a non-empty string");
			return NULL;
		}
	}
	s = to_text(r, v);
	if (!s) {
		rerr(r, e->line, e->col, NULL, "filter 'split' needs text or a list, not a map");
		return NULL;
	}
	l = tval_list(r->a);
	if (!l)
		return NULL;
	while (*s) {
		const char *end;
		size_t n, skip;
		if (sep) {
			end = strstr(s, sep);
			if (!end)
				end = s + strlen(s);
			skip = *end ? strlen(sep) : 0;
		} else {
			s += strspn(s, " \t\n,");
			end = s + strcspn(s, " \t\n,");
			skip = 0;
		}
		const char *b = s;
		n = (size_t)(end - s);
		while (n && isspace((unsigned char)*b)) {
			b++;
			n--;
		}
		while (n && isspace((unsigned char)b[n - 1]))
			n--;
		if (n && tval_push(r->a, l, tval_strn(r->a, b, n)) < 0)
			return NULL;
		s = end + skip;
	}
	return l;
}

static struct tval *apply_filter(struct rstate *r, const struct expr *e, struct tval *v)
{
	const char *f = e->fname;
	struct buf b;

	if (!strcmp(f, "default"))
		return v;	/* handled in eval for undefined/null bases */
	if (!strcmp(f, "length")) {
		if (v->type == TV_STR)
			return tval_num(r->a, (long long)strlen(v->s));
		if (v->type == TV_LIST || v->type == TV_MAP)
			return tval_num(r->a, (long long)v->len);
		return tval_num(r->a, 0);
	}
	if (!strcmp(f, "join")) {
		const char *sep = "";
		if (e->nargs) {
			struct tval *s = eval(r, e->args[0]);
			if (!s)
				return NULL;
			sep = to_text(r, s);
			if (!sep) {
				rerr(r, e->line, e->col, NULL, "join: the separator must be a string");
				return NULL;
			}
		}
		if (v->type != TV_LIST)
			return v;	/* a scalar joins to itself */
		buf_init(&b, TMPL_OUTPUT_MAX);
		for (size_t i = 0; i < v->len; i++) {
			const char *t = to_text(r, v->items[i]);
			if (!t) {
				rerr(r, e->line, e->col, NULL, "join: item %zu is not a string", i);
				buf_free(&b);
				return NULL;
			}
			if ((i && buf_puts(&b, sep) < 0) || buf_puts(&b, t) < 0) {
				rerr(r, e->line, e->col, NULL, "join: result too large");
				buf_free(&b);
				return NULL;
			}
		}
		struct tval *res = tval_strn(r->a, buf_str(&b), b.len);
		buf_free(&b);
		return res;
	}
	if (!strcmp(f, "split"))
		return filter_split(r, e, v);
	const char *s = to_text(r, v);
	if (!s) {
		rerr(r, e->line, e->col, "use join to turn a list into text",
		     "filter '%s' needs text, not a %s", f, v->type == TV_LIST ? "list" : "map");
		return NULL;
	}
	size_t n = strlen(s);
	if (!strcmp(f, "upper") || !strcmp(f, "lower")) {
		char *o = tval_strdup(r->a, s, n);
		if (!o)
			return NULL;
		for (size_t i = 0; i < n; i++)
			o[i] = (char)(f[0] == 'u' ? toupper((unsigned char)o[i]) : tolower((unsigned char)o[i]));
		return tval_strn(r->a, o, n);
	}
	if (!strcmp(f, "trim")) {
		while (n && isspace((unsigned char)*s)) {
			s++;
			n--;
		}
		while (n && isspace((unsigned char)s[n - 1]))
			n--;
		return tval_strn(r->a, s, n);
	}
	buf_init(&b, TMPL_OUTPUT_MAX);
	int rc = 0;
	if (!strcmp(f, "quote")) {
		/* POSIX shell: inside '...' nothing is special but the quote
		 * itself, written as '\'' (close, escaped quote, reopen). */
		rc |= buf_putc(&b, '\'');
		for (size_t i = 0; i < n; i++)
			rc |= s[i] == '\'' ? buf_puts(&b, "'\\''") : buf_putc(&b, s[i]);
		rc |= buf_putc(&b, '\'');
	} else { /* replace */
		struct tval *from = eval(r, e->args[0]), *to = from ? eval(r, e->args[1]) : NULL;
		const char *fs = from ? to_text(r, from) : NULL, *ts = to ? to_text(r, to) : NULL;
		if (!fs || !ts || !*fs) {
			if (!r->failed)
				rerr(r, e->line, e->col, NULL, "replace needs two strings, the first not empty");
			buf_free(&b);
			return NULL;
		}
		size_t fl = strlen(fs);
		for (const char *p = s; *p;) {
			if (!strncmp(p, fs, fl)) {
				rc |= buf_puts(&b, ts);
				p += fl;
			} else {
				rc |= buf_putc(&b, *p++);
			}
		}
	}
	if (rc) {
		rerr(r, e->line, e->col, NULL, "filter '%s': result too large", f);
		buf_free(&b);
		return NULL;
	}
	struct tval *res = tval_strn(r->a, buf_str(&b), b.len);
	buf_free(&b);
	return res;
}

static struct tval *eval(struct rstate *r, const struct expr *e)
{
	struct tval *x, *y;
	size_t bad;

	if (r->failed)
		return NULL;
	switch (e->k) {
	case E_LIT:
		return e->lit;
	case E_PATH:
		x = lookup(r, e, &bad);
		if (!x) {
			char p[256];
			path_str(e, bad, p, sizeof(p));
			rerr(r, e->line, e->col, "give a default: {{ name | default('') }}, or test it with "
			     "{% if name is defined %}", "undefined variable '%s'", p);
		}
		return x;
	case E_DEFINED: {
		x = lookup(r, e->a, &bad);
		return tval_bool(r->a, (x != NULL) != e->negate);
	}
	case E_NOT:
		x = eval(r, e->a);
		return x ? tval_bool(r->a, !tval_truthy(x)) : NULL;
	case E_AND:
		x = eval(r, e->a);
		if (!x)
			return NULL;
		if (!tval_truthy(x))
			return tval_bool(r->a, false);
		y = eval(r, e->b);
		return y ? tval_bool(r->a, tval_truthy(y)) : NULL;
	case E_OR:
		x = eval(r, e->a);
		if (!x)
			return NULL;
		if (tval_truthy(x))
			return tval_bool(r->a, true);
		y = eval(r, e->b);
		return y ? tval_bool(r->a, tval_truthy(y)) : NULL;
	case E_EQ:
	case E_NE:
		x = eval(r, e->a);
		y = x ? eval(r, e->b) : NULL;
		if (!y)
			return NULL;
		return tval_bool(r->a, values_equal(r, x, y) == (e->k == E_EQ));
	case E_IN: {
		x = eval(r, e->a);
		y = x ? eval(r, e->b) : NULL;
		if (!y)
			return NULL;
		const char *xs = to_text(r, x);
		if (y->type == TV_LIST) {
			for (size_t i = 0; i < y->len; i++)
				if (values_equal(r, x, y->items[i]))
					return tval_bool(r->a, true);
			return tval_bool(r->a, false);
		}
		if (y->type == TV_MAP)
			return tval_bool(r->a, xs && tval_get(y, xs) != NULL);
		const char *ys = to_text(r, y);
		return tval_bool(r->a, xs && ys && strstr(ys, xs) != NULL);
	}
	case E_FILTER:
		if (!strcmp(e->fname, "default")) {
			/* default() also covers an undefined base: look it up
			 * softly instead of failing. */
			if (e->a->k == E_PATH) {
				x = lookup(r, e->a, &bad);
			} else {
				x = eval(r, e->a);
				if (!x)
					return NULL;
			}
			if (!x || x->type == TV_NULL)
				return eval(r, e->args[0]);
			return x;
		}
		if (!strcmp(e->fname, "required")) {
			/* required('why') turns a missing, null or empty value
			 * into a render error carrying the template's own
			 * message: an answer file with `url --url=` and nothing
			 * after it must never be served. */
			x = e->a->k == E_PATH ? lookup(r, e->a, &bad) : eval(r, e->a);
			if (r->failed)
				return NULL;
			if (!x || x->type == TV_NULL || (x->type == TV_STR && !*x->s)) {
				struct tval *m = eval(r, e->args[0]);
				const char *ms = m ? to_text(r, m) : NULL;
				if (!r->failed)
					rerr(r, e->line, e->col, NULL, "required value missing: %s",
					     ms ? ms : "(no message)");
				return NULL;
			}
			return x;
		}
		x = eval(r, e->a);
		return x ? apply_filter(r, e, x) : NULL;
	}
	return NULL;
}

static int render_list(struct rstate *r, const struct nlist *l);

static int emit(struct rstate *r, int line, int col, const char *s, size_t n)
{
	if (buf_append(r->out, s, n) < 0) {
		rerr(r, line, col, "a loop over too much data?", "output larger than %u bytes", TMPL_OUTPUT_MAX);
		return -E2BIG;
	}
	return 0;
}

static int push_scope(struct rstate *r, const char *name, struct tval *v, int line, int col)
{
	if (r->nsc == sizeof(r->sc) / sizeof(r->sc[0])) {
		rerr(r, line, col, NULL, "loops nested too deeply");
		return -E2BIG;
	}
	r->sc[r->nsc].name = name;
	r->sc[r->nsc++].v = v;
	return 0;
}

static int render_for(struct rstate *r, const struct node *n)
{
	struct tval *it = eval(r, n->e);
	size_t base = r->nsc;
	int rc = 0;

	if (!it)
		return -EINVAL;
	if (it->type == TV_STR && !n->var2) {
		/* A lone string loops once: meta values may be one item or a
		 * list of them (ssh keys, packages). */
		struct tval *one = tval_list(r->a);
		if (!one || (it->s[0] && tval_push(r->a, one, it) < 0))
			return -ENOMEM;
		it = one;
	}
	if (it->type != TV_LIST && it->type != TV_MAP) {
		if (it->type == TV_NULL)
			return render_list(r, &n->els);
		rerr(r, n->e->line, n->e->col, NULL, "'for' needs a list or a map");
		return -EINVAL;
	}
	if (n->var2 && it->type != TV_MAP) {
		rerr(r, n->line, n->col, "use one loop variable for a list", "'for k, v' needs a map");
		return -EINVAL;
	}
	if (it->len == 0)
		return render_list(r, &n->els);
	for (size_t i = 0; i < it->len && rc == 0; i++) {
		struct tval *loop = tval_map(r->a);
		if (!loop)
			return -ENOMEM;
		if (++r->iters > TMPL_LOOP_MAX) {
			rerr(r, n->line, n->col, NULL, "more than %d loop iterations in one render", TMPL_LOOP_MAX);
			return -E2BIG;
		}
		tval_set(r->a, loop, "index", tval_num(r->a, (long long)i + 1));
		tval_set(r->a, loop, "index0", tval_num(r->a, (long long)i));
		tval_set(r->a, loop, "first", tval_bool(r->a, i == 0));
		tval_set(r->a, loop, "last", tval_bool(r->a, i + 1 == it->len));
		tval_set(r->a, loop, "length", tval_num(r->a, (long long)it->len));
		r->nsc = base;
		if (it->type == TV_MAP && n->var2) {
			rc = push_scope(r, n->var1, tval_str(r->a, it->keys[i]), n->line, n->col);
			if (!rc)
				rc = push_scope(r, n->var2, it->items[i], n->line, n->col);
		} else if (it->type == TV_MAP) {
			rc = push_scope(r, n->var1, tval_str(r->a, it->keys[i]), n->line, n->col);
		} else {
			rc = push_scope(r, n->var1, it->items[i], n->line, n->col);
		}
		if (!rc)
			rc = push_scope(r, "loop", loop, n->line, n->col);
		if (!rc)
			rc = render_list(r, &n->body);
	}
	r->nsc = base;
	return rc;
}

static int render_node(struct rstate *r, const struct node *n)
{
	struct tval *v;

	switch (n->k) {
	case N_TEXT:
		return emit(r, n->line, n->col, n->text, n->len);
	case N_OUT: {
		const char *s;
		v = eval(r, n->e);
		if (!v)
			return -EINVAL;
		s = to_text(r, v);
		if (!s) {
			rerr(r, n->line, n->col, "print items with a for loop, or use join",
			     "cannot print a %s", v->type == TV_LIST ? "list" : "map");
			return -EINVAL;
		}
		return emit(r, n->line, n->col, s, strlen(s));
	}
	case N_IF:
		for (size_t i = 0; i < n->ncond; i++) {
			v = eval(r, n->conds[i]);
			if (!v)
				return -EINVAL;
			if (tval_truthy(v))
				return render_list(r, &n->bodies[i]);
		}
		return render_list(r, &n->els);
	case N_FOR:
		return render_for(r, n);
	case N_INCLUDE: {
		const struct tmpl *saved = r->t;
		int rc;
		r->t = n->sub;
		rc = render_list(r, &n->sub->top);
		r->t = saved;
		return rc;
	}
	}
	return 0;
}

static int render_list(struct rstate *r, const struct nlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		int rc = render_node(r, l->v[i]);
		if (rc < 0 || r->failed)
			return rc < 0 ? rc : -EINVAL;
	}
	return 0;
}

int tmpl_render(const struct tmpl *t, const struct tval *ctx, struct buf *out, struct diags *d)
{
	struct rstate r = { .t = t, .ctx = ctx, .out = out, .d = d };
	size_t start = out->len;
	int rc;

	r.a = tval_arena_new();
	if (!r.a)
		return -ENOMEM;
	rc = render_list(&r, &t->top);
	tval_arena_free(r.a);
	if (rc < 0 || r.failed) {
		/* Nothing half-rendered is left behind. */
		out->len = start;
		if (out->p)
			out->p[start] = '\0';
		return rc < 0 ? rc : -EINVAL;
	}
	return 0;
}
