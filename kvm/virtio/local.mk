# kvm/virtio + kvm/net: virtio-pci transport, devices and net backends
# (their contract with the VM core is kvm/vmm.h). Sources join libkvm.a.
libkvm_a_SOURCES += \
	kvm/virtio/devices.c \
	kvm/virtio/pci.c kvm/virtio/pci.h \
	kvm/virtio/blk.c \
	kvm/virtio/rng.c \
	kvm/virtio/net.c \
	kvm/net/backend.h kvm/net/slirp.c kvm/net/tap.c

# Device tests drive the devices through their BAR like a Linux driver,
# over tests/unit/fake_vmm.c (vmm.h on malloc'd guest RAM, no KVM).
EXTRA_DIST += tests/unit/fake_vmm.h
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_virtio_dev
TESTS += tests/unit/test_virtio_dev
tests_unit_test_virtio_dev_SOURCES = tests/unit/test_virtio_dev.c \
	tests/unit/fake_vmm.c tests/unit/fake_vmm.h
tests_unit_test_virtio_dev_CFLAGS = $(CMOCKA_TEST_CFLAGS) $(SLIRP_CFLAGS)
tests_unit_test_virtio_dev_LDADD = $(KVM_A) $(CMOCKA_LIBS)
endif

# Fuzz targets: hostile requests and frames through guest memory, replayed
# in make check (tests/fuzz/corpus/fuzz_virtio_{blk,net}).
check_PROGRAMS += tests/fuzz/fuzz_virtio_blk tests/fuzz/fuzz_virtio_net
TESTS += tests/fuzz/fuzz_virtio_blk tests/fuzz/fuzz_virtio_net
tests_fuzz_fuzz_virtio_blk_SOURCES = tests/fuzz/fuzz_virtio_blk.c \
	tests/unit/fake_vmm.c $(FUZZ_REPLAY_SRC)
tests_fuzz_fuzz_virtio_blk_LDADD = $(KVM_A)
tests_fuzz_fuzz_virtio_net_SOURCES = tests/fuzz/fuzz_virtio_net.c \
	tests/unit/fake_vmm.c $(FUZZ_REPLAY_SRC)
tests_fuzz_fuzz_virtio_net_LDADD = $(KVM_A)
if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/libfuzzer_virtio_blk tests/fuzz/libfuzzer_virtio_net
tests_fuzz_libfuzzer_virtio_blk_SOURCES = tests/fuzz/fuzz_virtio_blk.c \
	tests/unit/fake_vmm.c
tests_fuzz_libfuzzer_virtio_blk_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
tests_fuzz_libfuzzer_virtio_blk_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_libfuzzer_virtio_blk_LDADD = $(KVM_A)
tests_fuzz_libfuzzer_virtio_net_SOURCES = tests/fuzz/fuzz_virtio_net.c \
	tests/unit/fake_vmm.c
tests_fuzz_libfuzzer_virtio_net_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
tests_fuzz_libfuzzer_virtio_net_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_libfuzzer_virtio_net_LDADD = $(KVM_A)
endif

# The TAP backend in the nested rig (skips where the rig cannot run).
TESTS += tests/integration/vm_tap.sh
EXTRA_DIST += tests/integration/vm_tap.sh

# TAP backend against the kernel in a private netns (root; skips otherwise).
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_virtio_tap
TESTS += tests/unit/test_virtio_tap
tests_unit_test_virtio_tap_SOURCES = tests/unit/test_virtio_tap.c \
	tests/unit/fake_vmm.c tests/unit/fake_vmm.h
tests_unit_test_virtio_tap_CFLAGS = $(CMOCKA_TEST_CFLAGS)
tests_unit_test_virtio_tap_LDADD = $(KVM_A) $(CMOCKA_LIBS)
endif
