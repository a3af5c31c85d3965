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
# execute ud2 at its entry checks that a triple fault exits 11. The guest
# finds its 4 PCI functions through ECAM (the default) and through conf1
# (--pci-conf1); a bzImage booted twice with --kernel-cache is unpacked
# into the cache by the first boot and entered as ELF by the second; the
# same for a kernel fetched by --pxe (keyed by content).
. "$top_srcdir/tests/integration/lib.sh"
rig=$top_srcdir/tests/vmrig/rig.sh
why=$("$rig" check) || skip_all "$why"
[ -x "${PROVD:-$top_builddir/provd/provd}" ] || skip_all "provd not built"
plan 19
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
		q="console=ttyS0 panic=-1 quiet vmrig.quick"
		"$PROVD" vm run --pci-conf1 --kernel "$VMRIG_KERNEL" --initrd "$VMRIG_INITRD" --append "$q" \
			--memory 256 --disk /mnt/p/disk.img --net slirp --console /mnt/conf1-console --timeout 300 2>/mnt/conf1-stderr
		echo $? > /mnt/conf1-status
		# the cache on a tmpfs: L1 sees the host root read-only
		mkdir -p /dev/shm && mount -t tmpfs tmpfs /dev/shm
		for n in 1 2; do
			"$PROVD" --log-level debug vm run --kernel-cache /dev/shm/kc --kernel "$VMRIG_KERNEL" \
				--initrd "$VMRIG_INITRD" --append "$q" --memory 256 --console /mnt/kc$n-console \
				--timeout 300 2>/mnt/kc$n-stderr
			echo $? > /mnt/kc$n-status
		done
		ls /dev/shm/kc > /mnt/kc-list 2>&1
		# netboot: the firmware fetches the kernel into a fresh temporary
		# file each time; the cache keys it by content
		t=/dev/shm/tftp
		mkdir -p $t/pxelinux.cfg && cp "$VMRIG_KERNEL" $t/vmlinuz && cp "$VMRIG_INITRD" $t/initrd &&
			: > $t/pxelinux.0 &&
			printf "DEFAULT t\nLABEL t\n  KERNEL vmlinuz\n  INITRD initrd\n  APPEND %s\n" "$q" > $t/pxelinux.cfg/default
		for n in 1 2; do
			"$PROVD" --log-level debug vm run --kernel-cache /dev/shm/kcp --pxe \
				--net slirp,tftp=$t,bootfile=pxelinux.0 --memory 256 --console /mnt/pxe$n-console \
				--timeout 300 2>/mnt/pxe$n-stderr
			echo $? > /mnt/pxe$n-status
		done
		ls /dev/shm/kcp > /mnt/kcp-list 2>&1
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
is "ECAM: the guest found its 4 PCI functions" "$(marker pci | awk '{print $3}')" 4
is "--pci-conf1: the guest found its 4 PCI functions, powered off" \
	"$(tr -d '\r' < "$d/job/conf1-console" 2>/dev/null | grep -a '^PROVD-MARKER pci' | awk '{print $3}') $(cat "$d/job/conf1-status" 2>/dev/null)" "4 0"
is "--kernel-cache: the first boot ran the bzImage and unpacked it" \
	"$(grep -c 'for the next boot' "$d/job/kc1-stderr" 2>/dev/null) $(grep -ac '^PROVD-MARKER init' "$d/job/kc1-console" 2>/dev/null) $(cat "$d/job/kc1-status" 2>/dev/null)" "1 1 0"
is "--kernel-cache: the second boot entered the unpacked ELF" \
	"$(grep -c 'unpacked earlier' "$d/job/kc2-stderr" 2>/dev/null) $(grep -ac '^PROVD-MARKER init' "$d/job/kc2-console" 2>/dev/null) $(cat "$d/job/kc2-status" 2>/dev/null)" "1 1 0"
is "--kernel-cache: one entry, no temporary file left" "$(grep -c '^[0-9a-f]\{32\}\.vmlinux$' "$d/job/kc-list" 2>/dev/null) $(wc -l < "$d/job/kc-list" 2>/dev/null)" "1 1"
is "--pxe --kernel-cache: the first netboot unpacked the fetched kernel" \
	"$(grep -c 'for the next boot' "$d/job/pxe1-stderr" 2>/dev/null) $(grep -ac '^PROVD-MARKER init' "$d/job/pxe1-console" 2>/dev/null) $(cat "$d/job/pxe1-status" 2>/dev/null)" "1 1 0"
is "--pxe --kernel-cache: the second netboot (a new temporary file) entered the unpacked ELF" \
	"$(grep -c 'unpacked earlier' "$d/job/pxe2-stderr" 2>/dev/null) $(grep -ac '^PROVD-MARKER init' "$d/job/pxe2-console" 2>/dev/null) $(cat "$d/job/pxe2-status" 2>/dev/null) $(wc -l < "$d/job/kcp-list" 2>/dev/null)" "1 1 0 1"
done_testing
