#!/bin/bash
# provd's own VMM in the nested rig (docs/vmrig.md): inside L1, `provd vm
# run` boots the stock Debian kernel with the rig's busybox test guest; the
# guest's markers, the disk image (read here, on the host), the HTTP fetch
# through slirp, /dev/hwrng and the exit codes (0 poweroff, 10 reboot) are
# checked (VMRIG_VMM=qemu-microvm runs the same checks against QEMU, to
# validate the test; QEMU has no reboot exit code, so the last check fails there).
# The guest's virtio-net must have negotiated MRG_RXBUF (so the HTTP fetch
# used merged receive buffers). The reboot run uses 2 vCPUs (SMP through the MADT and the in-kernel
# LAPICs' INIT/SIPI), checked by its cpus marker. A kernel patched to
# execute ud2 at its entry checks that a triple fault exits 11.
. "$top_srcdir/tests/integration/lib.sh"
rig=$top_srcdir/tests/vmrig/rig.sh
why=$("$rig" check) || skip_all "$why"
[ -x "${PROVD:-$top_builddir/provd/provd}" ] || skip_all "provd not built"
plan 12
d=$(tmpdir)
# a kernel whose 64-bit entry is ud2: no IDT yet, so #UD -> #DF -> triple
# fault, which must end the VM with status 11
k=$("$rig" kernel)
cp "$k" "$d/ud2-kernel"
setup_sects=$(od -An -tu1 -j 497 -N 1 "$k" | tr -d ' ')
[ "$setup_sects" = 0 ] && setup_sects=4
printf '\x0f\x0b' | dd of="$d/ud2-kernel" bs=1 seek=$(( (setup_sects + 1) * 512 + 0x200 )) conv=notrunc 2>/dev/null
"$rig" run --build "$top_builddir" --job "$d/job" --timeout 900 -- bash -c '
	'"$top_srcdir"'/tests/vmrig/l2-run.sh '"${VMRIG_VMM:-provd}"' /mnt/p
	VMRIG_L2_CPUS=2 '"$top_srcdir"'/tests/vmrig/l2-run.sh '"${VMRIG_VMM:-provd}"' /mnt/r "vmrig.quick vmrig.reboot"
	if [ "${VMRIG_VMM:-provd}" = provd ]; then
		"$PROVD" vm run --kernel '"$d/ud2-kernel"' --memory 128 --console /mnt/crash-console --timeout 180 2>/mnt/crash-stderr
		echo $? > /mnt/crash-status
	fi' >"$d/rig.log" 2>&1
rc=$?
is "the rig ran" "$rc" 0
p=$d/job/p
con=$(tr -d '\r' < "$p/console" 2>/dev/null)
marker() { grep -a "^PROVD-MARKER $1" <<<"$con" | head -n 1; }
[ -n "$(marker init)" ] && pass "guest reached its init marker" || { fail "no init marker"; diag "$(tail -n 20 "$p/console" "$p/stderr" 2>/dev/null)"; }
is "guest sees the configured vCPUs" "$(marker cpus | awk '{print $3}')" "${VMRIG_L2_CPUS:-1}"
is "guest wrote the pattern to /dev/vda" "$(marker 'vda wrote' | awk '{print $4}')" "PROVD-VDA-PATTERN-0"
is "the host reads the pattern back from the image" "$(head -c 19 "$p/disk.img" 2>/dev/null | tr -d '\0')" "PROVD-VDA-PATTERN-0"
[ -n "$(marker 'dhcp ok')" ] && pass "DHCP lease through slirp" || fail "no DHCP lease"
is "HTTP fetch from L1 through slirp" "$(marker 'http sha256' | awk '{print $4}')" \
	"$(sha256sum "$p/www/file" 2>/dev/null | cut -d' ' -f1)"
# bit 15 of the virtio feature string (one character per bit, bit 0 first)
is "the guest's virtio-net took MRG_RXBUF (the fetch went through it)" \
	"$(marker netfeatures | awk '{print substr($3, 16, 1)}')" 1
[ -n "$(marker 'hwrng ok')" ] && pass "guest reads /dev/hwrng" || fail "no hwrng"
is "2 vCPUs: the guest sees both" "$(tr -d '\r' < "$d/job/r/console" 2>/dev/null | grep -a '^PROVD-MARKER cpus' | head -n 1 | awk '{print $3, $5}')" "2 0-1"
is "poweroff exits 0, reboot exits 10" "$(cat "$p/status" 2>/dev/null) $(cat "$d/job/r/status" 2>/dev/null)" "0 10"
is "a triple fault exits 11" "$(cat "$d/job/crash-status" 2>/dev/null)" 11
[ "$(cat "$d/job/crash-status" 2>/dev/null)" = 11 ] || diag "$(cat "$d/job/crash-stderr" 2>/dev/null)"
done_testing
