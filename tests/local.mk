# tests: shared test infrastructure. Each module's local.mk registers its own
# unit tests, integration scripts and fuzz targets.
#
# Fuzz targets: tests/fuzz/fuzz_NAME.c defines LLVMFuzzerTestOneInput; it is
# linked with tests/fuzz/replay.c as a check program that replays
# tests/fuzz/corpus/fuzz_NAME/ in `make check`. With --enable-fuzzing the same
# sources also build as libFuzzer binaries (tests/fuzz/libfuzzer_NAME).
FUZZ_REPLAY_SRC = tests/fuzz/replay.c
EXTRA_DIST += tests/integration/lib.sh tests/fuzz/corpus tests/data

# CLI import (lead).
TESTS += tests/integration/cli_import.sh
EXTRA_DIST += tests/integration/cli_import.sh

# Guest test initramfs (busybox + virtio modules of the installed kernel).
EXTRA_DIST += tests/guest/mkinitramfs.sh tests/guest/init

# build-vm end to end (lead).
TESTS += tests/integration/build_vm.sh
EXTRA_DIST += tests/integration/build_vm.sh

# TFTP through provd serve (lead).
TESTS += tests/integration/tftp_serve.sh
EXTRA_DIST += tests/integration/tftp_serve.sh

# Rendering through the CLI: debconf check, golden files, broken templates (lead).
TESTS += tests/integration/render_check.sh
EXTRA_DIST += tests/integration/render_check.sh

# provd's debootstrap installer and its answer script (lead).
TESTS += tests/integration/installer.sh
EXTRA_DIST += tests/integration/installer.sh scripts/installer/mkinitrd \
	scripts/installer/init scripts/installer/udhcpc.script

# Benchmarks (not run by make check): bench/render/run.sh builds this.
EXTRA_PROGRAMS = bench/render/render_bench
bench_render_render_bench_SOURCES = bench/render/render_bench.c
bench_render_render_bench_LDADD = $(TFTP_A) $(CORE_A) $(BASE_A)
EXTRA_DIST += bench/render/run.sh bench/http/run.sh

# DHCP with real clients in network namespaces (lead).
TESTS += tests/integration/dhcp_full.sh
EXTRA_DIST += tests/integration/dhcp_full.sh

# Firmware PXE client (SeaBIOS + iPXE in QEMU TCG) through provd (lead).
TESTS += tests/integration/pxe_ipxe.sh
EXTRA_DIST += tests/integration/pxe_ipxe.sh

# Nested VM test rig (vmrig): L1 under QEMU TCG with emulated SVM; provd's
# VMM tests run inside it. See docs/vmrig.md.
TESTS += tests/integration/vm_rig.sh
EXTRA_DIST += tests/integration/vm_rig.sh tests/vmrig/rig.sh tests/vmrig/mkinitrd.sh \
	tests/vmrig/l1-init tests/vmrig/guest-init tests/vmrig/l2-run.sh tests/vmrig/README.md \
	tests/vmrig/kvm-hold.c tests/vmrig/stress.sh \
	bench/vm/run.sh tests/integration/vm_provd.sh
# tests/integration/vm_provd.sh (provd vm run device checks in the rig) is in
# TESTS through kvm/local.mk.

# The nested rig caches its initramfs images in the build folder
# (tests/vmrig/rig.sh); they are build output.
clean-local:
	-rm -rf vmrig-cache
