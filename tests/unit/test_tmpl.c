/* Unit tests for the template language: every construct, whitespace
 * control, strictness, every compile and render error with its position,
 * includes with their chain, and the caps. */
#include <config.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provd/core/tmpl.h"

static struct tval_arena *A;
static struct tval *ctx;

static int setup(void **state)
{
	struct tval *sys, *ifs, *i1, *i2, *meta, *pkgs;

	A = tval_arena_new();
	ctx = tval_map(A);
	sys = tval_map(A);
	tval_set_str(A, sys, "name", "web1");
	tval_set_str(A, sys, "hostname", "web1.lab");
	ifs = tval_list(A);
	i1 = tval_map(A);
	tval_set_str(A, i1, "mac", "52:54:00:00:00:01");
	tval_set_str(A, i1, "ip", "192.0.2.10");
	i2 = tval_map(A);
	tval_set_str(A, i2, "mac", "52:54:00:00:00:02");
	tval_push(A, ifs, i1);
	tval_push(A, ifs, i2);
	tval_set(A, sys, "interfaces", ifs);
	tval_set(A, ctx, "system", sys);
	meta = tval_map(A);
	tval_set_str(A, meta, "tasks", "standard ssh-server");
	tval_set_str(A, meta, "motd", "it's here");
	tval_set_str(A, meta, "empty", "");
	pkgs = tval_list(A);
	tval_push(A, pkgs, tval_str(A, "vim"));
	tval_push(A, pkgs, tval_str(A, "curl"));
	tval_set(A, meta, "packages", pkgs);
	tval_set(A, ctx, "meta", meta);
	tval_set(A, ctx, "flag", tval_bool(A, true));
	tval_set(A, ctx, "n", tval_num(A, 3));
	tval_set(A, ctx, "nothing", tval_null(A));
	return 0;
}

static int teardown(void **state)
{
	tval_arena_free(A);
	return 0;
}

/* Includes come from this table. */
static int fake_load(void *arg, const char *name, char **text, size_t *len, char **path)
{
	static const char *const files[][2] = {
		{ "snippets/hello", "hello {{ system.name }}" },
		{ "snippets/outer", "[{% include \"snippets/bad\" %}]" },
		{ "snippets/bad", "x\n  {{ nope }}" },
		{ "snippets/loop", "{% include \"snippets/loop\" %}" },
		{ "snippets/syntax", "ok\n{% if %}" },
		/* 4 includes per level, 4 levels: 340 compilations; without
		 * a budget a fan-out grows as 4^depth */
#define I4(n) "{% include \"snippets/" n "\" %}{% include \"snippets/" n "\" %}" \
	      "{% include \"snippets/" n "\" %}{% include \"snippets/" n "\" %}"
		{ "snippets/fan", I4("fan2") },
		{ "snippets/fan2", I4("fan3") },
		{ "snippets/fan3", I4("fan4") },
		{ "snippets/fan4", I4("hello") },
		{ "snippets/self4", I4("self4") },
	};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (!strcmp(files[i][0], name)) {
			*text = strdup(files[i][1]);
			*len = strlen(*text);
			*path = strdup(name);
			return 0;
		}
	}
	return -ENOENT;
}

static const struct tmpl_loader loader = { fake_load, NULL };

/* Render src; returns output (static) or the first diagnostic text. */
static char result[8192];
static int render(const char *src)
{
	struct diags d = { 0 };
	struct tmpl *t = NULL;
	struct buf b;
	int r;

	buf_init(&b, TMPL_OUTPUT_MAX);
	r = tmpl_compile("t.cfg", src, strlen(src), &loader, &d, &t);
	if (r == 0)
		r = tmpl_render(t, ctx, &b, &d);
	if (r == 0) {
		snprintf(result, sizeof(result), "%s", buf_str(&b));
	} else {
		char *s = d.n ? diag_format(&d.v[0]) : strdup("(no diagnostic)");
		snprintf(result, sizeof(result), "%s", s);
		free(s);
		assert_true(d.n > 0);
	}
	buf_free(&b);
	tmpl_free(t);
	diags_clear(&d);
	return r;
}

#define OK(src, want)                                  \
	do {                                           \
		assert_int_equal(render(src), 0);      \
		assert_string_equal(result, want);     \
	} while (0)
#define ERR(src, want)                                 \
	do {                                           \
		assert_int_not_equal(render(src), 0);  \
		assert_string_equal(result, want);     \
	} while (0)

static void test_output(void **state)
{
	OK("plain text", "plain text");
	OK("{{ system.name }}!", "web1!");
	OK("{{system.interfaces.1.mac}}", "52:54:00:00:00:02");
	OK("{{ 'lit' }} {{ \"dq\" }} {{ 42 }}", "lit dq 42");
	OK("{{ flag }} {{ n }} [{{ nothing }}]", "true 3 []");
	OK("{{ meta.motd | quote }}", "'it'\\''s here'");
	OK("{{ meta.packages | join(' ') }}", "vim curl");
	OK("{{ meta.packages | join }}", "vimcurl");
	OK("{{ system.name | upper }} {{ 'AbC' | lower }}", "WEB1 abc");
	OK("{{ meta.packages | length }} {{ system.name | length }}", "2 4");
	OK("{{ meta.tasks | replace(' ', ',') }}", "standard,ssh-server");
	OK("{{ '  x  ' | trim }}", "x");
	OK("{{ undefined.thing | default('d') }}", "d");
	OK("{{ nothing | default('was null') }}", "was null");
	OK("{{ system.name | default('d') }}", "web1");
	OK("{{ meta.missing | default(system.name) | upper }}", "WEB1");
	OK("{# a comment #}x", "x");
	OK("{{ system.name | required('need a name') }}", "web1");
	OK("{% for w in ' a, b\tc,,d ' | split %}[{{ w }}]{% endfor %}", "[a][b][c][d]");
	OK("{% for w in 'x y; z;;' | split(';') %}[{{ w }}]{% endfor %}", "[x y][z]");
	OK("{{ meta.packages | split | join('+') }}", "vim+curl");
	OK("{{ '' | split | length }} {{ meta.tasks | split | length }}", "0 2");
	OK("{{ meta.missing | default(system.name) | required('x') }}", "web1");
}

static void test_if_for(void **state)
{
	OK("{% if flag %}y{% else %}n{% endif %}", "y");
	OK("{% if not flag %}y{% elif n == 3 %}three{% else %}n{% endif %}", "three");
	OK("{% if n != 3 %}a{% elif n == 4 %}b{% else %}c{% endif %}", "c");
	OK("{% if meta.empty %}a{% else %}empty{% endif %}", "empty");
	OK("{% if missing is defined %}a{% else %}b{% endif %}", "b");
	OK("{% if system.name is not defined %}a{% else %}b{% endif %}", "b");
	OK("{% if flag and (n == 3 or nothing) %}ok{% endif %}", "ok");
	OK("{% if 'ssh' in meta.tasks %}ssh{% endif %}", "ssh");
	OK("{% if 'vim' in meta.packages %}vim{% endif %}", "vim");
	OK("{% if 'tasks' in meta %}k{% endif %}", "k");
	OK("{% for i in system.interfaces %}{{ loop.index }}:{{ i.mac }}{% if not loop.last %},{% endif %}{% endfor %}",
	   "1:52:54:00:00:00:01,2:52:54:00:00:00:02");
	OK("{% for k, v in meta %}{% if k == 'tasks' %}{{ k }}={{ v }}{% endif %}{% endfor %}",
	   "tasks=standard ssh-server");
	OK("{% for k in meta %}{% if loop.first %}{{ k }}{% endif %}{% endfor %}", "tasks");
	OK("{% for x in nothing %}x{% else %}none{% endfor %}", "none");
	OK("{% for p in meta.packages %}{% for q in meta.packages %}{{ p }}{{ q }} {% endfor %}{% endfor %}",
	   "vimvim vimcurl curlvim curlcurl ");
}

static void test_whitespace(void **state)
{
	/* trim_blocks + lstrip_blocks: block tags on their own lines vanish. */
	OK("a\n  {% if flag %}\n  b\n  {% endif %}\nc\n", "a\n  b\nc\n");
	OK("a  {{- ' x ' -}}  b", "a x b");
	OK("a\n\n{%- if flag -%}\n\n b{% endif %}", "ab");
	OK("x {# c #}\ny", "x y");
}

static void test_include(void **state)
{
	OK("<{% include \"snippets/hello\" %}>", "<hello web1>");
	ERR("{% include \"snippets/outer\" %}",
	    "snippets/bad:2:6: error: undefined variable 'nope' (included from snippets/outer:1:2, "
	    "included from t.cfg:1:1)");
	ERR("\n{% include \"snippets/none\" %}", "t.cfg:2:12: error: include \"snippets/none\": no such template");
	ERR("{% include \"../etc/passwd\" %}", "t.cfg:1:12: error: bad template name \"../etc/passwd\"");
	ERR("{% include \"snippets/loop\" %}",
	    "snippets/loop:1:1: error: includes nested deeper than 8 (included from snippets/loop:1:1, "
	    "included from snippets/loop:1:1, included from snippets/loop:1:1, included from "
	    "snippets/loop:1:1, included from snippets/loop:1:1, included from snippets/loop:1:1, "
	    "included from snippets/loop:1:1, included from t.cfg:1:1)");
	{
		struct diags d = { 0 };
		struct tmpl *t = NULL;
		const char *src = "{% include \"snippets/fan\" %}";
		assert_int_not_equal(tmpl_compile("t.cfg", src, strlen(src), &loader, &d, &t), 0);
		assert_null(t);
		assert_int_equal(d.n, 1);
		assert_non_null(strstr(d.v[0].msg, "more than 256 includes in one template"));
		diags_clear(&d);
	}
	{
		/* An include loop that fans out: one report, not thousands. */
		struct diags d = { 0 };
		struct tmpl *t = NULL;
		const char *src = "{% include \"snippets/self4\" %}";
		assert_int_equal(tmpl_compile("t.cfg", src, strlen(src), &loader, &d, &t), -EINVAL);
		assert_int_equal(d.n, 1);
		assert_non_null(strstr(d.v[0].msg, "includes nested deeper than 8"));
		diags_clear(&d);
	}
	ERR("{% include \"snippets/syntax\" %}",
	    "snippets/syntax:2:7: error: expected a value (name, 'string' or number), found the end of "
	    "the tag (included from t.cfg:1:1)");
}

static void test_errors(void **state)
{
	ERR("ab\ncd {{ system.nmae }}", "t.cfg:2:7: error: undefined variable 'system.nmae'");
	ERR("{{ a.b.c }}", "t.cfg:1:4: error: undefined variable 'a'");
	ERR("{{ system.interfaces.5.mac }}", "t.cfg:1:4: error: undefined variable 'system.interfaces.5'");
	ERR("x {{ system.name", "t.cfg:1:3: error: unterminated '{{' tag");
	ERR("{% if flag %}x", "t.cfg:1:1: error: 'if' is never closed");
	ERR("{% for x in meta.packages %}", "t.cfg:1:1: error: 'for' is never closed");
	ERR("ok {% endif %}", "t.cfg:1:4: error: 'endif' without a matching opening tag");
	ERR("{% frob %}", "t.cfg:1:1: error: unknown tag 'frob'");
	ERR("{{ system.name | shout }}", "t.cfg:1:18: error: unknown filter 'shout'");
	ERR("{{ x | default }}", "t.cfg:1:8: error: filter 'default' takes 1 argument(s), not 0");
	ERR("{% if n = 3 %}{% endif %}", "t.cfg:1:9: error: unexpected '=' (did you mean '==')");
	ERR("{{ 'open }}", "t.cfg:1:4: error: unexpected unterminated string");
	ERR("{{ system }}", "t.cfg:1:1: error: cannot print a map");
	ERR("{{ meta.packages | upper }}", "t.cfg:1:20: error: filter 'upper' needs text, not a list");
	ERR("{% for a, b in meta.packages %}{% endfor %}", "t.cfg:1:1: error: 'for k, v' needs a map");
	ERR("{% if flag %}{{ nope }}{% endif %}", "t.cfg:1:17: error: undefined variable 'nope'");
	ERR("{{ a b }}", "t.cfg:1:6: error: expected the end of the tag, found 'b'");
	ERR("\n  {{ meta.empty | required('set meta empty') }}",
	    "t.cfg:2:19: error: required value missing: set meta empty");
	ERR("{{ meta.nope | required('set meta nope') }}",
	    "t.cfg:1:16: error: required value missing: set meta nope");
	ERR("{{ nothing | required('no null') }}", "t.cfg:1:14: error: required value missing: no null");
	ERR("{{ system | split }}", "t.cfg:1:13: error: filter 'split' needs text or a list, not a map");
	ERR("{{ 'a' | split('') | join }}", "t.cfg:1:10: error: split: the separator must be a non-empty string");
	{
		/* Expression size and nesting are bounded (the parser and the
		 * evaluator recurse along the tree). */
		static char deep[4096];
		size_t o = (size_t)snprintf(deep, sizeof(deep), "{{ ");
		for (int i = 0; i < 40; i++)
			deep[o++] = '(';
		snprintf(deep + o, sizeof(deep) - o, "n }}");
		ERR(deep, "t.cfg:1:36: error: parentheses nested deeper than 32");
		o = (size_t)snprintf(deep, sizeof(deep), "{{ n");
		for (int i = 0; i < 300; i++)
			o += (size_t)snprintf(deep + o, sizeof(deep) - o, " | upper");
		snprintf(deep + o, sizeof(deep) - o, " }}");
		ERR(deep, "t.cfg:1:2048: error: expression too complex (more than 256 parts)");
		o = 0;
		for (int i = 0; i < 70; i++)
			o += (size_t)snprintf(deep + o, sizeof(deep) - o, "{%% if flag %%}\n");
		ERR(deep, "t.cfg:66:1: error: if/for blocks nested deeper than 64");
		o = 0;
		for (int i = 0; i < 64; i++)
			o += (size_t)snprintf(deep + o, sizeof(deep) - o, "{%% for x in meta.packages %%}");
		o += (size_t)snprintf(deep + o, sizeof(deep) - o, "{%% if loop.first %%}");
		for (int i = 0; i < 64; i++)
			o += (size_t)snprintf(deep + o, sizeof(deep) - o, "{%% endfor %%}");
		ERR(deep, "t.cfg:1:1812: error: if/for blocks nested deeper than 64");
		OK("{% if not not not flag %}x{% endif %}{{ ((((n)))) }}{{ n | upper | lower }}", "33");
	}
	ERR("{{ x | required }}", "t.cfg:1:8: error: filter 'required' takes 1 argument(s), not 0");
}

static void test_errors_all_reported(void **state)
{
	struct diags d = { 0 };
	struct tmpl *t = NULL;
	const char *src = "{{ a | nope }}\n{{ b | nope2 }}\n";

	assert_int_equal(tmpl_compile("t.cfg", src, strlen(src), NULL, &d, &t), -EINVAL);
	assert_int_equal(d.n, 2);
	assert_int_equal(d.v[1].line, 2);
	diags_clear(&d);
}

static void test_caps(void **state)
{
	struct diags d = { 0 };
	struct tmpl *t = NULL;
	struct buf b;
	char *big = malloc(TMPL_SIZE_MAX + 2);

	memset(big, 'x', TMPL_SIZE_MAX + 1);
	big[TMPL_SIZE_MAX + 1] = '\0';
	assert_int_equal(tmpl_compile("big", big, TMPL_SIZE_MAX + 1, NULL, &d, &t), -EFBIG);
	diags_clear(&d);
	/* Output cap: 600 KiB body repeated by nested loops. */
	memset(big, 'y', 600 * 1024);
	strcpy(big + 600 * 1024, "{% for a in l %}{% for b in l %}{{ s }}{% endfor %}{% endfor %}");
	struct tval *c2 = tval_map(A), *l = tval_list(A);
	for (int i = 0; i < 3; i++)
		tval_push(A, l, tval_num(A, i));
	char *s = malloc(600 * 1024 + 1);
	memset(s, 'z', 600 * 1024);
	s[600 * 1024] = '\0';
	tval_set(A, c2, "l", l);
	tval_set_str(A, c2, "s", s);
	buf_init(&b, TMPL_OUTPUT_MAX);
	assert_int_equal(tmpl_compile("cap", big, strlen(big), NULL, &d, &t), 0);
	assert_int_equal(tmpl_render(t, c2, &b, &d), -E2BIG);
	assert_int_equal(b.len, 0);	/* nothing half-rendered left */
	assert_non_null(strstr(d.v[0].msg, "output larger than"));
	tmpl_free(t);
	diags_clear(&d);
	/* Iteration cap. */
	struct tval *big_list = tval_list(A);
	for (int i = 0; i < 400; i++)
		tval_push(A, big_list, tval_num(A, i));
	tval_set(A, c2, "l", big_list);
	const char *loops = "{% for a in l %}{% for b in l %}.{% endfor %}{% endfor %}";
	assert_int_equal(tmpl_compile("loops", loops, strlen(loops), NULL, &d, &t), 0);
	assert_int_equal(tmpl_render(t, c2, &b, &d), -E2BIG);
	assert_non_null(strstr(d.v[0].msg, "loop iterations"));
	tmpl_free(t);
	diags_clear(&d);
	buf_free(&b);
	free(big);
	free(s);
}

static void test_names(void **state)
{
	assert_true(tmpl_name_valid("preseed/debian.cfg"));
	assert_false(tmpl_name_valid("/etc/passwd"));
	assert_false(tmpl_name_valid("a/../b"));
	assert_false(tmpl_name_valid("a b"));
	assert_false(tmpl_name_valid(""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_output),
		cmocka_unit_test(test_if_for),
		cmocka_unit_test(test_whitespace),
		cmocka_unit_test(test_include),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_errors_all_reported),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests_name("tmpl", tests, setup, teardown);
}
