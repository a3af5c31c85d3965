#!/bin/bash
# bench/dhcp/ipxe_ra.sh BUILD_DIR: how long Debian's iPXE ROM (SeaBIOS +
# ipxe-qemu, QEMU TCG) takes from power-on to fetching its iPXE script from
# provd, with provd's IPv6 router advertisements off, on without a prefix,
# and on with a SLAAC prefix. Root; uses a network namespace and a TAP.
# Prints one line per case: seconds to the DHCP ACK and to the script.
set -eu
B=$(cd "${1:?usage: ipxe_ra.sh BUILD_DIR}" && pwd)
PROVD=$B/provd/provd
T=$(mktemp -d)
NS=rb$$
MAC=52:54:00:e0:0b:01
cleanup() { [ -n "${DPID:-}" ] && kill "$DPID" 2>/dev/null; ip netns del "$NS" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" link add br0 type bridge
ip -n "$NS" addr add 192.0.2.1/24 dev br0
ip -n "$NS" link set br0 up
ip -n "$NS" tuntap add dev tap0 mode tap
ip -n "$NS" link set tap0 master br0 up
S=$T/state
"$PROVD" --state "$S" init >/dev/null 2>&1
mkdir -p "$S/files/d"; echo k > "$S/files/d/linux"; echo i > "$S/files/d/initrd"
"$PROVD" --state "$S" distro add d --kernel d/linux --initrd d/initrd >/dev/null
"$PROVD" --state "$S" profile add p --distro d >/dev/null
"$PROVD" --state "$S" system add vm --profile p --mac "$MAC" >/dev/null
sleep 2	# br0's link-local address (DAD)

run() {	# run LABEL ARGS...
	local label=$1 t0 ack scr; shift
	ip netns exec "$NS" "$PROVD" --state "$S" serve --http 192.0.2.1:8080 --no-tftp --dhcp br0 \
		--dhcp-mode full --dhcp-range 192.0.2.100-192.0.2.120 "$@" >"$T/log" 2>&1 &
	DPID=$!
	sleep 1
	: > "$S/events.log" 2>/dev/null || true
	t0=$(date +%s.%N)
	timeout 60 ip netns exec "$NS" qemu-system-x86_64 -M pc -accel tcg -m 256 \
		-netdev tap,id=n0,ifname=tap0,script=no,downscript=no \
		-device virtio-net-pci,netdev=n0,mac="$MAC" -boot n -no-reboot \
		-display none -vga none -serial none -monitor none &
	QPID=$!
	ack= scr=
	for _ in $(seq 600); do
		[ -z "$ack" ] && grep -q "dhcp $MAC: ACK" "$T/log" && ack=$(date +%s.%N)
		grep -q "\"GET /ipxe/" "$T/log" && { scr=$(date +%s.%N); break; }
		sleep 0.1
	done
	kill "$QPID" 2>/dev/null || true; wait "$QPID" 2>/dev/null || true
	kill "$DPID" || true; wait "$DPID" 2>/dev/null || true; DPID=
	printf '%-22s ack %5.1f s  script %5.1f s\n' "$label" \
		"$(echo "${ack:-$t0} - $t0" | bc)" "$(echo "${scr:-$t0} - $t0" | bc)"
}
run "RA off" --ra off
run "RA on, no prefix" --ra on
run "RA on, 2001:db8::/64" --ra on --ra-prefix 2001:db8::/64
