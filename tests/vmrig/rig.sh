#!/bin/bash
# tests/vmrig/rig.sh: the nested-virtualisation test rig for provd's VMM.
#
# This machine's /dev/kvm cannot boot a Linux guest, so the rig runs an L1
# Debian kernel under QEMU's software emulator with AMD SVM and nested paging
# emulated (-cpu EPYC,+svm,+npt). Inside L1, kvm-amd loads and /dev/kvm runs
# guest code fast enough; the host root is mounted read-only over virtio-9p
# and chrooted into, so a build tree's provd (ASan and all) runs unchanged.
#
#   rig.sh run [--build DIR] [--job DIR] [--mem MiB] [--smp N] [--timeout S]
#              [--env NAME=VALUE]... -- COMMAND [ARG]...
#       Run COMMAND inside L1 (cwd = the caller's cwd, TMPDIR = a writable
#       dir in the job share). Its output is streamed to stdout; rig.sh exits
#       with COMMAND's status, or 124 if L1 timed out (twice: one retry,
#       VMRIG_RETRY=0 for none), 125 on rig failure.
#       The job dir (writable share, /mnt inside L1) is kept if --job given.
#       Inside L1: $PROVD = DIR/provd/provd when --build is given, $VMRIG_JOB
#       = /mnt, $VMRIG_KERNEL, $VMRIG_INITRD (the L2 test guest).
#   rig.sh kernel            print the kernel image the rig uses (L1 and L2)
#   rig.sh guest-initrd OUT  build the L2 test initramfs (tests/vmrig/guest-init)
#   rig.sh check             exit 0 if the rig can run here, else print why
set -u
here=$(cd "$(dirname "$0")" && pwd)

rig_kernel() {
	local k
	k=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
	[ -n "$k" ] && [ -r "$k" ] || { echo "vmrig: no readable /boot/vmlinuz-* (apt-get install linux-image-amd64)" >&2; return 1; }
	echo "$k"
}

rig_check() {
	local k
	command -v qemu-system-x86_64 >/dev/null || { echo "vmrig: qemu-system-x86_64 missing"; return 1; }
	command -v busybox >/dev/null || { echo "vmrig: busybox missing"; return 1; }
	command -v cpio >/dev/null || { echo "vmrig: cpio missing"; return 1; }
	k=$(rig_kernel) || return 1
	[ -f "/lib/modules/${k#/boot/vmlinuz-}/modules.dep" ] || { echo "vmrig: no modules for ${k#/boot/vmlinuz-}"; return 1; }
	[ "$(id -u)" = 0 ] || { echo "vmrig: must run as root (9p passthrough of the host root)"; return 1; }
	return 0
}

# cached KEY-named initramfs in $cache: rebuilt when the init or kernel changes
rig_initrd() {	# OUT-NAME INIT MODULE...
	local name=$1 init=$2 kver sum out
	shift 2
	kver=$(rig_kernel) || return 1
	kver=${kver#/boot/vmlinuz-}
	sum=$( (cat "$init" "$here/mkinitrd.sh"; echo "$kver $*"; command -v busybox) | sha256sum | cut -c1-12)
	out=$cache/$name-$sum.cpio.gz
	if [ ! -s "$out" ]; then
		mkdir -p "$cache"
		"$here/mkinitrd.sh" "$out" "$init" "$kver" "$@" >&2 || return 1
	fi
	echo "$out"
}

# tests/vmrig/kvm-hold.c built with the host's compiler (it runs in the
# chroot of the host root inside L1); empty if that fails
rig_keeper() {
	local sum out
	sum=$(sha256sum < "$here/kvm-hold.c" | cut -c1-12)
	out=$cache/kvm-hold-$sum
	if [ ! -x "$out" ]; then
		mkdir -p "$cache"
		"${CC:-cc}" -O2 -o "$out.tmp" "$here/kvm-hold.c" >&2 && mv "$out.tmp" "$out" ||
			{ echo "vmrig: cannot build kvm-hold (L1 may wedge: docs/vmrig.md)" >&2; return 0; }
	fi
	echo "$out"
}

L1_MODULES="kvm-amd 9p 9pnet_virtio virtio_pci"
GUEST_MODULES="virtio_pci virtio_mmio virtio_net virtio_blk virtio-rng"

cache_default() {
	if [ -n "${VMRIG_CACHE:-}" ]; then echo "$VMRIG_CACHE"
	elif [ -n "${top_builddir:-}" ]; then echo "$top_builddir/vmrig-cache"
	elif [ -n "${build:-}" ]; then echo "$build/vmrig-cache"
	else echo "${TMPDIR:-/tmp}/vmrig-cache-$(id -u)"
	fi
}

# One L1 run, or two: an L1 that times out is run once more (VMRIG_RETRY=0
# turns that off). L1 used to wedge as a whole now and then (three times in
# ~60 boots on 3 December 2026): its kernel text patching, which KVM
# triggers whenever the first VM appears or the last goes, sometimes never
# completed under TCG; kvm-hold.c now keeps a VM for L1's whole life. The
# retry stays as a safety net and says so on stderr; a second timeout fails
# as before. L1's console (KERN_ERR and up) goes to the caller's stdout,
# so stall reports land in the test's log.
cmd_run() {
	local rc tries=$(( ${VMRIG_RETRY:-1} + 1 ))
	while :; do
		cmd_run_once "$@"
		rc=$?
		tries=$((tries - 1))
		[ "$rc" = 124 ] && [ "$tries" -gt 0 ] || return "$rc"
		echo "vmrig: L1 timed out (wedged?); running it once more (docs/vmrig.md)" >&2
	done
}

# Where L1's vCPUs are when it is stuck: QEMU's monitor on a pipe pair
# (JOB/l1-mon.in, .out; FIFOs QEMU opens read-write, so nothing blocks).
l1_dump() {
	local job=$1
	[ -p "$job/l1-mon.in" ] || return 0
	# ten samples a second apart: a loop shows as a few recurring RIPs
	# (L1 boots with nokaslr: symbolise them with a /proc/kallsyms of
	# any L1 run)
	( for _ in 1 2 3 4 5 6 7 8 9 10; do
		printf 'info registers -a\n'; sleep 1
	  done ) > "$job/l1-mon.in" &
	timeout 12 cat "$job/l1-mon.out" > "$job/l1-cpus.txt" 2>/dev/null
	wait
	echo "vmrig: L1 vCPU RIPs at the timeout (count, address):"
	grep -aoE 'RIP=[0-9a-f]+' "$job/l1-cpus.txt" | sort | uniq -c | sort -rn | head -n 12
}

cmd_run_once() {
	local job= keep=0 mem=2048 smp=2 timeout=240 envs=() a kimg l1 guest keeper qpid rc
	build=${build:-}
	while [ $# -gt 0 ]; do
		case "$1" in
		--build) build=$(cd "$2" && pwd) || return 125; shift 2 ;;
		--job) job=$2; keep=1; shift 2 ;;
		--mem) mem=$2; shift 2 ;;
		--smp) smp=$2; shift 2 ;;
		--timeout) timeout=$2; shift 2 ;;
		--env) envs+=("$2"); shift 2 ;;
		--) shift; break ;;
		*) echo "vmrig: unknown option $1" >&2; return 125 ;;
		esac
	done
	[ $# -gt 0 ] || { echo "vmrig: run needs -- COMMAND" >&2; return 125; }
	a=$(rig_check) || { echo "$a" >&2; return 125; }
	cache=$(cache_default)
	kimg=$(rig_kernel) || return 125
	l1=$(rig_initrd l1 "$here/l1-init" $L1_MODULES) || return 125
	guest=$(rig_initrd guest "$here/guest-init" $GUEST_MODULES) || return 125
	keeper=$(rig_keeper)
	if [ -z "$job" ]; then
		job=$(mktemp -d "${TMPDIR:-/tmp}/vmrig-job.XXXXXX") || return 125
	else
		mkdir -p "$job" || return 125
		job=$(cd "$job" && pwd)
	fi
	rm -f "$job/rc" "$job/l1-mon.in" "$job/l1-mon.out"
	mkfifo "$job/l1-mon.in" "$job/l1-mon.out" || return 125
	pwd > "$job/cwd"
	{
		echo "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
		echo "export HOME=/mnt/tmp TMPDIR=/mnt/tmp VMRIG_JOB=/mnt"
		printf 'export VMRIG_KERNEL=%q VMRIG_INITRD=%q\n' "$kimg" "$guest"
		[ -n "$build" ] && printf 'export BUILD=%q PROVD=%q top_builddir=%q\n' "$build" "$build/provd/provd" "$build"
		[ -n "${top_srcdir:-}" ] && printf 'export top_srcdir=%q\n' "$top_srcdir"
		for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS PROVD_SRCDIR PROVD_TEMPLATES; do
			[ -n "${!v:-}" ] && printf 'export %s=%q\n' "$v" "${!v}"
		done
		for a in "${envs[@]}"; do printf 'export %q\n' "$a"; done
		# one idle VM for L1's whole life: no KVM static-key flips, no
		# kernel text patching while L2 VMs come and go (kvm-hold.c).
		# Its own flip runs with vCPU 1 offline: nothing else executes
		# kernel text while it is patched.
		if [ -n "$keeper" ]; then
			echo "c1=/sys/devices/system/cpu/cpu1/online"
			echo '[ -w "$c1" ] && echo 0 > "$c1"'
			printf '%q /run/kvm-hold.ready &\n' "$keeper"
			echo 'for _ in $(seq 100); do [ -e /run/kvm-hold.ready ] && break; sleep 0.1; done'
			echo '[ -w "$c1" ] && echo 1 > "$c1"'
		fi
		printf '%q ' "$@"; echo
	} > "$job/cmd"
	# L1: q35 under multi-threaded TCG with SVM+NPT emulated so kvm-amd
	# loads; host root read-only over 9p, the job dir writable.
	# no_timer_check: on a loaded host TCG can starve L1's timer through
	# the kernel's IO-APIC timer check, which then panics ("IO-APIC +
	# timer doesn't work!", seen here); virtual machines skip that check.
	qemu-system-x86_64 -accel tcg,thread=multi -M q35 -cpu EPYC,+svm,+npt \
		-smp "$smp" -m "$mem" -nodefaults -no-user-config -display none \
		-chardev stdio,id=con,signal=off -serial chardev:con \
		-kernel "$kimg" -initrd "$l1" \
		-append "console=ttyS0 quiet loglevel=${VMRIG_LOGLEVEL:-4} panic=-1 no_timer_check nokaslr rdinit=/init" \
		-fsdev local,id=hr,path=/,security_model=none,readonly=on,multidevs=remap \
		-device virtio-9p-pci,fsdev=hr,mount_tag=hostroot \
		-fsdev local,id=jb,path="$job",security_model=none \
		-device virtio-9p-pci,fsdev=jb,mount_tag=job \
		-chardev pipe,id=mon,path="$job/l1-mon" -mon chardev=mon,mode=readline \
		-no-reboot </dev/null 2>"$job/qemu-l1.log" &
	qpid=$!
	local t=0
	while kill -0 "$qpid" 2>/dev/null; do
		if [ "$t" -ge "$timeout" ]; then
			echo "vmrig: L1 timed out after ${timeout}s" >&2
			l1_dump "$job" >&2
			kill "$qpid" 2>/dev/null; wait "$qpid" 2>/dev/null
			[ "$keep" = 1 ] || rm -rf "$job"
			return 124
		fi
		sleep 1; t=$((t + 1))
	done
	wait "$qpid"
	if [ -f "$job/rc" ]; then rc=$(cat "$job/rc"); else echo "vmrig: L1 ended without the command's status" >&2; cat "$job/qemu-l1.log" >&2; rc=125; fi
	[ "$keep" = 1 ] || rm -rf "$job"
	return "$rc"
}

case "${1:-}" in
run) shift; cmd_run "$@"; exit $? ;;
kernel) rig_kernel ;;
guest-initrd) cache=$(cache_default); o=$(rig_initrd guest "$here/guest-init" $GUEST_MODULES) && cp "$o" "$2" ;;
check) rig_check ;;
*) sed -n '2,/^set -u/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
