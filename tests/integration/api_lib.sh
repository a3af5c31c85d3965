# tests/integration/api_lib.sh: a provd state with a distro, and a running
# `provd serve` on a loopback port, for the API and callback scripts.
# Source after lib.sh. Gives: $st (state dir), $tok (API token), $port,
# $tport (the daemon's loopback TFTP port),
# $U (API base URL), $H (server base URL), $out (scratch dir),
# api METHOD PATH [BODY] [extra curl args...] (body into $out/body, prints
# the HTTP status), noauth/badauth variants, jget FILTER (jq on $out/body).

command -v curl >/dev/null || skip_all "curl not installed"
command -v jq >/dev/null || skip_all "jq not installed (scripts/setup installs it)"
[ -x "$PROVD" ] || bail "provd not built: $PROVD"

out=$(tmpdir)
st=$out/state
"$PROVD" --state "$st" init >"$out/init.log" 2>&1 || { cat "$out/init.log"; bail "provd init failed"; }
tok=$(cat "$st/api-token" 2>/dev/null) || bail "provd init wrote no api-token"
mkdir -p "$st/files/deb12"
echo "not really a kernel" >"$st/files/deb12/linux"
echo "not really an initrd" >"$st/files/deb12/initrd.gz"

port=$(free_port)
tport=$(free_port udp)
H=http://127.0.0.1:$port
U=$H/api/v1
"$PROVD" --state "$st" --log-level debug serve --http "127.0.0.1:$port" --tftp "127.0.0.1:$tport" ${SERVE_ARGS:-} \
	>"$out/serve.log" 2>&1 &
serve_pid=$!
on_exit "kill $serve_pid; wait $serve_pid"
wait_for 100 curl -sf "$U/" || { cat "$out/serve.log"; bail "provd serve did not come up on $port"; }

# api METHOD PATH [BODY] [curl args...]: prints the status code.
api() {
	local m=$1 p=$2 b=${3-}
	shift 2; [ $# -gt 0 ] && shift
	if [ -n "$b" ]; then
		curl -s -o "$out/body" -w '%{http_code}' -X "$m" -H "Authorization: Bearer $tok" \
			-H 'Content-Type: application/json' --data-binary "$b" "$@" "$U$p"
	else
		curl -s -o "$out/body" -w '%{http_code}' -X "$m" -H "Authorization: Bearer $tok" "$@" "$U$p"
	fi
}
noauth() {
	curl -s -o "$out/body" -w '%{http_code}' -X "$1" -H 'Content-Type: application/json' \
		${3:+--data-binary "$3"} "$U$2"
}
badauth() {
	curl -s -o "$out/body" -w '%{http_code}' -X "$1" -H "Authorization: Bearer x$tok" \
		-H 'Content-Type: application/json' ${3:+--data-binary "$3"} "$U$2"
}
jget() { jq -r "$1" <"$out/body"; }
# metric NAME{labels}: its value from /metrics (0 when absent).
metric() {
	curl -s "$H/metrics" | awk -v k="$1" '$1 == k { v = $2 } END { print v + 0 }'
}

# stop_serve: SIGTERM the daemon, wait, and check its log for sanitizer
# reports (the daemon ran our requests on its pool threads).
stop_serve() {
	kill -TERM "$serve_pid" 2>/dev/null
	wait "$serve_pid"
	local rc=$?
	is "provd serve exits 0 on SIGTERM" "$rc" 0
	if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$out/serve.log"; then
		fail "no sanitizer reports from provd serve"
		grep -E -A12 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$out/serve.log" | sed 's/^/# /' | head -60
	else
		pass "no sanitizer reports from provd serve"
	fi
}
