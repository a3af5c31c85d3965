/* Unit tests for the pure parts of the REST API (http/apijson): body parsing
 * limits, JSON -> YAML quoting, YAML -> JSON typing and round trips, line ->
 * field path mapping, validation errors through the real object model
 * (model_obj_parse) ending as {"errors":[{"path":...}]}, and RFC 7396 merge
 * patch (the examples of its Appendix A). */
#include "config.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "http/api.h"
#include "http/apijson.h"
#include "http/metrics.h"
#include "provd/core/model.h"

static json_t *body(const char *s, struct diags *d)
{
	return apijson_parse_body(s, strlen(s), d);
}

static void test_parse_body(void **state)
{
	struct diags d = { 0 };
	json_t *j;
	char *big, *deep;

	j = body("{\"profile\":\"web\",\"netboot\":true}", &d);
	assert_non_null(j);
	assert_int_equal(d.n, 0);
	json_decref(j);

	assert_null(body("{\"a\":1,\"a\":2}", &d));	/* duplicate key */
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.v[0].msg, "duplicate"));
	diags_clear(&d);

	assert_null(body("{\"a\":", &d));		/* truncated */
	assert_int_equal(d.n, 1);
	assert_true(d.v[0].line >= 1);
	diags_clear(&d);

	assert_null(body("[1,2]", &d));			/* not an object */
	assert_null(body("\"x\"", &d));
	assert_null(body("", &d));
	assert_null(body("{\"a\":\"\\u0000\"}", &d));	/* NUL inside a string */
	assert_null(apijson_parse_body("{\"a\":\"\xff\"}", 9, &d));	/* bad UTF-8 */
	assert_int_equal(d.n, 5);
	diags_clear(&d);

	/* Nesting past the limit. */
	deep = malloc(100);
	strcpy(deep, "{\"a\":");
	for (int i = 0; i < APIJSON_MAX_DEPTH + 1; i++)
		strcat(deep, "[");
	for (int i = 0; i < APIJSON_MAX_DEPTH + 1; i++)
		strcat(deep, "]");
	strcat(deep, "}");
	assert_null(body(deep, &d));
	assert_int_equal(d.n, 1);
	diags_clear(&d);
	free(deep);

	big = malloc(APIJSON_BODY_MAX + 16);
	memset(big, ' ', APIJSON_BODY_MAX + 15);
	big[0] = '{';
	big[APIJSON_BODY_MAX + 14] = '}';
	assert_null(apijson_parse_body(big, APIJSON_BODY_MAX + 15, &d));
	assert_non_null(strstr(d.v[0].msg, "too large"));
	diags_clear(&d);
	free(big);
}

static char *to_yaml(const char *json)
{
	struct diags d = { 0 };
	json_t *j = body(json, &d);
	size_t len;
	char *y;

	assert_non_null(j);
	y = apijson_to_yaml(j, "name", &len, &d);
	assert_non_null(y);
	assert_int_equal(strlen(y), len);
	json_decref(j);
	diags_clear(&d);
	return y;
}

static void test_to_yaml_quoting(void **state)
{
	char *y = to_yaml("{\"name\":\"web1\",\"profile\":\"web\",\"netboot\":false,"
			  "\"interfaces\":[{\"mac\":\"52:54:00:12:34:56\",\"ip\":\"192.0.2.10\"}],"
			  "\"meta\":{\"a\":\"yes\",\"b\":\"x: y\",\"c\":\"#c\",\"d\":\"\",\"e\":\"l1\\nl2\","
			  "\"f\":\"0755\",\"g\":12,\"h\":null,\"i\":\"q\\\"\\\\\",\"j\":\" pad\"},"
			  "\"kernel_options\":{}}");

	assert_string_equal(y,
		"profile: web\n"
		"netboot: false\n"
		"interfaces:\n"
		"  - mac: \"52:54:00:12:34:56\"\n"
		"    ip: \"192.0.2.10\"\n"
		"meta:\n"
		"  a: \"yes\"\n"
		"  b: \"x: y\"\n"
		"  c: \"#c\"\n"
		"  d: \"\"\n"
		"  e: \"l1\\nl2\"\n"
		"  f: \"0755\"\n"
		"  g: 12\n"
		"  h: null\n"
		"  i: \"q\\\"\\\\\"\n"
		"  j: \" pad\"\n"
		"kernel_options: {}\n");
	free(y);
}

/* YAML caps implicit keys: a long key is refused with its path instead of
 * producing YAML that does not read back. */
static void test_long_key(void **state)
{
	struct diags d = { 0 };
	char key[APIJSON_KEY_MAX + 2];
	json_t *j = json_object(), *meta = json_object();
	size_t len;

	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	json_object_set_new(meta, key, json_string("v"));
	json_object_set_new(j, "meta", meta);
	assert_null(apijson_to_yaml(j, NULL, &len, &d));
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.v[0].msg, "meta: key longer"));
	diags_clear(&d);
	key[APIJSON_KEY_MAX] = '\0';	/* at the limit: fine */
	json_object_clear(meta);
	json_object_set_new(meta, key, json_string("v"));
	char *y = apijson_to_yaml(j, NULL, &len, &d);
	assert_non_null(y);
	json_t *back = apijson_from_yaml(y, len, &d);
	assert_true(json_equal(j, back));
	json_decref(back);
	free(y);
	/* A value past the YAML scalar cap is refused the same way. */
	char *big = malloc(70000);
	memset(big, 'v', 69999);
	big[69999] = '\0';
	json_object_set_new(j, "comment", json_string(big));
	free(big);
	assert_null(apijson_to_yaml(j, NULL, &len, &d));
	assert_non_null(strstr(d.v[0].msg, "comment: value longer"));
	diags_clear(&d);
	/* The API reports the same with field paths. */
	json_t *e = apijson_check_limits(j);
	assert_non_null(e);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		json_object_get(e, "errors"), 0), "path")), "comment");
	json_decref(e);
	json_object_del(j, "comment");
	assert_null(apijson_check_limits(j));
	json_decref(j);
}

/* What a client sends comes back the same after YAML and back. */
static void test_round_trip(void **state)
{
	const char *in = "{\"profile\":\"web\",\"netboot\":true,\"pxe_just_once\":false,"
			 "\"interfaces\":[{\"mac\":\"52:54:00:12:34:56\"},{\"mac\":\"52:54:00:12:34:57\","
			 "\"hostname\":\"b\"}],\"meta\":{\"n\":42,\"s\":\"42x\",\"t\":\"true\",\"u\":\"\xc3\xa9\\u2028\","
			 "\"neg\":-7,\"ctl\":\"\\u0001\\t\"},\"kernel_options\":{\"quiet\":null,"
			 "\"console\":[\"tty0\",\"ttyS0,115200\"]}}";
	struct diags d = { 0 };
	json_t *a = body(in, &d), *b;
	size_t len;
	char *y = apijson_to_yaml(a, NULL, &len, &d);

	assert_non_null(y);
	b = apijson_from_yaml(y, len, &d);
	assert_non_null(b);
	assert_int_equal(d.n, 0);
	/* "t": "true" is written quoted, so it stays a string. */
	assert_true(json_is_string(json_object_get(json_object_get(b, "meta"), "t")));
	assert_true(json_equal(a, b));
	json_decref(a);
	json_decref(b);
	free(y);
}

static void test_from_yaml_typing(void **state)
{
	const char *y = "a: true\nb: \"true\"\nc: 0755\nd: -12\ne: ~\nf:\ng: yes\nh: 1.5\n";
	struct diags d = { 0 };
	json_t *j = apijson_from_yaml(y, strlen(y), &d);

	assert_non_null(j);
	assert_true(json_is_true(json_object_get(j, "a")));
	assert_true(json_is_string(json_object_get(j, "b")));
	assert_string_equal(json_string_value(json_object_get(j, "c")), "0755");
	assert_int_equal(json_integer_value(json_object_get(j, "d")), -12);
	assert_true(json_is_null(json_object_get(j, "e")));
	assert_true(json_is_null(json_object_get(j, "f")));
	assert_string_equal(json_string_value(json_object_get(j, "g")), "yes");
	assert_string_equal(json_string_value(json_object_get(j, "h")), "1.5");
	json_decref(j);

	j = apijson_from_yaml("", 0, &d);
	assert_non_null(j);
	assert_int_equal(json_object_size(j), 0);
	json_decref(j);
	assert_null(apijson_from_yaml("a: [", 4, &d));
	assert_true(d.n >= 1);
	diags_clear(&d);
}

static void test_path_at(void **state)
{
	const char *y = "profile: web\n"
			"interfaces:\n"
			"  - mac: \"52:54:00:12:34:56\"\n"
			"    ip: 192.0.2.1\n"
			"  - mac: nope\n"
			"meta:\n"
			"  k: v\n";
	struct { int line, col; const char *path; } cases[] = {
		{ 1, 1, "profile" }, { 1, 10, "profile" }, { 2, 1, "interfaces" },
		{ 3, 5, "interfaces[0].mac" }, { 3, 10, "interfaces[0].mac" },
		{ 4, 9, "interfaces[0].ip" }, { 5, 12, "interfaces[1].mac" },
		{ 5, 5, "interfaces[1].mac" }, { 7, 6, "meta.k" }, { 6, 1, "meta" },
		{ 0, 0, "" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *p = apijson_path_at(y, strlen(y), cases[i].line, cases[i].col);
		assert_non_null(p);
		if (strcmp(p, cases[i].path) != 0)
			fail_msg("%d:%d gave '%s', want '%s'", cases[i].line, cases[i].col, p, cases[i].path);
		free(p);
	}
}

/* The API validates with the same code as YAML files: a bad MAC in a JSON
 * body comes back as an error at "interfaces[1].mac". */
static void test_validation_through_model(void **state)
{
	struct diags d = { 0 }, pd = { 0 };
	json_t *j = body("{\"profile\":\"web\",\"interfaces\":[{\"mac\":\"52:54:00:12:34:56\"},"
			 "{\"mac\":\"not-a-mac\"}],\"bogus\":1}", &d);
	struct obj *o = NULL;
	json_t *errs, *arr;
	size_t len;
	char *y;
	bool saw_mac = false, saw_bogus = false;

	assert_non_null(j);
	y = apijson_to_yaml(j, "name", &len, &d);
	assert_non_null(y);
	assert_true(model_obj_parse(OBJ_SYSTEM, "web1", "<input>", y, len, &pd, &o) < 0);
	assert_null(o);
	assert_true(pd.n >= 2);
	errs = apijson_errors(&pd, y, len);
	arr = json_object_get(errs, "errors");
	assert_int_equal(json_array_size(arr), pd.n);
	for (size_t i = 0; i < json_array_size(arr); i++) {
		const char *p = json_string_value(json_object_get(json_array_get(arr, i), "path"));
		assert_non_null(json_object_get(json_array_get(arr, i), "message"));
		if (strcmp(p, "interfaces[1].mac") == 0)
			saw_mac = true;
		if (strcmp(p, "bogus") == 0)
			saw_bogus = true;
	}
	assert_true(saw_mac);
	assert_true(saw_bogus);
	json_decref(errs);
	json_decref(j);
	free(y);
	diags_clear(&pd);
	diags_clear(&d);
}

/* A valid body parses into the object it describes. */
static void test_valid_body_model(void **state)
{
	struct diags d = { 0 };
	json_t *j = body("{\"name\":\"web1\",\"profile\":\"web\",\"netboot\":false,\"pxe_just_once\":true,"
			 "\"interfaces\":[{\"mac\":\"52-54-00-AB-CD-EF\",\"ip\":\"192.0.2.5\"}],"
			 "\"kernel_options\":{\"quiet\":null,\"console\":\"ttyS0\"}}", &d);
	struct obj *o = NULL;
	size_t len;
	char *y = apijson_to_yaml(j, "name", &len, &d);

	assert_non_null(y);
	assert_int_equal(model_obj_parse(OBJ_SYSTEM, "web1", "<input>", y, len, &d, &o), 0);
	if (d.n)
		diags_print(&d, stderr);
	assert_non_null(o);
	assert_string_equal(o->u.system.profile, "web");
	assert_false(o->u.system.netboot);
	assert_true(o->u.system.pxe_just_once);
	assert_int_equal(o->u.system.ninterfaces, 1);
	assert_string_equal(o->u.system.interfaces[0].mac, "52:54:00:ab:cd:ef");
	model_obj_free(o);
	json_decref(j);
	free(y);
	diags_clear(&d);
}

static void test_errors_without_yaml(void **state)
{
	struct diags d = { 0 };
	json_t *e;

	assert_null(body("{\n  \"a\": tru\n}", &d));
	e = apijson_errors(&d, NULL, 0);
	assert_non_null(strstr(json_string_value(json_object_get(json_array_get(
		json_object_get(e, "errors"), 0), "message")), "line 2"));
	json_decref(e);
	diags_clear(&d);

	e = apijson_error1("name", "a hint", "bad %s", "thing");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		json_object_get(e, "errors"), 0), "hint")), "a hint");
	json_decref(e);
}

/* RFC 7396 Appendix A. */
static void test_merge_patch(void **state)
{
	static const char *const cases[][3] = {
		{ "{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}" },
		{ "{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}" },
		{ "{\"a\":\"b\"}", "{\"a\":null}", "{}" },
		{ "{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}" },
		{ "{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}" },
		{ "{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}" },
		{ "{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}", "{\"a\":{\"b\":\"d\"}}" },
		{ "{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}" },
		{ "[\"a\",\"b\"]", "[\"c\",\"d\"]", "[\"c\",\"d\"]" },
		{ "{\"a\":\"b\"}", "[\"c\"]", "[\"c\"]" },
		{ "{\"a\":\"foo\"}", "null", "null" },
		{ "{\"a\":\"foo\"}", "\"bar\"", "\"bar\"" },
		{ "{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}" },
		{ "[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}" },
		{ "{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *t = json_loads(cases[i][0], JSON_DECODE_ANY, NULL);
		json_t *p = json_loads(cases[i][1], JSON_DECODE_ANY, NULL);
		json_t *want = json_loads(cases[i][2], JSON_DECODE_ANY, NULL);
		json_t *got = apijson_merge_patch(t, p);
		json_t *t_before = json_deep_copy(t);

		assert_non_null(got);
		if (!json_equal(got, want))
			fail_msg("case %zu", i);
		assert_true(json_equal(t, t_before));	/* target untouched */
		json_decref(t);
		json_decref(p);
		json_decref(want);
		json_decref(got);
		json_decref(t_before);
	}
}

/* /metrics counters: many threads observing at once lose no count, and the
 * rendering is valid exposition text with escaped label values. */
#define OBS_THREADS 4
#define OBS_EACH 15000

static void *observer_thread(void *arg)
{
	static const char *const routes[] = { "t-api", "t-boot", "t-\"odd\"\nroute" };
	static const unsigned statuses[] = { 200, 201, 404, 403, 500 };

	for (int i = 0; i < OBS_EACH; i++) {
		struct http_observation o = {
			.route = routes[i % 3], .status = statuses[i % 5],
			.bytes = 10, .completed = i % 7 != 0, .seconds = 0.001,
		};
		metrics_observe(&o, NULL);
	}
	return arg;
}

static void test_metrics(void **state)
{
	pthread_t t[OBS_THREADS];
	struct buf b;
	uint64_t total = 0;

	for (int i = 0; i < OBS_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, observer_thread, NULL), 0);
	for (int i = 0; i < OBS_THREADS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	/* i % 3 and i % 5 cycle through all 15 pairs equally. */
	assert_int_equal(metrics_requests("t-api", 200), OBS_THREADS * OBS_EACH / 15);
	assert_int_equal(metrics_requests("t-boot", 404), OBS_THREADS * OBS_EACH / 15);
	assert_int_equal(metrics_requests("t-api", 999), 0);
	const char *routes[] = { "t-api", "t-boot", "t-\"odd\"\nroute" };
	const unsigned statuses[] = { 200, 201, 404, 403, 500 };
	for (int r = 0; r < 3; r++)
		for (int s = 0; s < 5; s++)
			total += metrics_requests(routes[r], statuses[s]);
	assert_int_equal(total, OBS_THREADS * OBS_EACH);

	buf_init(&b, 1 << 20);
	assert_int_equal(metrics_render(NULL, &b), 0);
	assert_non_null(strstr(buf_str(&b), "# TYPE provd_http_requests_total counter\n"));
	assert_non_null(strstr(buf_str(&b), "provd_http_requests_total{route=\"t-api\",status=\"200\"} 4000\n"));
	assert_non_null(strstr(buf_str(&b), "route=\"t-\\\"odd\\\"\\nroute\""));
	assert_non_null(strstr(buf_str(&b), "provd_events_total{kind=\"boot-file\"}"));
	/* Every line is a comment or "name{labels} value". */
	for (const char *p = buf_str(&b); *p;) {
		const char *nl = strchr(p, '\n');
		assert_non_null(nl);
		assert_true(p[0] == '#' || (p[0] >= 'a' && p[0] <= 'z'));
		p = nl + 1;
	}
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_body),
		cmocka_unit_test(test_to_yaml_quoting),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_long_key),
		cmocka_unit_test(test_from_yaml_typing),
		cmocka_unit_test(test_path_at),
		cmocka_unit_test(test_validation_through_model),
		cmocka_unit_test(test_valid_body_model),
		cmocka_unit_test(test_errors_without_yaml),
		cmocka_unit_test(test_merge_patch),
		cmocka_unit_test(test_metrics),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
