#!/bin/bash
# A UEFI machine booting through proxyDHCP next to the lab's own DHCP
# server: dnsmasq (addresses only, no PXE configuration, in a "lab"
# namespace on the same bridge) and provd serve --dhcp-mode proxy. OVMF
# (Debian's ovmf, q35, TCG) with the virtio NIC's iPXE ROM disabled
# (romfile=), so its own PXE stack boots:
#  - OVMF takes its address from dnsmasq and, as a UEFI PXE client (option
#    93 arch 7), the boot file ipxe.efi from provd's address-less offer,
#    over TFTP from provd's tree (in.tftpd);
#  - iPXE DHCPs again (user class iPXE), gets its address from dnsmasq
#    and the HTTP iPXE script URL from provd's proxy offer, boots Debian's
#    kernel and the test initramfs, which fetches its answer file and calls
#    the done callback.
# Debian's GRUB (2.06) cannot boot here: it takes its TFTP server from the
# lab server's ACK (docs/dhcp.md), hence ipxe.efi in proxy mode.
. "$top_srcdir/tests/integration/lib.sh"

need_root
command -v dnsmasq >/dev/null || skip_all "dnsmasq is not installed (dnsmasq-base)"
command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 is not installed"
OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
[ -r "$OVMF_CODE" ] && [ -r "$OVMF_VARS" ] || skip_all "ovmf is not installed"
[ -x /usr/sbin/in.tftpd ] || skip_all "in.tftpd not installed (tftpd-hpa)"
[ -r /usr/lib/ipxe/ipxe.efi ] || skip_all "ipxe is not installed (/usr/lib/ipxe/ipxe.efi)"
[ -c /dev/net/tun ] || skip_all "no /dev/net/tun"

plan 12
T=$(tmpdir)
S=$T/state
id=$$
NS=up$id; LAB=ul$id
MAC=52:54:00:e0:00:07
netns_add "$NS" || bail "cannot create a network namespace"
lab_bridge "$NS" || bail "cannot set up the lab bridge"
lab_dhcp "$NS" "$LAB" "$T" || bail "cannot start the lab's DHCP server"

chmod 755 "$T"	# in.tftpd may run as an unprivileged user
tiny_system "$S" "$MAC" "console=ttyS0 provd.poweroff" || bail "cannot build the test state"

# --ra on: this lab has no IPv6 router, and iPXE would wait for one.
HP=$(free_port)
ip netns exec "$NS" "$PROVD" --state "$S" --log-level debug serve --http "192.0.2.1:$HP" \
	--tftp 192.0.2.1:69 --dhcp br0 --dhcp-mode proxy --ra on >"$T/serve.log" 2>&1 &
DPID=$!
on_exit "kill $DPID 2>/dev/null"
wait_for 100 grep -q "DHCP proxy mode on br0" "$T/serve.log"
ok "provd put iPXE's UEFI image into its TFTP tree" \
	cmp -s "$S/tftp/ipxe.efi" "$(readlink -f /usr/lib/ipxe/ipxe.efi)"
want=$(ip netns exec "$NS" curl -s "http://192.0.2.1:$HP/autoinstall/system/vm1" | sha256sum | cut -d' ' -f1)

cp "$OVMF_VARS" "$T/vars.fd"
start=$(date +%s)
timeout 170 ip netns exec "$NS" qemu-system-x86_64 -M q35 -accel tcg,thread=multi -m 512 \
	-drive if=pflash,format=raw,readonly=on,file="$OVMF_CODE" \
	-drive if=pflash,format=raw,file="$T/vars.fd" \
	-netdev tap,id=n0,ifname=tap0,script=no,downscript=no \
	-device virtio-net-pci,netdev=n0,mac="$MAC",romfile=,bootindex=1 -no-reboot \
	-display none -vga none -serial "file:$T/console" -monitor none >/dev/null 2>&1
diag "UEFI boot through proxyDHCP took $(($(date +%s) - start)) s"
grep -E "dhcp $MAC:|dhcp: .* on port " "$T/serve.log" | sed 's/^/# /'

ok "provd offered the UEFI firmware ipxe.efi, without an address" \
	grep -qE "dhcp $MAC: (OFFER|ACK) 0\.0\.0\.0 .*boot ipxe\.efi$" "$T/serve.log"
ok "dnsmasq leased the firmware its address" grep -qi "DHCPACK(eth0) 192.0.2.1[5-9][0-9] $MAC" "$T/dnsmasq.log"
ok "iPXE came back and was offered its HTTP script" \
	grep -qE "dhcp $MAC: (OFFER|ACK) 0\.0\.0\.0 .*boot http://192\.0\.2\.1:$HP/ipxe/$MAC$" "$T/serve.log"
"$PROVD" --state "$S" events --system vm1 > "$T/ev" 2>&1
ok "iPXE fetched the script" grep -q 'boot-file.*/ipxe/' "$T/ev"
ok "the guest booted the installer kernel through provd" grep -aq 'PROVD-GUEST: init' "$T/console"
ok "the guest's own lease came from dnsmasq" grep -aqE 'PROVD-GUEST: addr .*192\.0\.2\.1[5-9][0-9]/' "$T/console"
got=$(sed -n 's/.*PROVD-GUEST: answer sha256 \([0-9a-f]*\).*/\1/p' "$T/console" | tr -d '\r' | head -n 1)
is "the guest saw the answer bytes provd renders" "$got" "$want"
ok "the done callback was accepted" grep -aq 'PROVD-GUEST: done callback ok' "$T/console"
is "netboot is off now" "$("$PROVD" --state "$S" --json system show vm1 | jq -r .netboot)" false
ok "timeline: DHCP, answer, done" sh -c "grep -q dhcp-offer '$T/ev' && grep -q answer-file '$T/ev' && grep -q install-done '$T/ev'"
ok "daemon still up" kill -0 "$DPID"
done_testing
