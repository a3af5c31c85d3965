#!/bin/bash
# provd build-vm end to end on the QEMU fallback (TCG: this machine's KVM is
# kvm_pvm): a profile whose "installer" is Debian's kernel with a busybox
# initramfs that fetches its answer file through provd, writes a pattern to
# the disk, calls the done callback and reboots. Checks the image, the
# manifest, the transient system's removal and the timeline; then a build
# that never calls back fails and leaves the previous image untouched.
. "$top_srcdir/tests/integration/lib.sh"

command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 is not installed"
ls /boot/vmlinuz-* >/dev/null 2>&1 || skip_all "no /boot/vmlinuz-* (linux-image-amd64)"

plan 16
T=$(tmpdir)
S=$T/state
"$PROVD" --state "$S" init >/dev/null 2>&1
mkdir -p "$S/files/testos" "$S/templates/test"
kimg=$("$top_srcdir/tests/guest/mkinitramfs.sh" "$S/files/testos/initrd.gz")
cp "$kimg" "$S/files/testos/vmlinuz"
printf 'PROVD_DONE={{ callback.done }}\n' > "$S/templates/test/answer.txt"
printf 'no callback here\n' > "$S/templates/test/silent.txt"
"$PROVD" --state "$S" distro add testos --kernel testos/vmlinuz --initrd testos/initrd.gz >/dev/null
"$PROVD" --state "$S" profile add tiny --distro testos --autoinstall test/answer.txt \
	--vm-memory 512 --vm-vcpus 2 --vm-disk 64M >/dev/null
"$PROVD" --state "$S" profile add silent --distro testos --autoinstall test/silent.txt \
	--vm-memory 512 --vm-vcpus 1 --vm-disk 64M >/dev/null

out=$T/tiny.raw
"$PROVD" --state "$S" build-vm --profile tiny --output "$out" --timeout 240 >"$T/out" 2>"$T/err"
rc=$?
is "build-vm exits 0" "$rc" 0
[ $rc -eq 0 ] || { diag "$(tail -n 5 "$T/err")"; diag "$(grep -a PROVD "$S"/builds/*/console.log | tail -n 5)"; }
ok "says which hypervisor and why" grep -q 'hypervisor: qemu with' "$T/err"
ok "image in place" test -s "$out"
is "the guest's write is in the image" "$(head -c 19 "$out")" "PROVD-IMAGE-PATTERN"
ok "manifest beside the image" test -s "$out.json"
is "manifest sha256 matches the image" "$(jq -r .sha256 "$out.json")" "$(sha256sum < "$out" | cut -d' ' -f1)"
is "manifest names the profile" "$(jq -r .profile "$out.json")" tiny
is "manifest has the template digest" "$(jq -r .template_sha256 "$out.json")" \
	"$(sha256sum < "$S/templates/test/answer.txt" | cut -d' ' -f1)"
sysname=$(jq -r .system "$out.json")
ok "transient system removed" test ! -e "$S/systems/$sysname.yaml"
ok "the guest fetched its answer through provd" grep -aq 'PROVD-GUEST: answer sha256' "$S"/builds/*-tiny/console.log
ok "the guest's done callback was accepted" grep -aq 'PROVD-GUEST: done callback ok' "$S"/builds/*-tiny/console.log
"$PROVD" --state "$S" events --system "$sysname" > "$T/events" 2>&1
ok "timeline has the answer file, done callback and build-done" \
	sh -c "grep -q answer-file '$T/events' && grep -q install-done '$T/events' && grep -q build-done '$T/events'"
is "build status ok" "$(cat "$S"/builds/*-tiny/status)" ok

# A build whose installer never calls back fails; the old image stays.
before=$(sha256sum < "$out")
"$PROVD" --state "$S" build-vm --profile silent --output "$out" --timeout 240 >/dev/null 2>"$T/err2"
is "failed build exits 1" "$?" 1
is "previous image untouched" "$(sha256sum < "$out")" "$before"
ok "failure says why" grep -q "before the install called back 'done'" "$T/err2"
done_testing
