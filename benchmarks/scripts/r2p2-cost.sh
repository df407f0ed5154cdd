#!/usr/bin/env bash
# In-process CPU per operation of the R2P2 authenticated mode and of a one-packet call's protocol work (issue 22,
# docs/security.md "Cost"): each AES-GCM operation of a call (client seal, server open, server seal, client open) at
# 64 B and 1 KiB as the runtime does it, the BCL calls beneath them (and other BCL MACs for comparison), the server's key
# lookups and replay window, the client's nonce clock, and a whole call's protocol work without I/O in both modes.
# Batches of every operation are interleaved; it prints ns per operation, the minimum and the median over batches.
# No threads, no sockets: the minimum barely moves with the load average (printed at the start and the end).
# usage: benchmarks/scripts/r2p2-cost.sh [BATCHES (default 201)] [BATCH MICROSECONDS (default 500)] [NAME FILTER]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
echo "# $(date -u +%Y-%m-%dT%H:%MZ) load average: $(cut -d' ' -f1-3 /proc/loadavg); $(git -C "$root" log -1 --format=%h HEAD)"
dotnet run -c Release --project "$root/benchmarks/TailGuard.Benchmarks" -- r2p2-cost "${1:-201}" "${2:-500}" ${3:+"$3"}
echo "# load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
