#!/bin/bash
# provd's VMM with --net tap:NAME in the nested rig (docs/vmrig.md,
# docs/virtio.md): inside L1, in a fresh network namespace, a bridge
# (192.0.2.1/24) with a TAP created beforehand for group nogroup and a
# busybox udhcpd on the bridge; `provd vm run --net tap:tap0 --mac ...`,
# run as nobody:nogroup (the TAP's group is enough, no root), boots the
# rig's test guest, whose udhcpc must get its lease from that server through
# virtio-net and the TAP (IFF_VNET_HDR, offloads as negotiated). Checked
# here: the guest's DHCP marker, the server's ACK for the --mac address,
# the pattern on the disk, and a clean poweroff.
. "$top_srcdir/tests/integration/lib.sh"
rig=$top_srcdir/tests/vmrig/rig.sh
why=$("$rig" check) || skip_all "$why"
[ -x "${PROVD:-$top_builddir/provd/provd}" ] || skip_all "provd not built"
plan 6
d=$(tmpdir)
mkdir -p "$d/job/t"
cat > "$d/job/tap-l1.sh" <<'EOF'
# runs inside L1, in its own network namespace (unshare -n)
set -u
out=/mnt/t
modprobe tun 2>/dev/null; modprobe bridge 2>/dev/null
truncate -s 16M "$out/disk.img"
ip link set lo up
ip link add br0 type bridge || exit 3
# an admin's TAP for group nogroup; provd then runs unprivileged
ip tuntap add dev tap0 mode tap group 65534 || exit 3
# what udev does on a normal host (L1 has no udev)
chmod 666 /dev/kvm /dev/net/tun "$out/disk.img"
ip link set tap0 master br0
ip link set tap0 up
ip link set br0 up
ip addr add 192.0.2.1/24 dev br0
cat > "$out/udhcpd.conf" <<CONF
start 192.0.2.100
end 192.0.2.110
interface br0
lease_file $out/leases
option subnet 255.255.255.0
CONF
touch "$out/leases"
busybox udhcpd -f "$out/udhcpd.conf" > "$out/udhcpd.log" 2>&1 &
dpid=$!
setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$PROVD" vm run --kernel "$VMRIG_KERNEL" --initrd "$VMRIG_INITRD" \
	--append "console=ttyS0 panic=-1 quiet" --disk "$out/disk.img" \
	--net tap:tap0 --mac 52:54:00:c0:ff:ee --memory 256 --vcpus 1 \
	--console stdio --timeout 300 </dev/null > "$out/console" 2> "$out/stderr"
echo $? > "$out/status"
kill "$dpid" 2>/dev/null; wait "$dpid" 2>/dev/null
exit 0
EOF
"$rig" run --build "$top_builddir" --job "$d/job" --timeout 600 -- \
	unshare -n bash /mnt/tap-l1.sh >"$d/rig.log" 2>&1
rc=$?
is "the rig ran" "$rc" 0
t=$d/job/t
con=$(tr -d '\r' < "$t/console" 2>/dev/null)
marker() { grep -a "^PROVD-MARKER $1" <<<"$con" | head -n 1; }
[ -n "$(marker 'dhcp ok')" ] && pass "guest got a DHCP lease through the TAP (provd as nobody)" || {
	fail "no DHCP lease through the TAP"
	diag "$(tail -n 15 "$t/console" "$t/stderr" "$t/udhcpd.log" "$d/rig.log" 2>/dev/null)"
}
grep -qi "ack.*192\.0\.2\.1[0-9][0-9]\|192\.0\.2\.1[0-9][0-9].*ack" "$t/udhcpd.log" 2>/dev/null &&
	pass "the bridge's DHCP server acked an address in its pool" ||
	{ fail "no ACK from the DHCP server"; diag "$(cat "$t/udhcpd.log" 2>/dev/null)"; }
# udhcpd writes its binary lease file when it exits: the --mac is in it
od -An -tx1 -v "$t/leases" 2>/dev/null | tr -d ' \n' | grep -q 525400c0ffee &&
	pass "the lease is for the MAC given with --mac" ||
	fail "no lease for 52:54:00:c0:ff:ee"
is "the host reads the guest's pattern back from the image" \
	"$(head -c 19 "$t/disk.img" 2>/dev/null | tr -d '\0')" "PROVD-VDA-PATTERN-0"
is "poweroff exits 0" "$(cat "$t/status" 2>/dev/null)" 0
done_testing
