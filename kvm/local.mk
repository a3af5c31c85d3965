# kvm: provd's VMM. Uses base (and later libslirp, spice-server, libcurl,
# libext2fs). vm_run() (vm.c) is the entry point; kvm/vmm.h the device side.
noinst_LIBRARIES += libkvm.a
libkvm_a_SOURCES = \
	kvm/vmconfig.h kvm/vmconfig.c \
	kvm/vm.c kvm/vm.h kvm/cpu.c kvm/cpu.h kvm/bus.c kvm/bus.h kvm/irq.c \
	kvm/platform.c kvm/acpi.c kvm/acpi.h \
	kvm/hw/rtc.c kvm/hw/rtc.h \
	kvm/mem.c kvm/mem.h \
	kvm/e820.c kvm/e820.h \
	kvm/mptable.c kvm/mptable.h \
	kvm/pci.c kvm/pci.h kvm/ecam.c \
	kvm/probe.c kvm/probe.h \
	kvm/hw/serial8250.c kvm/hw/serial8250.h \
	kvm/hw/i8042.c kvm/hw/i8042.h \
	kvm/boot_bzimage.c kvm/boot_bzimage.h kvm/boot_elf.c kvm/boot_elf.h \
	kvm/kcache.c kvm/kcache.h \
	kvm/virtio/queue.c kvm/virtio/queue.h \
	kvm/vmm.h
libkvm_a_CFLAGS = $(AM_CFLAGS) $(SLIRP_CFLAGS) $(EXT2FS_CFLAGS) $(UNPACK_CFLAGS)
KVM_A = libkvm.a $(BASE_A) $(SLIRP_LIBS) $(EXT2FS_LIBS) $(UNPACK_LIBS) -lpthread
# The device side (virtio transport and devices, net backends) keeps its own
# fragment so the VM core and the devices can be worked on apart.
include kvm/virtio/local.mk
include kvm/fw/local.mk

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_virtq
TESTS += tests/unit/test_virtq
tests_unit_test_virtq_SOURCES = tests/unit/test_virtq.c
tests_unit_test_virtq_CFLAGS = $(CMOCKA_TEST_CFLAGS)
tests_unit_test_virtq_LDADD = $(KVM_A) $(CMOCKA_LIBS)
endif
check_PROGRAMS += tests/fuzz/fuzz_virtq
TESTS += tests/fuzz/fuzz_virtq
tests_fuzz_fuzz_virtq_SOURCES = tests/fuzz/fuzz_virtq.c $(FUZZ_REPLAY_SRC)
tests_fuzz_fuzz_virtq_LDADD = $(KVM_A)
if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/libfuzzer_virtq
tests_fuzz_libfuzzer_virtq_SOURCES = tests/fuzz/fuzz_virtq.c
tests_fuzz_libfuzzer_virtq_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
tests_fuzz_libfuzzer_virtq_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_libfuzzer_virtq_LDADD = $(KVM_A)
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_boot
TESTS += tests/unit/test_boot
tests_unit_test_boot_SOURCES = tests/unit/test_boot.c
tests_unit_test_boot_CFLAGS = $(CMOCKA_TEST_CFLAGS)
tests_unit_test_boot_LDADD = $(KVM_A) $(CMOCKA_LIBS)
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_mptable
TESTS += tests/unit/test_mptable
tests_unit_test_mptable_SOURCES = tests/unit/test_mptable.c
tests_unit_test_mptable_CFLAGS = $(CMOCKA_TEST_CFLAGS)
tests_unit_test_mptable_LDADD = $(KVM_A) $(CMOCKA_LIBS)
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_hw
TESTS += tests/unit/test_hw
tests_unit_test_hw_SOURCES = tests/unit/test_hw.c
tests_unit_test_hw_CFLAGS = $(CMOCKA_TEST_CFLAGS)
tests_unit_test_hw_LDADD = $(KVM_A) $(CMOCKA_LIBS)
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_pci
TESTS += tests/unit/test_pci
tests_unit_test_pci_SOURCES = tests/unit/test_pci.c
tests_unit_test_pci_CFLAGS = $(CMOCKA_TEST_CFLAGS)
tests_unit_test_pci_LDADD = $(KVM_A) $(CMOCKA_LIBS)
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_acpi tests/unit/test_rtc
TESTS += tests/unit/test_acpi tests/unit/test_rtc
tests_unit_test_acpi_SOURCES = tests/unit/test_acpi.c
tests_unit_test_acpi_CFLAGS = $(CMOCKA_TEST_CFLAGS)
tests_unit_test_acpi_LDADD = $(KVM_A) $(CMOCKA_LIBS)
tests_unit_test_rtc_SOURCES = tests/unit/test_rtc.c
tests_unit_test_rtc_CFLAGS = $(CMOCKA_TEST_CFLAGS)
tests_unit_test_rtc_LDADD = $(KVM_A) $(CMOCKA_LIBS)
endif
check_PROGRAMS += tests/fuzz/fuzz_vmconfig
TESTS += tests/fuzz/fuzz_vmconfig
tests_fuzz_fuzz_vmconfig_SOURCES = tests/fuzz/fuzz_vmconfig.c $(FUZZ_REPLAY_SRC)
tests_fuzz_fuzz_vmconfig_LDADD = $(KVM_A)
if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/libfuzzer_vmconfig
tests_fuzz_libfuzzer_vmconfig_SOURCES = tests/fuzz/fuzz_vmconfig.c
tests_fuzz_libfuzzer_vmconfig_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
tests_fuzz_libfuzzer_vmconfig_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_libfuzzer_vmconfig_LDADD = $(KVM_A)
endif

# provd vm run's command line and refusals (no KVM needed)
TESTS += tests/integration/vm_cli.sh
EXTRA_DIST += tests/integration/vm_cli.sh

# provd vm run in the nested rig (tests/vmrig): marker, CPUs, virtio-blk,
# slirp DHCP + HTTP, hwrng, poweroff 0 / reboot 10 (skips without the rig)
TESTS += tests/integration/vm_provd.sh

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_kcache
TESTS += tests/unit/test_kcache
tests_unit_test_kcache_SOURCES = tests/unit/test_kcache.c
tests_unit_test_kcache_CFLAGS = $(CMOCKA_TEST_CFLAGS) $(UNPACK_CFLAGS)
tests_unit_test_kcache_LDADD = $(KVM_A) $(CMOCKA_LIBS)
endif
check_PROGRAMS += tests/fuzz/fuzz_kcache
TESTS += tests/fuzz/fuzz_kcache
tests_fuzz_fuzz_kcache_SOURCES = tests/fuzz/fuzz_kcache.c $(FUZZ_REPLAY_SRC)
tests_fuzz_fuzz_kcache_LDADD = $(KVM_A)
if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/libfuzzer_kcache
tests_fuzz_libfuzzer_kcache_SOURCES = tests/fuzz/fuzz_kcache.c
tests_fuzz_libfuzzer_kcache_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
tests_fuzz_libfuzzer_kcache_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_libfuzzer_kcache_LDADD = $(KVM_A)
endif
