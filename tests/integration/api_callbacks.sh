#!/bin/bash
# api_callbacks: install callbacks /api/v1/status/<system>/<phase>?token=T
# against a running `provd serve`: wrong or missing token is 403 and changes
# nothing (object file, events); start/failed/done record events; "done" on a
# pxe_just_once system turns netboot off on disk and in the served snapshot,
# and that machine's pxelinux config (TFTP tree, else over HTTP) switches to
# local boot at once; the timeline shows it in the CLI (`provd events`,
# `provd system show`) and the API; /metrics counts it.
. "$top_srcdir/tests/integration/lib.sh"
command -v openssl >/dev/null || skip_all "openssl not installed (scripts/setup installs it)"
# No file watching: the served state after "done" must come from the
# callback installing the store's new snapshot, not from a later reload.
SERVE_ARGS=--no-watch
. "$top_srcdir/tests/integration/api_lib.sh"

mac=52:54:00:cc:dd:01
pxe_name=01-52-54-00-cc-dd-01
# The per-system token: HMAC-SHA256 of the name keyed with the server secret.
token_of() { printf '%s' "$1" | openssl dgst -sha256 -hmac "$(cat "$st/secret")" | awk '{print $NF}'; }
cb() {	# cb METHOD SYSTEM PHASE [TOKEN]: prints the status
	curl -s -o "$out/body" -w '%{http_code}' -X "$1" ${5:+--data-binary "$5"} \
		"$U/status/$2/$3${4:+?token=$4}"
}
pxecfg() {	# the machine's pxelinux config as a PXE client would get it
	if [ -f "$st/tftp/pxelinux.cfg/$pxe_name" ]; then
		cat "$st/tftp/pxelinux.cfg/$pxe_name"
	else
		curl -sf "$H/pxelinux.cfg/$pxe_name"
	fi
}
ncb() { "$PROVD" --state "$st" events --system "$1" --json | jq "[.events[] | select(.kind|startswith(\"install-\"))] | length"; }

is "distro" "$(api POST /distros '{"name":"deb12","kernel":"deb12/linux","initrd":"deb12/initrd.gz","breed":"debian"}')" 201
is "profile" "$(api POST /profiles '{"name":"web","distro":"deb12","autoinstall":"preseed/debian.cfg"}')" 201
is "pxe_just_once system" "$(api POST /systems "{\"name\":\"once\",\"profile\":\"web\",\"pxe_just_once\":true,\"interfaces\":[{\"mac\":\"$mac\"}]}")" 201
is "ordinary system" "$(api POST /systems '{"name":"keep","profile":"web","interfaces":[{"mac":"52:54:00:cc:dd:02"}]}')" 201

# An admin watching the install live.
"$PROVD" --state "$st" events --follow --json --system once >"$out/follow.jsonl" 2>"$out/follow.err" &
follow_pid=$!
on_exit "kill $follow_pid"

good=$(token_of once)
ok "token is 64 hex digits" grep -qx '[0-9a-f]\{64\}' <<<"$good"
# The installer finds its callback URLs in its rendered answer file.
answer=$(curl -sf "$H/autoinstall/system/once")
ok "answer file served" test -n "$answer"
done_path=$(grep -o '/api/v1/status/once/done?token=[0-9a-f]*' <<<"$answer" | head -n 1)
is "answer file carries the done callback with the system's token" "$done_path" "/api/v1/status/once/done?token=$good"
ok "answer file fetch is an event" test "$(curl -s "$U/events?system=once&kind=answer-file" | jq '.events | length')" -ge 1
before=$(sha256sum "$st/systems/once.yaml")
pxe_before=$(pxecfg)
ok "pxelinux config served before install" test -n "$pxe_before"
boots_local() { grep -qi '^[[:space:]]*localboot' <<<"$1"; }
not() { ! "$@"; }
ok "pxelinux config boots the installer kernel" grep -q 'deb12/linux' <<<"$pxe_before"

# ---- refused callbacks change nothing ----
bad=${good%?}; [ "${good: -1}" = 0 ] && bad=${bad}1 || bad=${bad}0
is "done, wrong token: 403" "$(cb GET once done "$bad")" 403
is "done, other system's token: 403" "$(cb POST once done "$(token_of keep)")" 403
is "done, no token: 403" "$(cb GET once done)" 403
is "403 says why" "$(jget '.errors[0].path')" "token"
is "refused: file unchanged" "$(sha256sum "$st/systems/once.yaml")" "$before"
is "refused: still netboot" "$(curl -s "$U/systems/once" | jq -r .netboot)" "true"
is "refused: no events" "$(ncb once)" 0
is "unknown system: 404" "$(cb GET ghost done "$(token_of ghost)")" 404
is "unknown phase: 404" "$(cb GET once finished "$good")" 404
is "PUT not allowed: 405" "$(curl -s -o /dev/null -w '%{http_code}' -X PUT "$U/status/once/done?token=$good")" 405

is "HEAD with the right token: 200" "$(curl -s -o /dev/null -w '%{http_code}' -I "$U/status/once/done?token=$good")" 200
is "HEAD changes nothing" "$(sha256sum "$st/systems/once.yaml")" "$before"
is "HEAD records nothing" "$(ncb once)" 0

# ---- accepted callbacks ----
is "start (GET, as wget would): 200" "$(cb GET once start "$good")" 200
is "start keeps netboot" "$(jget .netboot)" "true"
is "failed (POST with a message): 200" "$(cb POST once failed "$good" 'partman: no disk')" 200
is "two events so far" "$(ncb once)" 2
ok "message in the event" bash -c "'$PROVD' --state '$st' events --system once | grep -q 'partman: no disk'"
is "still netboot after failed" "$(curl -s "$U/systems/once" | jq -r .netboot)" "true"
# "done" exactly as the answer file's late_command calls it.
is "done (POST, the answer file's URL): 200" "$(curl -s -o "$out/body" -w '%{http_code}' -X POST "$H$done_path")" 200
is "done answers netboot false" "$(jget .netboot)" "false"
is "netboot off in the API at once" "$(curl -s "$U/systems/once" | jq -r .netboot)" "false"
ok "netboot off on disk" grep -q '^netboot: false' "$st/systems/once.yaml"
pxe_after=$(pxecfg)
ok "pxelinux config changed" test "$pxe_after" != "$pxe_before"
ok "pxelinux config now boots the local disk" boots_local "$pxe_after"
ok "pxelinux config no longer loads the installer" not grep -q 'deb12/linux' <<<"$pxe_after"
# What a PXE client would fetch from the daemon's in.tftpd right now.
if [ -x /usr/sbin/in.tftpd ]; then
	wait_for 50 curl -sf "tftp://127.0.0.1:$tport/pxelinux.cfg/$pxe_name" -o "$out/tftp.cfg"
	ok "over TFTP the machine now gets local boot" boots_local "$(cat "$out/tftp.cfg" 2>/dev/null)"
else
	skip "in.tftpd not installed (tftpd-hpa)"
fi
is "done again: 200, idempotent" "$(cb GET once done "$good")" 200
is "done on an ordinary system: netboot stays on" "$(cb GET keep done "$(token_of keep)")" 200
is "ordinary system still netboots" "$(curl -s "$U/systems/keep" | jq -r .netboot)" "true"

# ---- timeline ----
kinds=$("$PROVD" --state "$st" events --system once --json | jq -r '[.events[].kind | select(startswith("install-") or .=="netboot-off")] | join(",")')
is "CLI timeline in order" "$kinds" "install-start,install-failed,install-done,netboot-off,install-done"
is "API timeline agrees" "$(curl -s "$U/systems/once/events" | jq -r '[.events[].kind | select(startswith("install-") or .=="netboot-off")] | join(",")')" "$kinds"
is "events carry the MAC" "$(curl -s "$U/events?system=once&kind=install-done&limit=1" | jq -r '.events[0].mac')" "$mac"
ok "provd system show prints the timeline" bash -c "'$PROVD' --state '$st' system show once | grep -q install-done"
curl -s -o /dev/null "$H/pxelinux.cfg/$pxe_name"
ok "pxelinux config served over HTTP is an event for the MAC" test "$(curl -s "$U/events?mac=$mac&kind=boot-file" | jq '.events | length')" -ge 1
is "kernel over HTTP: 200" "$(curl -s -o /dev/null -w '%{http_code}' "$H/boot/deb12/linux")" 200
ok "kernel served is an event" test "$(curl -s "$U/events?kind=boot-file" | jq '[.events[] | select(.detail | contains("deb12/linux"))] | length')" -ge 1

# ---- the live view saw it all, as it happened ----
wait_for 30 grep -q netboot-off "$out/follow.jsonl"
is "events --follow streamed the install" "$(jq -r 'select(.kind|startswith("install-") or .=="netboot-off") | .kind' "$out/follow.jsonl" | paste -sd, -)" "$kinds"
kill -TERM "$follow_pid"; wait "$follow_pid"
is "events --follow stops cleanly on SIGTERM" "$?" 0

# ---- metrics ----
ok "callbacks counted by route and status" test "$(metric 'provd_http_requests_total{route="callback",status="403"}')" -ge 3
ok "install-done events counted" test "$(metric 'provd_events_total{kind="install-done"}')" -ge 2
ok "netboot-off events counted" test "$(metric 'provd_events_total{kind="netboot-off"}')" -eq 1

ok "server still running" kill -0 "$serve_pid"
ok "the access log shows callbacks" grep -q 'status/once/done?token=REDACTED' "$out/serve.log"
ok "the access log never shows a callback token" sh -c "! grep -q '$good' '$out/serve.log'"
stop_serve
plan $_tap_n
done_testing
