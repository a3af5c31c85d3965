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
