#!/bin/bash
# `provd vm run` without a usable /dev/kvm: help, usage errors (exit 2 with
# a message naming the option) and setup errors (exit 1: on this machine
# the KVM probe refuses kvm_pvm or a missing /dev/kvm; on a host with
# hardware virtualisation the missing kernel is reported). The guest boots
# themselves are checked in the rig (tests/integration/vm_provd.sh).
. "$top_srcdir/tests/integration/lib.sh"
provd=${PROVD:-$top_builddir/provd/provd}
[ -x "$provd" ] || skip_all "provd not built"
plan 12
d=$(tmpdir)
run() { "$provd" vm "$@" >"$d/out" 2>"$d/err"; echo $?; }

is "vm --help exits 0" "$(run --help)" 0
grep -q -- "--kernel K" "$d/out" && pass "help shows the options" || fail "help text"
grep -q "12 --timeout elapsed" "$d/out" && pass "help lists the exit codes" || fail "exit codes in help"
is "vm run without --kernel is a usage error" "$(run run)" 2
grep -q -- "--kernel (or --pxe) is required" "$d/err" && pass "it says --kernel is missing" || fail "no message: $(cat "$d/err")"
is "bad --net" "$(run run --kernel k --net user)" 2
grep -q "slirp" "$d/err" && pass "--net error names the choices" || fail "no --net hint: $(cat "$d/err")"
is "bad hostfwd" "$(run run --kernel k --net slirp,hostfwd=tcp::22-10.0.2.15:22)" 2
is "--memory out of range" "$(run run --kernel k --memory 8)" 2
is "a ninth --disk" "$(run run --kernel k --disk a --disk a --disk a --disk a --disk a --disk a --disk a --disk a --disk a)" 2
is "a missing kernel (or an unusable /dev/kvm) is a setup error" "$(run run --kernel "$d/nope" --timeout 5)" 1
grep -q -E "cannot run this VM|cannot read kernel" "$d/err" && pass "it says why" || fail "no reason: $(cat "$d/err")"
done_testing
