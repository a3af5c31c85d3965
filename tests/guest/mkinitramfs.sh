#!/bin/bash
# tests/guest/mkinitramfs.sh OUT.cpio.gz [INIT]
# Build a small busybox initramfs for guest tests: busybox-static, the
# virtio modules of the installed Debian kernel (in modules.dep order), and
# INIT (default: tests/guest/init) as /init. Prints the kernel image path
# that matches the modules on stdout.
set -eu
out=$1
init=${2:-$(dirname "$0")/init}
bb=$(command -v busybox) || { echo "mkinitramfs: busybox-static is not installed" >&2; exit 1; }
file -L "$bb" 2>/dev/null | grep -q 'statically linked' || [ -x /bin/busybox ] || true
kimg=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
[ -n "$kimg" ] || { echo "mkinitramfs: no /boot/vmlinuz-* (apt-get install linux-image-amd64)" >&2; exit 1; }
kver=${kimg#/boot/vmlinuz-}
mods=/lib/modules/$kver
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,etc,lib/modules,usr/share/udhcpc}
cp "$bb" "$root/bin/busybox"
for a in sh mount umount cat echo sleep udhcpc wget sha256sum dd ip ifconfig route insmod \
	grep sed cut head tr reboot poweroff mkdir ls hexdump od printf test [; do
	ln -s busybox "$root/bin/$a"
done
# Modules with their dependencies from modules.dep, dependencies first
# (a line lists what a module needs; the last one listed loads first).
want="virtio_pci virtio_net virtio_blk virtio-rng"
order=
add_mod() {	# $1: path relative to $mods
	case " $order " in *" $(basename "$1") "*) return ;; esac
	local deps d rev=
	deps=$(grep -E "^$1:" "$mods/modules.dep" | cut -d: -f2)
	for d in $deps; do rev="$d $rev"; done
	for d in $rev; do add_mod "$d"; done
	case " $order " in *" $(basename "$1") "*) return ;; esac
	cp "$mods/$1" "$root/lib/modules/"
	order="$order $(basename "$1")"
}
for m in $want; do
	p=$(modinfo -k "$kver" -n "$m" 2>/dev/null) || continue
	case "$p" in *.ko) add_mod "${p#$mods/}" ;; esac
done
echo "$order" > "$root/lib/modules/order"
cat > "$root/usr/share/udhcpc/default.script" <<'S'
#!/bin/sh
case "$1" in
bound|renew)
	echo "PROVD-GUEST: lease $ip/${subnet} via ${router} on $interface" > /dev/console
	ifconfig "$interface" "$ip" netmask "${subnet:-255.255.255.0}" up
	[ -n "$router" ] && route add default gw "${router%% *}" dev "$interface"
	;;
esac
exit 0
S
chmod +x "$root/usr/share/udhcpc/default.script"
cp "$init" "$root/init"
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out"
echo "$kimg"
