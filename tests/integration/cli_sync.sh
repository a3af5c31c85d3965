#!/bin/bash
# provd sync and the TFTP tree every CLI change keeps current: the tree's
# listing compared entry by entry with the expected one, per-MAC files equal
# to `provd render pxe`, boot files hard-linked, a second sync writing
# nothing, and one system's change rewriting only that system's files
# (inodes and mtimes of everything else unchanged).
. "$top_srcdir/tests/integration/lib.sh"

NETBOOT=/usr/lib/debian-installer/images/12/amd64/text
[ -d "$NETBOOT" ] || skip_all "debian-installer-12-netboot-amd64 is not installed"
[ -r /usr/lib/PXELINUX/pxelinux.0 ] || skip_all "pxelinux is not installed"

plan 18
T=$(tmpdir)
S=$T/state
p() { "$PROVD" --state "$S" "$@"; }
p init >/dev/null 2>&1
p distro import debian12 --from "$NETBOOT" >/dev/null 2>&1
p profile add ws --distro debian12 --autoinstall preseed/debian.cfg >/dev/null 2>&1
p system add pc1 --profile ws --mac 52:54:00:00:00:01 >/dev/null 2>&1
p system add pc2 --profile ws --mac 52:54:00:00:00:02 --netboot off >/dev/null 2>&1
ok "state set up" eval "p check >/dev/null 2>&1"

# Start from nothing: a full sync builds the whole tree.
rm -rf "$S/tftp"
out=$(p sync 2>&1)
ok "sync: exit 0" [ $? -eq 0 ]
diag "$out"

listing() { (cd "$S/tftp" && find . -mindepth 1 -printf '%P %y\n' | LC_ALL=C sort); }
expected=$(LC_ALL=C sort <<EOF
boot d
boot/debian12 d
boot/debian12/initrd.gz f
boot/debian12/linux f
chain.c32 f
grub d
grub/grub.cfg f
grub/grub.cfg-52:54:00:00:00:01 f
grub/grub.cfg-52:54:00:00:00:02 f
ldlinux.c32 f
libcom32.c32 f
libutil.c32 f
lpxelinux.0 f
menu.c32 f
pxelinux.0 f
pxelinux.cfg d
pxelinux.cfg/01-52-54-00-00-00-01 f
pxelinux.cfg/01-52-54-00-00-00-02 f
pxelinux.cfg/default f
reboot.c32 f
vesamenu.c32 f
$([ -r /usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed ] && echo 'grubnetx64.efi f')
$([ -r /usr/lib/ipxe/ipxe.efi ] && echo 'ipxe.efi f')
EOF
)
is "tree listing, entry by entry" "$(listing)" "$(printf '%s\n' "$expected" | sed '/^$/d')"

# Content, file by file.
ok "pxelinux.0 is the package's" cmp -s "$S/tftp/pxelinux.0" /usr/lib/PXELINUX/pxelinux.0
ok "ldlinux.c32 is the package's" cmp -s "$S/tftp/ldlinux.c32" /usr/lib/syslinux/modules/bios/ldlinux.c32
is "kernel hard-linked, not copied" "$(stat -c %i "$S/tftp/boot/debian12/linux")" \
	"$(stat -c %i "$S/files/debian12/linux")"
is "pc1's pxelinux file is what render pxe prints" \
	"$(cat "$S/tftp/pxelinux.cfg/01-52-54-00-00-00-01")" "$(p render pxe --system pc1 2>/dev/null)"
ok "pc2 (netboot off) boots locally at once" grep -qi 'localboot' "$S/tftp/pxelinux.cfg/01-52-54-00-00-00-02"
ok "the default menu lists the profile" grep -q 'ws' "$S/tftp/pxelinux.cfg/default"

# A second sync has nothing to do.
json=$(p --json sync 2>/dev/null)
ok "second sync writes nothing" sh -c "printf '%s' '$json' | grep -q '\"written\": 0'"
ok "second sync removes nothing" sh -c "printf '%s' '$json' | grep -q '\"removed\": 0'"

# One change through the CLI: only pc1's files are rewritten.
stamps() { (cd "$S/tftp" && find . -type f -printf '%P %i %T@\n' | LC_ALL=C sort); }
before=$(stamps)
sleep 0.05
EDITOR="sed -i -e 's/^netboot: .*//' -e '\$anetboot: false'" p system edit pc1 >/dev/null 2>&1
ok "edit pc1: exit 0" [ $? -eq 0 ]
after=$(stamps)
changed=$(diff <(printf '%s\n' "$before") <(printf '%s\n' "$after") | sed -n 's/^> \([^ ]*\) .*/\1/p' | sort)
is "only pc1's files changed" "$changed" \
	"$(printf '%s\n' 'grub/grub.cfg-52:54:00:00:00:01' 'pxelinux.cfg/01-52-54-00-00-00-01')"
ok "pc1 now boots locally" grep -qi 'localboot' "$S/tftp/pxelinux.cfg/01-52-54-00-00-00-01"

# Removing a system removes its files; a stale file is pruned by sync.
p system remove pc2 >/dev/null 2>&1
ok "removed system's files are gone" sh -c "! ls '$S/tftp/pxelinux.cfg/01-52-54-00-00-00-02' '$S/tftp/grub/grub.cfg-52:54:00:00:00:02' 2>/dev/null"
echo stale > "$S/tftp/pxelinux.cfg/01-52-54-00-99-99-99"
out=$(p sync 2>&1)
ok "sync prunes a stale per-MAC file" [ ! -e "$S/tftp/pxelinux.cfg/01-52-54-00-99-99-99" ]
ok "sync says what it removed" sh -c "printf '%s\n' '$out' | grep -q '^ *removed *pxelinux.cfg/01-52-54-00-99-99-99\$'"
json=$(p --json sync 2>/dev/null)
ok "--json: nothing left to change" sh -c "printf '%s' '$json' | tr -d ' \n' | grep -q '\"changes\":\[\]'"

done_testing
