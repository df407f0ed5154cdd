#!/usr/bin/env bash
# The cost of the R2P2 authenticated mode (docs/security.md) and a check that the default mode is unchanged: closed-loop
# 64 B and 1 KiB calls over UDP loopback, rounds alternating the default and the authenticated mode, medians over
# rounds of each round's p50 and p99, bytes allocated per call. Records the load average at the start and the end:
# numbers from a busy machine must be re-measured on a quiet one.
# usage: benchmarks/scripts/r2p2-security.sh [ROUNDS] [CALLS] [MODE]   (default 7 rounds of 20000 calls; MODE blocking,
#        adaptive or busypoll for both receive loops, by default the library's own: adaptive)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
echo "# $(date -u +%Y-%m-%dT%H:%MZ) load average: $(cut -d' ' -f1-3 /proc/loadavg)"
dotnet run -c Release --project "$root/benchmarks/TailGuard.Benchmarks" -- r2p2-auth "${1:-7}" "${2:-20000}" ${3:+"$3"}
echo "# load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
