#!/bin/bash
# tests/vmrig/stress.sh --build DIR [--vmm V] [--args 'PROVD ARGS'] N
# Boots the L2 test guest N times in ONE L1 (tests/vmrig/l2-run.sh; VMM V,
# default provd) and prints one line per boot: exit status, seconds to the
# init marker and to exit, whether l2-run's watchdog had to kill the VMM.
# For rare rig or VMM hangs that one boot per L1 never shows (docs/vmrig.md,
# "L1 wedged"). No retry: a wedged L1 ends as a timeout (status 124) after
# a register dump. Exit 0 when every boot exited 0.
set -u
here=$(cd "$(dirname "$0")" && pwd)
build= vmm=provd args=
while [ $# -gt 1 ]; do
	case "$1" in
	--build) build=$2; shift 2 ;;
	--vmm) vmm=$2; shift 2 ;;
	--args) args=$2; shift 2 ;;
	*) break ;;
	esac
done
n=${1:?usage: stress.sh --build DIR [--vmm V] [--args S] N}
[ -n "$build" ] || { echo "stress.sh: --build DIR is required" >&2; exit 2; }
job=$(mktemp -d "${TMPDIR:-/tmp}/vmrig-stress.XXXXXX")
trap 'rm -rf "$job"' EXIT
# each boot's files on a tmpfs in L1, the summary line in the job share
VMRIG_RETRY=0 "$here/rig.sh" run --build "$build" --job "$job" \
	--timeout $((n * 60 + 120)) --env "VMRIG_PROVD_ARGS=$args" -- bash -c '
	mkdir -p /dev/shm && mount -t tmpfs tmpfs /dev/shm
	bad=0
	for i in $(seq '"$n"'); do
		o=/dev/shm/b$i
		'"$here"'/l2-run.sh '"$vmm"' $o >/dev/null 2>&1
		st=$(cat $o/status 2>/dev/null)
		echo "boot $i: status ${st:-none}, marker/exit s: $(cat $o/times 2>/dev/null)$([ -f $o/hang ] && echo ", killed by the watchdog")" | tee -a /mnt/progress
		[ "$st" = 0 ] || bad=$((bad + 1))
		rm -rf $o
	done
	echo "$bad of '"$n"' boots failed"
	[ $bad = 0 ]' | grep -a --line-buffered -e '^boot ' -e 'boots failed' -e '^vmrig'
exit "${PIPESTATUS[0]}"
