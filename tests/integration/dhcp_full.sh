#!/bin/bash
# DHCP full mode with real clients inside network namespaces this test
# creates: a bridge with 192.0.2.1/24 in a "server" namespace where provd
# serve runs, and one namespace per client on veth ports. busybox udhcpc and
# ISC dhclient get leases from the range; a second client never gets the
# first one's address; a known system gets its static address and its boot
# file; a restart keeps leases; offers and acks are events; RELEASE from
# both clients frees the address for the next client. (The bad-packet cases
# are covered by tests/unit/test_dhcp.c and the fuzz corpus.)
#
# RELEASE needs a client that is really bound: busybox udhcpc sends it
# unicast from the leased address (a UDP socket bound to ip:68) only when in
# BOUND state, which `-q -R` never reaches in busybox 1.35 (it quits before
# entering BOUND, prints "entering released state" and sends nothing), and
# dhclient -r sends it through its fallback UDP socket, which needs the
# address configured to route to the server. So the client scripts here
# configure the address, udhcpc runs in the foreground and releases on
# SIGUSR2, and dhclient -r uses the same lease and pid files.
. "$top_srcdir/tests/integration/lib.sh"

need_root
command -v ip >/dev/null || skip_all "iproute2 is not installed"
BB=$(command -v busybox) || skip_all "busybox is not installed"
DHC=$(command -v dhclient) || skip_all "dhclient is not installed (isc-dhcp-client)"

plan 19
T=$(tmpdir)
S=$T/state
id=$$
NS=pd$id; C1=pc1$id; C2=pc2$id; C3=pc3$id
MAC1=52:54:00:d0:00:01
MAC2=52:54:00:d0:00:02
MAC3=52:54:00:d0:00:03

netns_add "$NS" || bail "cannot create network namespaces"
netns_add "$C1"
netns_add "$C2"
netns_add "$C3"
ip -n "$NS" link add br0 type bridge
ip -n "$NS" addr add 192.0.2.1/24 dev br0
ip -n "$NS" link set br0 up
n=0
for c in "$C1" "$C2" "$C3"; do
	n=$((n + 1))
	ip link add "v$n$id" type veth peer name eth0 netns "$c"
	ip link set "v$n$id" netns "$NS"
	ip -n "$NS" link set "v$n$id" master br0 up
	ip -n "$c" link set eth0 address "$(eval echo \$MAC$n)"
	ip -n "$c" link set eth0 up
done

"$PROVD" --state "$S" init >/dev/null 2>&1
mkdir -p "$S/files/d"; echo k > "$S/files/d/linux"; echo i > "$S/files/d/initrd.gz"
"$PROVD" --state "$S" distro add d --kernel d/linux --initrd d/initrd.gz >/dev/null
"$PROVD" --state "$S" profile add p --distro d >/dev/null

HP=$(free_port)
start_serve() {
	ip netns exec "$NS" "$PROVD" --state "$S" --log-level debug serve --http "192.0.2.1:$HP" --no-tftp \
		--dhcp br0 --dhcp-mode full --dhcp-range 192.0.2.100-192.0.2.120 >>"$T/serve.log" 2>&1 &
	DPID=$!
	on_exit "kill $DPID 2>/dev/null"
	wait_for 100 grep -q "DHCP full mode on br0" "$T/serve.log"
}
start_serve
ok "provd serves DHCP full mode on br0" grep -q "DHCP full mode on br0" "$T/serve.log"

cat > "$T/udhcpc.script" <<'S'
#!/bin/sh
[ "$1" = bound ] && echo "ip=$ip siaddr=$siaddr boot_file=$boot_file" > "$LEASE_OUT"
# A RELEASE is sent from the leased address, so configure it when asked.
[ "$1" = bound ] && [ -n "${CONFIGURE:-}" ] && ip addr replace "$ip/24" dev "$interface"
exit 0
S
chmod +x "$T/udhcpc.script"
udhcpc() {	# udhcpc NS OUT [extra args]
	local ns=$1 out=$2; shift 2
	LEASE_OUT=$out CONFIGURE=${CONFIGURE:-} ip netns exec "$ns" "$BB" udhcpc -i eth0 -s "$T/udhcpc.script" -n -q -t 5 -T 1 "$@" >/dev/null 2>&1
}
udhcpc "$C1" "$T/c1"
ip1=$(sed -n 's/^ip=\([^ ]*\).*/\1/p' "$T/c1" 2>/dev/null)
ok "busybox udhcpc gets a lease" test -n "$ip1"
ok "from the range" sh -c "case '$ip1' in 192.0.2.1[0-2][0-9]) true;; *) false;; esac"

cat > "$T/dhclient.script" <<S
#!/bin/sh
case "\$reason" in
BOUND|RENEW|REBOOT) echo "\$new_ip_address" > "$T/c2"
	ip addr replace "\$new_ip_address/24" dev "\$interface";;
RELEASE|EXPIRE|STOP) echo released > "$T/c2.released"; ip addr flush dev "\$interface";;
esac
exit 0
S
chmod +x "$T/dhclient.script"
ip netns exec "$C2" "$DHC" -1 -q -sf "$T/dhclient.script" -lf "$T/c2.leases" -pf "$T/c2.pid" eth0 >/dev/null 2>&1
on_exit "kill \$(cat $T/c2.pid 2>/dev/null) 2>/dev/null"
ip2=$(cat "$T/c2" 2>/dev/null)
ok "ISC dhclient gets a lease" test -n "$ip2"
ok "the second client never gets the first one's address" test -n "$ip2" -a "$ip2" != "$ip1"
ok "lease file holds both" sh -c "grep -q '$MAC1 $ip1' '$S/dhcp.leases' && grep -q '$MAC2 $ip2' '$S/dhcp.leases'"

# A known system: its static address and a PXE boot file.
"$PROVD" --state "$S" system add pc1 --profile p --mac "$MAC1" --ip 192.0.2.50 >/dev/null 2>&1
udhcpc "$C1" "$T/c1b"
is "known system gets its static address" "$(sed -n 's/^ip=\([^ ]*\).*/\1/p' "$T/c1b")" 192.0.2.50
ok "and a boot file" grep -q 'boot_file=pxelinux.0' "$T/c1b"
ok "next-server is provd" grep -q 'siaddr=192.0.2.1' "$T/c1b"
udhcpc "$C1" "$T/c1c" -x 0x4d:69505845
ok "iPXE (user class) gets the HTTP script URL" grep -q "boot_file=http://192.0.2.1:$HP/ipxe/$MAC1" "$T/c1c"

# Restart: leases survive.
kill "$DPID"; wait "$DPID" 2>/dev/null
start_serve
udhcpc "$C2" "$T/c2b"
is "after a restart the client keeps its address" "$(sed -n 's/^ip=\([^ ]*\).*/\1/p' "$T/c2b")" "$ip2"

"$PROVD" --state "$S" events --mac "$MAC2" > "$T/ev" 2>&1
ok "offers are events" grep -q dhcp-offer "$T/ev"
ok "acks are events" grep -q dhcp-ack "$T/ev"
"$PROVD" --state "$S" events --system pc1 > "$T/ev1" 2>&1
ok "a known system's DHCP is on its timeline" grep -q dhcp-ack "$T/ev1"
# RELEASE through ISC dhclient: same lease file, pid file and interface.
ip netns exec "$C2" "$DHC" -r -sf "$T/dhclient.script" -lf "$T/c2.leases" -pf "$T/c2.pid" eth0 >/dev/null 2>&1
ok "dhclient -r released" test -f "$T/c2.released"
ok "its lease is gone from the lease file" \
	wait_for 30 sh -c "! grep -q '$MAC2' '$S/dhcp.leases'"

# A new client asks for that address and gets it; then busybox udhcpc
# releases it (SIGUSR2 in BOUND state).
: > "$T/c3"
CONFIGURE=1 LEASE_OUT=$T/c3 ip netns exec "$C3" "$BB" udhcpc -f -i eth0 -s "$T/udhcpc.script" \
	-t 5 -T 1 -r "$ip2" >/dev/null 2>&1 &
UPID=$!
on_exit "kill $UPID 2>/dev/null"
wait_for 100 grep -q '^ip=' "$T/c3"
is "a new client gets the released address" "$(sed -n 's/^ip=\([^ ]*\).*/\1/p' "$T/c3")" "$ip2"
kill -USR2 "$UPID"
ok "udhcpc RELEASE frees the lease" wait_for 30 sh -c "! grep -q '$MAC3' '$S/dhcp.leases'"
kill "$UPID" 2>/dev/null; wait "$UPID" 2>/dev/null
ok "daemon still up" kill -0 "$DPID"
done_testing
