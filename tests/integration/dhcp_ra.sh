#!/bin/bash
# IPv6 router advertisements from provd serve (dhcp/ra.c) in network
# namespaces this test creates: a client's own Linux kernel autoconfigures
# an address from the announced 2001:db8::/64 (SLAAC) and installs no
# default route through provd (router lifetime 0); its router
# solicitation on link-up is answered at once, not at the next periodic
# RA; --ra off sends none; proxy mode sends none by default; provd.yaml's
# dhcp.ra, dhcp.ra_prefix and dhcp.rate take effect without flags, and
# flags override them.
. "$top_srcdir/tests/integration/lib.sh"

need_root
command -v ip >/dev/null || skip_all "iproute2 is not installed"
[ -e /proc/net/if_inet6 ] || skip_all "no IPv6 in this kernel"

plan 12
T=$(tmpdir)
S=$T/state
id=$$
NS=rd$id; C1=rc$id
netns_add "$NS" || bail "cannot create network namespaces"
netns_add "$C1"
ip -n "$NS" link add br0 type bridge
ip -n "$NS" addr add 192.0.2.1/24 dev br0
ip -n "$NS" link set br0 up
ip link add "r1$id" type veth peer name eth0 netns "$C1"
ip link set "r1$id" netns "$NS"
ip -n "$NS" link set "r1$id" master br0 up
ip -n "$C1" link set eth0 address 52:54:00:d6:00:01
# The client is a host, not a router: accept RAs, autoconfigure.
ip netns exec "$C1" sysctl -qw net.ipv6.conf.eth0.accept_ra=1 net.ipv6.conf.eth0.autoconf=1 \
	net.ipv6.conf.eth0.forwarding=0
"$PROVD" --state "$S" init >/dev/null 2>&1
HP=$(free_port)

serve() {	# serve LOG ARGS...
	local log=$1; shift
	ip netns exec "$NS" "$PROVD" --state "$S" --log-level debug serve --http "192.0.2.1:$HP" \
		--no-tftp --dhcp br0 "$@" >"$log" 2>&1 &
	DPID=$!
	on_exit "kill $DPID 2>/dev/null"
	wait_for 100 grep -q "serve: ready" "$log"
}
stop() { kill "$DPID"; wait "$DPID" 2>/dev/null; }
global6() { ip -n "$C1" -6 addr show dev eth0 scope global | sed -n 's/.*inet6 \([^ ]*\).*/\1/p'; }

# The bridge needs its link-local address (DAD) before it can send.
wait_for 50 sh -c "ip -n '$NS' -6 addr show dev br0 scope link | grep -q inet6 &&
	! ip -n '$NS' -6 addr show dev br0 | grep -q tentative"
serve "$T/s1" --dhcp-mode full --dhcp-range 192.0.2.100-192.0.2.120 --ra-prefix 2001:db8::/64
ok "full mode sends RAs by default" grep -q "IPv6 router advertisements on br0, prefix 2001:db8::/64" "$T/s1"
sleep 0.5	# let the first periodic RA go before the client is up
t0=$(date +%s%N)
ip -n "$C1" link set eth0 up
wait_for 80 sh -c "ip -n '$C1' -6 addr show dev eth0 scope global | grep -q 'inet6 2001:db8::'"
t1=$(date +%s%N)
a=$(global6)
ok "the client's kernel autoconfigured an address in 2001:db8::/64" \
	sh -c "case '$a' in 2001:db8::*/64) true;; *) false;; esac"
is "from its MAC (EUI-64)" "${a%/64}" "2001:db8::5054:ff:fed6:1"
ok "its router solicitation was answered" grep -q "ra br0: router solicitation, answering" "$T/s1"
ms=$(((t1 - t0) / 1000000))
diag "address after ${ms} ms from link-up (periodic RAs every 10 s)"
ok "well before the next periodic RA" test "$ms" -lt 8000
ok "no default route through provd (router lifetime 0)" \
	sh -c "! ip -n '$C1' -6 route show default | grep -q default"
stop

# --ra off, and proxy mode: none.
ip -n "$C1" link set eth0 down
ip -n "$C1" -6 addr flush dev eth0 scope global
serve "$T/s2" --dhcp-mode full --dhcp-range 192.0.2.100-192.0.2.120 --ra off --ra-prefix 2001:db8::/64
ip -n "$C1" link set eth0 up
sleep 4
is "--ra off: no address" "$(global6)" ""
stop
serve "$T/s3" --dhcp-mode proxy --ra-prefix 2001:db8::/64
ok "proxy mode: no RAs unless asked" sh -c "! grep -q 'router advertisements on' '$T/s3'"
stop

# The same from provd.yaml alone: proxy mode with ra on and a prefix of
# its own, and a rate limit; no RA or rate flag on the command line.
sed -i 's|^  mode: off.*|  mode: proxy\n  ra: on\n  ra_prefix: 2001:db8:5::/64\n  rate: 7|' "$S/provd.yaml"
grep -q "ra_prefix: 2001:db8:5::/64" "$S/provd.yaml" || bail "could not edit provd.yaml"
ip -n "$C1" link set eth0 down
ip -n "$C1" -6 addr flush dev eth0 scope global
serve "$T/s4"
ok "provd.yaml dhcp.rate is applied" grep -q "DHCP proxy mode on br0 (at most 7 requests per MAC" "$T/s4"
ip -n "$C1" link set eth0 up
wait_for 80 sh -c "ip -n '$C1' -6 addr show dev eth0 scope global | grep -q 'inet6 2001:db8:5::'"
is "provd.yaml dhcp.ra + ra_prefix: the client autoconfigured from 2001:db8:5::/64" \
	"$(global6)" "2001:db8:5:0:5054:ff:fed6:1/64"
stop
ip -n "$C1" link set eth0 down
ip -n "$C1" -6 addr flush dev eth0 scope global
serve "$T/s5" --ra off --dhcp-rate 0
ip -n "$C1" link set eth0 up
sleep 4
is "--ra off overrides dhcp.ra: on" "$(global6)" ""
ok "--dhcp-rate 0 overrides dhcp.rate" grep -q "DHCP proxy mode on br0 (no per-MAC rate limit)" "$T/s5"
stop
done_testing
