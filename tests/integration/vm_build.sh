#!/bin/bash
# build-vm on provd's own VMM, end to end, in the nested rig (docs/vmrig.md):
# inside L1 (a real /dev/kvm), `provd build-vm --hypervisor builtin` runs
# `provd vm run --pxe` as its VM: the netboot firmware (kvm/fw) takes
# DHCP and TFTP from slirp, reads the transient system's
# pxelinux.cfg/01-<mac> rendered with the build's base URL, boots Debian's
# kernel and the test guest, which fetches its answer file from the
# build's HTTP service, writes a pattern to its disk, calls back done and
# reboots (exit 10). The image, its manifest and the events are checked
# on the host. Then `provd vm run --localboot` boots a disk image made
# here (MBR, ext4 partition, grub.cfg naming Debian's kernel and the test
# guest) the way its GRUB would: the guest must come up, write its disk
# and power off (exit 0).
. "$top_srcdir/tests/integration/lib.sh"
rig=$top_srcdir/tests/vmrig/rig.sh
why=$("$rig" check) || skip_all "$why"
[ -x "${PROVD:-$top_builddir/provd/provd}" ] || skip_all "provd not built"
command -v jq >/dev/null || skip_all "jq is not installed"
plan 13
d=$(tmpdir)
S=$d/job/state
mkdir -p "$d/job"
"$PROVD" --state "$S" init >/dev/null 2>&1
testos_distro "$S" || bail "cannot build the test guest"
"$PROVD" --state "$S" profile add quick --distro testos --autoinstall test/answer.txt \
	--kernel-options "console=ttyS0" --vm-memory 256 --vm-vcpus 1 --vm-disk 64M >/dev/null
MKE2FS=$(command -v mke2fs || echo /usr/sbin/mke2fs)
mkdir -p "$d/root/boot/grub"
cp "$S/files/testos/vmlinuz" "$d/root/boot/vmlinuz-test"
cp "$S/files/testos/initrd.gz" "$d/root/boot/initrd.img-test"
printf "menuentry 'Debian GNU/Linux' {\n\tlinux /boot/vmlinuz-test ro console=ttyS0 provd.poweroff\n\tinitrd /boot/initrd.img-test\n}\n" \
	> "$d/root/boot/grub/grub.cfg"
truncate -s 48M "$d/job/lb.img"
printf '\x80\x00\x00\x00\x83\x00\x00\x00\x00\x08\x00\x00\x00\x60\x01\x00' |
	dd of="$d/job/lb.img" bs=1 seek=446 conv=notrunc 2>/dev/null
printf '\x55\xaa' | dd of="$d/job/lb.img" bs=1 seek=510 conv=notrunc 2>/dev/null
"$MKE2FS" -q -t ext4 -E offset=1048576 -d "$d/root" "$d/job/lb.img" 44M
"$rig" run --build "$top_builddir" --job "$d/job" --timeout 600 -- bash -c '
	"$PROVD" --state /mnt/state build-vm --profile quick --hypervisor builtin --timeout 400 \
		>/mnt/build.out 2>&1
	echo $? > /mnt/build.status
	"$PROVD" vm run --localboot --disk /mnt/lb.img --net slirp --memory 256 \
		--console /mnt/lb-console --timeout 200 2>/mnt/lb-stderr
	echo $? > /mnt/lb-status' >"$d/rig.log" 2>&1
rc=$?
is "the rig ran" "$rc" 0
is "build-vm succeeded on the builtin VMM" "$(cat "$d/job/build.status" 2>/dev/null)" 0
[ "$(cat "$d/job/build.status" 2>/dev/null)" = 0 ] || { tail -n 15 "$d/job/build.out"; tail -n 15 "$d/rig.log"; } 2>/dev/null | sed 's/^/# /'
ok "it said it chose provd's builtin VMM" grep -q "hypervisor: provd's builtin VMM" "$d/job/build.out"
# (the test guest fetches its answer and calls back within a second, so
# "installing" may be skipped for "install done" in the same poll)
ok "its progress went through the firmware's boot to the install" sh -c \
	"grep -q 'booting installer' '$d/job/build.out' && grep -Eq 'installing|install done' '$d/job/build.out'"
grep -q 'booting installer' "$d/job/build.out" || sed 's/^/# build: /' "$d/job/build.out"
b=$(ls -d "$S"/builds/*-quick 2>/dev/null | head -n 1)
ok "the firmware booted the system's own pxelinux entry" sh -c \
	"grep -q 'address 10.0.2.15, boot file .pxelinux.0. from 10.0.2.2' '$b/console.log.vmm' &&
	 grep -q 'booting boot/testos/vmlinuz (label install of pxelinux.cfg/01-' '$b/console.log.vmm'"
[ -n "$b" ] && sed 's/^/# vmm: /' "$b/console.log.vmm" 2>/dev/null | head -n 12
ok "the guest fetched its answer file from the build's HTTP service" grep -aq 'PROVD-GUEST: answer sha256' "$b/console.log"
ok "and called back done" grep -aq 'PROVD-GUEST: done callback ok' "$b/console.log"
ok "the image holds what the guest wrote to its disk" sh -c "head -c 19 '$S/images/quick.raw' | grep -q PROVD-IMAGE-PATTERN"
is "the manifest's sha256 is the image's" "$(jq -r .sha256 "$S/images/quick.raw.json" 2>/dev/null)" \
	"$(sha256sum "$S/images/quick.raw" 2>/dev/null | cut -d' ' -f1)"
ok "the events record a builtin VM start" sh -c "'$PROVD' --state '$S' events 2>/dev/null | grep -q 'builtin, 256 MiB'"
is "--localboot: the guest powered off (exit 0)" "$(cat "$d/job/lb-status" 2>/dev/null)" 0
[ "$(cat "$d/job/lb-status" 2>/dev/null)" = 0 ] || sed 's/^/# lb: /' "$d/job/lb-stderr" 2>/dev/null | tail -n 8
ok "--localboot: it booted partition 1's grub.cfg entry" sh -c \
	"grep -q 'localboot: /mnt/lb.img' '$d/job/lb-stderr' && grep -q 'booting /boot/vmlinuz-test (label Debian GNU/Linux of partition 1 /boot/grub/grub.cfg)' '$d/job/lb-stderr'"
ok "--localboot: the guest ran and wrote its disk" sh -c \
	"grep -aq 'PROVD-GUEST: wrote /dev/vda' '$d/job/lb-console' && head -c 19 '$d/job/lb.img' | grep -q PROVD-IMAGE-PATTERN"
done_testing
