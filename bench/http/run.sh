#!/bin/bash
# bench/http/run.sh: provd serve vs nginx, side by side, same files, same
# machine, loopback.
#   1. a 64 MiB file, 1 curl client (sequential runs) -> MB/s
#   2. the same file, 50 concurrent curl clients -> aggregate MB/s
#   3. wrk: nginx on a 4 KiB static file vs provd's rendered
#      /autoinstall/system/<name> -> requests/s (and provd's own 4 KiB static
#      file for reference); the three alternate for RUNS rounds, best kept
# Prints one line per case and the provd/nginx ratio. Not part of make check.
#
# Usage: bench/http/run.sh [PATH/TO/provd]   (default: $PROVD, else
#        ./provd/provd in the current build directory). Use an optimised
#        build without sanitizers. Env: RUNS (default 5), WRK_SECS (10),
#        WRK_CONNS (50), WRK_THREADS (2).
set -eu

PROVD=${1:-${PROVD:-./provd/provd}}
RUNS=${RUNS:-5}
WRK_SECS=${WRK_SECS:-10}
WRK_CONNS=${WRK_CONNS:-50}
WRK_THREADS=${WRK_THREADS:-2}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}

for t in "$PROVD" "$NGINX"; do [ -x "$t" ] || { echo "bench: $t not found" >&2; exit 2; }; done
command -v curl >/dev/null || { echo "bench: curl not found" >&2; exit 2; }
command -v wrk >/dev/null || { echo "bench: wrk not found (apt-get install wrk)" >&2; exit 2; }

T=$(mktemp -d "${TMPDIR:-/tmp}/provd-bench.XXXXXX")
chmod 755 "$T"	# nginx workers drop to an unprivileged user when started as root
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# --- content ------------------------------------------------------------------
S=$T/state
"$PROVD" --state "$S" init >/dev/null
mkdir -p "$S/files/bench"
head -c $((64 * 1024 * 1024)) /dev/urandom >"$S/files/bench/initrd.gz"
head -c 4096 /dev/urandom >"$S/files/bench/small.bin"
head -c 1000 /dev/urandom >"$S/files/bench/linux"
"$PROVD" --state "$S" distro add bench --kernel bench/linux --initrd bench/initrd.gz --breed debian >/dev/null
"$PROVD" --state "$S" profile add p1 --distro bench --autoinstall preseed/debian.cfg >/dev/null
"$PROVD" --state "$S" system add web1 --profile p1 --mac 52:54:00:be:4c:01 >/dev/null

PPORT=$(port)
"$PROVD" --state "$S" --log-level warn serve --http "127.0.0.1:$PPORT" --no-tftp --no-watch 2>"$T/provd.log" &
PIDS+=($!)

# nginx as our own process: no daemon, no master privileges, everything
# under $T, sendfile on (Debian's default config has it too).
NPORT=$(port)
mkdir -p "$T/nginx"
cat >"$T/nginx/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes auto;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 100000;
	client_body_temp_path $T/nginx/body;
	proxy_temp_path $T/nginx/proxy;
	fastcgi_temp_path $T/nginx/fastcgi;
	uwsgi_temp_path $T/nginx/uwsgi;
	scgi_temp_path $T/nginx/scgi;
	types { application/octet-stream bin gz; }
	server {
		listen 127.0.0.1:$NPORT;
		root $S/files;
		location /boot/ { alias $S/files/; }
	}
}
EOF
"$NGINX" -p "$T/nginx" -c "$T/nginx/nginx.conf" -e "$T/nginx/error.log" &
PIDS+=($!)

for u in "http://127.0.0.1:$PPORT/healthz" "http://127.0.0.1:$NPORT/boot/bench/small.bin"; do
	for _ in $(seq 1 100); do curl -sf -o /dev/null "$u" && break; sleep 0.1; done
done
cmp <(curl -s "http://127.0.0.1:$NPORT/boot/bench/initrd.gz") "$S/files/bench/initrd.gz"
cmp <(curl -s "http://127.0.0.1:$PPORT/boot/bench/initrd.gz") "$S/files/bench/initrd.gz"

# --- 1 and 50 clients on the 64 MiB file --------------------------------------
one_client() {	# URL -> MB/s (best of RUNS)
	local best=0 s
	for _ in $(seq 1 "$RUNS"); do
		s=$(curl -s -o /dev/null -w '%{speed_download}' "$1")
		best=$(awk -v a="$best" -v b="$s" 'BEGIN { print (b > a) ? b : a }')
	done
	awk -v b="$best" 'BEGIN { printf "%.0f", b / 1e6 }'
}
fifty_clients() {	# URL -> aggregate MB/s (best of RUNS)
	local best=0 t0 t1 r
	for _ in $(seq 1 "$RUNS"); do
		t0=$(date +%s.%N)
		for _ in $(seq 1 50); do curl -s -o /dev/null "$1" & done
		wait_curls
		t1=$(date +%s.%N)
		r=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", 50 * 64 * 1048576 / (b - a) / 1e6 }')
		best=$(( r > best ? r : best ))
	done
	echo "$best"
}
wait_curls() { local p; for p in $(jobs -p); do case " ${PIDS[*]} " in *" $p "*) ;; *) wait "$p" ;; esac; done; }
wrk_rps() {	# URL -> requests/s
	wrk -t "$WRK_THREADS" -c "$WRK_CONNS" -d "${WRK_SECS}s" "$1" | awk '/^Requests\/sec:/ { printf "%.0f", $2 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; }

BIG=boot/bench/initrd.gz
n1=$(one_client "http://127.0.0.1:$NPORT/$BIG")
p1=$(one_client "http://127.0.0.1:$PPORT/$BIG")
n50=$(fifty_clients "http://127.0.0.1:$NPORT/$BIG")
p50=$(fifty_clients "http://127.0.0.1:$PPORT/$BIG")
# The machine is shared: measure the three request-rate cases in turn,
# RUNS rounds, and keep each one's best, so that a burst of load elsewhere
# does not land on one server only.
ns=0 ps=0 pa=0
for _ in $(seq 1 "$RUNS"); do
	r=$(wrk_rps "http://127.0.0.1:$NPORT/boot/bench/small.bin"); ns=$(( r > ns ? r : ns ))
	r=$(wrk_rps "http://127.0.0.1:$PPORT/boot/bench/small.bin"); ps=$(( r > ps ? r : ps ))
	r=$(wrk_rps "http://127.0.0.1:$PPORT/autoinstall/system/web1"); pa=$(( r > pa ? r : pa ))
done
asize=$(curl -s "http://127.0.0.1:$PPORT/autoinstall/system/web1" | wc -c)
acode=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PPORT/autoinstall/system/web1")

echo "provd serve vs nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///'), loopback, $(nproc) CPUs, $(date -u +%Y-%m-%d)"
printf '%-46s %10s %10s %7s\n' "case" "provd" "nginx" "ratio"
printf '%-46s %10s %10s %7s\n' "64 MiB file, 1 client (MB/s)" "$p1" "$n1" "$(ratio "$p1" "$n1")"
printf '%-46s %10s %10s %7s\n' "64 MiB file, 50 clients (MB/s, aggregate)" "$p50" "$n50" "$(ratio "$p50" "$n50")"
printf '%-46s %10s %10s %7s\n' "4 KiB static file, wrk (req/s)" "$ps" "$ns" "$(ratio "$ps" "$ns")"
printf '%-46s %10s %10s %7s\n' "rendered answer vs nginx 4 KiB static (req/s)" "$pa" "$ns" "$(ratio "$pa" "$ns")"
echo "(rendered answer: /autoinstall/system/web1, HTTP $acode, $asize bytes; wrk -t$WRK_THREADS -c$WRK_CONNS -d${WRK_SECS}s, best of $RUNS alternating rounds; load average $(cut -d" " -f1-3 /proc/loadavg))"
