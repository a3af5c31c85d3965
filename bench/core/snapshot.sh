#!/bin/bash
# bench/core/snapshot.sh: the object store at scale. Generates a state with
# N systems (default 10000) as plain files, then times with hyperfine:
#   provd check                      cold load + full validation of N objects
#   provd system add + remove        two validated, atomic, locked writes
# Usage: bench/core/snapshot.sh [BUILD_DIR] [N]   (not part of `make check`)
set -eu
top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
B=${1:-$top_srcdir/build}
N=${2:-10000}
PROVD=$B/provd/provd
command -v hyperfine >/dev/null || { echo "hyperfine not installed (scripts/setup installs it)"; exit 1; }
S=$(mktemp -d "${TMPDIR:-/tmp}/provd-bench.XXXXXX")
trap 'rm -rf "$S"' EXIT
export PROVD_STATE=$S
"$PROVD" init >/dev/null
mkdir -p "$S/files/d"
echo k >"$S/files/d/linux"
echo i >"$S/files/d/initrd.gz"
"$PROVD" distro add d --kernel d/linux --initrd d/initrd.gz --breed debian >/dev/null
"$PROVD" profile add base --distro d --autoinstall preseed/debian.cfg --kernel-options "console=ttyS0" >/dev/null
"$PROVD" profile add web --parent base --meta role=web >/dev/null
for ((i = 1; i <= N; i++)); do
	printf 'profile: web\ninterfaces:\n  - mac: "52:54:%02x:%02x:%02x:%02x"\n    ip: 10.%d.%d.%d\nnetboot: true\n' \
		$((i >> 24 & 255)) $((i >> 16 & 255)) $((i >> 8 & 255)) $((i & 255)) \
		$((i >> 16 & 255)) $((i >> 8 & 255)) $((i & 255)) >"$S/systems/s$i.yaml"
done
echo "state: $N systems in $S"
hyperfine -N --warmup 2 --runs 10 "$PROVD check"
# Two validated writes per run: add, then remove.
hyperfine --warmup 1 --runs 10 \
	"$PROVD system add bench1 --profile web --mac 52:54:ff:00:00:01 && $PROVD system remove bench1"
