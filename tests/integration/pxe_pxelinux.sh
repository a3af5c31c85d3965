#!/bin/bash
# The pxelinux.0 path with a real firmware client: QEMU (SeaBIOS + the iPXE
# ROM from ipxe-qemu, TCG) on a TAP port of a bridge in a namespace this
# test creates. The system carries a loader override (loader: pxelinux),
# so provd's DHCP (full mode) sends even this iPXE ROM to pxelinux.0 over
# TFTP (tftp-hpa's in.tftpd on provd's rendered tree: syslinux's
# pxelinux.0 and ldlinux.c32), whose pxelinux.cfg/01-<mac> boots Debian's
# kernel and the test initramfs, also over TFTP. Same checks as
# pxe_ipxe.sh: the answer bytes, the done callback turning netboot off,
# and a second boot getting the local-boot entry.
. "$top_srcdir/tests/integration/lib.sh"

need_root
command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 is not installed"
ls /usr/lib/ipxe/qemu/ >/dev/null 2>&1 || skip_all "ipxe-qemu is not installed"
[ -x /usr/sbin/in.tftpd ] || skip_all "in.tftpd not installed (tftpd-hpa)"
[ -r /usr/lib/PXELINUX/pxelinux.0 ] || skip_all "pxelinux is not installed"
[ -r /usr/lib/syslinux/modules/bios/ldlinux.c32 ] || skip_all "syslinux-common is not installed"
[ -c /dev/net/tun ] || skip_all "no /dev/net/tun"

plan 12
T=$(tmpdir)
S=$T/state
NS=pl$$
MAC=52:54:00:e0:00:04
netns_add "$NS" || bail "cannot create a network namespace"
lab_bridge "$NS" || bail "cannot set up the lab bridge"

chmod 755 "$T"	# in.tftpd may run as an unprivileged user
tiny_system "$S" "$MAC" "console=ttyS0" --loader pxelinux || bail "cannot build the test state"

HP=$(free_port)
ip netns exec "$NS" "$PROVD" --state "$S" --log-level debug serve --http "192.0.2.1:$HP" \
	--tftp 192.0.2.1:69 --dhcp br0 --dhcp-mode full --dhcp-range 192.0.2.100-192.0.2.120 \
	>"$T/serve.log" 2>&1 &
DPID=$!
on_exit "kill $DPID 2>/dev/null"
wait_for 100 grep -q "DHCP full mode on br0" "$T/serve.log"
want=$(ip netns exec "$NS" curl -s "http://192.0.2.1:$HP/autoinstall/system/vm1" | sha256sum | cut -d' ' -f1)
cfg=$S/tftp/pxelinux.cfg/01-${MAC//:/-}

boot() {	# boot CONSOLE_LOG SECONDS
	local start=$(date +%s)
	timeout "$2" ip netns exec "$NS" qemu-system-x86_64 -M pc -accel tcg,thread=multi -m 512 \
		-netdev tap,id=n0,ifname=tap0,script=no,downscript=no \
		-device virtio-net-pci,netdev=n0,mac="$MAC" -boot n -no-reboot \
		-display none -vga none -serial "file:$1" -monitor none >/dev/null 2>&1
	diag "boot took $(($(date +%s) - start)) s"
}
boot "$T/console1" 150
ok "DHCP sent the iPXE ROM to pxelinux.0 (loader override)" grep -q "dhcp $MAC: ACK .* boot pxelinux.0" "$T/serve.log"
ok "the guest booted the installer kernel through pxelinux" grep -aq 'PROVD-GUEST: init' "$T/console1"
ok "its DHCP lease came from provd" grep -aq 'PROVD-GUEST: dhcp ok' "$T/console1"
got=$(sed -n 's/.*PROVD-GUEST: answer sha256 \([0-9a-f]*\).*/\1/p' "$T/console1" | tr -d '\r' | head -n 1)
is "the guest saw the answer bytes provd renders" "$got" "$want"
ok "the done callback was accepted" grep -aq 'PROVD-GUEST: done callback ok' "$T/console1"
is "netboot is off now" "$("$PROVD" --state "$S" --json system show vm1 | jq -r .netboot)" false
"$PROVD" --state "$S" events --system vm1 > "$T/ev" 2>&1
ok "timeline: DHCP, answer, done" sh -c "grep -q dhcp-ack '$T/ev' && grep -q answer-file '$T/ev' && grep -q install-done '$T/ev'"
ok "the machine's pxelinux config now boots the local disk" grep -qi 'LOCALBOOT' "$cfg"
n_ans=$(jq '[.events[] | select(.kind=="answer-file")] | length' < <("$PROVD" --state "$S" events --system vm1 --json))
n_ack=$(grep -c "dhcp $MAC: ACK .* boot pxelinux.0" "$T/serve.log")
# Second boot: LOCALBOOT hands control back to SeaBIOS, which goes on to
# the next boot device (its debug port, 0x402, says so); stop there.
start=$(date +%s)
ip netns exec "$NS" qemu-system-x86_64 -M pc -accel tcg,thread=multi -m 512 \
	-netdev tap,id=n0,ifname=tap0,script=no,downscript=no \
	-device virtio-net-pci,netdev=n0,mac="$MAC" -boot n -no-reboot \
	-display none -vga none -serial "file:$T/console2" -monitor none \
	-chardev file,id=dbg,path="$T/seabios2" -device isa-debugcon,iobase=0x402,chardev=dbg \
	>/dev/null 2>&1 &
QPID=$!
on_exit "kill $QPID 2>/dev/null"
back_in_bios() { sed -n '/Booting from ROM/,$p' "$T/seabios2" | grep -aqE 'Booting from (Floppy|Hard Disk)|No bootable device'; }
wait_for 600 back_in_bios
ok "second boot: pxelinux handed the machine back to the BIOS (LOCALBOOT)" back_in_bios
kill "$QPID" 2>/dev/null; wait "$QPID" 2>/dev/null
diag "second boot took $(($(date +%s) - start)) s"
ok "second boot: DHCP sent it to pxelinux.0 again" \
	test "$(grep -c "dhcp $MAC: ACK .* boot pxelinux.0" "$T/serve.log")" -gt "$n_ack"
ok "second boot: no installer kernel" sh -c "! grep -aq 'PROVD-GUEST: init' '$T/console2'"
is "second boot: no answer file fetched" \
	"$(jq '[.events[] | select(.kind=="answer-file")] | length' < <("$PROVD" --state "$S" events --system vm1 --json))" "$n_ans"
done_testing
