#!/bin/bash
# http_daemon: the daemon's life with its state directory, against a running
# `provd serve` on loopback: the CLI reaching a running daemon at once (no
# file watching), SIGHUP with a provd.yaml that is not YAML, the event log
# kept open across rotation by the daemon, by hand (logrotate-style) and
# removal, admin template edits in subfolders reaching rendered answers at
# once and the TFTP tree's pxelinux files through the daemon's watch, answer
# metrics, and binding a privileged port as an unprivileged user holding
# CAP_NET_BIND_SERVICE (and the hint without it).
. "$top_srcdir/tests/integration/lib.sh"

command -v curl >/dev/null || skip_all "curl not installed"
command -v jq >/dev/null || skip_all "jq not installed"
[ -x "$PROVD" ] || skip_all "provd not built"

T=$(tmpdir)
S=$T/state
LOG=$T/serve.log
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
MAC=52:54:00:aa:cc:01

"$PROVD" --state "$S" init >/dev/null || bail "provd init failed"
mkdir -p "$S/files/deb12"
head -c 1000 /dev/urandom >"$S/files/deb12/linux"
head -c 1000 /dev/urandom >"$S/files/deb12/initrd.gz"
"$PROVD" --state "$S" distro add deb12 --kernel deb12/linux --initrd deb12/initrd.gz --breed debian >/dev/null ||
	bail "distro add failed"
"$PROVD" --state "$S" profile add p1 --distro deb12 --autoinstall preseed/debian.cfg >/dev/null ||
	bail "profile add failed"
"$PROVD" --state "$S" system add web1 --profile p1 --mac "$MAC" >/dev/null || bail "system add failed"

start_daemon() {
	"$PROVD" --state "$S" serve --http "127.0.0.1:$PORT" --no-tftp "$@" 2>>"$LOG" &
	DPID=$!
	on_exit "kill -9 $DPID 2>/dev/null"
	wait_for 100 curl -sf "$URL/healthz"
}
stop_daemon() { kill -TERM "$DPID"; wait "$DPID"; }
gen() { cat "$S/.serve-generation" 2>/dev/null || echo 0; }
gen_changed() { [ "$(gen)" != "$1" ]; }
hup_and_wait() {
	local g0
	g0=$(gen)
	kill -HUP "$DPID"
	wait_for 50 gen_changed "$g0"
}
status() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
answer_events() { curl -s "$URL/api/v1/events?system=web1&kind=answer-file" | jq '.events | length'; }
metric() { curl -s "$URL/metrics" | awk -v k="$1" '$1 == k { print $2 }'; }

plan 32

# ---- the CLI talks to the running daemon (no file watching) ----------------
ok "daemon starts (--no-watch)" start_daemon --no-watch
"$PROVD" --state "$S" system add web2 --profile p1 --mac 52:54:00:aa:cc:02 >/dev/null
is "system added by the CLI is served at once (API)" "$(status "$URL/api/v1/systems/web2")" 200
is "and its answer file at once" "$(status "$URL/autoinstall/system/web2")" 200
"$PROVD" --state "$S" system remove web2 >/dev/null
is "system removed by the CLI is gone at once" "$(status "$URL/autoinstall/system/web2")" 404

# ---- SIGHUP with a provd.yaml that is not YAML --------------------------------
cp "$S/provd.yaml" "$T/provd.yaml.good"
printf 'http: [unclosed\n' >>"$S/provd.yaml"
ok "SIGHUP with broken provd.yaml: reload attempted" hup_and_wait
ok "the refusal names provd.yaml and a line" grep -q "provd.yaml:[0-9]*:[0-9]*" "$LOG"
is "old state keeps serving answers" "$(status "$URL/autoinstall/system/web1")" 200
cp "$T/provd.yaml.good" "$S/provd.yaml"
ok "fixed provd.yaml reloads" hup_and_wait
ok "and the reload is logged" grep -q "reloaded (SIGHUP)" "$LOG"

# ---- event log: rotation by the daemon, by hand, removal --------------------
# Fill the live log to just under the rotation size (8 MiB) with lines
# another writer could have written; the daemon holds the log open.
curl -s -o /dev/null "$URL/autoinstall/system/web1"
python3 - "$S/events.log" <<'EOF'
import os, sys
path = sys.argv[1]
target = 8 * 1024 * 1024 - 60	# one more event line crosses 8 MiB
def line(n):
    head = '{"time":"2026-01-01T00:00:00.000Z","system":"filler","kind":"fill","detail":"'
    return head + "x" * (n - len(head) - 3) + '"}\n'
with open(path, "a") as f:
    size = os.path.getsize(path)
    while target - size > 2000:
        f.write(line(1000))
        size += 1000
    f.write(line(target - size))
EOF
for _ in 1 2 3; do curl -s -o /dev/null "$URL/autoinstall/system/web1"; done
ok "the daemon rotated events.log to events.log.1" test -s "$S/events.log.1"
ok "events.log.1 is about the rotation size" test "$(stat -c %s "$S/events.log.1")" -gt $((8 * 1024 * 1024 - 8192))
ok "the live log is small again" test "$(stat -c %s "$S/events.log")" -lt 4096
ok "the newest answer-file event is in the live log" grep -q '"kind":"answer-file"' "$S/events.log"
ok "the timeline spans both files" test "$(answer_events)" -ge 4
# What logrotate would do: the live log becomes .1 (the old .1 goes).
n0=$(grep -c '"kind":"answer-file"' "$S/events.log")
mv "$S/events.log" "$S/events.log.1"
curl -s -o /dev/null "$URL/autoinstall/system/web1"
ok "after a rotation by hand the next event starts a new events.log" grep -q '"kind":"answer-file"' "$S/events.log"
is "and nothing was lost" "$(answer_events)" "$((n0 + 1))"
rm -f "$S/events.log"
curl -s -o /dev/null "$URL/autoinstall/system/web1"
ok "after events.log is removed the next event recreates it" grep -q '"kind":"answer-file"' "$S/events.log"
ok "answer renders counted by route and status" test "$(metric 'provd_http_requests_total{route="autoinstall",status="200"}')" -ge 7
ok "answer-file events counted" test "$(metric 'provd_events_total{kind="answer-file"}')" -ge 7
stop_daemon

# ---- admin template edits in subfolders reach a running daemon ----------------
# Answers are rendered per request: the render cache sees the edit at once.
# Boot files in the TFTP tree are re-rendered by the daemon's watch of
# templates/ and every folder below it.
ok "daemon starts (watching the state)" start_daemon
cfg=$URL/pxelinux.cfg/01-${MAC//:/-}
ok "pxelinux config served" sh -c "curl -sf '$cfg' | grep -q deb12/linux"
mkdir -p "$S/templates/snippets"
printf 'd-i marker/one string admin-snippet-1\n' >"$S/templates/snippets/network"
ok "new admin snippet in a subfolder: the answer has it at once" sh -c "curl -s '$URL/autoinstall/system/web1' | grep -q admin-snippet-1"
printf 'd-i marker/two string admin-snippet-2, edited in place\n' >"$S/templates/snippets/network"
ok "the same snippet edited in place: at once" sh -c "curl -s '$URL/autoinstall/system/web1' | grep -q admin-snippet-2"
mkdir -p "$S/templates/pxelinux"
{ echo "# admin-pxe-1"; cat "$top_srcdir/templates/pxelinux/system.cfg"; } >"$S/templates/pxelinux/system.cfg"
ok "admin pxelinux/system.cfg in a new subfolder re-renders the TFTP tree" \
	wait_for 100 sh -c "curl -s '$cfg' | grep -q admin-pxe-1"
sed -i 's/admin-pxe-1/admin-pxe-2/' "$S/templates/pxelinux/system.cfg"
ok "and an edit of it does too" wait_for 100 sh -c "curl -s '$cfg' | grep -q admin-pxe-2"
ok "the TFTP file on disk is the new one" grep -q admin-pxe-2 "$S/tftp/pxelinux.cfg/01-${MAC//:/-}"
rm "$S/templates/pxelinux/system.cfg"
ok "removing the admin copy brings the shipped one back" \
	wait_for 100 sh -c "! curl -s '$cfg' | grep -q admin-pxe"
stop_daemon
ok "no sanitizer report in the daemon log" sh -c "! grep -q 'Sanitizer' '$LOG'"

# ---- CAP_NET_BIND_SERVICE instead of root ------------------------------------
if [ "$(id -u)" -ne 0 ] || ! id nobody >/dev/null 2>&1 || ! command -v setpriv >/dev/null; then
	for _ in 1 2 3 4; do skip "CAP_NET_BIND_SERVICE: needs root, a 'nobody' user and setpriv"; done
else
	LPORT=$(python3 -c 'import socket,random
for p in random.sample(range(600, 1000), 400):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); print(p); break
    except OSError: pass
    finally: s.close()')
	chmod 755 "$T"
	chown -R nobody "$S"
	NOBODY=(setpriv --reuid nobody --regid "$(id -g nobody)" --clear-groups)
	"${NOBODY[@]}" "$PROVD" --state "$S" serve --http "127.0.0.1:$LPORT" --no-tftp 2>"$T/nocap.log"
	ok "as nobody without the capability: refused" test $? -ne 0
	ok "the error says what is missing" grep -q "CAP_NET_BIND_SERVICE" "$T/nocap.log"
	# setpriv execs provd: $! is the daemon itself.
	"${NOBODY[@]}" --inh-caps +net_bind_service --ambient-caps +net_bind_service \
		"$PROVD" --state "$S" serve --http "127.0.0.1:$LPORT" --no-tftp 2>"$T/cap.log" &
	CPID=$!
	on_exit "kill -9 $CPID 2>/dev/null"
	ok "as nobody with CAP_NET_BIND_SERVICE: port $LPORT served" \
		wait_for 100 curl -sf "http://127.0.0.1:$LPORT/autoinstall/system/web1"
	is "running as nobody" "$(ps -o user= -p "$CPID" | tr -d ' ')" "nobody"
	kill -TERM "$CPID"
	wait "$CPID"
fi

done_testing
