#!/bin/bash
# tests/vmrig/l2-run.sh VMM OUTDIR [GUEST-CMDLINE-EXTRA]   (runs inside L1)
# Boot the L2 test guest ($VMRIG_KERNEL + $VMRIG_INITRD) under VMM
# (provd | qemu-microvm | qemu-q35) with 1 vCPU (VMRIG_L2_CPUS), 256 MiB (VMRIG_L2_MEM), an 80 MiB disk
# OUTDIR/disk.img, slirp networking and virtio-rng, while busybox httpd
# serves OUTDIR/www on 127.0.0.1:PORT (the guest fetches it as 10.0.2.2:PORT).
# Leaves OUTDIR/console (guest serial), OUTDIR/status (the VMM's exit
# status), OUTDIR/times ("marker_s exit_s" since exec) and OUTDIR/rss_kib
# (peak RSS of the VMM process); OUTDIR/hang if a VMM stuck past 420 s had
# to be killed (its threads' states). VMRIG_PROVD_ARGS: extra options for
# `provd vm run` (the benchmark's --kernel-cache), VMRIG_PROVD_GLOBAL options
# before `vm` (--log-level debug).
set -u
vmm=$1 out=$2 extra=${3:-}
mkdir -p "$out/www"
mem=${VMRIG_L2_MEM:-256} cpus=${VMRIG_L2_CPUS:-1}
[ -f "$out/www/file" ] || head -c 65536 /dev/urandom > "$out/www/file"
[ -f "$out/disk.img" ] || truncate -s 80M "$out/disk.img"
port=$(( 20000 + $$ % 20000 ))
busybox httpd -f -p 127.0.0.1:$port -h "$out/www" &
hpid=$!
append="console=ttyS0 panic=-1 ${VMRIG_L2_QUIET-quiet} vmrig.port=$port $extra"
case "$vmm" in
provd)
	# shellcheck disable=SC2206 # VMRIG_PROVD_ARGS: extra words on purpose
	cmd=("${PROVD:-provd}" ${VMRIG_PROVD_GLOBAL:-} vm run ${VMRIG_PROVD_ARGS:-} --kernel "$VMRIG_KERNEL" --initrd "$VMRIG_INITRD"
		--append "$append" --disk "$out/disk.img" --net slirp
		--memory "$mem" --vcpus "$cpus" --console stdio --timeout 300) ;;
qemu-microvm)
	cmd=(qemu-system-x86_64 -enable-kvm -M microvm,pit=on,pic=off,rtc=on -nodefaults
		-no-user-config -display none -serial stdio -m "$mem" -smp "$cpus"
		-kernel "$VMRIG_KERNEL" -initrd "$VMRIG_INITRD" -append "$append earlyprintk=ttyS0"
		-drive id=d0,file="$out/disk.img",format=raw,if=none -device virtio-blk-device,drive=d0
		-netdev user,id=n0 -device virtio-net-device,netdev=n0
		-object rng-random,id=r0,filename=/dev/urandom -device virtio-rng-device,rng=r0 -no-reboot) ;;
qemu-q35)
	cmd=(qemu-system-x86_64 -enable-kvm -M q35 -nodefaults
		-no-user-config -display none -serial stdio -m "$mem" -smp "$cpus"
		-kernel "$VMRIG_KERNEL" -initrd "$VMRIG_INITRD" -append "$append"
		-drive id=d0,file="$out/disk.img",format=raw,if=none -device virtio-blk-pci,drive=d0
		-netdev user,id=n0 -device virtio-net-pci,netdev=n0
		-object rng-random,id=r0,filename=/dev/urandom -device virtio-rng-pci,rng=r0 -no-reboot) ;;
*) echo "l2-run: unknown VMM $vmm" >&2; kill $hpid; exit 2 ;;
esac
t0=$(date +%s.%N)
"${cmd[@]}" </dev/null > "$out/console" 2> "$out/stderr" &
vpid=$!
marker=-1 peak=0 ovh=0 n=0
# RSS of every mapping smaller than guest RAM (the VMM's own memory)
own_rss() {
	awk -v mem=$((mem * 1024)) '
		/^[0-9a-f]+-[0-9a-f]+ / { big = 0 }
		/^Size:/ { big = ($2 >= mem) }
		/^Rss:/ { if (!big) o += $2 }
		END { print o + 0 }' "/proc/$1/smaps" 2>/dev/null
}
# watchdog, in its own process (the loop below reads /proc/PID/smaps, which
# blocks while the VMM is stuck in the kernel): a VMM that outlives its own
# --timeout (300 s) by far is stuck; note where its threads wait (state,
# wchan, kernel stack when readable), then kill it (status 137)
( sleep 420
  kill -0 $vpid 2>/dev/null || exit 0
  for t in /proc/$vpid/task/*; do
	echo "$(cat "$t/comm" 2>/dev/null) $(cut -d' ' -f3 "$t/stat" 2>/dev/null) $(cat "$t/wchan" 2>/dev/null)"
	cat "$t/stack" 2>/dev/null
  done > "$out/hang"
  kill -9 $vpid ) &
wpid=$!
while kill -0 $vpid 2>/dev/null; do
	if [ "$marker" = -1 ] && grep -q "PROVD-MARKER init" "$out/console" 2>/dev/null; then
		marker=$(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN{printf "%.3f", a-b}')
	fi
	r=$(awk '/^VmHWM/ {print $2}' /proc/$vpid/status 2>/dev/null)
	[ -n "$r" ] && peak=$r
	if [ $((n % 20)) = 0 ]; then
		o=$(own_rss $vpid)
		[ -n "$o" ] && [ "$o" -gt "$ovh" ] && ovh=$o
	fi
	n=$((n + 1))
	sleep 0.05
done
wait $vpid
echo $? > "$out/status"
kill $wpid 2>/dev/null
t1=$(date +%s.%N)
[ "$marker" = -1 ] && grep -q "PROVD-MARKER init" "$out/console" && marker=$(awk -v a="$t1" -v b="$t0" 'BEGIN{printf "%.3f", a-b}')
echo "$marker $(awk -v a="$t1" -v b="$t0" 'BEGIN{printf "%.3f", a-b}')" > "$out/times"
echo "$peak" > "$out/rss_kib"
echo "$ovh" > "$out/overhead_kib"
kill $hpid 2>/dev/null; wait $hpid 2>/dev/null
exit 0
