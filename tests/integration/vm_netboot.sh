#!/bin/bash
# The builtin VMM's netboot firmware (kvm/fw: what `provd vm run --pxe`
# does before it boots; `provd vm netboot` runs it alone and needs no
# /dev/kvm), against real servers:
#  1. slirp: libslirp's own DHCP and TFTP serving provd's rendered TFTP
#     tree (what build-vm's builtin hypervisor uses);
#  2. a TAP port on a lab bridge in a namespace: provd's DHCP (full mode)
#     and tftp-hpa;
#  3. the same bridge in proxy mode, dnsmasq handing out the address.
# Each time the firmware must pick the pxelinux config pxelinux would
# (01-MAC, else default), fetch the kernel and initrd byte for byte, and
# build the command line the rendered entry gives.
. "$top_srcdir/tests/integration/lib.sh"

need_root
[ -x /usr/sbin/in.tftpd ] || skip_all "in.tftpd not installed (tftpd-hpa)"
command -v dnsmasq >/dev/null || skip_all "dnsmasq is not installed (dnsmasq-base)"
command -v jq >/dev/null || skip_all "jq is not installed"
[ -c /dev/net/tun ] || skip_all "no /dev/net/tun"

plan 27
T=$(tmpdir)
S=$T/state
id=$$
NS=nb$id; LAB=nl$id
M1=52:54:00:e0:01:01
M2=52:54:00:e0:01:02
M3=52:54:00:e0:01:03
"$PROVD" --state "$S" init >/dev/null 2>&1
chmod 755 "$T"	# in.tftpd may run as an unprivileged user
testos_distro "$S" || bail "cannot build the test guest"
"$PROVD" --state "$S" profile add tiny --distro testos --autoinstall test/answer.txt \
	--kernel-options "console=ttyS0" >/dev/null
"$PROVD" --state "$S" system add vm1 --profile tiny --mac "$M1" >/dev/null
"$PROVD" --state "$S" system add vm2 --profile tiny --mac "$M2" --netboot off >/dev/null

# the command line pxelinux would give: the entry's APPEND without
# initrd=, then BOOTIF= for IPAPPEND 2
want_append() {
	local a
	a=$(sed -n 's/^ *APPEND //p' "$S/tftp/pxelinux.cfg/01-${1//:/-}" | sed 's/initrd=[^ ]* *//')
	echo "$a BOOTIF=01-${1//:/-}"
}
netboot() {	# netboot OUT NETNS-OR-- ARGS...
	local out=$1 ns=$2
	shift 2
	mkdir -p "$out"
	if [ "$ns" = - ]; then
		"$PROVD" --json vm netboot --dir "$out" "$@" >"$out/r.json" 2>"$out/err"
	else
		ip netns exec "$ns" "$PROVD" --json vm netboot --dir "$out" "$@" >"$out/r.json" 2>"$out/err"
	fi
}
j() { jq -r ".$2" "$1/r.json" 2>/dev/null; }

# 1. slirp, as build-vm runs it
SL="slirp,tftp=$S/tftp,bootfile=pxelinux.0"
netboot "$T/s1" - --net "$SL" --mac "$M1"
ok "slirp: vm1 netboots (exit 0)" [ $? -eq 0 ]
is "slirp: address from slirp's DHCP" "$(j "$T/s1" address)" 10.0.2.15
is "slirp: vm1's own config, 01-MAC" "$(j "$T/s1" config)" "pxelinux.cfg/01-${M1//:/-}"
ok "slirp: the kernel arrived byte for byte" cmp -s "$T/s1/kernel" "$S/files/testos/vmlinuz"
ok "slirp: the initrd arrived byte for byte" cmp -s "$T/s1/initrd" "$S/files/testos/initrd.gz"
is "slirp: the command line is the rendered entry's" "$(j "$T/s1" append)" "$(want_append "$M1")"
ok "slirp: it carries vm1's autoinstall URL" sh -c "jq -r .append '$T/s1/r.json' | grep -q '/autoinstall/system/vm1'"
netboot "$T/s2" - --net "$SL" --mac "$M2"
is "slirp: vm2 (netboot off) gets LOCALBOOT" "$(j "$T/s2" localboot)" true
netboot "$T/s3" - --net "$SL" --mac "$M3"
is "slirp: an unknown MAC gets the default menu" "$(j "$T/s3" config)" pxelinux.cfg/default
is "slirp: whose timeout boots the local disk" "$(j "$T/s3" localboot)" true
mkdir -p "$T/bad/pxelinux.cfg"
printf 'LABEL x\n  MENU LABEL no kernel here\n' > "$T/bad/pxelinux.cfg/default"
netboot "$T/s4" - --net "slirp,tftp=$T/bad,bootfile=pxelinux.0" --mac "$M3"
rc=$?
ok "slirp: a config with no bootable entry fails with the reason" sh -c \
	"[ $rc -eq 1 ] && grep -q 'pxelinux.cfg/default: it has no DEFAULT\|no DEFAULT' '$T/s4/err'"

# LOCALBOOT with a disk: the default entry of the disk's grub.cfg, read
# from its ext4 partition (MBR), as GRUB would boot it; a disk without a
# partition table and without grub.cfg: Debian's /vmlinuz links
MKE2FS=$(command -v mke2fs || echo /usr/sbin/mke2fs)
mkdir -p "$T/root/boot/grub" "$T/bare"
cp "$S/files/testos/vmlinuz" "$T/root/boot/vmlinuz-6.1.0-test"
cp "$S/files/testos/initrd.gz" "$T/root/boot/initrd.img-6.1.0-test"
cat > "$T/root/boot/grub/grub.cfg" <<'G'
set default="0"
menuentry 'Debian GNU/Linux' --class debian $menuentry_id_option 'gnulinux-simple' {
	insmod ext2
	search --no-floppy --fs-uuid --set=root 0b9c7c4e-5a4e-4d6a-9a53-1b6c0f1e2d3c
	linux	/boot/vmlinuz-6.1.0-test root=UUID=0b9c7c4e-5a4e-4d6a-9a53-1b6c0f1e2d3c ro console=ttyS0 $vt_handoff
	initrd	/boot/initrd.img-6.1.0-test
}
menuentry 'not this one' {
	linux /boot/other
}
G
truncate -s 64M "$T/disk.img"
# one bootable Linux partition from sector 2048, and the MBR signature
printf '\x80\x00\x00\x00\x83\x00\x00\x00\x00\x08\x00\x00\x00\xe0\x01\x00' |
	dd of="$T/disk.img" bs=1 seek=446 conv=notrunc 2>/dev/null
printf '\x55\xaa' | dd of="$T/disk.img" bs=1 seek=510 conv=notrunc 2>/dev/null
"$MKE2FS" -q -t ext4 -E offset=1048576 -d "$T/root" "$T/disk.img" 60M
netboot "$T/l1" - --net "$SL" --mac "$M2" --disk "$T/disk.img"
is "localboot: vm2's LOCALBOOT finds partition 1's grub.cfg" "$(j "$T/l1" config) / $(j "$T/l1" label)" \
	"partition 1 /boot/grub/grub.cfg / Debian GNU/Linux"
ok "localboot: the kernel and initrd GRUB would load, byte for byte" sh -c \
	"cmp -s '$T/l1/kernel' '$T/root/boot/vmlinuz-6.1.0-test' && cmp -s '$T/l1/initrd' '$T/root/boot/initrd.img-6.1.0-test'"
is "localboot: GRUB's command line, its variables left out" "$(j "$T/l1" append)" \
	"root=UUID=0b9c7c4e-5a4e-4d6a-9a53-1b6c0f1e2d3c ro console=ttyS0"
cp "$S/files/testos/vmlinuz" "$T/bare/vmlinuz-x"
ln -s vmlinuz-x "$T/bare/vmlinuz"
"$MKE2FS" -q -t ext4 -U 11111111-2222-3333-4444-555555555555 -d "$T/bare" "$T/bare.img" 32M
netboot "$T/l2" - --net "$SL" --mac "$M2" --disk "$T/bare.img"
is "localboot: a bare file system boots its /vmlinuz link with root=UUID" "$(j "$T/l2" kernel_tftp) $(j "$T/l2" append)" \
	"/vmlinuz root=UUID=11111111-2222-3333-4444-555555555555 ro console=ttyS0"
head -c 4M /dev/urandom > "$T/junk.img"
netboot "$T/l3" - --net "$SL" --mac "$M2" --disk "$T/junk.img"
rc=$?
ok "localboot: a disk with nothing bootable fails and says so" sh -c \
	"[ $rc -eq 1 ] && grep -q 'no ext2/3/4 file system with /boot/grub/grub.cfg' '$T/l3/err'"

# 2. TAP on a lab bridge: provd's DHCP and tftp-hpa
netns_add "$NS" || bail "cannot create a network namespace"
lab_bridge "$NS" || bail "cannot set up the lab bridge"
HP=$(free_port)
ip netns exec "$NS" "$PROVD" --state "$S" --log-level debug serve --http "192.0.2.1:$HP" \
	--tftp 192.0.2.1:69 --dhcp br0 --dhcp-mode full --dhcp-range 192.0.2.100-192.0.2.120 \
	>"$T/serve.log" 2>&1 &
DPID=$!
on_exit "kill $DPID 2>/dev/null"
wait_for 100 grep -q "DHCP full mode on br0" "$T/serve.log"
netboot "$T/t1" "$NS" --net tap:tap0 --mac "$M1"
ok "tap: vm1 netboots through provd's DHCP and tftp-hpa" [ $? -eq 0 ]
ok "tap: its address is from provd's range" sh -c "j() { jq -r .address '$T/t1/r.json'; }; j | grep -qE '^192\.0\.2\.1([01][0-9]|20)$'"
is "tap: TFTP server and boot file as a BIOS PXE ROM gets them" "$(j "$T/t1" server) $(j "$T/t1" bootfile)" "192.0.2.1 pxelinux.0"
ok "tap: provd logged the ACK for the firmware's MAC" grep -q "dhcp $M1: ACK .* boot pxelinux.0" "$T/serve.log"
ok "tap: the kernel arrived byte for byte (tftp-hpa)" cmp -s "$T/t1/kernel" "$S/files/testos/vmlinuz"
ok "tap: the initrd arrived byte for byte (tftp-hpa)" cmp -s "$T/t1/initrd" "$S/files/testos/initrd.gz"
is "tap: the same command line as over slirp" "$(j "$T/t1" append)" "$(want_append "$M1")"
kill "$DPID"; wait "$DPID" 2>/dev/null

# 3. proxy mode: dnsmasq leases the address, provd names the boot file
lab_dhcp "$NS" "$LAB" "$T" || bail "cannot start the lab's DHCP server"
ip netns exec "$NS" "$PROVD" --state "$S" --log-level debug serve --http "192.0.2.1:$HP" \
	--tftp 192.0.2.1:69 --dhcp br0 --dhcp-mode proxy >"$T/serve2.log" 2>&1 &
DPID=$!
on_exit "kill $DPID 2>/dev/null"
wait_for 100 grep -q "DHCP proxy mode on br0" "$T/serve2.log"
netboot "$T/p1" "$NS" --net tap:tap0 --mac "$M1"
rc=$?
ok "proxy: vm1 netboots next to dnsmasq" [ $rc -eq 0 ]
[ $rc -eq 0 ] || { tail -n 15 "$T/dnsmasq.log"; grep -i dhcp "$T/serve2.log" | tail -n 15; } | sed 's/^/# /'
ok "proxy: the address is dnsmasq's" sh -c "jq -r .address '$T/p1/r.json' | grep -qE '^192\.0\.2\.1[5-9][0-9]$'"
is "proxy: the boot file came from provd's proxy offer" "$(j "$T/p1" proxy) $(j "$T/p1" server) $(j "$T/p1" bootfile)" "true 192.0.2.1 pxelinux.0"
ok "proxy: the kernel arrived byte for byte" cmp -s "$T/p1/kernel" "$S/files/testos/vmlinuz"
for f in s1 s2 s3 t1 p1; do [ -s "$T/$f/err" ] && sed 's/^/# '"$f"': /' "$T/$f/err" | head -8; done
done_testing
