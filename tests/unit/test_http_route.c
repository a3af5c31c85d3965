/* test_http_route: route matching and the response builder (http/route.c). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "http/route.h"

static int h(struct http_req *req, struct http_resp *resp, void *arg)
{
	(void)req;
	(void)resp;
	(void)arg;
	return 0;
}

static void test_match(void **state)
{
	struct http_router *rt = http_router_new();
	const struct http_route *r;
	const char *rest;
	char allow[64];

	(void)state;
	assert_int_equal(http_router_add(rt, &(struct http_route){ .name = "api", .pattern = "/api/v1/",
		.flags = HTTP_ROUTE_PREFIX, .methods = HTTP_GET | HTTP_POST, .fn = h }), 0);
	assert_int_equal(http_router_add(rt, &(struct http_route){ .name = "sys", .pattern = "/api/v1/systems/",
		.flags = HTTP_ROUTE_PREFIX, .methods = HTTP_GET, .fn = h }), 0);
	assert_int_equal(http_router_add(rt, &(struct http_route){ .name = "healthz", .pattern = "/healthz",
		.methods = HTTP_GET, .fn = h }), 0);
	assert_int_equal(http_router_add(rt, &(struct http_route){ .name = "dup", .pattern = "/healthz",
		.methods = HTTP_GET, .fn = h }), -EEXIST);
	assert_int_equal(http_router_add(rt, &(struct http_route){ .pattern = "/x",
		.flags = HTTP_ROUTE_PREFIX, .methods = HTTP_GET, .fn = h }), -EINVAL);
	assert_int_equal(http_router_add(rt, &(struct http_route){ .pattern = "x/",
		.methods = HTTP_GET, .fn = h }), -EINVAL);

	r = http_router_match(rt, "/api/v1/systems/web1", &rest);
	assert_non_null(r);
	assert_string_equal(r->name, "sys");	/* longest prefix */
	assert_string_equal(rest, "web1");
	r = http_router_match(rt, "/api/v1/distros", &rest);
	assert_string_equal(r->name, "api");
	assert_string_equal(rest, "distros");
	r = http_router_match(rt, "/api/v1", &rest);	/* no trailing slash */
	assert_string_equal(r->name, "api");
	assert_string_equal(rest, "");
	r = http_router_match(rt, "/healthz", &rest);
	assert_string_equal(r->name, "healthz");
	assert_null(http_router_match(rt, "/healthz/x", &rest));
	assert_null(http_router_match(rt, "/api/v10/x", &rest));
	assert_null(http_router_match(rt, "/", &rest));

	r = http_router_match(rt, "/healthz", &rest);
	assert_true(http_route_allows(r, HTTP_HEAD));	/* GET implies HEAD */
	assert_false(http_route_allows(r, HTTP_POST));
	assert_string_equal(http_route_allow_str(r, allow, sizeof(allow)), "GET, HEAD");
	assert_int_equal(http_method_parse("PATCH"), HTTP_PATCH);
	assert_int_equal(http_method_parse("BREW"), 0);
	http_router_free(rt);
}

static void test_resp(void **state)
{
	struct http_resp r = HTTP_RESP_INIT;
	int p[2];

	(void)state;
	assert_int_equal(http_resp_header(&r, "X-Ok", "1"), 0);
	assert_int_equal(http_resp_header(&r, "X-Bad", "a\r\nSet-Cookie: x"), -EINVAL);
	assert_int_equal(http_resp_header(&r, "X:Bad", "1"), -EINVAL);
	assert_int_equal(r.nhdrs, 1u);
	assert_int_equal(http_resp_printf(&r, "n=%d", 5), 0);
	assert_string_equal(buf_str(&r.body), "n=5");
	assert_int_equal(pipe(p), 0);
	close(p[1]);
	http_resp_file(&r, p[0], 0, 0);
	/* An error replaces the body and drops (closes) the file. */
	http_resp_error(&r, 404, "no %s", "thing");
	assert_int_equal(r.status, 404u);
	assert_int_equal(r.fd, -1);
	assert_string_equal(buf_str(&r.body), "404 Not Found: no thing\n");
	assert_int_equal(fcntl(p[0], F_GETFD), -1);	/* closed */
	http_resp_clear(&r);
	assert_string_equal(http_status_reason(416), "Range Not Satisfiable");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_resp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
