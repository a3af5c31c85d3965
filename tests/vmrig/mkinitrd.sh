#!/bin/bash
# tests/vmrig/mkinitrd.sh OUT INIT KVER MODULE...
# Build a busybox initramfs: busybox-static with its applets linked, the
# named modules of kernel KVER with their dependencies (resolved from
# modules.dep, dependencies first; .ko.xz/.ko.zst decompressed), the load
# order in /lib/modules/order, and INIT as /init. Used for both rig levels:
# L1 (kvm-amd, 9p) and the L2 test guest (virtio devices).
set -eu
out=$1 init=$2 kver=$3
shift 3
mods=/lib/modules/$kver
[ -f "$mods/modules.dep" ] || { echo "mkinitrd: no $mods/modules.dep" >&2; exit 1; }
bb=$(command -v busybox) || { echo "mkinitrd: busybox-static is not installed" >&2; exit 1; }
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,etc,mnt,host,lib/modules,usr/share/udhcpc}
cp "$bb" "$root/bin/busybox"
for a in $("$bb" --list); do
	[ "$a" = busybox ] || ln -s busybox "$root/bin/$a"
done
order=
add_mod() {	# $1: module path relative to $mods
	local base deps d rev=
	base=$(basename "$1")
	case " $order " in *" ${base%%.ko*}.ko "*) return ;; esac
	deps=$(grep -E "^$1:" "$mods/modules.dep" | cut -d: -f2)
	# modules.dep lists a module's needs with the deepest last; load that first.
	for d in $deps; do rev="$d $rev"; done
	for d in $rev; do add_mod "$d"; done
	case "$base" in
	*.ko) cp "$mods/$1" "$root/lib/modules/" ;;
	*.ko.xz) xz -dc "$mods/$1" > "$root/lib/modules/${base%.xz}" ;;
	*.ko.zst) zstd -qdc "$mods/$1" > "$root/lib/modules/${base%.zst}" ;;
	*.ko.gz) gzip -dc "$mods/$1" > "$root/lib/modules/${base%.gz}" ;;
	esac
	order="$order ${base%%.ko*}.ko"
}
for m in "$@"; do
	p=$(modinfo -k "$kver" -n "$m" 2>/dev/null) || { echo "mkinitrd: no module $m in $kver" >&2; exit 1; }
	case "$p" in
	"$mods"/*) add_mod "${p#$mods/}" ;;
	*) ;;	# built in
	esac
done
echo "$order" > "$root/lib/modules/order"
cat > "$root/usr/share/udhcpc/default.script" <<'S'
#!/bin/sh
case "$1" in
bound|renew)
	ifconfig "$interface" "$ip" netmask "${subnet:-255.255.255.0}" up
	[ -n "$router" ] && route add default gw "${router%% *}" dev "$interface"
	echo "PROVD-MARKER lease $ip via ${router:-none}"
	;;
esac
exit 0
S
chmod +x "$root/usr/share/udhcpc/default.script"
cp "$init" "$root/init"
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out.tmp"
mv "$out.tmp" "$out"
