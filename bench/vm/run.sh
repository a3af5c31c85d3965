#!/bin/bash
# bench/vm/run.sh [--build DIR] [VMM...]
# VMM benchmark in the nested rig (tests/vmrig): in ONE L1 run, boot the L2
# test guest (same kernel, initrd, 256 MiB, 1 vCPU unless VMRIG_L2_CPUS is set) under each VMM
# (default: provd qemu-microvm qemu-q35) and report exec->"PROVD-MARKER init"
# and exec->exit, VMM peak RSS minus guest RAM, and guest sequential write to
# virtio-blk (64 MiB dd, conv=fsync) vs L1's own dd to the same file system.
# Prints ratios against qemu-microvm. These are RIG figures (L1 runs under
# TCG), not bare-metal figures.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
args=()
if [ "${1:-}" = --build ]; then args=(--build "$2"); shift 2; fi
vmms=${*:-provd qemu-microvm qemu-q35}
job=$(mktemp -d "${TMPDIR:-/tmp}/vmbench.XXXXXX")
trap 'rm -rf "$job"' EXIT
"$top/tests/vmrig/rig.sh" run "${args[@]}" --job "$job" --timeout 600 -- bash -c '
	for v in '"$vmms"'; do
		'"$top"'/tests/vmrig/l2-run.sh "$v" /mnt/$v "vmrig.bench"
	done
	dd if=/dev/zero of=/mnt/l1-write bs=1M count=64 conv=fsync 2>&1 | tail -n 1 > /mnt/l1-dd
	rm -f /mnt/l1-write' >/dev/null 2>&1
mem_kib=$((256 * 1024))
printf '%-14s %10s %10s %12s %s\n' VMM marker_s exit_s overhead_MiB "status / guest write"
for v in $vmms; do
	d=$job/$v
	[ -f "$d/times" ] || { printf '%-14s did not run\n' "$v"; continue; }
	read -r m e < "$d/times"
	rss=$(cat "$d/rss_kib")
	printf '%-14s %10s %10s %12s %s / %s\n' "$v" "$m" "$e" "$(( (rss - mem_kib) / 1024 ))" \
		"$(cat "$d/status")" "$(grep -a 'PROVD-MARKER write' "$d/console" | head -n 1 | tr -d '\r')"
done
echo "L1 own write: $(cat "$job/l1-dd" 2>/dev/null)"
if [ -f "$job/qemu-microvm/times" ]; then
	read -r qm qe < "$job/qemu-microvm/times"
	for v in $vmms; do
		[ "$v" = qemu-microvm ] || [ ! -f "$job/$v/times" ] && continue
		read -r m e < "$job/$v/times"
		awk -v v="$v" -v m="$m" -v e="$e" -v qm="$qm" -v qe="$qe" \
			'BEGIN { if (qm > 0 && m > 0) printf "%s/qemu-microvm: marker %.2fx exit %.2fx\n", v, m/qm, e/qe }'
	done
fi
