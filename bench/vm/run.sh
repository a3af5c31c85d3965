#!/bin/bash
# bench/vm/run.sh [--build DIR] [VMM...]
# VMM is provd, provd+kcache, qemu-microvm or qemu-q35, optionally with
# "+vmlinux". provd+kcache boots the same bzImage with --kernel-cache on a
# tmpfs in L1, warmed by one untimed boot first: provd unpacked the payload
# once (kvm/kcache.h) and enters the ELF, so the guest does not decompress;
# plain provd runs with --kernel-cache none. With "+vmlinux"
# that VMM boots the uncompressed ELF vmlinux taken out of the same bzImage
# (provd: 64-bit entry at e_entry; QEMU: its PVH note), so no XZ
# decompression in the guest. X+vmlinux is compared with
# qemu-microvm+vmlinux when that ran, the others with qemu-microvm.
# VMM benchmark in the nested rig (tests/vmrig): in ONE L1 run, boot the L2
# test guest (same kernel, initrd, 256 MiB, 1 vCPU unless VMRIG_L2_CPUS is
# set) under each VMM (default: provd qemu-microvm qemu-q35), interleaved,
# VMRIG_BENCH_RUNS times (default 3), and report medians of exec->"PROVD-MARKER
# init" and exec->exit, the VMM's peak RSS and its own part (RSS outside the
# guest-RAM mapping), and guest sequential write to virtio-blk (64 MiB dd,
# conv=fsync, timed in the guest, three times per boot: the median of all
# samples) vs L1's own dd to the same file system.
# Prints ratios against qemu-microvm. These are RIG figures (L1 runs under
# TCG on a shared host), not bare-metal figures; the runs are interleaved so
# that load from other processes hits every VMM alike.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
args=()
if [ "${1:-}" = --build ]; then args=(--build "$2"); shift 2; fi
vmms=${*:-provd provd+kcache qemu-microvm qemu-q35}
runs=${VMRIG_BENCH_RUNS:-3}
job=$(mktemp -d "${TMPDIR:-/tmp}/vmbench.XXXXXX")
trap 'rm -rf "$job"' EXIT
case " $vmms" in
*+vmlinux*)
	# the bzImage's payload (Debian: XZ) is the ELF vmlinux. L1 reads it
	# at its host path, through the host-root 9p mount (cache=loose) like
	# the bzImage, not through the job share (/mnt: no cache, so a VMM
	# that mmaps the file reads it a page per 9p request)
	k=$("$top/tests/vmrig/rig.sh" kernel) || exit 1
	pos=$(grep -abo $'\xfd7zXZ\x00' "$k" | head -n 1 | cut -d: -f1)
	[ -n "$pos" ] && tail -c +$((pos + 1)) "$k" | xz -dc --single-stream > "$job/vmlinux" 2>/dev/null
	[ "$(head -c 4 "$job/vmlinux" 2>/dev/null | od -An -c | tr -d ' ')" = 177ELF ] ||
		{ echo "bench/vm: no XZ-compressed ELF payload in $k" >&2; exit 1; }
	;;
esac
"$top/tests/vmrig/rig.sh" run "${args[@]}" --job "$job" --timeout 1200 -- bash -c '
	# guest payload into L1'"'"'s page cache first: otherwise the first VMM
	# to boot a file pays its cold 9p read for all (4 s for the vmlinux)
	cat "$VMRIG_KERNEL" "$VMRIG_INITRD" '"$([ -f "$job/vmlinux" ] && echo "$job/vmlinux")"' > /dev/null
	mkdir -p /dev/shm && mount -t tmpfs tmpfs /dev/shm
	case " '"$vmms"' " in *" provd+kcache "*)
		VMRIG_PROVD_ARGS="--kernel-cache /dev/shm/kc" '"$top"'/tests/vmrig/l2-run.sh provd /mnt/kcache-warmup "vmrig.quick" ;;
	esac
	for r in $(seq '"$runs"'); do
		for v in '"$vmms"'; do
			k=$VMRIG_KERNEL
			[ "${v%+vmlinux}" != "$v" ] && k='"$job"'/vmlinux
			case $v in
			provd+kcache) VMRIG_PROVD_GLOBAL="--log-level debug" VMRIG_PROVD_ARGS="--kernel-cache /dev/shm/kc" VMRIG_KERNEL=$k '"$top"'/tests/vmrig/l2-run.sh provd /mnt/$v.$r "vmrig.bench" ;;
			*) VMRIG_PROVD_GLOBAL="--log-level debug" VMRIG_PROVD_ARGS="--kernel-cache none" VMRIG_KERNEL=$k '"$top"'/tests/vmrig/l2-run.sh "${v%+vmlinux}" /mnt/$v.$r "vmrig.bench" ;;
			esac
		done
	done
	dd if=/dev/zero of=/mnt/l1-write bs=1M count=64 conv=fsync 2>&1 | tail -n 1 > /mnt/l1-dd
	rm -f /mnt/l1-write' >/dev/null 2>&1
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR) print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }
# field of every run of VMM $1: marker, exit, rss, own, write, status
col() {
	local v=$1 f=$2 r d
	for r in $(seq "$runs"); do
		d=$job/$v.$r
		[ -f "$d/times" ] || continue
		case $f in
		marker) awk '{print $1}' "$d/times" ;;
		exit) awk '{print $2}' "$d/times" ;;
		rss) awk '{printf "%.1f\n", $1 / 1024}' "$d/rss_kib" ;;
		own) awk '{printf "%.1f\n", $1 / 1024}' "$d/overhead_kib" ;;
		write) tr -d '\r' < "$d/console" | awk '/^PROVD-MARKER write 64MiB/ {print $6}' ;;
		status) cat "$d/status" ;;
		esac
	done
}
echo "rig figures, median of $runs interleaved runs (load average at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-14s %9s %9s %8s %8s %9s %s\n' VMM marker_s exit_s rss_MiB own_MiB write_MB/s "statuses"
for v in $vmms; do
	printf '%-14s %9s %9s %8s %8s %9s %s\n' "$v" "$(col "$v" marker | median)" \
		"$(col "$v" exit | median)" "$(col "$v" rss | median)" "$(col "$v" own | median)" \
		"$(col "$v" write | median)" "$(col "$v" status | tr '\n' ' ')"
	echo "  runs: marker $(col "$v" marker | tr '\n' ' ')/ exit $(col "$v" exit | tr '\n' ' ')/ write $(col "$v" write | tr '\n' ' ')"
done
echo "L1 own write: $(cat "$job/l1-dd" 2>/dev/null)"
for v in $vmms; do
	ref=qemu-microvm
	case $v in *+vmlinux) case " $vmms " in *" qemu-microvm+vmlinux "*) ref=qemu-microvm+vmlinux ;; esac ;; esac
	[ "$v" = "$ref" ] && continue
	awk -v v="$v" -v ref="$ref" -v m="$(col "$v" marker | median)" -v e="$(col "$v" exit | median)" \
		-v o="$(col "$v" own | median)" -v w="$(col "$v" write | median)" \
		-v qm="$(col "$ref" marker | median)" -v qe="$(col "$ref" exit | median)" \
		-v qo="$(col "$ref" own | median)" -v qw="$(col "$ref" write | median)" 'BEGIN {
		if (m == "" || qm <= 0) exit
		printf "%s/%s: marker %.2fx, exit %.2fx, own RSS %.2fx, disk write %.2fx\n",
			v, ref, m / qm, e / qe, (qo > 0 ? o / qo : 0), (qw > 0 ? w / qw : 0) }'
done
