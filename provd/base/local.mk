# provd/base: libc-level utilities. Uses libc only.
noinst_LIBRARIES += libprovd_base.a
libprovd_base_a_SOURCES = \
	provd/base/err.c provd/base/err.h \
	provd/base/log.c provd/base/log.h \
	provd/base/buf.c provd/base/buf.h \
	provd/base/strparse.c provd/base/strparse.h \
	provd/base/fsutil.c provd/base/fsutil.h \
	provd/base/sha256.c provd/base/sha256.h \
	provd/base/netaddr.c provd/base/netaddr.h \
	provd/base/loop.c provd/base/loop.h \
	provd/base/child.c provd/base/child.h
BASE_A = libprovd_base.a

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_base
TESTS += tests/unit/test_base
tests_unit_test_base_SOURCES = tests/unit/test_base.c
tests_unit_test_base_CFLAGS = $(CMOCKA_TEST_CFLAGS)
tests_unit_test_base_LDADD = $(BASE_A) $(CMOCKA_LIBS)
endif
