#!/bin/bash
# provd's debootstrap installer (scripts/installer/) and its answer script
# (templates/debootstrap/debian.sh): the initramfs holds everything the
# script calls and each dynamic binary runs from it (its libraries are all
# there); the rendered script parses under dash and busybox sh, carries the
# system's callbacks and its meta, matches the golden file, and a profile
# render has no callbacks. The full install is scripts/demo's job (it takes
# tens of minutes under TCG); this checks what can break without one.
. "$top_srcdir/tests/integration/lib.sh"
for c in debootstrap busybox cpio mke2fs gpgv; do
	command -v $c >/dev/null || skip_all "$c is not installed (scripts/setup installs it)"
done
ls /boot/vmlinuz-* >/dev/null 2>&1 || skip_all "no /boot/vmlinuz-* (linux-image-amd64)"
[ "$(id -u)" -eq 0 ] || skip_all "needs root (chroot into the initrd)"
plan 18
T=$(tmpdir)
"$top_srcdir/scripts/installer/mkinitrd" "$T/inst" >"$T/mk.log" 2>&1
ok "mkinitrd builds vmlinuz and initrd.gz" test -s "$T/inst/vmlinuz" -a -s "$T/inst/initrd.gz"
mkdir "$T/root"
(cd "$T/root" && zcat "$T/inst/initrd.gz" | cpio -id --quiet 2>/dev/null)
missing=
for f in init usr/sbin/debootstrap usr/share/debootstrap/scripts/bookworm \
	usr/share/keyrings/debian-archive-keyring.gpg lib/modules/order usr/share/udhcpc/default.script; do
	[ -e "$T/root/$f" ] || missing="$missing $f"
done
is "initrd has init, debootstrap and its bookworm script, the keyring, the DHCP hook" "$missing" ""
ok "initrd carries the ext4 and virtio-net modules" sh -c "grep -q ext4.ko '$T/root/lib/modules/order' && grep -q virtio_net.ko '$T/root/lib/modules/order'"
# Each dynamic binary runs inside the initrd alone: no library is missing.
mknod -m 666 "$T/root/dev/null" c 1 3
inroot() { chroot "$T/root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@" >/dev/null 2>&1; }
ok "mke2fs runs from the initrd" inroot /usr/sbin/mke2fs -V
ok "perl runs from the initrd (debootstrap needs it)" inroot /usr/bin/perl -e 'exit 0'
ok "gpgv runs from the initrd" inroot /usr/bin/gpgv --version
ok "blkid runs from the initrd" inroot /usr/sbin/blkid -V
ok "chroot is coreutils' (busybox's would run its own dpkg applet)" sh -c "chroot '$T/root' /usr/sbin/chroot --version 2>/dev/null | grep -q coreutils"
ok "busybox sh parses the init" inroot /bin/sh -n /init

S=$T/state
B=http://192.0.2.1:8080
"$PROVD" --state "$S" init >/dev/null 2>&1
printf '0123456789abcdef0123456789abcdef\n' > "$S/secret"
printf 'mirror:\n  protocol: http\n  host: mirror.example\n  directory: /debian\n' >> "$S/provd.yaml"
mkdir -p "$S/files/debian12"
cp "$T/inst/vmlinuz" "$T/inst/initrd.gz" "$S/files/debian12/"
"$PROVD" --state "$S" distro add debian12 --kernel debian12/vmlinuz --initrd debian12/initrd.gz --breed generic >/dev/null
"$PROVD" --state "$S" profile add ws --distro debian12 --autoinstall debootstrap/debian.sh \
	--meta packages="openssh-server, vim" --meta 'late_command=echo late >/target/etc/provd-late' >/dev/null
"$PROVD" --state "$S" system add pc1 --profile ws --mac 52:54:00:12:34:56 --pxe-just-once >/dev/null
"$PROVD" --state "$S" check >"$T/check.out" 2>&1
ok "provd check passes" [ $? -eq 0 ]
"$PROVD" --state "$S" render autoinstall --system pc1 --base-url "$B" > "$T/pc1.sh"
ok "the rendered script parses under dash" sh -n "$T/pc1.sh"
ok "the rendered script parses under busybox sh" busybox sh -n "$T/pc1.sh"
ok "it calls start, failed and done with pc1's token" sh -c "grep -q 'status/pc1/start?token=' '$T/pc1.sh' && grep -q 'status/pc1/failed?token=' '$T/pc1.sh' && grep -q 'status/pc1/done?token=' '$T/pc1.sh'"
ok "mirror and packages come from config and meta" sh -c "grep -qx \"MIRROR='http'://'mirror.example''/debian'\" '$T/pc1.sh' && grep -qx \"PACKAGES='openssh-server vim'\" '$T/pc1.sh'"
ok "clones get their own machine-id and SSH host keys" sh -c "grep -q ': > \"\$T/etc/machine-id\"' '$T/pc1.sh' && grep -q 'ssh_host_\*' '$T/pc1.sh' && grep -q 'systemctl enable provd-ssh-hostkeys.service' '$T/pc1.sh'"
ok "the kernel is installed after initramfs-tools (one initramfs build)" sh -c "grep -n 'install initramfs-tools\$' '$T/pc1.sh' | head -1 | cut -d: -f1 > '$T/a'; grep -n 'install linux-image-amd64' '$T/pc1.sh' | cut -d: -f1 > '$T/b'; [ -s '$T/a' ] && [ \$(cat '$T/a') -lt \$(cat '$T/b') ]"
G=$top_srcdir/tests/data/golden/debootstrap-pc1.sh
[ -n "${PROVD_REGEN_GOLDEN:-}" ] && cp "$T/pc1.sh" "$G"
if cmp -s "$T/pc1.sh" "$G"; then pass "golden: debootstrap-pc1.sh"; else fail "golden: debootstrap-pc1.sh"; diff -u "$G" "$T/pc1.sh" | head -20 | sed 's/^/# /'; fi
"$PROVD" --state "$S" render pxe --system pc1 --base-url "$B" > "$T/pc1.pxe"
ok "the PXE entry hands the script over as ks=URL" grep -q "ks=$B/autoinstall/system/pc1" "$T/pc1.pxe"
done_testing
