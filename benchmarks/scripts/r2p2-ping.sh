#!/usr/bin/env bash
# R2P2 vs plain UDP round trips on loopback, the way docs/performance.md reports them: an R2P2 echo and a plain UDP
# echo in their own processes (tailguard serve), then ROUNDS alternating rounds of `tailguard ping --raw-udp` and
# `tailguard ping` against them, same count, size and receive mode. Compare the medians of the rounds: one pair of
# runs on a 2-core machine swings the ratio by 30%.
# usage: benchmarks/scripts/r2p2-ping.sh COUNT SIZE [ROUNDS] [--busy-poll | --receive-mode MODE]
set -euo pipefail
. "$(dirname "$0")/tool-common.sh"
count=${1:?usage: r2p2-ping.sh COUNT SIZE [ROUNDS] [--busy-poll]}; size=${2:?size}; shift 2
rounds=2
if [[ ${1:-} =~ ^[0-9]+$ ]]; then rounds=$1; shift; fi
mode=("$@")

build_tool
start_server r2p2 "${mode[@]}"; r2p2=$address
start_server raw --raw-udp "${mode[@]}"; raw=$address
echo "# $(date -u +%Y-%m-%dT%H:%MZ) load average: $(load_average); $count calls of $size B, ${mode[*]:-default receive mode}"
for round in $(seq 1 "$rounds"); do
  tailguard ping --server "$raw" --raw-udp --count "$count" --size "$size" "${mode[@]}"
  tailguard ping --server "$r2p2" --count "$count" --size "$size" "${mode[@]}"
done
echo "# load average at the end: $(load_average)"
