# dhcp: PXE-aware DHCP server. Uses base and core.
noinst_LIBRARIES += libdhcp.a
libdhcp_a_SOURCES = \
	dhcp/packet.c dhcp/packet.h \
	dhcp/server.c dhcp/server.h \
	dhcp/sock.c dhcp/sock.h \
	dhcp/ra.c dhcp/ra.h
libdhcp_a_CFLAGS = $(AM_CFLAGS)
DHCP_A = libdhcp.a

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_dhcp
TESTS += tests/unit/test_dhcp
tests_unit_test_dhcp_SOURCES = tests/unit/test_dhcp.c
tests_unit_test_dhcp_CFLAGS = $(CMOCKA_TEST_CFLAGS)
tests_unit_test_dhcp_LDADD = $(DHCP_A) $(CORE_A) $(BASE_A) $(CMOCKA_LIBS)
endif
check_PROGRAMS += tests/fuzz/fuzz_dhcp
TESTS += tests/fuzz/fuzz_dhcp
tests_fuzz_fuzz_dhcp_SOURCES = tests/fuzz/fuzz_dhcp.c $(FUZZ_REPLAY_SRC)
tests_fuzz_fuzz_dhcp_LDADD = $(DHCP_A) $(CORE_A) $(BASE_A)
if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/libfuzzer_dhcp
tests_fuzz_libfuzzer_dhcp_SOURCES = tests/fuzz/fuzz_dhcp.c
tests_fuzz_libfuzzer_dhcp_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
tests_fuzz_libfuzzer_dhcp_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_libfuzzer_dhcp_LDADD = $(DHCP_A) $(CORE_A) $(BASE_A)
endif

# Boot file choice (provd/core/bootsel, owned with DHCP).
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_bootsel
TESTS += tests/unit/test_bootsel
tests_unit_test_bootsel_SOURCES = tests/unit/test_bootsel.c
tests_unit_test_bootsel_CFLAGS = $(CMOCKA_TEST_CFLAGS)
tests_unit_test_bootsel_LDADD = $(CORE_A) $(BASE_A) $(CMOCKA_LIBS)
endif

# Real clients and firmware in network namespaces (root; skip otherwise).
TESTS += tests/integration/pxe_proxy.sh
EXTRA_DIST += tests/integration/pxe_proxy.sh
TESTS += tests/integration/pxe_pxelinux.sh
EXTRA_DIST += tests/integration/pxe_pxelinux.sh
TESTS += tests/integration/pxe_uefi.sh
EXTRA_DIST += tests/integration/pxe_uefi.sh
TESTS += tests/integration/pxe_uefi_proxy.sh
EXTRA_DIST += tests/integration/pxe_uefi_proxy.sh
TESTS += tests/integration/pxe_uefi_http.sh
EXTRA_DIST += tests/integration/pxe_uefi_http.sh
# Full mode behind ISC dhcrelay in a router namespace (giaddr, option 82).
TESTS += tests/integration/dhcp_relay.sh
EXTRA_DIST += tests/integration/dhcp_relay.sh

# IPv6 router advertisements (dhcp/ra.c).
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_dhcp_ra
TESTS += tests/unit/test_dhcp_ra
tests_unit_test_dhcp_ra_SOURCES = tests/unit/test_dhcp_ra.c
tests_unit_test_dhcp_ra_CFLAGS = $(CMOCKA_TEST_CFLAGS)
tests_unit_test_dhcp_ra_LDADD = $(DHCP_A) $(CORE_A) $(BASE_A) $(CMOCKA_LIBS)
endif
check_PROGRAMS += tests/fuzz/fuzz_dhcp_ra
TESTS += tests/fuzz/fuzz_dhcp_ra
tests_fuzz_fuzz_dhcp_ra_SOURCES = tests/fuzz/fuzz_dhcp_ra.c $(FUZZ_REPLAY_SRC)
tests_fuzz_fuzz_dhcp_ra_LDADD = $(DHCP_A) $(CORE_A) $(BASE_A)
if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/libfuzzer_dhcp_ra
tests_fuzz_libfuzzer_dhcp_ra_SOURCES = tests/fuzz/fuzz_dhcp_ra.c
tests_fuzz_libfuzzer_dhcp_ra_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
tests_fuzz_libfuzzer_dhcp_ra_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_libfuzzer_dhcp_ra_LDADD = $(DHCP_A) $(CORE_A) $(BASE_A)
endif
TESTS += tests/integration/dhcp_ra.sh
EXTRA_DIST += tests/integration/dhcp_ra.sh
# Benchmarks (not in make check): perfdhcp vs dnsmasq, iPXE with/without RAs.
EXTRA_DIST += bench/dhcp/run.sh bench/dhcp/ipxe_ra.sh
