#!/bin/bash
# TFTP through provd serve: the daemon renders <state>/tftp and runs
# tftp-hpa's in.tftpd on a loopback port; tftp-hpa's client and curl
# (default and --tftp-blksize 1468) fetch pxelinux.0, a per-MAC config and a
# kernel; the same daemon serves the rendered preseed over HTTP (the
# README's "Everyday use" state); a change through the CLI updates the
# served file at once; killing in.tftpd gets it restarted; without in.tftpd
# the daemon names the package to install.
. "$top_srcdir/tests/integration/lib.sh"

[ -x /usr/sbin/in.tftpd ] || skip_all "in.tftpd not installed (tftpd-hpa)"
command -v tftp >/dev/null || skip_all "tftp client not installed (tftp-hpa)"
NETBOOT=/usr/lib/debian-installer/images/12/amd64/text
[ -d "$NETBOOT" ] || skip_all "debian-installer-12-netboot-amd64 is not installed"

plan 21
T=$(tmpdir)
S=$T/state
MAC=52:54:00:7f:00:01
"$PROVD" --state "$S" init >/dev/null 2>&1
"$PROVD" --state "$S" distro import debian12 --from "$NETBOOT" >/dev/null 2>&1
"$PROVD" --state "$S" profile add ws --distro debian12 --autoinstall preseed/debian.cfg >/dev/null 2>&1
"$PROVD" --state "$S" system add pc1 --profile ws --mac "$MAC" >/dev/null 2>&1

HP=$(free_port)
TP=$(free_port udp)
"$PROVD" --state "$S" serve --http "127.0.0.1:$HP" --tftp "127.0.0.1:$TP" 2>"$T/serve.log" &
DPID=$!
on_exit "kill $DPID; wait $DPID"
wait_for 100 curl -sf "http://127.0.0.1:$HP/healthz"
tpid() { pgrep -P "$DPID" -f in.tftpd | head -n 1; }
wait_for 50 test -n "$(tpid)"
ok "in.tftpd runs as the daemon's child" test -n "$(tpid)"

cd "$T"
tftp 127.0.0.1 "$TP" -m binary -c get pxelinux.0 >/dev/null 2>&1
is "tftp-hpa client: pxelinux.0 byte for byte" "$(sha256sum < pxelinux.0)" "$(sha256sum < /usr/lib/PXELINUX/pxelinux.0)"
cfg=01-${MAC//:/-}
tftp 127.0.0.1 "$TP" -m binary -c get "pxelinux.cfg/$cfg" "$T/cfg" >/dev/null 2>&1
ok "tftp-hpa client: the system's pxelinux config" grep -q 'KERNEL boot/debian12/linux' "$T/cfg"
ok "its APPEND has the autoinstall URL" grep -q "url=http://127.0.0.1:$HP/autoinstall/system/pc1" "$T/cfg"
curl -sf -o "$T/k1" "tftp://127.0.0.1:$TP/boot/debian12/linux"
is "curl tftp://: kernel byte for byte" "$(sha256sum < "$T/k1")" "$(sha256sum < "$S/files/debian12/linux")"
curl -sf --tftp-blksize 1468 -o "$T/k2" "tftp://127.0.0.1:$TP/boot/debian12/linux"
is "curl --tftp-blksize 1468: kernel byte for byte" "$(sha256sum < "$T/k2")" "$(sha256sum < "$S/files/debian12/linux")"
curl -sf -o "$T/menu" "tftp://127.0.0.1:$TP/pxelinux.cfg/default"
ok "default menu lists the profile" grep -q 'LABEL ws' "$T/menu"
ok "default menu boots locally after the timeout" grep -q 'ONTIMEOUT local' "$T/menu"
curl -sf -o /dev/null "tftp://127.0.0.1:$TP/../provd.yaml"
ok "no way out of the TFTP root" [ $? -ne 0 ]

# The installer that pxelinux config starts fetches its preseed over HTTP.
url=$(sed -n 's/.*url=\([^ ]*\).*/\1/p' "$T/cfg" | head -n 1)
curl -sf -o "$T/preseed" "$url"
ok "the APPEND's preseed URL is served" test -s "$T/preseed"
is "preseed over HTTP == provd render autoinstall --system pc1" "$(sha256sum < "$T/preseed")" \
	"$("$PROVD" --state "$S" render autoinstall --system pc1 --base-url "http://127.0.0.1:$HP" | sha256sum)"
ok "the preseed carries pc1's done callback" grep -q "/api/v1/status/pc1/done?token=" "$T/preseed"
if command -v debconf-set-selections >/dev/null; then
	ok "the served preseed passes debconf-set-selections --checkonly" \
		debconf-set-selections --checkonly "$T/preseed"
else
	skip "debconf-set-selections not installed (debconf)"
fi

# A change through the CLI reaches the served file at once.
cp "$S/systems/pc1.yaml" "$T/pc1.yaml"
sed -i 's/^netboot: .*/netboot: false/' "$T/pc1.yaml"
grep -q '^netboot:' "$T/pc1.yaml" || echo 'netboot: false' >> "$T/pc1.yaml"
EDITOR="cp $T/pc1.yaml" "$PROVD" --state "$S" system edit pc1 >/dev/null 2>&1
curl -sf -o "$T/cfg2" "tftp://127.0.0.1:$TP/pxelinux.cfg/$cfg"
ok "netboot off: served config boots the local disk" grep -q 'LOCALBOOT 0' "$T/cfg2"
ok "netboot off: no installer kernel" sh -c "! grep -q KERNEL '$T/cfg2'"

# Supervision: in.tftpd killed, in.tftpd back.
old=$(tpid)
kill -9 "$old"
wait_for 100 sh -c "p=\$(pgrep -P $DPID -f in.tftpd | head -n 1); [ -n \"\$p\" ] && [ \"\$p\" != $old ]"
new=$(tpid)
ok "in.tftpd restarted with a new pid" sh -c "[ -n '$new' ] && [ '$new' != '$old' ]"
ok "the restart is logged" grep -q 'in.tftpd (pid '"$old"') killed by SIGKILL; restarting' "$T/serve.log"
curl -sf -o "$T/p2" "tftp://127.0.0.1:$TP/pxelinux.0"
is "serving again after the restart" "$(sha256sum < "$T/p2")" "$(sha256sum < /usr/lib/PXELINUX/pxelinux.0)"
kill "$DPID"; wait "$DPID"
ok "in.tftpd stopped with the daemon" sh -c "! kill -0 $new 2>/dev/null"

# No in.tftpd: the daemon refuses to start TFTP and says which package.
PROVD_IN_TFTPD=$T/no-such-in.tftpd timeout 20 "$PROVD" --state "$S" serve --http "127.0.0.1:$HP" \
	--tftp "127.0.0.1:$TP" 2>"$T/notftpd.log"
ok "without in.tftpd: serve fails" [ $? -ne 0 ]
ok "and names the package" grep -q "apt-get install tftpd-hpa" "$T/notftpd.log"
done_testing
