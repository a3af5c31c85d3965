#!/bin/bash
# api_crud: the REST API against a running `provd serve` on loopback, with
# curl: CRUD of distros/profiles/systems, 401/403, malformed JSON, validation
# errors with field paths, oversized bodies, If-Match, resolved views,
# concurrent conflicting writes from 8 clients (no lost update, no torn
# file), the events timeline via CLI and API, /metrics counters.
. "$top_srcdir/tests/integration/lib.sh"
# No file watching: what the server shows after a write must come from the
# API installing the store's new snapshot, not from a later reload.
SERVE_ARGS=--no-watch
. "$top_srcdir/tests/integration/api_lib.sh"

sysfile=$st/systems/web1.yaml

# ---- auth ----
is "index is open" "$(curl -s -o /dev/null -w '%{http_code}' "$U/")" 200
is "write without token: 401" "$(noauth POST /distros '{"name":"deb12","kernel":"deb12/linux","initrd":"deb12/initrd.gz"}')" 401
is "401 body is JSON errors" "$(jget '.errors[0].message')" "authentication required"
is "write with wrong token: 403" "$(badauth POST /distros '{"name":"deb12","kernel":"deb12/linux","initrd":"deb12/initrd.gz"}')" 403
ok "refused writes created nothing" test ! -e "$st/distros/deb12.yaml"
ok "token file is mode 0600" test "$(stat -c %a "$st/api-token")" = 600

# ---- create ----
is "POST distro: 201" "$(api POST /distros '{"name":"deb12","kernel":"deb12/linux","initrd":"deb12/initrd.gz","breed":"debian","kernel_options":{"quiet":null}}')" 201
is "distro body echoes kernel" "$(jget .kernel)" "deb12/linux"
ok "distro file written" test -s "$st/distros/deb12.yaml"
is "absolute kernel path via API: 422" "$(api POST /distros '{"name":"evil","kernel":"/etc/shadow","initrd":"deb12/initrd.gz"}')" 422
is "absolute path: error names the field" "$(jget '.errors[0].path')" "kernel"
ok "absolute path: nothing written" test ! -e "$st/distros/evil.yaml"
is "absolute initrd via PATCH: 422" "$(api PATCH /distros/deb12 '{"initrd":"/etc/passwd"}')" 422
is "POST same distro again: 409" "$(api POST /distros '{"name":"deb12","kernel":"deb12/linux","initrd":"deb12/initrd.gz"}')" 409
is "POST profile: 201" "$(api POST /profiles '{"name":"web","distro":"deb12","kernel_options":{"console":"ttyS0"},"meta":{"role":"web"}}')" 201
is "POST system: 201" "$(api POST /systems '{"name":"web1","profile":"web","interfaces":[{"mac":"52-54-00-AA-BB-01","ip":"192.0.2.11"}]}')" 201
is "MAC normalised by the model" "$(jget '.interfaces[0].mac')" "52:54:00:aa:bb:01"
is "GET list has the system" "$(curl -s "$U/systems" | jq -r '.systems[].name')" "web1"
is "GET show: 200" "$(curl -s -o "$out/body" -w '%{http_code}' "$U/systems/web1")" 200
is "netboot defaults to true" "$(jget .netboot)" "true"
etag=$(curl -s -D - -o /dev/null "$U/systems/web1" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}')
ok "GET show has an ETag" test -n "$etag"
is "If-None-Match with the ETag: 304" "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$U/systems/web1")" 304
is "unknown object: 404" "$(curl -s -o /dev/null -w '%{http_code}' "$U/systems/nope")" 404

# ---- bad bodies change nothing ----
before=$(sha256sum "$sysfile")
is "malformed JSON: 400" "$(api PUT /systems/web1 '{"profile": "web",')" 400
ok "malformed JSON: errors array" test "$(jget '.errors | length')" -ge 1
is "duplicate key: 400" "$(api PUT /systems/web1 '{"profile":"web","profile":"x","interfaces":[{"mac":"52:54:00:aa:bb:01"}]}')" 400
is "not an object: 400" "$(api PUT /systems/web1 '[1,2]')" 400
is "bad MAC: 422" "$(api PUT /systems/web1 '{"profile":"web","interfaces":[{"mac":"52:54:00:aa:bb:01"},{"mac":"zz:00"}]}')" 422
is "bad MAC: path" "$(jget '[.errors[].path] | index("interfaces[1].mac") != null')" "true"
is "unknown key: 422" "$(api PATCH /systems/web1 '{"bogus":1}')" 422
is "unknown key: path" "$(jget '.errors[0].path')" "bogus"
is "dangling profile: 422" "$(api PUT /systems/web1 '{"profile":"nope","interfaces":[{"mac":"52:54:00:aa:bb:01"}]}')" 422
is "dangling profile: path" "$(jget '[.errors[].path] | index("profile") != null')" "true"
is "wrong type: 422" "$(api PATCH /systems/web1 '{"netboot":"maybe"}')" 422
is "wrong type: path" "$(jget '.errors[0].path')" "netboot"
is "name mismatch: 400" "$(api PUT /systems/web1 '{"name":"other","profile":"web","interfaces":[{"mac":"52:54:00:aa:bb:01"}]}')" 400
{ printf '{"comment":"'; head -c 300000 /dev/zero | tr '\0' 'a'; printf '"}'; } >"$out/big.json"
is "oversized body: 413" "$(api PUT /systems/web1 "@$out/big.json")" 413
{ printf '{"comment":"'; head -c 70000 /dev/zero | tr '\0' 'a'; printf '"}'; } >"$out/long.json"
is "value past the YAML scalar cap: 422" "$(api PATCH /systems/web1 "@$out/long.json")" 422
is "value past the cap: path" "$(jget '.errors[0].path')" "comment"
is "bad writes left the file alone" "$(sha256sum "$sysfile")" "$before"
is "POST invalid name: 422" "$(api POST /systems '{"name":"../x","profile":"web","interfaces":[{"mac":"52:54:00:aa:bb:09"}]}')" 422
ok "no file outside systems/" test ! -e "$st/x.yaml"

# A hand-broken file elsewhere in the state blocks writes (the store
# validates the whole state), and the error names that file and line.
printf 'kernel: deb12/linux\ninitrd: deb12/initrd.gz\nbogus_key: 1\n' >"$st/distros/broken.yaml"
is "write with another file broken: 422" "$(api PATCH /systems/web1 '{"meta":{"z":"1"}}')" 422
ok "error names the broken file and line" grep -q 'broken.yaml:3' <<<"$(jget '.errors[].message')"
rm -f "$st/distros/broken.yaml"
is "writes work again once it is fixed" "$(api PATCH /systems/web1 '{"meta":{"z":null}}')" 200

# ---- update ----
is "PUT replace: 200" "$(api PUT /systems/web1 '{"profile":"web","netboot":false,"interfaces":[{"mac":"52:54:00:aa:bb:01","hostname":"web1"}],"meta":{"a":"1"}}')" 200
is "PUT visible at once" "$(curl -s "$U/systems/web1" | jq -r .netboot)" "false"
is "PATCH merge: 200" "$(api PATCH /systems/web1 '{"meta":{"b":"2"},"netboot":true}')" 200
is "PATCH kept other keys" "$(curl -s "$U/systems/web1" | jq -c '[.meta.a, .meta.b, .netboot, .interfaces[0].hostname]')" '["1","2",true,"web1"]'
is "PATCH null removes a key" "$(api PATCH /systems/web1 '{"meta":{"a":null}}')" 200
is "key removed" "$(curl -s "$U/systems/web1" | jq -c .meta)" '{"b":"2"}'
is "If-Match with a stale ETag: 412" "$(api PATCH /systems/web1 '{"meta":{"c":"3"}}' -H "If-Match: $etag")" 412
cur=$(curl -s -D - -o /dev/null "$U/systems/web1" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}')
is "If-Match with the current ETag: 200" "$(api PATCH /systems/web1 '{"meta":{"c":"3"}}' -H "If-Match: $cur")" 200
is "If-Match on a missing object: 412" "$(api PUT /systems/ghost '{"profile":"web","interfaces":[{"mac":"52:54:00:aa:bb:0f"}]}' -H 'If-Match: *')" 412
is "PATCH a missing object: 404" "$(api PATCH /systems/ghost '{"netboot":false}')" 404
is "PUT creates: 201" "$(api PUT /systems/web2 '{"profile":"web","interfaces":[{"mac":"52:54:00:aa:bb:02"}]}')" 201
is "duplicate MAC across systems: 422" "$(api PUT /systems/web3 '{"profile":"web","interfaces":[{"mac":"52:54:00:aa:bb:02"}]}')" 422
ok "refused system not written" test ! -e "$st/systems/web3.yaml"

# ---- resolved view ----
curl -s "$U/systems/web1?resolved=1" >"$out/body"
is "resolved: distro" "$(jget .distro)" "deb12"
is "resolved: inherited kernel" "$(jget .kernel.value)" "deb12/linux"
is "resolved: merged options" "$(jget '.kernel_options | has("quiet") and has("console")')" "true"
ok "resolved: origins" grep -q "deb12" <<<"$(jget '.kernel.from')"
is "resolved list" "$(curl -s "$U/systems?resolved=1" | jq -r '[.systems[] | .name + ":" + .kernel.value] | join(",")')" "web1:deb12/linux,web2:deb12/linux"
is "resolved list of distros: 400" "$(curl -s -o /dev/null -w '%{http_code}' "$U/distros?resolved=1")" 400
is "resolved: same JSON as the CLI" "$(jq -S . "$out/body")" "$("$PROVD" --state "$st" system show web1 --resolved --json | jq -S .)"
is "show: same JSON as the CLI" "$(curl -s "$U/systems/web1" | jq -S .)" "$("$PROVD" --state "$st" system show web1 --json | jq -S .)"
# What GET returns can be PUT back unchanged.
curl -s "$U/systems/web1" >"$out/get.json"
before=$(curl -s "$U/systems/web1" | jq -S .)
is "GET body PUT back: 200" "$(api PUT /systems/web1 "@$out/get.json")" 200
is "GET body PUT back: same object" "$(curl -s "$U/systems/web1" | jq -S .)" "$before"
is "kind mismatch: 400" "$(api PATCH /systems/web1 '{"kind":"distro"}')" 400

# ---- delete ----
is "DELETE a referenced profile: refused" "$(api DELETE /profiles/web)" 409
ok "referenced profile still there" test -e "$st/profiles/web.yaml"
is "DELETE system: 204" "$(api DELETE /systems/web2)" 204
is "deleted system: 404" "$(curl -s -o /dev/null -w '%{http_code}' "$U/systems/web2")" 404
ok "deleted system file gone" test ! -e "$st/systems/web2.yaml"
is "DELETE without token: 401" "$(noauth DELETE /systems/web1)" 401
ok "still there after 401" test -e "$sysfile"

# ---- 8 concurrent writers ----
# Each client adds its own meta key with PATCH, 5 times over; a lost
# update would drop some client's key.
for c in 1 2 3 4 5 6 7 8; do
	(
		for i in 1 2 3 4 5; do
			curl -s -o /dev/null -X PATCH -H "Authorization: Bearer $tok" \
				--data-binary "{\"meta\":{\"k$c\":\"$i\"}}" "$U/systems/web1"
		done
	) &
done
# Meanwhile a reader must always see a whole, valid object.
torn=0
for i in $(seq 1 30); do
	curl -s "$U/systems/web1" | jq -e .profile >/dev/null 2>&1 || torn=$((torn + 1))
done
wait_jobs() { local j; for j in $(jobs -p); do [ "$j" = "$serve_pid" ] || wait "$j"; done; }
wait_jobs
is "no lost update: all 8 clients' keys" "$(curl -s "$U/systems/web1" | jq -c '[.meta | to_entries[] | select(.key|startswith("k")) | .value] | length')" 8
is "every client's last write won for its key" "$(curl -s "$U/systems/web1" | jq -r '[.meta.k1,.meta.k8] | join(",")')" "5,5"
is "readers never saw a torn object" "$torn" 0
# Conflicting whole-object PUTs: the file ends as exactly one of them, and
# the server serves that same one (a thread installing its older snapshot
# after a newer one would serve a state no longer on disk).
for c in 1 2 3 4 5 6 7 8; do
	(
		for i in 1 2 3 4 5; do
			curl -s -o /dev/null -X PUT -H "Authorization: Bearer $tok" \
				--data-binary "{\"profile\":\"web\",\"comment\":\"writer $c.$i\",\"interfaces\":[{\"mac\":\"52:54:00:aa:bb:01\"}]}" \
				"$U/systems/web1"
		done
	) &
done
wait_jobs
got=$(curl -s "$U/systems/web1" | jq -r .comment)
ok "PUT race: one writer's whole object ($got)" grep -qx 'writer [1-8]\.[1-5]' <<<"$got"
ok "PUT race: served object is the one on disk" grep -q "comment: \"*$got\"*\$" "$sysfile"
ok "PUT race: no temp files left" test -z "$(ls -A "$st/systems" | grep -v '\.yaml$')"

# ---- builds (read-only: build-vm writes them) ----
mkdir -p "$st/builds/20261122-web-1" "$st/builds/20261122-web-2"
echo done >"$st/builds/20261122-web-1/status"
echo '{"profile":"web","sha256":"abc"}' >"$st/builds/20261122-web-1/manifest.json"
echo running >"$st/builds/20261122-web-2/status"
is "builds list" "$(curl -s "$U/builds" | jq -r '[.builds[] | .id + "=" + .status] | join(",")')" "20261122-web-1=done,20261122-web-2=running"
is "build show with manifest" "$(curl -s "$U/builds/20261122-web-1" | jq -r .manifest.profile)" "web"
is "unknown build: 404" "$(curl -s -o /dev/null -w '%{http_code}' "$U/builds/nope")" 404
is "builds are read-only: 405" "$(api POST /builds '{"name":"x"}')" 405

# ---- events timeline ----
n_api=$(curl -s "$U/events?system=web1" | jq '[.events[] | select(.kind=="object-changed")] | length')
ok "API events for web1 ($n_api)" test "$n_api" -ge 50
n_cli=$("$PROVD" --state "$st" events --system web1 --json | jq '[.events[] | select(.kind=="object-changed")] | length')
is "CLI shows the same timeline" "$n_cli" "$n_api"
ok "CLI text timeline" bash -c "'$PROVD' --state '$st' events --system web1 | grep -q object-changed"
is "events limit" "$(curl -s "$U/events?limit=3" | jq '.events | length')" 3
last=$(curl -s "$U/events?limit=1" | jq -r '.events[0].time')
is "since the last event: none" "$(curl -s "$U/events?since=$last" | jq '.events | length')" 0
sleep 0.01
api PATCH /systems/web1 '{"meta":{"since":"x"}}' >/dev/null
is "since: only the new write" "$(curl -s "$U/events?since=$last" | jq -r '[.events[].kind] | join(",")')" "object-changed"
is "CLI --since agrees" "$("$PROVD" --state "$st" events --since "$last" --json | jq '.events | length')" 1
is "system events route" "$(curl -s -o /dev/null -w '%{http_code}' "$U/systems/web1/events")" 200
is "bad limit: 400" "$(curl -s -o /dev/null -w '%{http_code}' "$U/events?limit=zero")" 400

# ---- metrics ----
m1=$(metric 'provd_http_requests_total{route="api",status="200"}')
ok "metrics count API 200s ($m1)" test "$m1" -ge 10
curl -s -o /dev/null "$U/systems/web1"
curl -s -o /dev/null "$U/systems/web1"
m2=$(metric 'provd_http_requests_total{route="api",status="200"}')
ok "metrics counter increases ($m1 -> $m2)" test "$m2" -ge $((m1 + 2))
ok "metrics count 401s" test "$(metric 'provd_http_requests_total{route="api",status="401"}')" -ge 2
ok "metrics count events" test "$(metric 'provd_events_total{kind="object-changed"}')" -ge 50
ok "metrics: active connections gauge" bash -c "curl -s '$H/metrics' | grep -q '^provd_http_connections_active '"
ok "metrics: bytes sent" test "$(metric 'provd_http_sent_bytes_total')" -gt 0

ok "server still running" kill -0 "$serve_pid"
stop_serve
plan $_tap_n
done_testing
