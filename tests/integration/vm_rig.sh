#!/bin/bash
# The nested VM test rig itself (tests/vmrig/rig.sh): L1 boots under QEMU
# TCG with emulated SVM, kvm-amd gives it a /dev/kvm, the host root is
# visible read-only, the job share is writable and read back here, and the
# command's exit status comes back. provd's VMM tests build on this.
. "$top_srcdir/tests/integration/lib.sh"
rig=$top_srcdir/tests/vmrig/rig.sh
why=$("$rig" check) || skip_all "$why"
plan 5
d=$(tmpdir)
out=$("$rig" run --job "$d/job" --timeout 120 -- sh -c '
	test -c /dev/kvm && echo "KVM-PRESENT"
	test -x "$VMRIG_KERNEL" -o -r "$VMRIG_KERNEL" && echo "KERNEL-VISIBLE"
	touch /etc/vmrig-should-fail 2>/dev/null || echo "ROOT-READONLY"
	echo "written-in-L1 $$" > "$VMRIG_JOB/proof"
	exit 7' 2>"$d/stderr")
rc=$?
is "the command's exit status comes back from L1" "$rc" 7
case "$out" in *KVM-PRESENT*) pass "kvm-amd gives L1 a /dev/kvm" ;; *) fail "no /dev/kvm in L1"; diag "$out"; diag "$(tail -n 5 "$d/stderr")" ;; esac
case "$out" in *KERNEL-VISIBLE*) pass "the host root (kernel image) is visible in L1" ;; *) fail "host root not visible" ;; esac
case "$out" in *ROOT-READONLY*) pass "the host root is read-only in L1" ;; *) fail "host root writable from L1" ;; esac
grep -q "^written-in-L1 " "$d/job/proof" 2>/dev/null && pass "a file written in L1's job share is read back on the host" || fail "job share not written"
done_testing
