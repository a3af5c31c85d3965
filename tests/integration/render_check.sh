#!/bin/bash
# Rendering through the CLI: the shipped preseed for a real system passes
# debconf-set-selections --checkonly; every renderer's output matches the
# golden files in tests/data/golden (same state, same base URL); a broken
# admin template is reported by `provd check` with file:line:col and is not
# half-rendered; the admin's copy of a template wins over the shipped one.
. "$top_srcdir/tests/integration/lib.sh"

command -v debconf-set-selections >/dev/null || skip_all "debconf is not installed"
plan 21
T=$(tmpdir)
S=$T/state
G=$top_srcdir/tests/data/golden
B=http://192.0.2.1:8080
"$PROVD" --state "$S" init >/dev/null 2>&1
# A fixed secret, so the callback tokens in the golden files are stable.
printf '0123456789abcdef0123456789abcdef\n' > "$S/secret"
printf 'mirror:\n  protocol: http\n  host: mirror.example\n  directory: /debian\n' >> "$S/provd.yaml"
mkdir -p "$S/files/debian12"
printf 'kernel' > "$S/files/debian12/linux"
printf 'initrd' > "$S/files/debian12/initrd.gz"
"$PROVD" --state "$S" distro add debian12 --kernel debian12/linux --initrd debian12/initrd.gz --breed debian >/dev/null
"$PROVD" --state "$S" profile add workstation --distro debian12 --autoinstall preseed/debian.cfg \
	--meta tasks="standard, ssh-server" --kernel-options "quiet" >/dev/null
"$PROVD" --state "$S" system add pc1 --profile workstation --mac 52:54:00:12:34:56 --ip 192.0.2.50 >/dev/null
"$PROVD" --state "$S" system add pc2 --profile workstation --mac 52:54:00:12:34:57 --netboot off >/dev/null
# A Fedora-family profile: kickstart, inst.ks= on the kernel line.
"$PROVD" --state "$S" distro add fedora40 --kernel debian12/linux --initrd debian12/initrd.gz --breed fedora >/dev/null
"$PROVD" --state "$S" profile add fedora-ws --distro fedora40 --autoinstall kickstart/fedora.ks \
	--meta install_url=http://mirror.example/fedora/releases/40/Everything/x86_64/os \
	--meta packages="vim-enhanced, tmux" >/dev/null
"$PROVD" --state "$S" system add f1 --profile fedora-ws --mac 52:54:00:12:34:60 --hostname f1.lab >/dev/null
"$PROVD" --state "$S" check >"$T/check.out" 2>&1
ok "provd check passes" [ $? -eq 0 ]

"$PROVD" --state "$S" render autoinstall --system pc1 --base-url "$B" > "$T/preseed.cfg"
# debconf takes its database lock even to check; another debconf user on
# the machine (apt) makes it fail with "locked by another process": wait
dcheck() {
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		debconf-set-selections --checkonly "$T/preseed.cfg" 2>"$T/dcheck.err" && return 0
		grep -q "locked" "$T/dcheck.err" || break
		sleep 1
	done
	sed 's/^/# /' "$T/dcheck.err"
	return 1
}
ok "preseed passes debconf-set-selections --checkonly" dcheck
ok "preseed calls the done callback with pc1's token" grep -q "status/pc1/done?token=[0-9a-f]\{64\}" "$T/preseed.cfg"

golden() {	# golden NAME ARGS...
	local name=$1; shift
	"$PROVD" --state "$S" render "$@" --base-url "$B" > "$T/$name"
	if [ -n "${PROVD_REGEN_GOLDEN:-}" ]; then cp "$T/$name" "$G/$name"; fi
	if cmp -s "$T/$name" "$G/$name"; then pass "golden: $name"; else fail "golden: $name"; diff -u "$G/$name" "$T/$name" | head -20 | sed 's/^/# /'; fi
}
golden preseed-pc1.cfg autoinstall --system pc1
golden pxelinux-pc1.cfg pxe --system pc1
golden pxelinux-pc2-localboot.cfg pxe --mac 52-54-00-12-34-57
golden pxelinux-default.cfg pxe
golden ipxe-pc1.ipxe ipxe --system pc1
golden ipxe-default.ipxe ipxe
golden grub-pc1.cfg grub --system pc1
golden grub-default.cfg grub
golden grub-pc2-localboot.cfg grub --system pc2
golden ipxe-pc2-localboot.ipxe ipxe --system pc2
golden kickstart-f1.ks autoinstall --system f1
golden pxelinux-f1.cfg pxe --system f1
golden preseed-profile-workstation.cfg autoinstall --profile workstation
# A profile's answer has no system, hence no token and no callbacks.
ok "profile answer carries no callback token" sh -c "! grep -q 'token=' '$T/preseed-profile-workstation.cfg'"

# A kickstart with no install tree is refused, not served with an empty url.
"$PROVD" --state "$S" profile add fedora-bare --distro fedora40 --autoinstall kickstart/fedora.ks >/dev/null
"$PROVD" --state "$S" render autoinstall --profile fedora-bare > "$T/bare.ks" 2> "$T/bare.err"
ok "kickstart without an install tree is an error naming the fix" sh -c "[ ! -s '$T/bare.ks' ] && grep -q 'fedora.ks:[0-9]*:[0-9]*: error: required value missing: .*install_url' '$T/bare.err'"
"$PROVD" --state "$S" profile remove fedora-bare >/dev/null

# A broken admin copy: reported with its position, nothing served from it.
mkdir -p "$S/templates/preseed"
sed 's/{{ server.mirror.host }}/{{ server.mirror.hots }}/' "$top_srcdir/templates/preseed/debian.cfg" > "$S/templates/preseed/debian.cfg"
"$PROVD" --state "$S" check > /dev/null 2> "$T/check.err"
ok "check fails on the broken admin template" [ $? -eq 1 ]
ok "with file:line:col" grep -q "templates/preseed/debian.cfg:[0-9]*:[0-9]*: error: undefined variable 'server.mirror.hots'" "$T/check.err"
"$PROVD" --state "$S" render autoinstall --system pc1 > "$T/out" 2>/dev/null
ok "render refuses and prints nothing" sh -c "[ ! -s '$T/out' ]"
done_testing
