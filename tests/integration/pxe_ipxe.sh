#!/bin/bash
# A real firmware client: QEMU (SeaBIOS + the iPXE ROM from ipxe-qemu,
# -boot n, TCG since this machine's KVM is kvm_pvm) on a TAP port of a
# bridge in a network namespace this test creates, PXE-boots through
# provd's DHCP (full mode) and HTTP into Debian's kernel with a busybox
# initramfs that fetches its answer file, prints its sha256, calls the done
# callback and reboots. Checks: the guest saw the bytes provd renders, the
# callback turned netboot off (pxe_just_once), and the machine's iPXE
# script now boots the local disk.
. "$top_srcdir/tests/integration/lib.sh"

need_root
command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 is not installed"
ls /usr/lib/ipxe/qemu/efi-virtio.rom /usr/share/qemu/pxe-virtio.rom >/dev/null 2>&1 ||
	ls /usr/lib/ipxe/qemu/ >/dev/null 2>&1 || skip_all "ipxe-qemu is not installed"
[ -c /dev/net/tun ] || skip_all "no /dev/net/tun"

plan 9
T=$(tmpdir)
S=$T/state
NS=px$$
MAC=52:54:00:e0:00:01
netns_add "$NS" || bail "cannot create a network namespace"
lab_bridge "$NS" || bail "cannot set up the lab bridge"

tiny_system "$S" "$MAC" "console=ttyS0" || bail "cannot build the test state"

HP=$(free_port)
ip netns exec "$NS" "$PROVD" --state "$S" serve --http "192.0.2.1:$HP" --no-tftp \
	--dhcp br0 --dhcp-mode full --dhcp-range 192.0.2.100-192.0.2.120 >"$T/serve.log" 2>&1 &
DPID=$!
on_exit "kill $DPID 2>/dev/null"
wait_for 100 grep -q "DHCP full mode on br0" "$T/serve.log"
want=$(ip netns exec "$NS" curl -s "http://192.0.2.1:$HP/autoinstall/system/vm1" | sha256sum | cut -d' ' -f1)

boot() {	# boot CONSOLE_LOG SECONDS
	timeout "$2" ip netns exec "$NS" qemu-system-x86_64 -M pc -accel tcg,thread=multi -m 512 \
		-netdev tap,id=n0,ifname=tap0,script=no,downscript=no \
		-device virtio-net-pci,netdev=n0,mac="$MAC" -boot n -no-reboot \
		-display none -vga none -serial "file:$1" -monitor none >/dev/null 2>&1
}
boot "$T/console1" 120
ok "the guest booted the installer kernel through provd" grep -aq 'PROVD-GUEST: init' "$T/console1"
ok "its DHCP lease came from provd" grep -aq 'PROVD-GUEST: dhcp ok' "$T/console1"
got=$(sed -n 's/.*PROVD-GUEST: answer sha256 \([0-9a-f]*\).*/\1/p' "$T/console1" | tr -d '\r' | head -n 1)
is "the guest saw the answer bytes provd renders" "$got" "$want"
ok "the done callback was accepted" grep -aq 'PROVD-GUEST: done callback ok' "$T/console1"
is "netboot is off now" "$("$PROVD" --state "$S" --json system show vm1 | jq -r .netboot)" false
"$PROVD" --state "$S" events --system vm1 > "$T/ev" 2>&1
ok "timeline: DHCP, iPXE script, answer, done" sh -c "grep -q dhcp-ack '$T/ev' && grep -q boot-file '$T/ev' && grep -q answer-file '$T/ev' && grep -q install-done '$T/ev'"
script=$(ip netns exec "$NS" curl -s "http://192.0.2.1:$HP/ipxe/$MAC")
ok "second boot: the machine's iPXE script boots the local disk" sh -c "printf '%s' '$script' | grep -q '^exit'"
boot "$T/console2" 40
ok "second boot: no installer kernel" sh -c "! grep -aq 'PROVD-GUEST: init' '$T/console2'"
# Counts include this test's own two curl fetches (the expected answer and
# the script check): scripts = 2 boots + 1, answers = 1 boot + 1.
"$PROVD" --state "$S" events --system vm1 --json > "$T/ev2" 2>&1
is "second boot: the firmware fetched its script again, no answer file" \
	"$(jq '[.events[] | select(.kind=="boot-file" and (.detail|startswith("/ipxe/")))] | length' "$T/ev2") $(jq '[.events[] | select(.kind=="answer-file")] | length' "$T/ev2")" "3 2"
done_testing
