#!/bin/bash
# bench/dhcp/run.sh BUILD_DIR [SECONDS [REPS]]: provd's DHCP server against
# dnsmasq under the same load from Kea's perfdhcp (Debian package
# kea-admin), in network namespaces this script creates: a server
# namespace with a bridge at 192.0.2.1/24, a client namespace on a veth
# port at 192.0.2.2 from which perfdhcp acts as a relay (giaddr).
#
# Both servers: range 192.0.2.10-192.0.2.250, 200 simulated clients,
# logging per packet off (provd --log-level warn, dnsmasq --quiet-dhcp),
# lease file on. provd runs with --dhcp-rate 0 (its per-MAC limit of 30
# requests per 10 s would otherwise drop 200 clients' worth of load, by
# design) and still records every offer and ack on the machine's event
# timeline; dnsmasq runs with --no-ping (its ICMP check delays each new
# offer by up to 3 s). Cases: DISCOVER->OFFER only (perfdhcp -i) and full
# DORA, each at an offered rate of 1,000/s (latency) and 10,000/s
# (throughput). Prints completed exchanges per second, drops and average
# delay, and provd/dnsmasq ratios. Build provd without sanitizers
# (configure with no --enable-asan) for meaningful numbers. Root.
set -eu
B=$(cd "${1:?usage: run.sh BUILD_DIR [SECONDS [REPS]]}" && pwd)
SECS=${2:-10}
REPS=${3:-3}
PROVD=$B/provd/provd
command -v perfdhcp >/dev/null || { echo "run.sh: perfdhcp not found (apt-get install kea-admin)" >&2; exit 1; }
command -v dnsmasq >/dev/null || { echo "run.sh: dnsmasq not found (apt-get install dnsmasq-base)" >&2; exit 1; }
T=$(mktemp -d)
NS=bs$$; C=bc$$
SPID=
cleanup() { [ -n "$SPID" ] && kill "$SPID" 2>/dev/null; ip netns del "$NS" 2>/dev/null; ip netns del "$C" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
ip netns add "$NS"; ip netns add "$C"
ip -n "$NS" link set lo up; ip -n "$C" link set lo up
ip -n "$NS" link add br0 type bridge
ip -n "$NS" addr add 192.0.2.1/24 dev br0
ip -n "$NS" link set br0 up
ip link add "b1$$" type veth peer name eth0 netns "$C"
ip link set "b1$$" netns "$NS"
ip -n "$NS" link set "b1$$" master br0 up
ip -n "$C" addr add 192.0.2.2/24 dev eth0
ip -n "$C" link set eth0 up
"$PROVD" --state "$T/state" init >/dev/null 2>&1

start_provd() {
	rm -f "$T/state/dhcp.leases"
	ip netns exec "$NS" "$PROVD" --state "$T/state" --log-level warn serve --http 192.0.2.1:8080 \
		--no-tftp --dhcp br0 --dhcp-mode full --dhcp-range 192.0.2.10-192.0.2.250 --dhcp-rate 0 \
		--ra off >"$T/provd.log" 2>&1 &
	SPID=$!
}
start_dnsmasq() {
	rm -f "$T/dnsmasq.leases"
	ip netns exec "$NS" dnsmasq --no-daemon --conf-file=/dev/null --port=0 --user=root \
		--interface=br0 --bind-interfaces --dhcp-range=192.0.2.10,192.0.2.250,255.255.255.0,1h \
		--dhcp-leasefile="$T/dnsmasq.leases" --no-ping --quiet-dhcp --log-facility=- \
		>"$T/dnsmasq.log" 2>&1 &
	SPID=$!
}
stop() { kill "$SPID"; wait "$SPID" 2>/dev/null || true; SPID=; }

# perf RATE EXTRA... -> "rate drops% avg_ms"
perf() {
	local rate=$1 out; shift
	out=$(ip netns exec "$C" perfdhcp -4 -l eth0 -R 200 -r "$rate" -p "$SECS" "$@" 192.0.2.1 2>&1)
	echo "$out" > "$T/last"
	printf '%s %s %s\n' \
		"$(echo "$out" | sed -n 's/^Rate: \([0-9.]*\).*/\1/p' | head -n 1)" \
		"$(echo "$out" | sed -n 's/^drops ratio: \([0-9.]*\).*/\1/p' | paste -sd/ -)" \
		"$(echo "$out" | sed -n 's/^avg delay: \([0-9.]*\).*/\1/p' | paste -sd/ -)"
}

# Interleaved repetitions (the machine is shared: load swings between
# runs); the median of each case is reported.
declare -A res
for rep in $(seq "$REPS"); do
	for mode in DO DORA; do
		for rate in 1000 10000; do
			for srv in provd dnsmasq; do
				"start_$srv"
				sleep 1.5
				extra=
				[ "$mode" = DO ] && extra=-i
				res[$srv.$mode.$rate]+="$(perf "$rate" $extra)"$'\n'
				stop
			done
		done
	done
done
median() { printf '%s' "$1" | grep . | sort -n -k1,1 | sed -n "$(( (REPS + 1) / 2 ))p"; }
echo "perfdhcp, 200 clients, ${SECS} s per run, median of $REPS (exchanges/s, drops % per stage, avg delay ms per stage)"
printf '%-5s %-8s | %-34s | %-34s | %s\n' case offered "provd" "dnsmasq" "provd/dnsmasq"
for mode in DO DORA; do
	for rate in 1000 10000; do
		p=$(median "${res[provd.$mode.$rate]}"); d=$(median "${res[dnsmasq.$mode.$rate]}")
		ratio=$(echo "scale=2; ${p%% *} / ${d%% *}" | bc 2>/dev/null || echo "?")
		printf '%-5s %-8s | %-34s | %-34s | %sx\n' "$mode" "$rate/s" "$p" "$d" "$ratio"
	done
done
for srv in provd dnsmasq; do
	echo "# all runs, $srv:"
	for k in "${!res[@]}"; do case $k in $srv.*) printf '#   %s: %s\n' "$k" "$(printf '%s' "${res[$k]}" | grep . | paste -sd';' -)";; esac; done
done
