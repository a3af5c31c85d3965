# kvm/fw: the netboot firmware (`provd vm run --pxe`): DHCP and TFTP as a
# PXE ROM, pxelinux's config lookup, over the VM's own net backend.
libkvm_a_SOURCES += \
	kvm/fw/nic.c kvm/fw/nic.h \
	kvm/fw/dhcpc.c kvm/fw/dhcpc.h \
	kvm/fw/tftpc.c kvm/fw/tftpc.h \
	kvm/fw/pxecfg.c kvm/fw/pxecfg.h \
	kvm/fw/localboot.c kvm/fw/localboot.h \
	kvm/fw/netboot.c

check_PROGRAMS += tests/fuzz/fuzz_pxecfg
TESTS += tests/fuzz/fuzz_pxecfg
tests_fuzz_fuzz_pxecfg_SOURCES = tests/fuzz/fuzz_pxecfg.c $(FUZZ_REPLAY_SRC)
tests_fuzz_fuzz_pxecfg_LDADD = $(KVM_A)
check_PROGRAMS += tests/fuzz/fuzz_grubcfg
TESTS += tests/fuzz/fuzz_grubcfg
tests_fuzz_fuzz_grubcfg_SOURCES = tests/fuzz/fuzz_grubcfg.c $(FUZZ_REPLAY_SRC)
tests_fuzz_fuzz_grubcfg_LDADD = $(KVM_A)
check_PROGRAMS += tests/fuzz/fuzz_dhcpc
TESTS += tests/fuzz/fuzz_dhcpc
tests_fuzz_fuzz_dhcpc_SOURCES = tests/fuzz/fuzz_dhcpc.c $(FUZZ_REPLAY_SRC)
tests_fuzz_fuzz_dhcpc_LDADD = $(KVM_A)
if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/libfuzzer_pxecfg tests/fuzz/libfuzzer_dhcpc
tests_fuzz_libfuzzer_pxecfg_SOURCES = tests/fuzz/fuzz_pxecfg.c
tests_fuzz_libfuzzer_pxecfg_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
tests_fuzz_libfuzzer_pxecfg_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_libfuzzer_pxecfg_LDADD = $(KVM_A)
tests_fuzz_libfuzzer_dhcpc_SOURCES = tests/fuzz/fuzz_dhcpc.c
tests_fuzz_libfuzzer_dhcpc_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
tests_fuzz_libfuzzer_dhcpc_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_libfuzzer_dhcpc_LDADD = $(KVM_A)
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_pxecfg
TESTS += tests/unit/test_pxecfg
tests_unit_test_pxecfg_SOURCES = tests/unit/test_pxecfg.c
tests_unit_test_pxecfg_CFLAGS = $(CMOCKA_TEST_CFLAGS)
tests_unit_test_pxecfg_LDADD = $(KVM_A) $(CMOCKA_LIBS)
endif

# The firmware against libslirp, provd's DHCP + tftp-hpa and dnsmasq +
# provd proxyDHCP (no /dev/kvm needed); and `vm run --pxe` in the rig.
TESTS += tests/integration/vm_netboot.sh
EXTRA_DIST += tests/integration/vm_netboot.sh
TESTS += tests/integration/vm_build.sh
EXTRA_DIST += tests/integration/vm_build.sh
