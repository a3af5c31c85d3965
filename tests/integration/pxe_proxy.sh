#!/bin/bash
# proxyDHCP next to the lab's own DHCP server: dnsmasq (no PXE
# configuration, in its own "lab" namespace on the same bridge) hands out
# addresses; provd serve --dhcp-mode proxy only adds boot information.
#  - a plain client (busybox udhcpc) gets its lease from dnsmasq and
#    nothing from provd;
#  - a real PXE firmware (SeaBIOS + the iPXE ROM in QEMU TCG, on a TAP
#    port) takes its address from dnsmasq and its boot file from provd:
#    provd's address-less OFFER on 67 names the HTTP iPXE script, which
#    boots Debian's kernel and the test initramfs (whose own udhcpc lease
#    again comes from dnsmasq). Port 4011 is checked to be open.
#  - iPXE does not ask the proxy on 4011: its dhcp_has_pxeopts() finds
#    siaddr and a file name in our offer (docs/dhcp.md). So port 4011 is
#    exercised by a ProxyDHCP REQUEST the test sends from the plain
#    client's namespace through the real socket: it must come back as an
#    ACK from port 4011 and be on the timeline as dhcp-proxy-ack.
# provd also sends IPv6 RAs here (--ra on; off by default in proxy mode):
# this lab has no IPv6 router, and iPXE would wait ~17 s for one.
# (busybox udhcpc -V PXEClient is no PXE client: it takes whichever offer
# comes first, and provd's address-less one usually does; provd answers
# its REQUEST for 0.0.0.0 with silence. So the PXE side is the firmware.)
. "$top_srcdir/tests/integration/lib.sh"

need_root
command -v dnsmasq >/dev/null || skip_all "dnsmasq is not installed (dnsmasq-base)"
command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 is not installed"
ls /usr/lib/ipxe/qemu/ >/dev/null 2>&1 || skip_all "ipxe-qemu is not installed"
[ -c /dev/net/tun ] || skip_all "no /dev/net/tun"
BB=$(command -v busybox) || skip_all "busybox is not installed"

plan 17
T=$(tmpdir)
S=$T/state
id=$$
NS=pp$id; LAB=pl$id; C1=pc$id
MAC=52:54:00:e0:00:02
CMAC=52:54:00:e0:00:03
netns_add "$NS" || bail "cannot create a network namespace"
netns_add "$C1"
lab_bridge "$NS" || bail "cannot set up the lab bridge"
lab_dhcp "$NS" "$LAB" "$T" || bail "cannot start the lab's DHCP server"
bridge_port "$NS" "$C1" "c$C1"
ip -n "$C1" link set eth0 address "$CMAC"

tiny_system "$S" "$MAC" "console=ttyS0 provd.poweroff" || bail "cannot build the test state"

HP=$(free_port)
ip netns exec "$NS" "$PROVD" --state "$S" --log-level debug serve --http "192.0.2.1:$HP" --no-tftp \
	--dhcp br0 --dhcp-mode proxy --ra on >"$T/serve.log" 2>&1 &
DPID=$!
on_exit "kill $DPID 2>/dev/null"
wait_for 100 grep -q "DHCP proxy mode on br0" "$T/serve.log"
ok "provd serves proxyDHCP on br0 (67 and 4011)" sh -c \
	"grep -q 'DHCP proxy mode on br0' '$T/serve.log' && ip netns exec '$NS' ss -uln | grep -q ':4011 '"

# A plain client: dnsmasq's lease, provd silent.
cat > "$T/udhcpc.script" <<'S'
#!/bin/sh
[ "$1" = bound ] && echo "ip=$ip serverid=$serverid boot_file=$boot_file" > "$LEASE_OUT"
exit 0
S
chmod +x "$T/udhcpc.script"
LEASE_OUT=$T/c1 ip netns exec "$C1" "$BB" udhcpc -i eth0 -s "$T/udhcpc.script" -n -q -t 8 -T 1 >/dev/null 2>&1
ok "a plain client's lease comes from dnsmasq" grep -q 'serverid=192.0.2.2' "$T/c1"
ok "provd stays silent for it" sh -c "! grep -q 'dhcp $CMAC: OFFER' '$T/serve.log'"

want=$(ip netns exec "$NS" curl -s "http://192.0.2.1:$HP/autoinstall/system/vm1" | sha256sum | cut -d' ' -f1)
start=$(date +%s)
timeout 150 ip netns exec "$NS" qemu-system-x86_64 -M pc -accel tcg,thread=multi -m 512 \
	-netdev tap,id=n0,ifname=tap0,script=no,downscript=no \
	-device virtio-net-pci,netdev=n0,mac="$MAC" -boot n -no-reboot \
	-display none -vga none -serial "file:$T/console" -monitor none >/dev/null 2>&1
diag "PXE boot through proxyDHCP took $(($(date +%s) - start)) s"
ok "provd offered the firmware boot info without an address" grep -q "dhcp $MAC: OFFER 0.0.0.0" "$T/serve.log"
# iPXE asks the proxy on 4011 only when the proxy's offer lacks siaddr and
# a file name (dhcp_has_pxeopts()); ours carries both, so it boots from the
# offer. EDK2's PXE asks 4011 for a "BINL" offer: the unit test covers it.
"$PROVD" --state "$S" events --system vm1 > "$T/ev" 2>&1
ok "the firmware fetched the iPXE script named in provd's offer" grep -q 'boot-file.*/ipxe/' "$T/ev"
ok "dnsmasq leased the firmware its address" grep -qi "DHCPACK(eth0) 192.0.2.1[5-9][0-9] $MAC" "$T/dnsmasq.log"
ok "the guest booted the installer kernel through provd" grep -aq 'PROVD-GUEST: init' "$T/console"
ok "the guest's own lease came from dnsmasq" grep -aqE 'PROVD-GUEST: addr .*192\.0\.2\.1[5-9][0-9]/' "$T/console"
got=$(sed -n 's/.*PROVD-GUEST: answer sha256 \([0-9a-f]*\).*/\1/p' "$T/console" | tr -d '\r' | head -n 1)
is "the guest saw the answer bytes provd renders" "$got" "$want"
ok "the done callback was accepted" grep -aq 'PROVD-GUEST: done callback ok' "$T/console"
is "netboot is off now" "$("$PROVD" --state "$S" --json system show vm1 | jq -r .netboot)" false
ok "iPXE booted from the offer, without a ProxyDHCP REQUEST on 4011" \
	sh -c "! grep -q 'dhcp-proxy-ack' '$T/ev' && ! grep -q 'port 4011' '$T/serve.log'"

# A PXE 2.1 ProxyDHCP REQUEST to 192.0.2.1:4011 (as EDK2's PXE sends for
# an offer without PXE vendor options): from the plain client's leased
# address, BIOS arch 0, for its MAC (unknown: the default menu).
cip=$(sed -n 's/.*ip=\([0-9.]*\).*/\1/p' "$T/c1")
ip -n "$C1" addr add "$cip/24" dev eth0
macbytes=$(printf '\\x%s' ${CMAC//:/ })
ipbytes=$(printf '\\x%02x' ${cip//./ })
{
	printf '\x01\x01\x06\x00\x12\x34\x56\x78\x00\x00\x00\x00'
	printf "$ipbytes"
	head -c 12 /dev/zero
	printf "$macbytes"
	head -c $((10 + 64 + 128)) /dev/zero
	printf '\x63\x82\x53\x63\x35\x01\x03\x3c\x20PXEClient:Arch:00000:UNDI:002001\x5d\x02\x00\x00\xff'
	head -c 18 /dev/zero	# to the 300 bytes of a BOOTP packet
} > "$T/req4011"
is "the scripted request is one 300-byte DHCP packet" "$(stat -c %s "$T/req4011")" 300
ip netns exec "$C1" timeout 5 bash -c \
	'exec 3<>/dev/udp/192.0.2.1/4011 && cat "$1" >&3 && timeout 3 dd bs=1500 count=1 status=none <&3 > "$2"' _ "$T/req4011" "$T/ack4011"
ok "provd answered on port 4011 with an ACK naming the boot file" \
	sh -c "grep -aq pxelinux.0 '$T/ack4011' && grep -q 'dhcp $CMAC: ACK 0.0.0.0 boot pxelinux.0 (ProxyDHCP, port 4011)' '$T/serve.log'"
"$PROVD" --state "$S" events --mac "$CMAC" > "$T/ev2" 2>&1
ok "the 4011 answer is on the machine's timeline as dhcp-proxy-ack" grep -q 'dhcp-proxy-ack' "$T/ev2"
is "/metrics counts exactly that one 4011 answer" \
	"$(ip netns exec "$NS" curl -s "http://192.0.2.1:$HP/metrics" |
		awk '$1 == "provd_events_total{kind=\"dhcp-proxy-ack\"}" { print $2 }')" 1
ok "daemon still up" kill -0 "$DPID"
done_testing
