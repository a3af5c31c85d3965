#!/bin/bash
# DHCP full mode behind a real relay (RFC 2131 §4.1, RFC 3046), with real
# clients, inside network namespaces this test creates:
#
#   server ns: br0 192.0.2.1/24, provd serve --dhcp br0 --dhcp-mode full
#              with a range in 198.51.100.0/24 (the relayed subnet), a route
#              to 198.51.100.0/24 via the router, tcpdump on br0;
#   router ns: eth0 192.0.2.3/24 on the server's br0, br0 198.51.100.1/24
#              towards the clients, IP forwarding, ISC dhcrelay -a (adds
#              option 82: circuit id = the client-side interface);
#   client ns: one per client on the router's br0; busybox udhcpc and ISC
#              dhclient.
#
# Checks: leases come from provd through the relay (server id 192.0.2.1,
# address in the range, router = the relay's address on the client's
# subnet); on br0 the requests carry giaddr 198.51.100.1 and option 82, and
# every reply goes to the relay (198.51.100.1 port 67) with the relay's
# option 82 echoed unchanged (length and sub-options as tcpdump decodes
# them); provd logs and events show it; a second
# client gets another address; a RELEASE (unicast from the client to provd,
# routed, not relayed: RFC 2131 §4.4.6) frees the lease.
. "$top_srcdir/tests/integration/lib.sh"

need_root
command -v ip >/dev/null || skip_all "iproute2 is not installed"
BB=$(command -v busybox) || skip_all "busybox is not installed"
DHC=$(command -v dhclient) || skip_all "dhclient is not installed (isc-dhcp-client)"
RELAY=$(command -v dhcrelay) || skip_all "dhcrelay is not installed (isc-dhcp-relay)"
TCPDUMP=$(command -v tcpdump) || skip_all "tcpdump is not installed"

plan 23
T=$(tmpdir)
S=$T/state
id=$$
NS=rs$id; R=rr$id; C1=rc1$id; C2=rc2$id
MAC1=52:54:00:d1:00:01
MAC2=52:54:00:d1:00:02

netns_add "$NS" || bail "cannot create network namespaces"
netns_add "$R"
netns_add "$C1"
netns_add "$C2"
# Server side: provd's bridge; the router's upstream leg is a port of it.
ip -n "$NS" link add br0 type bridge
ip -n "$NS" addr add 192.0.2.1/24 dev br0
ip -n "$NS" link set br0 up
bridge_port "$NS" "$R" "u$id"
ip -n "$R" addr add 192.0.2.3/24 dev eth0
ip -n "$NS" route add 198.51.100.0/24 via 192.0.2.3
# Client side: a bridge in the router (named br0 so bridge_port works).
ip -n "$R" link add br0 type bridge
ip -n "$R" addr add 198.51.100.1/24 dev br0
ip -n "$R" link set br0 up
ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1
bridge_port "$R" "$C1" "d1$id"
bridge_port "$R" "$C2" "d2$id"
ip -n "$C1" link set eth0 address "$MAC1"
ip -n "$C2" link set eth0 address "$MAC2"

ip netns exec "$NS" "$TCPDUMP" -i br0 -n -U -s 0 -w "$T/br0.pcap" 'udp port 67 or udp port 68' \
	>"$T/tcpdump.log" 2>&1 &
TPID=$!
on_exit "kill $TPID 2>/dev/null"
wait_for 100 grep -q 'listening on' "$T/tcpdump.log"

"$PROVD" --state "$S" init >/dev/null 2>&1
HP=$(free_port)
ip netns exec "$NS" "$PROVD" --state "$S" --log-level debug serve --http "192.0.2.1:$HP" --no-tftp \
	--dhcp br0 --dhcp-mode full --dhcp-range 198.51.100.100-198.51.100.120 >"$T/serve.log" 2>&1 &
DPID=$!
on_exit "kill $DPID 2>/dev/null"
wait_for 100 grep -q "DHCP full mode on br0" "$T/serve.log"
ok "provd serves DHCP full mode on br0" grep -q "DHCP full mode on br0" "$T/serve.log"

# -a: add option 82; -id: the client side; -iu: towards provd.
ip netns exec "$R" "$RELAY" -4 -d -a -id br0 -iu eth0 -pf "$T/relay.pid" 192.0.2.1 \
	>"$T/relay.log" 2>&1 &
RPID=$!
on_exit "kill $RPID 2>/dev/null"
wait_for 100 grep -q 'Sending on.*eth0' "$T/relay.log"
ok "dhcrelay runs in the router namespace" kill -0 "$RPID"

cat > "$T/udhcpc.script" <<'S'
#!/bin/sh
[ "$1" = bound ] || exit 0
echo "ip=$ip serverid=$serverid router=$router subnet=$subnet" > "$LEASE_OUT"
exit 0
S
chmod +x "$T/udhcpc.script"
LEASE_OUT=$T/c1 ip netns exec "$C1" "$BB" udhcpc -i eth0 -s "$T/udhcpc.script" -n -q -t 5 -T 2 \
	>"$T/udhcpc.log" 2>&1
field() { sed -n "s/.*\<$2=\([^ ]*\).*/\1/p" "$1" 2>/dev/null; }
ip1=$(field "$T/c1" ip)
ok "busybox udhcpc gets a lease through the relay" test -n "$ip1"
ok "from the range" sh -c "case '$ip1' in 198.51.100.1[0-2][0-9]) true;; *) false;; esac"
is "server id is provd's" "$(field "$T/c1" serverid)" 192.0.2.1
is "router is the relay's address on the client's subnet" "$(field "$T/c1" router)" 198.51.100.1
is "netmask" "$(field "$T/c1" subnet)" 255.255.255.0

# ISC dhclient: configures the address and the default route (the router
# option) so that its RELEASE can reach provd.
cat > "$T/dhclient.script" <<S
#!/bin/sh
case "\$reason" in
BOUND|RENEW|REBOOT) echo "ip=\$new_ip_address router=\$new_routers serverid=\$new_dhcp_server_identifier" > "$T/c2"
	ip addr replace "\$new_ip_address/24" dev "\$interface"
	for r in \$new_routers; do ip route replace default via "\$r"; done;;
RELEASE|EXPIRE|STOP) echo released > "$T/c2.released"; ip addr flush dev "\$interface";;
esac
exit 0
S
chmod +x "$T/dhclient.script"
ip netns exec "$C2" "$DHC" -1 -q -sf "$T/dhclient.script" -lf "$T/c2.leases" -pf "$T/c2.pid" eth0 \
	>/dev/null 2>&1
on_exit "kill \$(cat $T/c2.pid 2>/dev/null) 2>/dev/null"
ip2=$(field "$T/c2" ip)
ok "ISC dhclient gets a lease through the relay" test -n "$ip2"
ok "the second client gets another address" test -n "$ip2" -a "$ip2" != "$ip1"
is "dhclient: server id is provd's" "$(field "$T/c2" serverid)" 192.0.2.1
is "dhclient: router is the relay" "$(field "$T/c2" router)" 198.51.100.1
ok "lease file holds both" sh -c "grep -q '$MAC1 $ip1' '$S/dhcp.leases' && grep -q '$MAC2 ${ip2:-none}' '$S/dhcp.leases'"

# provd's side: requests came from the relay, replies went to it.
ok "provd received the requests from the relay (192.0.2.3:67)" \
	grep -q 'dhcp: [0-9]* bytes from 192.0.2.3:67 on port 67: handled' "$T/serve.log"
ok "provd logs its OFFER and ACK as sent to the relay" \
	sh -c "grep -q 'dhcp $MAC1: OFFER $ip1 .*via relay 198.51.100.1' '$T/serve.log' &&
	       grep -q 'dhcp $MAC2: ACK ${ip2:-none} .*via relay 198.51.100.1' '$T/serve.log'"
"$PROVD" --state "$S" events --mac "$MAC1" > "$T/ev1" 2>&1
ok "the relayed client's offer and ack are events" sh -c "grep -q dhcp-offer '$T/ev1' && grep -q dhcp-ack '$T/ev1'"

# RELEASE: unicast from the bound address to the server id, routed by the
# router (a relay forwards only what is broadcast on its client side).
ip netns exec "$C2" "$DHC" -r -sf "$T/dhclient.script" -lf "$T/c2.leases" -pf "$T/c2.pid" eth0 \
	>/dev/null 2>&1
ok "dhclient -r released" test -f "$T/c2.released"
ok "the RELEASE frees the lease" wait_for 50 sh -c "! grep -q '$MAC2' '$S/dhcp.leases'"
ok "the other lease stays" grep -q "$MAC1 $ip1" "$S/dhcp.leases"

# The wire, on provd's bridge: decode with tcpdump, one packet per record.
sleep 1
kill "$TPID"; wait "$TPID" 2>/dev/null
"$TCPDUMP" -r "$T/br0.pcap" -n -vvv 2>/dev/null | awk '/^[0-9][0-9]:/ { if (p != "") print p; p = $0; next }
	{ gsub(/^[ \t]+/, ""); p = p " | " $0 } END { if (p != "") print p }' > "$T/wire"
diag "$(wc -l < "$T/wire") DHCP packets on br0"
grep -E '\| 192\.0\.2\.3\.67 > 192\.0\.2\.1\.67:' "$T/wire" > "$T/requests"
grep -E '\| 192\.0\.2\.1\.67 > ' "$T/wire" > "$T/replies"
ok "relayed requests on br0 carry giaddr 198.51.100.1" \
	sh -c "[ -s '$T/requests' ] && ! grep -v 'Gateway-IP 198.51.100.1' '$T/requests' | grep -q ."
ok "and the relay's option 82" \
	sh -c "[ -s '$T/requests' ] && ! grep -v 'Agent-Information (82)' '$T/requests' | grep -q ."
# Every reply of provd to a relayed request: to the relay's giaddr, port 67.
n_rep=$(grep -c . "$T/replies")
n_to_relay=$(grep -cE '\| 192\.0\.2\.1\.67 > 198\.51\.100\.1\.67:' "$T/replies")
ok "provd's replies ($n_rep) all go to the relay at 198.51.100.1 port 67" \
	test "$n_rep" -ge 4 -a "$n_rep" -eq "$n_to_relay"
# Option 82 in each reply equals the one in the request it answers (xid).
o82() { sed -n 's/.*\(Agent-Information (82).*\)$/\1/p' | sed 's/ | [A-Z][A-Za-z-]* ([0-9]*).*//; s/ | END.*//'; }
echoed=0 checked=0
while read -r xid; do
	req=$(grep "xid $xid," "$T/requests" | head -1 | o82)
	while read -r line; do
		checked=$((checked + 1))
		[ -n "$req" ] && [ "$(echo "$line" | o82)" = "$req" ] && echoed=$((echoed + 1))
	done < <(grep "xid $xid," "$T/replies")
done < <(sed -n 's/.*xid \(0x[0-9a-f]*\),.*/\1/p' "$T/replies" | sort -u)
diag "option 82 in a request: $(head -1 "$T/requests" | o82)"
ok "option 82 echoed unchanged in all $checked replies" test "$checked" -ge 4 -a "$echoed" -eq "$checked"
ok "daemon still up" kill -0 "$DPID"
done_testing
