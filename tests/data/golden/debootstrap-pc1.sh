#!/bin/sh
# provd debootstrap install: system pc1, distro debian12
set -eu
MIRROR='http'://'mirror.example''/debian'
PROXY=''
SUITE='bookworm'
DISK='/dev/vda'
HOST='pc1'
DOMAIN='local'
PACKAGES='openssh-server vim'
ARCH=amd64
T=/target
say() { echo "provd-install: $*"; }
failed() {
	say "FAILED (status $1) at: $STEP"
	[ -f "$T/debootstrap/debootstrap.log" ] && tail -n 40 "$T/debootstrap/debootstrap.log"
	wget -q -O /dev/null 'http://192.0.2.1:8080/api/v1/status/pc1/failed?token=ac7b1820fe9731f36bbba237d832355feeb79459990b01ed773bef1b720fe5a4' || true
}
trap 'rc=$?; [ "$rc" = 0 ] || failed "$rc"' EXIT
STEP=start
wget -q -O /dev/null 'http://192.0.2.1:8080/api/v1/status/pc1/start?token=ac7b1820fe9731f36bbba237d832355feeb79459990b01ed773bef1b720fe5a4' || true
[ -n "$PROXY" ] && export http_proxy="$PROXY"

STEP="partition $DISK"
say "$STEP"
[ -b "$DISK" ] || { say "no disk $DISK"; exit 1; }
dd if=/dev/zero of="$DISK" bs=1M count=4 2>/dev/null
# one primary partition over the whole disk, bootable
printf 'o\nn\np\n1\n\n\na\n1\nw\n' | fdisk "$DISK" >/dev/null
sleep 1
PART=${DISK}1
case "$DISK" in *[0-9]) PART=${DISK}p1 ;; esac
[ -b "$PART" ] || { say "$PART did not appear"; exit 1; }

STEP="mkfs.ext4 $PART"
say "$STEP"
mke2fs -q -F -t ext4 -L root "$PART"
mkdir -p "$T"
mount -t ext4 "$PART" "$T"

STEP="debootstrap $SUITE from $MIRROR"
say "$STEP"
debootstrap --verbose --arch="$ARCH" --variant=minbase --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
	--include=systemd-sysv,apt-utils "$SUITE" "$T" "$MIRROR"

STEP="configure"
say "$STEP"
for f in proc sys dev dev/pts; do mount --bind "/$f" "$T/$f"; done
UUID=$(blkid -s UUID -o value "$PART")
echo "UUID=$UUID / ext4 errors=remount-ro 0 1" > "$T/etc/fstab"
echo "$HOST" > "$T/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s.%s %s\n' "$HOST" "$DOMAIN" "$HOST" > "$T/etc/hosts"
cat > "$T/etc/apt/sources.list" <<SOURCES
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
SOURCES
[ -n "$PROXY" ] && echo "Acquire::http::Proxy \"$PROXY\";" > "$T/etc/apt/apt.conf.d/01proxy"
ln -sf /usr/share/zoneinfo/'Etc/UTC' "$T/etc/localtime"
mkdir -p "$T/etc/systemd/network"
cat > "$T/etc/systemd/network/80-dhcp.network" <<'NET'
[Match]
Name=en* eth*

[Network]
DHCP=yes
NET
cat > "$T/etc/default/grub" <<'GRUB'
GRUB_DEFAULT=0
GRUB_TIMEOUT=1
GRUB_DISTRIBUTOR=Debian
GRUB_CMDLINE_LINUX_DEFAULT=""
GRUB_CMDLINE_LINUX='console=tty0 console=ttyS0,115200n8'
GRUB_TERMINAL="console serial"
GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"
GRUB
in_target() { chroot "$T" env DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"; }
echo "grub-pc grub-pc/install_devices multiselect $DISK" | in_target debconf-set-selections

# initramfs-tools and the packages that carry initramfs hooks (udev, kmod)
# first: installed together with the kernel, their trigger rebuilds the
# initramfs the kernel's postinst has just built (minutes under emulation)
STEP="install initramfs-tools"
say "$STEP"
APT="apt-get -q -y -o Dpkg::Use-Pty=0 --no-install-recommends"
in_target $APT install initramfs-tools

STEP="install the kernel, GRUB and $PACKAGES"
say "$STEP"
in_target $APT install linux-image-amd64 grub-pc ifupdown- $PACKAGES

STEP="boot loader on $DISK"
say "$STEP"
in_target grub-install --target=i386-pc "$DISK"
in_target update-grub

STEP="accounts"
say "$STEP"
echo root:'$6$provd.lab$Cs8jY4ROhqc8sUPwx.qDriVRfR1yigzsY.qf86DKTIRS5D7zDiE1tM98HlvzpdiWBHX3dQlEFcDws144LFtLk/' | in_target chpasswd -e
in_target useradd -m -s /bin/bash -p '$6$provd.lab$Cs8jY4ROhqc8sUPwx.qDriVRfR1yigzsY.qf86DKTIRS5D7zDiE1tM98HlvzpdiWBHX3dQlEFcDws144LFtLk/' 'lab'
in_target systemctl enable systemd-networkd >/dev/null 2>&1

STEP="late_command"
say "$STEP"
echo late >/target/etc/provd-late

STEP="first-boot identity"
say "$STEP"
# a golden image is cloned: every copy must get its own machine-id and SSH
# host keys. An empty machine-id makes systemd generate one at first boot;
# the host keys are removed here and made again before sshd first starts.
: > "$T/etc/machine-id"
rm -f "$T/var/lib/dbus/machine-id" "$T"/etc/ssh/ssh_host_*
cat > "$T/etc/systemd/system/provd-ssh-hostkeys.service" <<'UNIT'
[Unit]
Description=Generate SSH host keys for this clone (provd golden image)
ConditionFileIsExecutable=/usr/bin/ssh-keygen
ConditionPathExistsGlob=!/etc/ssh/ssh_host_*_key
Before=ssh.service

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A

[Install]
WantedBy=multi-user.target
UNIT
in_target systemctl enable provd-ssh-hostkeys.service >/dev/null 2>&1

STEP="finish"
in_target apt-get -q clean
for f in dev/pts dev sys proc; do umount "$T/$f"; done
sync
umount "$T"
say "done"
wget -q -O /dev/null 'http://192.0.2.1:8080/api/v1/status/pc1/done?token=ac7b1820fe9731f36bbba237d832355feeb79459990b01ed773bef1b720fe5a4' || true