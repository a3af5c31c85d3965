#!/bin/bash
# provd distro import: the real Debian netboot package tree, from a directory
# and over HTTP (busybox httpd on loopback, resumable fetch), a .treeinfo
# tree, and refusals that change nothing.
. "$top_srcdir/tests/integration/lib.sh"

NETBOOT=/usr/lib/debian-installer/images/12/amd64/text
[ -d "$NETBOOT" ] || skip_all "debian-installer-12-netboot-amd64 is not installed"
BUSYBOX=$(command -v busybox || true)

plan 17
T=$(tmpdir)
S=$T/state
"$PROVD" --state "$S" init >/dev/null 2>&1
ok "init" test -f "$S/provd.yaml"

out=$("$PROVD" --state "$S" distro import debian12 --from "$NETBOOT" 2>&1)
ok "import from the netboot package" [ $? -eq 0 ]
is "kernel copied byte for byte" "$(sha256sum < "$S/files/debian12/linux")" \
	"$(sha256sum < "$NETBOOT/debian-installer/amd64/linux")"
is "initrd copied byte for byte" "$(sha256sum < "$S/files/debian12/initrd.gz")" \
	"$(sha256sum < "$NETBOOT/debian-installer/amd64/initrd.gz")"
ok "breed debian recognised" grep -qx 'breed: debian' "$S/distros/debian12.yaml"
ok "version from version.info" grep -qx 'version: "12"' "$S/distros/debian12.yaml"
ksha=$(sha256sum < "$NETBOOT/debian-installer/amd64/linux" | cut -d' ' -f1)
ok "kernel sha256 recorded" grep -qx "kernel_sha256: $ksha" "$S/distros/debian12.yaml"
ok "kernel version read from the bzImage header" grep -q 'comment: "kernel [0-9]' "$S/distros/debian12.yaml"
json=$("$PROVD" --state "$S" --json distro show debian12 2>/dev/null)
ok "show --json uses the YAML key names" sh -c "printf '%s' '$json' | grep -q '\"breed\": *\"debian\"'"

# A Fedora-style tree with .treeinfo.
F=$T/fedora
mkdir -p "$F/images/pxeboot"
cp "$NETBOOT/debian-installer/amd64/linux" "$F/images/pxeboot/vmlinuz"
printf 'initrd' > "$F/images/pxeboot/initrd.img"
printf '[general]\nfamily = Fedora\nversion = 40\narch = x86_64\n\n[images-x86_64]\nkernel = images/pxeboot/vmlinuz\ninitrd = images/pxeboot/initrd.img\n' > "$F/.treeinfo"
"$PROVD" --state "$S" distro import f40 --from "$F" >/dev/null 2>&1
ok "import a .treeinfo tree" [ $? -eq 0 ]
ok ".treeinfo family gives breed fedora" grep -qx 'breed: fedora' "$S/distros/f40.yaml"

# Refusals: nothing recognised, bad name; the state is unchanged.
before=$(cd "$S" && find distros files -type f | sort | xargs sha256sum)
"$PROVD" --state "$S" distro import junk --from "$T" >/dev/null 2>"$T/err"
ok "unrecognised tree: exit 1" [ $? -eq 1 ]
ok "unrecognised tree: says what it looked for" grep -q 'no install tree recognised' "$T/err"
"$PROVD" --state "$S" distro import 'bad/name' --from "$NETBOOT" >/dev/null 2>&1
ok "bad name: usage error" [ $? -eq 2 ]
after=$(cd "$S" && find distros files -type f | sort | xargs sha256sum)
is "refused imports changed nothing" "$after" "$before"

# Over HTTP from a loopback server, resuming a partial download.
if [ -n "$BUSYBOX" ]; then
	port=$(free_port)
	"$BUSYBOX" httpd -f -p "127.0.0.1:$port" -h "$NETBOOT" &
	pid=$!
	on_exit "kill $pid"
	wait_for 50 curl -sf -o /dev/null "http://127.0.0.1:$port/version.info"
	mkdir -p "$S/files/web12"
	head -c 1000000 "$NETBOOT/debian-installer/amd64/initrd.gz" > "$S/files/web12/initrd.gz.part"
	"$PROVD" --state "$S" distro import web12 --from "http://127.0.0.1:$port/" >/dev/null 2>&1
	ok "import over HTTP" [ $? -eq 0 ]
	is "resumed initrd is byte for byte" "$(sha256sum < "$S/files/web12/initrd.gz")" \
		"$(sha256sum < "$NETBOOT/debian-installer/amd64/initrd.gz")"
else
	skip "busybox not installed"
	skip "busybox not installed"
fi
done_testing
