#!/bin/bash
# bench/render/run.sh [N]: provd's answer renders/s and TFTP sync times for
# N systems (default 10,000), from an optimised build (no sanitizers).
# Cobbler, the tool a user would otherwise pick, is not packaged for Debian
# 12; its published figure is a full sync of 2 min 25 s at 1,200 systems.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
b=${BENCH_BUILDDIR:-/tmp/provd-bench-build}
mkdir -p "$b"
cd "$b"
[ -f Makefile ] || "$top/configure" -q CFLAGS="-O2 -g"
make -j2 bench/render/render_bench >/dev/null
echo "# $(date -u +%F) $(nproc) cores; command: bench/render/run.sh ${1:-10000}"
./bench/render/render_bench "${1:-10000}"
