# provd/core: object model, YAML store, config snapshot, template engine,
# boot-file choice and renderers. Uses provd/base, libyaml, jansson, libcurl.
# Other core owners add their sources to libprovd_core_a_SOURCES with +=.
noinst_LIBRARIES += libprovd_core.a
libprovd_core_a_CFLAGS = $(AM_CFLAGS) $(YAML_CFLAGS) $(JANSSON_CFLAGS) $(CURL_CFLAGS)
libprovd_core_a_SOURCES = \
	provd/core/yaml.c provd/core/yaml.h \
	provd/core/model.c provd/core/model.h \
	provd/core/config.c provd/core/config.h \
	provd/core/snapshot.c provd/core/snapshot.h \
	provd/core/resolve.c provd/core/resolve.h \
	provd/core/store.c provd/core/store.h \
	provd/core/objjson.c provd/core/objjson.h
CORE_A = libprovd_core.a $(YAML_LIBS) $(JANSSON_LIBS) $(CURL_LIBS)

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_model tests/unit/test_store
TESTS += tests/unit/test_model tests/unit/test_store
tests_unit_test_model_SOURCES = tests/unit/test_model.c
tests_unit_test_model_CFLAGS = $(CMOCKA_TEST_CFLAGS)
tests_unit_test_model_LDADD = $(CORE_A) $(BASE_A) $(CMOCKA_LIBS)
tests_unit_test_store_SOURCES = tests/unit/test_store.c
tests_unit_test_store_CFLAGS = $(CMOCKA_TEST_CFLAGS)
tests_unit_test_store_LDADD = $(CORE_A) $(BASE_A) $(CMOCKA_LIBS)
endif

# The object CLI end to end (init, add/list/show/edit/remove, check).
TESTS += tests/integration/cli_objects.sh
EXTRA_DIST += tests/integration/cli_objects.sh bench/core/snapshot.sh

# YAML object loader fuzz target: corpus replayed in `make check`.
check_PROGRAMS += tests/fuzz/fuzz_yaml
TESTS += tests/fuzz/fuzz_yaml
tests_fuzz_fuzz_yaml_SOURCES = tests/fuzz/fuzz_yaml.c $(FUZZ_REPLAY_SRC)
tests_fuzz_fuzz_yaml_LDADD = $(CORE_A) $(BASE_A)
if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/libfuzzer_yaml
tests_fuzz_libfuzzer_yaml_SOURCES = tests/fuzz/fuzz_yaml.c
tests_fuzz_libfuzzer_yaml_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
tests_fuzz_libfuzzer_yaml_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_libfuzzer_yaml_LDADD = $(CORE_A) $(BASE_A)
endif

# events (http-api): the per-system/MAC timeline in <state>/events.log.
libprovd_core_a_SOURCES += provd/core/events.c provd/core/events.h
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_events
TESTS += tests/unit/test_events
tests_unit_test_events_SOURCES = tests/unit/test_events.c
tests_unit_test_events_CFLAGS = $(CMOCKA_TEST_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_events_LDADD = $(CORE_A) $(BASE_A) $(CMOCKA_LIBS)
endif

# baseurl: the public base URL rendered into boot and answer files (lead).
libprovd_core_a_SOURCES += provd/core/baseurl.c provd/core/baseurl.h

# tmpl: template language (values, compiler, evaluator) (lead).
libprovd_core_a_SOURCES += provd/core/tval.c provd/core/tval.h \
	provd/core/tmpl.c provd/core/tmpl.h \
	provd/core/tmplwatch.c provd/core/tmplwatch.h
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_tmpl
TESTS += tests/unit/test_tmpl
tests_unit_test_tmpl_SOURCES = tests/unit/test_tmpl.c
tests_unit_test_tmpl_CFLAGS = $(CMOCKA_TEST_CFLAGS)
tests_unit_test_tmpl_LDADD = $(CORE_A) $(BASE_A) $(CMOCKA_LIBS)
check_PROGRAMS += tests/unit/test_tmplwatch
TESTS += tests/unit/test_tmplwatch
tests_unit_test_tmplwatch_SOURCES = tests/unit/test_tmplwatch.c
tests_unit_test_tmplwatch_CFLAGS = $(CMOCKA_TEST_CFLAGS)
tests_unit_test_tmplwatch_LDADD = $(CORE_A) $(BASE_A) $(CMOCKA_LIBS) -lpthread
endif

# render: answer files and boot configs from templates (lead).
libprovd_core_a_SOURCES += provd/core/render.c provd/core/render.h
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_render
TESTS += tests/unit/test_render
tests_unit_test_render_SOURCES = tests/unit/test_render.c
tests_unit_test_render_CFLAGS = $(CMOCKA_TEST_CFLAGS)
tests_unit_test_render_LDADD = $(CORE_A) $(BASE_A) $(CMOCKA_LIBS) -lpthread
endif

# fuzz targets of the template language and the renderers (lead).
check_PROGRAMS += tests/fuzz/fuzz_tmpl tests/fuzz/fuzz_render
TESTS += tests/fuzz/fuzz_tmpl tests/fuzz/fuzz_render
tests_fuzz_fuzz_tmpl_SOURCES = tests/fuzz/fuzz_tmpl.c $(FUZZ_REPLAY_SRC)
tests_fuzz_fuzz_tmpl_LDADD = $(CORE_A) $(BASE_A)
tests_fuzz_fuzz_render_SOURCES = tests/fuzz/fuzz_render.c $(FUZZ_REPLAY_SRC)
tests_fuzz_fuzz_render_LDADD = $(CORE_A) $(BASE_A)
if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/libfuzzer_tmpl tests/fuzz/libfuzzer_render
tests_fuzz_libfuzzer_tmpl_SOURCES = tests/fuzz/fuzz_tmpl.c
tests_fuzz_libfuzzer_tmpl_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
tests_fuzz_libfuzzer_tmpl_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_libfuzzer_tmpl_LDADD = $(CORE_A) $(BASE_A)
tests_fuzz_libfuzzer_render_SOURCES = tests/fuzz/fuzz_render.c
tests_fuzz_libfuzzer_render_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
tests_fuzz_libfuzzer_render_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_libfuzzer_render_LDADD = $(CORE_A) $(BASE_A)
endif

# bootsel: boot file by client architecture / iPXE (shared by DHCP and HTTP).
libprovd_core_a_SOURCES += provd/core/bootsel.c provd/core/bootsel.h
