#!/bin/bash
# http_serve: `provd serve` on a loopback port, exercised with curl: static
# boot files (Range, conditional requests, HEAD, 404), path traversal
# attempts, header and body caps, rendered answers and boot scripts, SIGHUP
# with a broken state, a second daemon on the same state, and SIGTERM while
# 50 downloads are running.
. "$top_srcdir/tests/integration/lib.sh"

command -v curl >/dev/null || skip_all "curl not installed"
[ -x "$PROVD" ] || skip_all "provd not built"

T=$(tmpdir)
S=$T/state
LOG=$T/serve.log
PORT=$(free_port)
URL=http://127.0.0.1:$PORT

"$PROVD" --state "$S" init >/dev/null || bail "provd init failed"
mkdir -p "$S/files/deb12"
head -c 1000000 /dev/urandom >"$S/files/deb12/linux"
head -c 3000000 /dev/urandom >"$S/files/deb12/initrd.gz"
"$PROVD" --state "$S" distro add deb12 --kernel deb12/linux --initrd deb12/initrd.gz --breed debian >/dev/null ||
	bail "distro add failed"
"$PROVD" --state "$S" profile add p1 --distro deb12 --autoinstall preseed/debian.cfg >/dev/null 2>&1 ||
	"$PROVD" --state "$S" profile add p1 --distro deb12 >/dev/null || bail "profile add failed"
"$PROVD" --state "$S" system add web1 --profile p1 --mac 52:54:00:aa:bb:01 --ip 192.0.2.11 >/dev/null ||
	bail "system add failed"
echo "not served" >"$T/outside.txt"
ln -s "$T/outside.txt" "$S/files/deb12/evil"
ln -s "$T" "$S/files/evildir"

start_daemon() {
	"$PROVD" --state "$S" serve --http "127.0.0.1:$PORT" --no-tftp "$@" 2>>"$LOG" &
	DPID=$!
	on_exit "kill -9 $DPID"
	wait_for 100 curl -sf "$URL/healthz"
}

gen() { cat "$S/.serve-generation" 2>/dev/null || echo 0; }
# Send SIGHUP and wait until the daemon has finished that reload.
hup_and_wait() {
	local g0
	g0=$(gen)
	kill -HUP "$DPID"
	wait_for 50 gen_changed "$g0"
}
gen_changed() { [ "$(gen)" != "$1" ]; }
status() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
sha() { sha256sum | cut -d' ' -f1; }

plan 68

# --no-watch: reloads below must come from SIGHUP, not from inotify.
ok "daemon starts and answers /healthz" start_daemon --no-watch
is "healthz body" "$(curl -s "$URL/healthz")" "ok"

# --- static files -----------------------------------------------------
is "kernel bytes" "$(curl -s "$URL/boot/deb12/linux" | sha)" "$(sha <"$S/files/deb12/linux")"
is "initrd bytes" "$(curl -s "$URL/boot/deb12/initrd.gz" | sha)" "$(sha <"$S/files/deb12/initrd.gz")"
hdrs=$(curl -sI "$URL/boot/deb12/linux" | tr -d '\r')
is "HEAD status" "$(echo "$hdrs" | head -1)" "HTTP/1.1 200 OK"
is "HEAD Content-Length" "$(echo "$hdrs" | sed -n 's/^Content-Length: //p')" "1000000"
is "HEAD sends no body" "$(curl -s -X HEAD --max-time 2 "$URL/boot/deb12/linux" 2>/dev/null | wc -c)" "0"
is "Content-Type of a kernel" "$(echo "$hdrs" | sed -n 's/^Content-Type: //p')" "application/octet-stream"
etag=$(echo "$hdrs" | sed -n 's/^ETag: //p')
lm=$(echo "$hdrs" | sed -n 's/^Last-Modified: //p')
ok "ETag present" test -n "$etag"
ok "Last-Modified present" test -n "$lm"

is "Range 100-199: 206" "$(status -r 100-199 "$URL/boot/deb12/linux")" "206"
is "Range 100-199: the right bytes" "$(curl -s -r 100-199 "$URL/boot/deb12/linux" | sha)" \
	"$(dd if="$S/files/deb12/linux" bs=1 skip=100 count=100 2>/dev/null | sha)"
is "Range Content-Range" "$(curl -s -D - -o /dev/null -r 100-199 "$URL/boot/deb12/linux" | tr -d '\r' | sed -n 's/^Content-Range: //p')" \
	"bytes 100-199/1000000"
is "suffix range -10" "$(curl -s -r -10 "$URL/boot/deb12/linux" | sha)" "$(tail -c 10 "$S/files/deb12/linux" | sha)"
is "open range 999990-" "$(curl -s -r 999990- "$URL/boot/deb12/linux" | wc -c)" "10"
is "range past the end: 416" "$(status -r 2000000-2000010 "$URL/boot/deb12/linux")" "416"
is "416 carries Content-Range */size" "$(curl -s -D - -o /dev/null -r 2000000- "$URL/boot/deb12/linux" | tr -d '\r' | sed -n 's/^Content-Range: //p')" \
	"bytes */1000000"
is "If-Range with a stale ETag gives the whole file" "$(status -r 0-9 -H 'If-Range: "stale"' "$URL/boot/deb12/linux")" "200"

is "If-None-Match with the ETag: 304" "$(status -H "If-None-Match: $etag" "$URL/boot/deb12/linux")" "304"
is "If-None-Match with another ETag: 200" "$(status -H 'If-None-Match: "nope"' "$URL/boot/deb12/linux")" "200"
is "If-Modified-Since = Last-Modified: 304" "$(status -H "If-Modified-Since: $lm" "$URL/boot/deb12/linux")" "304"
is "If-Modified-Since in 2001: 200" "$(status -H 'If-Modified-Since: Mon, 01 Jan 2001 00:00:00 GMT' "$URL/boot/deb12/linux")" "200"
is "missing file: 404" "$(status "$URL/boot/deb12/nope")" "404"
is "unknown route: 404" "$(status "$URL/nothing-here")" "404"
is "POST to /boot: 405" "$(status -X POST "$URL/boot/deb12/linux")" "405"

# --- rendered answers and iPXE scripts --------------------------------------------
for a in "system/web1:--system web1" "profile/p1:--profile p1" "mac/52:54:00:aa:bb:01:--mac 52:54:00:aa:bb:01"; do
	route=${a%%:--*}
	args=--${a#*:--}
	# shellcheck disable=SC2086
	want=$("$PROVD" --state "$S" render autoinstall $args --base-url "$URL" 2>/dev/null | sha)
	is "/autoinstall/$route == provd render autoinstall $args" "$(curl -s "$URL/autoinstall/$route" | sha)" "$want"
done
is "/autoinstall/system/nope: 404" "$(status "$URL/autoinstall/system/nope")" "404"
is "/autoinstall/mac/not-a-mac: 400" "$(status "$URL/autoinstall/mac/zz")" "400"
ok "/ipxe/<mac> is an iPXE script" sh -c "curl -s '$URL/ipxe/52:54:00:aa:bb:01' | head -1 | grep -q '^#!ipxe'"
ok "/ipxe/<mac> names the kernel" sh -c "curl -s '$URL/ipxe/52:54:00:aa:bb:01' | grep -q 'deb12'"
ok "/ipxe/default is an iPXE script" sh -c "curl -s '$URL/ipxe/default' | head -1 | grep -q '^#!ipxe'"

# --- the TFTP tree over HTTP (lpxelinux, GRUB http) ---------------------------
mkdir -p "$S/tftp/pxelinux.cfg" "$S/tftp/grub"
printf 'DEFAULT local\n' >"$S/tftp/pxelinux.cfg/01-52-54-00-aa-bb-01"
printf 'set timeout=1\n' >"$S/tftp/grub/grub.cfg"
is "/pxelinux.cfg/01-<mac> from the TFTP tree" "$(curl -s "$URL/pxelinux.cfg/01-52-54-00-aa-bb-01")" "DEFAULT local"
is "/grub/grub.cfg from the TFTP tree" "$(curl -s "$URL/grub/grub.cfg")" "set timeout=1"
# UEFI HTTP boot (DHCP arch 16) is sent to <base>/grubnetx64.efi.
if [ -f "$S/tftp/grubnetx64.efi" ]; then
	is "/grubnetx64.efi is the TFTP tree's loader" "$(curl -s "$URL/grubnetx64.efi" | sha256sum | cut -c1-64)" "$(sha256sum < "$S/tftp/grubnetx64.efi" | cut -c1-64)"
else
	printf 'grub-efi-image' > "$S/tftp/grubnetx64.efi"
	is "/grubnetx64.efi is the TFTP tree's loader" "$(curl -s "$URL/grubnetx64.efi")" "grub-efi-image"
fi
is "/grubnetx64.efi/x: 404" "$(status "$URL/grubnetx64.efi/x")" "404"
# ...or to <base>/ipxe.efi when the tree has iPXE.
if [ -f "$S/tftp/ipxe.efi" ]; then
	is "/ipxe.efi is the TFTP tree's iPXE" "$(curl -s "$URL/ipxe.efi" | sha256sum | cut -c1-64)" "$(sha256sum < "$S/tftp/ipxe.efi" | cut -c1-64)"
else
	printf 'ipxe-efi-image' > "$S/tftp/ipxe.efi"
	is "/ipxe.efi is the TFTP tree's iPXE" "$(curl -s "$URL/ipxe.efi")" "ipxe-efi-image"
fi
is "/pxelinux.cfg/ missing file: 404" "$(status "$URL/pxelinux.cfg/C0A80001")" "404"

# --- traversal ------------------------------------------------------------
for p in "/boot/../provd.yaml" "/boot/deb12/../../provd.yaml" "/boot/%2e%2e/provd.yaml" \
	"/boot/%2e%2e/%2e%2e/secret" "/boot/%252e%252e/provd.yaml" "/boot/deb12/..%2f..%2fsecret"; do
	body=$(curl -s --path-as-is "$URL$p")
	code=$(status --path-as-is "$URL$p")
	case "$code:$body" in
	2*|*secret_file*|*http:*) fail "traversal $p served something ($code)" ;;
	*) pass "traversal $p refused ($code)" ;;
	esac
done
is "NUL in path (%00): 400" "$(status "$URL/boot/deb12/linux%00.txt")" "400"
is "bad escape (%zz): 400" "$(status "$URL/boot/%zz")" "400"
is "symlink pointing outside files/: 403" "$(status "$URL/boot/deb12/evil")" "403"
is "symlinked directory: 403" "$(status "$URL/boot/evildir/outside.txt")" "403"
is "path over the limit: 414" "$(status "$URL/boot/$(head -c 1200 /dev/zero | tr '\0' a)")" "414"

# --- caps -----------------------------------------------------------------
big=$(head -c 40000 /dev/zero | tr '\0' x)
code=$(status -H "X-Big: $big" "$URL/healthz")
case $code in 431|413|400) pass "oversized header refused ($code)" ;; *) fail "oversized header refused (got $code)" ;; esac
head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' ' ' >"$T/bigbody"
is "oversized body: 413" "$(status -X POST -H "Authorization: Bearer $(cat "$S/api-token")" \
	-H 'Content-Type: application/json' --data-binary @"$T/bigbody" "$URL/api/v1/systems")" "413"

# --- SIGHUP ----------------------------------------------------------------
printf 'profile: [\n' >"$S/systems/broken.yaml"
ok "SIGHUP with a broken object: reload attempted" hup_and_wait
ok "the error is logged with its file" grep -q "broken.yaml:[0-9]*:[0-9]*" "$LOG"
ok "the refusal is logged" grep -q "refused" "$LOG"
is "old state keeps serving boot files" "$(status "$URL/boot/deb12/linux")" "200"
ok "old state keeps serving the API" sh -c "curl -s '$URL/api/v1/systems' | grep -q web1"
rm -f "$S/systems/broken.yaml"
mkdir -p "$S/files/deb13"
echo "new kernel" >"$S/files/deb13/vmlinuz"
echo "new initrd" >"$S/files/deb13/initrd"
printf 'kernel: deb13/vmlinuz\ninitrd: deb13/initrd\nbreed: debian\n' >"$S/distros/deb13.yaml"
ok "SIGHUP with a good change reloads" hup_and_wait
ok "new distro is served" sh -c "curl -s '$URL/api/v1/distros' | grep -q deb13"

# --- one daemon per state --------------------------------------------------
"$PROVD" --state "$S" serve --http "127.0.0.1:$(free_port)" --no-tftp 2>"$T/second.log"
is "second daemon on the same state exits 1" "$?" "1"
ok "and says why" grep -q "another provd serve (pid $DPID)" "$T/second.log"

# --- SIGTERM during 50 downloads -------------------------------------------
head -c $((4 * 1024 * 1024)) /dev/urandom >"$S/files/deb12/big.img"
want=$(sha <"$S/files/deb12/big.img")
pids=()
for i in $(seq 1 50); do
	curl -s --limit-rate 2M -o "$T/dl.$i" "$URL/boot/deb12/big.img" &
	pids+=($!)
done
# SIGTERM once every download has started (on a loaded machine some curls
# connect late; a refused connection is not what this checks).
started() { for i in $(seq 1 50); do [ -s "$T/dl.$i" ] || return 1; done; }
wait_for 100 started
kill -TERM "$DPID"
wait "$DPID"
is "daemon exits 0 after SIGTERM" "$?" "0"
bad=0
for i in $(seq 1 50); do
	wait "${pids[$((i - 1))]}" || bad=$((bad + 1))
	[ "$(sha <"$T/dl.$i")" = "$want" ] || bad=$((bad + 1))
done
is "all 50 in-flight downloads finished intact" "$bad" "0"
ok "no sanitizer report in the daemon log" sh -c "! grep -q 'Sanitizer' '$LOG'"
ok "pid file removed" test ! -e "$S/provd.pid"

# --- privileged port as root, then drop to `user:` ---------------------------
if [ "$(id -u)" -ne 0 ] || ! id nobody >/dev/null 2>&1; then
	skip "privilege drop: needs root and a 'nobody' user"
	skip "privilege drop: needs root and a 'nobody' user"
	skip "privilege drop: needs root and a 'nobody' user"
else
	LPORT=$(python3 -c 'import socket,random
for p in random.sample(range(600, 1000), 400):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); print(p); break
    except OSError: pass
    finally: s.close()')
	chmod 755 "$T"
	printf 'user: nobody\n' >>"$S/provd.yaml"
	chown -R nobody "$S"
	"$PROVD" --state "$S" serve --http "127.0.0.1:$LPORT" --no-tftp 2>>"$LOG" &
	DPID=$!
	on_exit "kill -9 $DPID"
	ok "privileged port $LPORT bound as root" wait_for 100 curl -sf "http://127.0.0.1:$LPORT/healthz"
	# The pool answers while the daemon is still starting; the drop comes
	# after every socket is bound.
	runs_as() { [ "$(ps -o user= -p "$DPID" | tr -d ' ')" = "$1" ]; }
	ok "then running as nobody" wait_for 50 runs_as nobody
	is "and still serving files" "$(curl -s "http://127.0.0.1:$LPORT/boot/deb12/linux" | sha)" "$(sha <"$S/files/deb12/linux")"
	kill -TERM "$DPID"
	wait "$DPID"
fi

done_testing
