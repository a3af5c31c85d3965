#!/bin/bash
# cli_objects: the object CLI end to end with the real binary: init, add,
# list/show (--json, --resolved), edit through $EDITOR, remove, check; bad
# input of every kind leaves the state unchanged byte for byte; eight
# concurrent `system add` processes all land.
. "$top_srcdir/tests/integration/lib.sh"

command -v jq >/dev/null || skip_all "jq not installed (scripts/setup installs it)"
T=$(tmpdir)
S=$T/state
export PROVD_STATE=$S
p() { "$PROVD" "$@"; }
q() { "$PROVD" "$@" >/dev/null; }
# Exit status of a command, output discarded.
st() { "$@" >/dev/null 2>&1; echo $?; }
# Hash of every file (names and bytes) in the state, lock file aside.
tree() { (cd "$S" && find . -type f ! -name .lock | LC_ALL=C sort | while read -r f; do echo "$f"; cat "$f"; done) | sha256sum; }

# --- init ---
ok "init" q init
ok "layout" test -d "$S/distros" -a -d "$S/profiles" -a -d "$S/systems" -a -d "$S/files" -a -f "$S/provd.yaml"
is "secret is 0600" "$(stat -c %a "$S/secret")" 600
is "api token is 0600" "$(stat -c %a "$S/api-token")" 600
secret=$(cat "$S/secret")
ok "init again keeps the secret" q init
is "secret unchanged" "$(cat "$S/secret")" "$secret"

# --- add ---
mkdir -p "$S/files/deb12"
echo kernel >"$S/files/deb12/linux"
echo initrd >"$S/files/deb12/initrd.gz"
ok "distro add" q distro add deb12 --kernel deb12/linux --initrd deb12/initrd.gz --breed debian \
	--kernel-options "console=ttyS0 quiet"
ok "profile add" q profile add base --distro deb12 --autoinstall preseed/debian.cfg \
	--meta suite=bookworm --vm-memory 2048 --vm-vcpus 2 --vm-disk 20G
ok "child profile add" q profile add web --parent base --kernel-options "-quiet console=tty0" --meta role=web
ok "system add" q system add web1 --profile web --mac 52-54-00-AA-BB-01 --ip 192.0.2.10 \
	--hostname web1 --pxe-just-once

# --- list/show ---
is "list --json: one system" "$(p system list --json | jq length)" 1
is "MAC normalised" "$(p --json system show web1 | jq -r '.interfaces[0].mac')" 52:54:00:aa:bb:01
is "YAML key names in JSON" "$(p system show web1 --json | jq -c '[.netboot, .pxe_just_once, .profile]')" \
	'[true,true,"web"]'
is "distro show --json" "$(p distro show deb12 --json | jq -r .breed)" debian
is "profile list" "$(p profile list | awk 'NR>1{print $1}' | tr '\n' ' ')" "base web "
p system show web1 | grep -q '^profile: web$' && pass "show prints the YAML file" || fail "show prints the YAML file"
res=$(p profile show web --resolved)
echo "$res" | grep -q '^kernel_options:' && echo "$res" | grep -q 'console: tty0    # profile web (' \
	&& pass "--resolved names the origin" || { fail "--resolved names the origin"; diag "$res"; }
is "-quiet removes the inherited key" "$(p profile show web --resolved --json | jq -r .cmdline)" console=tty0
is "meta inherited, with origin" "$(p system show web1 --resolved --json | jq -r '.meta.suite.from')" \
	"profile base ($S/profiles/base.yaml:4:3)"
is "check ok" "$(p check)" "ok: 1 distros, 2 profiles, 1 systems"

# --- bad input changes nothing, byte for byte ---
before=$(tree)
is "duplicate MAC refused" "$(st p system add web2 --profile web --mac 52:54:00:aa:bb:01)" 1
err=$(p system add web2 --profile web --mac 52:54:00:aa:bb:01 2>&1)
echo "$err" | grep -q "already used by system 'web1' ($S/systems/web1.yaml:3:10)" \
	&& pass "duplicate MAC names the other system's position" || { fail "duplicate MAC position"; diag "$err"; }
is "unknown profile refused" "$(st p system add web3 --profile nope --mac 52:54:00:aa:bb:03)" 1
is "bad MAC refused" "$(st p system add web3 --profile web --mac 52:54:00:aa:bb)" 1
is "bad name refused" "$(st p system add 'a/b' --profile web --mac 52:54:00:aa:bb:04)" 1
is "name taken" "$(st p distro add deb12 --kernel deb12/linux --initrd deb12/initrd.gz)" 1
is "unreadable kernel refused" "$(st p distro add d2 --kernel nope/linux --initrd deb12/initrd.gz)" 1
is "bad breed refused" "$(st p distro add d2 --kernel deb12/linux --initrd deb12/initrd.gz --breed gentoo)" 1
is "distro in use cannot be removed" "$(st p distro remove deb12)" 1
is "parent in use cannot be removed" "$(st p profile remove base)" 1
is "unknown option is usage" "$(st p system add web4 --profile web --mac 52:54:00:aa:bb:05 --colour red)" 2
is "missing NAME is usage" "$(st p profile add --distro deb12)" 2
is "distro and parent together is usage" "$(st p profile add x --distro deb12 --parent base)" 2
is "unknown verb is usage" "$(st p system frobnicate)" 2
cat >"$T/bad-editor" <<'EOF'
#!/bin/sh
sed -i 's/^profile: web$/profile: web\ncolour: blue/' "$1"
EOF
chmod +x "$T/bad-editor"
err=$(EDITOR="$T/bad-editor" p system edit web1 </dev/null 2>&1)
is "edit to invalid YAML fails (stdin not a tty)" "$?" 1
echo "$err" | grep -q "$S/systems/web1.yaml:2:1: error: unknown key 'colour'" \
	&& pass "edit error has file:line:col" || { fail "edit error has file:line:col"; diag "$err"; }
cat >"$T/failing-editor" <<'EOF'
#!/bin/sh
echo garbage >"$1"; exit 3
EOF
chmod +x "$T/failing-editor"
is "editor exiting non-zero changes nothing" "$(EDITOR="$T/failing-editor" st p system edit web1)" 1
is "state unchanged byte for byte" "$(tree)" "$before"
ls "$S/systems" | grep -qv '\.yaml$' && fail "no temp files left" || pass "no temp files left"

# --- edit ---
cat >"$T/editor" <<'EOF'
#!/bin/sh
sed -i 's/^netboot: true$/netboot: false  # turned off by the test/' "$1"
EOF
chmod +x "$T/editor"
edit_with() { EDITOR=$1 "$PROVD" system edit "$2" >/dev/null; }
ok "edit through EDITOR" edit_with "$T/editor" web1
is "edit took effect" "$(p system show web1 --json | jq .netboot)" false
ok "edit keeps comments" grep -q '# turned off by the test' "$S/systems/web1.yaml"
is "no changes is fine" "$(EDITOR=true p system edit web1)" "no changes to system web1"

cat >"$T/racing-editor" <<EOF
#!/bin/sh
# Someone else changes the object while our editor is open.
sed -i 's/^pxe_just_once: true\$/pxe_just_once: false/' "$S/systems/web1.yaml"
echo "comment: mine" >>"\$1"
EOF
chmod +x "$T/racing-editor"
err=$(EDITOR="$T/racing-editor" p system edit web1 2>&1)
is "edit over a concurrent change is refused" "$?" 1
echo "$err" | grep -q "was changed by someone else meanwhile" && pass "stale edit says why" || { fail "stale edit says why"; diag "$err"; }
kept=$(echo "$err" | sed -n 's/^provd: your version is kept in //p')
ok "stale edit keeps the admin's version" grep -q "comment: mine" "$kept"
rm -f "$kept"
is "the other change survived" "$(p system show web1 --json | jq -c '[.pxe_just_once, .comment]')" '[false,null]'

# On a terminal, a failed edit re-opens the editor (like visudo).
if command -v script >/dev/null; then
	cat >"$T/two-step-editor" <<EOF
#!/bin/sh
# First round: a mistake. Second round: fix it and change the comment.
if [ -f "$T/round1" ]; then
	sed -i -e '/^colour:/d' -e 's/^netboot: false.*/netboot: true/' "\$1"
else
	echo "colour: blue" >>"\$1"; touch "$T/round1"
fi
EOF
	chmod +x "$T/two-step-editor"
	out=$(printf 'e\n' | EDITOR="$T/two-step-editor" script -qec "'$PROVD' system edit web1" /dev/null 2>&1)
	echo "$out" | grep -q "What now?" && echo "$out" | grep -q "saved system web1" \
		&& pass "tty edit: error, re-open, save" || { fail "tty edit: error, re-open, save"; diag "$out"; }
	is "tty edit took effect" "$(p system show web1 --json | jq .netboot)" true
else
	skip "script(1) not installed: no pseudo-terminal for the re-open test"
	skip "script(1) not installed"
fi

# --- check reports every error with its position ---
cp "$S/profiles/web.yaml" "$T/web.yaml.bak"
printf 'parent: base\nvm:\n  vcpus: lots\nmeta:\n  bad-key: 1\n' >"$S/profiles/web.yaml"
out=$(p check 2>&1)
is "check fails on a hand-broken file" "$?" 1
echo "$out" | grep -q "web.yaml:3:10: error: vcpus: bad number 'lots'" && echo "$out" | grep -q "web.yaml:5:3: error: meta: bad key" \
	&& pass "check lists every error" || { fail "check lists every error"; diag "$out"; }
is "check --json" "$(p check --json | jq '.errors | length')" 2
# Read-only views still work on the partly broken state.
out=$(p system list 2>&1)
is "list on a broken state fails" "$?" 1
echo "$out" | grep -q "warning: the state has 2 errors elsewhere" && echo "$out" | grep -q "^web1 " \
	&& pass "list warns and lists what loaded" || { fail "list warns and lists what loaded"; diag "$out"; }
out=$(p profile show web 2>&1)
is "show of the broken object fails" "$?" 1
echo "$out" | grep -q "web.yaml:3:10: error: vcpus" && echo "$out" | grep -q "^  bad-key: 1" \
	&& pass "show of the broken object prints its errors and its file" || { fail "show broken object"; diag "$out"; }
is "show of a sound object still works" "$(p distro show deb12 --json 2>/dev/null | jq -r .name)" deb12
cp "$T/web.yaml.bak" "$S/profiles/web.yaml"

# --- concurrency: eight writers, nothing lost ---
pids=()
for w in 0 1 2 3 4 5 6 7; do
	(for i in 0 1 2 3 4; do
		"$PROVD" system add "c$w-$i" --profile web --mac "52:54:00:cc:0$w:0$i" >/dev/null || exit 1
	done) &
	pids+=($!)
done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=$((failed + 1)); done
is "all concurrent writers succeeded" "$failed" 0
is "all 40 concurrent adds landed" "$(p system list --json | jq '[.[] | select(.name | startswith("c"))] | length')" 40

# --- remove ---
ok "system remove" q system remove web1
is "gone" "$(st p system show web1)" 1
is "remove of a missing system fails" "$(st p system remove web1)" 1

# --- help everywhere ---
for cmd in "init" "check" "distro" "distro add" "distro list" "distro show" "distro edit" "distro remove" \
	"profile" "profile add" "profile show" "system" "system add" "system list" "system edit" "system remove"; do
	# shellcheck disable=SC2086
	out=$("$PROVD" $cmd --help 2>&1)
	rc=$?
	[ $rc -eq 0 ] && echo "$out" | grep -q "usage: provd" && pass "$cmd --help" || { fail "$cmd --help"; diag "$out"; }
done

echo "1..$_tap_n"
done_testing
