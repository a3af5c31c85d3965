#!/bin/bash
# A UEFI firmware client: OVMF (Debian's ovmf: OVMF_CODE_4M.fd and a copy of
# OVMF_VARS_4M.fd) on QEMU q35 (TCG), with the virtio NIC's iPXE EFI ROM
# disabled (romfile=) so that the firmware's own PXE stack boots, on a TAP
# port of a bridge in a namespace this test creates. provd's DHCP (full
# mode) answers its option 93 arch 7 with Debian's signed GRUB netboot
# image (grubnetx64.efi) over tftp-hpa's in.tftpd; GRUB's grub/grub.cfg
# dispatches on $net_default_mac to grub/grub.cfg-<mac>, which loads
# Debian's kernel and the test initramfs over TFTP. Checks: the answer
# bytes, the done callback turning netboot off, and a second boot whose
# GRUB config boots its local-disk entry and hands back to the firmware.
# About 20-40 s per boot under TCG here.
. "$top_srcdir/tests/integration/lib.sh"

need_root
command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 is not installed"
OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
[ -r "$OVMF_CODE" ] && [ -r "$OVMF_VARS" ] || skip_all "ovmf is not installed"
[ -x /usr/sbin/in.tftpd ] || skip_all "in.tftpd not installed (tftpd-hpa)"
[ -r /usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed ] ||
	skip_all "grub-efi-amd64-signed is not installed"
[ -c /dev/net/tun ] || skip_all "no /dev/net/tun"

plan 12
T=$(tmpdir)
S=$T/state
NS=pu$$
MAC=52:54:00:e0:00:05
netns_add "$NS" || bail "cannot create a network namespace"
lab_bridge "$NS" || bail "cannot set up the lab bridge"

chmod 755 "$T"	# in.tftpd may run as an unprivileged user
tiny_system "$S" "$MAC" "console=ttyS0" || bail "cannot build the test state"

HP=$(free_port)
ip netns exec "$NS" "$PROVD" --state "$S" --log-level debug serve --http "192.0.2.1:$HP" \
	--tftp 192.0.2.1:69 --dhcp br0 --dhcp-mode full --dhcp-range 192.0.2.100-192.0.2.120 \
	>"$T/serve.log" 2>&1 &
DPID=$!
on_exit "kill $DPID 2>/dev/null"
wait_for 100 grep -q "DHCP full mode on br0" "$T/serve.log"
want=$(ip netns exec "$NS" curl -s "http://192.0.2.1:$HP/autoinstall/system/vm1" | sha256sum | cut -d' ' -f1)
cfg=$S/tftp/grub/grub.cfg-$MAC

cp "$OVMF_VARS" "$T/vars.fd"
qemu_uefi() {	# qemu_uefi CONSOLE_LOG
	# exec: in `qemu_uefi ... &` the job's PID must be QEMU itself, or
	# killing it leaves QEMU running (it did: found hours later)
	exec ip netns exec "$NS" qemu-system-x86_64 -M q35 -accel tcg,thread=multi -m 512 \
		-drive if=pflash,format=raw,readonly=on,file="$OVMF_CODE" \
		-drive if=pflash,format=raw,file="$T/vars.fd" \
		-netdev tap,id=n0,ifname=tap0,script=no,downscript=no \
		-device virtio-net-pci,netdev=n0,mac="$MAC",romfile=,bootindex=1 -no-reboot \
		-display none -vga none -serial "file:$1" -monitor none >/dev/null 2>&1
}
boot() {	# boot CONSOLE_LOG SECONDS
	local start=$(date +%s)
	timeout "$2" bash -c "$(declare -f qemu_uefi); NS='$NS' OVMF_CODE='$OVMF_CODE' T='$T' MAC='$MAC' qemu_uefi '$1'"
	diag "boot took $(($(date +%s) - start)) s"
}
boot "$T/console1" 150
ok "DHCP sent the UEFI firmware (arch 7) to GRUB" grep -q "dhcp $MAC: ACK .* boot grubnetx64.efi" "$T/serve.log"
ok "the guest booted the installer kernel through GRUB" grep -aq 'PROVD-GUEST: init' "$T/console1"
ok "its DHCP lease came from provd" grep -aq 'PROVD-GUEST: dhcp ok' "$T/console1"
got=$(sed -n 's/.*PROVD-GUEST: answer sha256 \([0-9a-f]*\).*/\1/p' "$T/console1" | tr -d '\r' | head -n 1)
is "the guest saw the answer bytes provd renders" "$got" "$want"
ok "the done callback was accepted" grep -aq 'PROVD-GUEST: done callback ok' "$T/console1"
is "netboot is off now" "$("$PROVD" --state "$S" --json system show vm1 | jq -r .netboot)" false
"$PROVD" --state "$S" events --system vm1 > "$T/ev" 2>&1
ok "timeline: DHCP, answer, done" sh -c "grep -q dhcp-ack '$T/ev' && grep -q answer-file '$T/ev' && grep -q install-done '$T/ev'"
ok "the machine's GRUB config now exits to the firmware" sh -c "grep -q '^[[:space:]]*exit' '$cfg' && ! grep -q linux '$cfg'"
n_ack=$(grep -c "dhcp $MAC: ACK .* boot grubnetx64.efi" "$T/serve.log")
# Second boot: GRUB picks its "Boot from local disk" entry, whose exit
# hands back to OVMF; with no disk OVMF then opens its setup app (UiApp).
# Stop there.
start=$(date +%s)
qemu_uefi "$T/console2" &
QPID=$!
on_exit "kill $QPID 2>/dev/null"
wait_for 600 grep -aq 'BdsDxe: loading Boot0000 "UiApp"' "$T/console2"
kill "$QPID" 2>/dev/null; wait "$QPID" 2>/dev/null
diag "second boot took $(($(date +%s) - start)) s"
ok "second boot: GRUB booted the local-disk entry" grep -aq "Booting \`Boot from local disk'" "$T/console2"
ok "second boot: and handed back to the firmware" grep -aq 'BdsDxe: loading Boot0000 "UiApp"' "$T/console2"
ok "second boot: DHCP sent it to GRUB again" \
	test "$(grep -c "dhcp $MAC: ACK .* boot grubnetx64.efi" "$T/serve.log")" -gt "$n_ack"
ok "second boot: no installer kernel" sh -c "! grep -aq 'PROVD-GUEST: init' '$T/console2'"
done_testing
