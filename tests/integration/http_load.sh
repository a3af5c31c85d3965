#!/bin/bash
# http_load: 200 concurrent clients download a 64 MiB initrd from
# `provd serve` and 2,000 answer-file requests run 50 at a time; every body
# is checked by sha256 against the file on disk / `provd render autoinstall`.
# The files live in the test's tmpdir (same file system as the state), so the
# test measures the server, not a disk.
. "$top_srcdir/tests/integration/lib.sh"

command -v curl >/dev/null || skip_all "curl not installed"
[ -x "$PROVD" ] || skip_all "provd not built"

CLIENTS=200
ANSWERS=2000
T=$(tmpdir)
S=$T/state
LOG=$T/serve.log
PORT=$(free_port)
URL=http://127.0.0.1:$PORT

# sha256 of stdin; openssl is about twice as fast as sha256sum on CPUs
# without SHA extensions, and 12.5 GiB go through here.
if command -v openssl >/dev/null; then
	sha() { openssl dgst -sha256 -r | cut -d' ' -f1; }
else
	sha() { sha256sum | cut -d' ' -f1; }
fi

"$PROVD" --state "$S" init >/dev/null || bail "provd init failed"
mkdir -p "$S/files/deb12"
head -c 1000 /dev/urandom >"$S/files/deb12/linux"
head -c $((64 * 1024 * 1024)) /dev/urandom >"$S/files/deb12/initrd.gz"
"$PROVD" --state "$S" distro add deb12 --kernel deb12/linux --initrd deb12/initrd.gz --breed debian >/dev/null ||
	bail "distro add failed"
"$PROVD" --state "$S" profile add p1 --distro deb12 --autoinstall preseed/debian.cfg >/dev/null ||
	bail "profile add failed"
"$PROVD" --state "$S" system add web1 --profile p1 --mac 52:54:00:aa:bb:02 >/dev/null ||
	bail "system add failed"

plan 6

"$PROVD" --state "$S" serve --http "127.0.0.1:$PORT" --no-tftp 2>"$LOG" &
DPID=$!
on_exit "kill -9 $DPID"
ok "daemon up" wait_for 100 curl -sf "$URL/healthz"

# --- 200 x 64 MiB -------------------------------------------------------------
want=$(sha <"$S/files/deb12/initrd.gz")
t0=$(date +%s.%N)
pids=()
for i in $(seq 1 $CLIENTS); do
	(curl -sf "$URL/boot/deb12/initrd.gz" | sha >"$T/big.$i") &
	pids+=($!)
done
wait "${pids[@]}"
t1=$(date +%s.%N)
good=$(cat "$T"/big.* | grep -c "^$want\$")
is "$CLIENTS concurrent 64 MiB downloads, all bytes verified" "$good" "$CLIENTS"
diag "$(awk -v a="$t0" -v b="$t1" -v n=$CLIENTS 'BEGIN { printf "%d x 64 MiB in %.1f s (%.0f MiB/s incl. client hashing)", n, b - a, n * 64 / (b - a) }')"

# --- 2,000 rendered answers ---------------------------------------------------
"$PROVD" --state "$S" render autoinstall --system web1 --base-url "$URL" >"$T/expected" 2>"$T/render.err"
ok "provd render autoinstall works" test -s "$T/expected"
want=$(sha <"$T/expected")
mkdir -p "$T/ans"
: >"$T/curl.cfg"
for i in $(seq 1 $ANSWERS); do
	printf 'url = "%s/autoinstall/system/web1"\noutput = "%s/ans/%d"\n' "$URL" "$T" "$i" >>"$T/curl.cfg"
done
t0=$(date +%s.%N)
curl -s --no-progress-meter --fail --parallel --parallel-max 50 -K "$T/curl.cfg"
t1=$(date +%s.%N)
good=0
for f in "$T"/ans/*; do [ "$(sha <"$f")" = "$want" ] && good=$((good + 1)); done
is "$ANSWERS answer-file requests, all identical to provd render" "$good" "$ANSWERS"
diag "$(awk -v a="$t0" -v b="$t1" -v n=$ANSWERS 'BEGIN { printf "%d answers in %.2f s (%.0f req/s, 50 at a time)", n, b - a, n / (b - a) }')"

kill -TERM "$DPID"
wait "$DPID"
is "daemon exits 0" "$?" "0"
ok "no sanitizer report in the daemon log" sh -c "! grep -q 'Sanitizer' '$LOG'"

done_testing
