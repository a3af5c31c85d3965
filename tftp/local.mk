# tftp: TFTP root rendering and supervision of tftp-hpa's in.tftpd.
# Uses base and core.
noinst_LIBRARIES += libtftp.a
libtftp_a_SOURCES = \
	tftp/tree.c tftp/tree.h \
	tftp/supervise.c tftp/supervise.h
libtftp_a_CFLAGS = $(AM_CFLAGS)
TFTP_A = libtftp.a

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_tftp_tree
TESTS += tests/unit/test_tftp_tree
tests_unit_test_tftp_tree_SOURCES = tests/unit/test_tftp_tree.c
tests_unit_test_tftp_tree_CFLAGS = $(CMOCKA_TEST_CFLAGS)
tests_unit_test_tftp_tree_LDADD = $(TFTP_A) $(CORE_A) $(BASE_A) $(CMOCKA_LIBS)
endif

# provd sync and the incremental tree through the CLI.
TESTS += tests/integration/cli_sync.sh
EXTRA_DIST += tests/integration/cli_sync.sh

# Parsers of `provd distro import` (provd/cmd/import_parse.c): corpus
# replayed in `make check`.
check_PROGRAMS += tests/fuzz/fuzz_import
TESTS += tests/fuzz/fuzz_import
tests_fuzz_fuzz_import_SOURCES = tests/fuzz/fuzz_import.c provd/cmd/import_parse.c $(FUZZ_REPLAY_SRC)
tests_fuzz_fuzz_import_LDADD = $(BASE_A)
if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/libfuzzer_import
tests_fuzz_libfuzzer_import_SOURCES = tests/fuzz/fuzz_import.c provd/cmd/import_parse.c
tests_fuzz_libfuzzer_import_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
tests_fuzz_libfuzzer_import_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_libfuzzer_import_LDADD = $(BASE_A)
endif
