# http: libmicrohttpd server, routes, static boot files, rendered answers and
# boot scripts (http-server), REST API, callbacks and metrics (http-api).
# Uses base, core and libmicrohttpd.
noinst_LIBRARIES += libhttp.a
libhttp_a_SOURCES = \
	http/route.c http/route.h \
	http/path.c http/path.h \
	http/server.c http/server.h \
	http/serve.c http/serve.h \
	http/static.c \
	http/autoinstall.c \
	http/ipxe.c
libhttp_a_CFLAGS = $(AM_CFLAGS) $(MHD_CFLAGS) $(JANSSON_CFLAGS) $(YAML_CFLAGS)
HTTP_A = libhttp.a $(MHD_LIBS) $(JANSSON_LIBS)

if HAVE_CMOCKA
# provd/base/loop.c and child.c belong to http-server; their test lives here.
check_PROGRAMS += tests/unit/test_loop
TESTS += tests/unit/test_loop
tests_unit_test_loop_SOURCES = tests/unit/test_loop.c
tests_unit_test_loop_CFLAGS = $(CMOCKA_TEST_CFLAGS)
tests_unit_test_loop_LDADD = $(BASE_A) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_http_route
TESTS += tests/unit/test_http_route
tests_unit_test_http_route_SOURCES = tests/unit/test_http_route.c
tests_unit_test_http_route_CFLAGS = $(CMOCKA_TEST_CFLAGS)
tests_unit_test_http_route_LDADD = libhttp.a $(BASE_A) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_http_path
TESTS += tests/unit/test_http_path
tests_unit_test_http_path_SOURCES = tests/unit/test_http_path.c
tests_unit_test_http_path_CFLAGS = $(CMOCKA_TEST_CFLAGS)
tests_unit_test_http_path_LDADD = libhttp.a $(BASE_A) $(CMOCKA_LIBS)
endif

# Path canonicaliser fuzz target: corpus replayed in `make check`.
check_PROGRAMS += tests/fuzz/fuzz_httppath
TESTS += tests/fuzz/fuzz_httppath
tests_fuzz_fuzz_httppath_SOURCES = tests/fuzz/fuzz_httppath.c $(FUZZ_REPLAY_SRC)
tests_fuzz_fuzz_httppath_LDADD = libhttp.a $(BASE_A)
if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/libfuzzer_httppath
tests_fuzz_libfuzzer_httppath_SOURCES = tests/fuzz/fuzz_httppath.c
tests_fuzz_libfuzzer_httppath_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
tests_fuzz_libfuzzer_httppath_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_libfuzzer_httppath_LDADD = libhttp.a $(BASE_A)
endif

TESTS += tests/integration/http_serve.sh tests/integration/http_load.sh \
	tests/integration/http_daemon.sh
EXTRA_DIST += tests/integration/http_serve.sh tests/integration/http_load.sh \
	tests/integration/http_daemon.sh

# http-api: REST API, install callbacks, metrics, and the JSON<->YAML bridge.
libhttp_a_SOURCES += \
	http/api.c http/api.h http/api_int.h \
	http/apijson.c http/apijson.h \
	http/callback.c \
	http/metrics.c http/metrics.h

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_api
TESTS += tests/unit/test_api
tests_unit_test_api_SOURCES = tests/unit/test_api.c
tests_unit_test_api_CFLAGS = $(CMOCKA_TEST_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_api_LDADD = $(HTTP_A) $(CORE_A) $(BASE_A) $(CMOCKA_LIBS)
endif

# API JSON body fuzz target: corpus replayed in `make check`.
check_PROGRAMS += tests/fuzz/fuzz_apijson
TESTS += tests/fuzz/fuzz_apijson
tests_fuzz_fuzz_apijson_SOURCES = tests/fuzz/fuzz_apijson.c $(FUZZ_REPLAY_SRC)
tests_fuzz_fuzz_apijson_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_fuzz_fuzz_apijson_LDADD = $(HTTP_A) $(CORE_A) $(BASE_A)
if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/libfuzzer_apijson
tests_fuzz_libfuzzer_apijson_SOURCES = tests/fuzz/fuzz_apijson.c
tests_fuzz_libfuzzer_apijson_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) -fsanitize=fuzzer
tests_fuzz_libfuzzer_apijson_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_libfuzzer_apijson_LDADD = $(HTTP_A) $(CORE_A) $(BASE_A)
endif

TESTS += tests/integration/api_crud.sh tests/integration/api_callbacks.sh
EXTRA_DIST += tests/integration/api_crud.sh tests/integration/api_callbacks.sh tests/integration/api_lib.sh
