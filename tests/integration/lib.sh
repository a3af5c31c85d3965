# tests/integration/lib.sh: shared helpers for TAP integration scripts.
# Source it first thing:  . "$top_srcdir/tests/integration/lib.sh"
# Gives: plan N, ok COND-EXIT "desc", pass/fail, skip_all "reason", diag,
# free_port, tmpdir (cleaned), on_exit CMD (cleanup stack, runs in reverse),
# netns helpers (netns_add NAME: created and deleted at exit), PROVD binary.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
PROVD="$top_builddir/provd/provd"
export PROVD top_srcdir top_builddir

_tap_n=0
_tap_failed=0
_cleanups=()

plan() { echo "1..$1"; }
diag() { printf '# %s\n' "$*"; }
pass() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $*"; }
fail() { _tap_n=$((_tap_n + 1)); _tap_failed=$((_tap_failed + 1)); echo "not ok $_tap_n - $*"; }
# ok "description" command args...   (passes when the command exits 0)
ok() { local d=$1; shift; if "$@"; then pass "$d"; else fail "$d"; fi; }
# is "description" got expected
is() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1"; diag "got:      '$2'"; diag "expected: '$3'"; fi; }
skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n # SKIP $*"; }
# Skip the whole script (only when a facility is truly absent).
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
bail() { echo "Bail out! $*"; exit 1; }

on_exit() { _cleanups+=("$*"); }
_run_cleanups() {
	local i
	for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do
		eval "${_cleanups[$i]}" >/dev/null 2>&1 || true
	done
}
trap '_run_cleanups' EXIT
trap 'exit 130' INT TERM

# Scratch folders live under one root per test script, removed at its exit.
# (tmpdir runs in a command substitution, whose own on_exit would register
# in a subshell and be lost: the root is registered here, in the script.)
_it_root=$(mktemp -d "${TMPDIR:-/tmp}/provd-it.XXXXXX") || exit 99
chmod 755 "$_it_root"	# servers that drop privileges reach folders below
on_exit "rm -rf '$_it_root'"
tmpdir() {
	mktemp -d "$_it_root/t.XXXXXX"
}

# A TCP/UDP port free on loopback right now.
free_port() {
	python3 - "$@" <<'PY' 2>/dev/null || echo $((20000 + RANDOM % 20000))
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if (len(sys.argv) > 1 and sys.argv[1] == 'udp') else socket.SOCK_STREAM)
s.bind(('127.0.0.1', 0)); print(s.getsockname()[1]); s.close()
PY
}

# Wait until COMMAND succeeds, up to N tenths of a second.
wait_for() { local n=$1; shift; while [ "$n" -gt 0 ]; do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; n=$((n - 1)); done; return 1; }

# Network namespaces are deleted at exit. Use 192.0.2.0/24 or 198.51.100.0/24.
netns_add() {
	ip netns add "$1" || return 1
	on_exit "ip netns del '$1'"
	ip -n "$1" link set lo up
}
need_root() { [ "$(id -u)" -eq 0 ] || skip_all "needs root for network namespaces"; }

done_testing() { [ "$_tap_failed" -eq 0 ]; }

# lab_bridge NS: in namespace NS, bridge br0 (192.0.2.1/24, the lab side
# where provd listens) with an up TAP port tap0 for a QEMU NIC.
lab_bridge() {
	ip -n "$1" link add br0 type bridge &&
	ip -n "$1" addr add 192.0.2.1/24 dev br0 &&
	ip -n "$1" link set br0 up &&
	ip -n "$1" tuntap add dev tap0 mode tap &&
	ip -n "$1" link set tap0 master br0 up
}

# tiny_system STATE MAC KERNEL_OPTIONS [SYSTEM-ADD ARGS...]: a new state
# with the testos distro, profile "tiny" (the test/answer.txt answer, the
# given kernel options) and system vm1 on MAC with --pxe-just-once.
tiny_system() {
	local s=$1 mac=$2 kopts=$3
	shift 3
	"$PROVD" --state "$s" init >/dev/null 2>&1
	testos_distro "$s" || return 1
	"$PROVD" --state "$s" profile add tiny --distro testos --autoinstall test/answer.txt \
		--kernel-options "$kopts" >/dev/null &&
	"$PROVD" --state "$s" system add vm1 --profile tiny --mac "$mac" --pxe-just-once "$@" >/dev/null
}

# bridge_port NS PEER VETH: a veth from NS's br0 (end VETH) to eth0 in
# namespace PEER, both ends up.
bridge_port() {
	ip link add "$3" type veth peer name eth0 netns "$2" &&
	ip link set "$3" netns "$1" &&
	ip -n "$1" link set "$3" master br0 up &&
	ip -n "$2" link set eth0 up
}

# lab_dhcp NS LAB DIR: the lab's own DHCP server next to provd, as in a
# real lab: dnsmasq in a new namespace LAB at 192.0.2.2 on NS's br0,
# addresses 192.0.2.150-199 only, no PXE options, DNS off; log in
# DIR/dnsmasq.log, leases in DIR/dnsmasq.leases.
lab_dhcp() {
	netns_add "$2" && bridge_port "$1" "$2" "l$2" &&
	ip -n "$2" addr add 192.0.2.2/24 dev eth0 || return 1
	ip netns exec "$2" dnsmasq --no-daemon --conf-file=/dev/null --port=0 --user=root \
		--interface=eth0 --bind-interfaces --dhcp-range=192.0.2.150,192.0.2.199,255.255.255.0,1h \
		--dhcp-leasefile="$3/dnsmasq.leases" --log-dhcp >"$3/dnsmasq.log" 2>&1 &
	on_exit "kill $!"
}

# testos_distro STATE: distro "testos" (Debian's kernel + the busybox guest
# initramfs of tests/guest) and the one-line answer template test/answer.txt
# that hands the guest its done callback.
testos_distro() {
	local s=$1 kimg
	mkdir -p "$s/files/testos" "$s/templates/test" &&
	kimg=$("$top_srcdir/tests/guest/mkinitramfs.sh" "$s/files/testos/initrd.gz") &&
	cp "$kimg" "$s/files/testos/vmlinuz" &&
	printf 'PROVD_DONE={{ callback.done }}\n' > "$s/templates/test/answer.txt" &&
	"$PROVD" --state "$s" distro add testos --kernel testos/vmlinuz --initrd testos/initrd.gz >/dev/null
}
