#!/bin/bash
# UEFI HTTP boot (RFC 4578 arch 16, UEFI 2.5 §24.7): Debian's OVMF has
# HttpBootDxe; its "UEFI HTTPv4" boot option sends DHCP with vendor class
# "HTTPClient:Arch:00016:..." and expects option 60 HTTPClient back and a
# URL as the boot file, which it downloads itself.
# OVMF (q35, TCG) with the virtio NIC's iPXE ROM disabled (romfile=), on a
# TAP port of a bridge in a namespace this test creates, provd in full
# mode. OVMF tries PXEv4 first, so the test first lets OVMF create its
# boot options (a short boot with no DHCP server), then moves "UEFI
# HTTPv4" to the front of BootOrder in its variable store. Then: OVMF
# fetches the boot file named in provd's HTTPClient answer, ipxe.efi, over
# HTTP; iPXE DHCPs again as iPXE and gets its script, which boots Debian's
# kernel and the test initramfs; the answer file is fetched and the done
# callback called. (Debian's GRUB, loaded the same way, stops: it finds no
# network settings after an HTTP boot; docs/dhcp.md.)
. "$top_srcdir/tests/integration/lib.sh"

need_root
command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 is not installed"
command -v python3 >/dev/null || skip_all "python3 is not installed"
OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
[ -r "$OVMF_CODE" ] && [ -r "$OVMF_VARS" ] || skip_all "ovmf is not installed"
[ -r /usr/lib/ipxe/ipxe.efi ] || skip_all "ipxe is not installed (/usr/lib/ipxe/ipxe.efi)"
[ -c /dev/net/tun ] || skip_all "no /dev/net/tun"

plan 11
T=$(tmpdir)
S=$T/state
NS=uh$$
MAC=52:54:00:e0:00:0b
netns_add "$NS" || bail "cannot create a network namespace"
lab_bridge "$NS" || bail "cannot set up the lab bridge"

qemu_uefi() {	# qemu_uefi CONSOLE_LOG (exec: in the background, $! is QEMU)
	exec ip netns exec "$NS" qemu-system-x86_64 -M q35 -accel tcg,thread=multi -m 512 \
		-drive if=pflash,format=raw,readonly=on,file="$OVMF_CODE" \
		-drive if=pflash,format=raw,file="$T/vars.fd" \
		-netdev tap,id=n0,ifname=tap0,script=no,downscript=no \
		-device virtio-net-pci,netdev=n0,mac="$MAC",romfile=,bootindex=1 -no-reboot \
		-display none -vga none -serial "file:$1" -monitor none >/dev/null 2>&1
}

# 1. OVMF's first boot writes Boot#### options for every network boot
# method of the NIC; stop it once it starts PXE (nothing answers yet).
cp "$OVMF_VARS" "$T/vars.fd"
qemu_uefi "$T/console0" &
QPID=$!
on_exit "kill $QPID 2>/dev/null"
wait_for 600 grep -aq 'Start PXE over IPv4' "$T/console0"
kill "$QPID" 2>/dev/null; wait "$QPID" 2>/dev/null

# 2. BootOrder with "UEFI HTTPv4" first. The variable store is a list of
# authenticated variable headers (60 bytes: StartId 0x55aa, State, ...,
# NameSize and DataSize at +36) followed by the UTF-16 name and the data;
# State 0x3f is the live copy. Rewritten in place: same size.
python3 - "$T/vars.fd" > "$T/bootorder" <<'PY'
import struct, sys
p = sys.argv[1]
d = bytearray(open(p, 'rb').read())
def live(name):
    n = name.encode('utf-16-le') + b'\0\0'
    i = 0
    while (i := d.find(n, i)) >= 0:
        h = i - 60
        sid, state = struct.unpack_from('<HB', d, h)
        ns, ds = struct.unpack_from('<II', d, h + 36)
        if sid == 0x55aa and state == 0x3f and ns == len(n):
            yield i + ns, ds
        i += 1
http = None
for num in range(0x20):
    for off, ds in live('Boot%04X' % num):
        desc = bytes(d[off + 6:off + ds]).decode('utf-16-le', 'replace')
        if desc.startswith('UEFI HTTPv4'):
            http = num
assert http is not None, 'no UEFI HTTPv4 boot option: OVMF without HTTP boot'
(off, ds), = list(live('BootOrder'))
order = list(struct.unpack_from('<%dH' % (ds // 2), d, off))
order.remove(http)
order.insert(0, http)
struct.pack_into('<%dH' % len(order), d, off, *order)
open(p, 'wb').write(d)
print(' '.join('%04X' % o for o in order))
PY
ok "OVMF has a UEFI HTTPv4 boot option, now first in BootOrder" test -s "$T/bootorder"
diag "BootOrder: $(cat "$T/bootorder")"

tiny_system "$S" "$MAC" "console=ttyS0 provd.poweroff" || bail "cannot build the test state"
HP=$(free_port)
ip netns exec "$NS" "$PROVD" --state "$S" --log-level debug serve --http "192.0.2.1:$HP" \
	--no-tftp --dhcp br0 --dhcp-mode full --dhcp-range 192.0.2.100-192.0.2.120 \
	>"$T/serve.log" 2>&1 &
DPID=$!
on_exit "kill $DPID 2>/dev/null"
wait_for 100 grep -q "DHCP full mode on br0" "$T/serve.log"
want=$(ip netns exec "$NS" curl -s "http://192.0.2.1:$HP/autoinstall/system/vm1" | sha256sum | cut -d' ' -f1)

# 3. The HTTP boot.
start=$(date +%s)
timeout 170 bash -c "$(declare -f qemu_uefi); NS='$NS' OVMF_CODE='$OVMF_CODE' T='$T' MAC='$MAC' qemu_uefi '$T/console1'"
diag "UEFI HTTP boot took $(($(date +%s) - start)) s"
ok "OVMF started its HTTPv4 boot option" grep -aq 'starting Boot[0-9A-F]* "UEFI HTTPv4' "$T/console1"
ok "provd answered the HTTP boot client (arch 16) with the ipxe.efi URL" \
	grep -qE "dhcp $MAC: ACK 192\.0\.2\.1[0-2][0-9] .*boot http://192\.0\.2\.1:$HP/ipxe\.efi$" "$T/serve.log"
ok "OVMF downloaded it over HTTP" grep -q "\"GET /ipxe.efi\" 200" "$T/serve.log"
ok "iPXE came back and was given its script" \
	grep -qE "dhcp $MAC: ACK 192\.0\.2\.1[0-2][0-9] .*boot http://192\.0\.2\.1:$HP/ipxe/$MAC$" "$T/serve.log"
ok "the guest booted the installer kernel" grep -aq 'PROVD-GUEST: init' "$T/console1"
ok "its DHCP lease came from provd" grep -aq 'PROVD-GUEST: dhcp ok' "$T/console1"
got=$(sed -n 's/.*PROVD-GUEST: answer sha256 \([0-9a-f]*\).*/\1/p' "$T/console1" | tr -d '\r' | head -n 1)
is "the guest saw the answer bytes provd renders" "$got" "$want"
ok "the done callback was accepted" grep -aq 'PROVD-GUEST: done callback ok' "$T/console1"
is "netboot is off now" "$("$PROVD" --state "$S" --json system show vm1 | jq -r .netboot)" false
ok "daemon still up" kill -0 "$DPID"
done_testing
