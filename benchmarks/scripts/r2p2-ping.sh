#!/usr/bin/env bash
# R2P2 vs plain UDP round trips on loopback, the way docs/performance.md reports them: an R2P2 echo and a plain UDP
# echo in their own processes (tailguard serve), then ROUNDS alternating rounds of `tailguard ping --raw-udp` and
# `tailguard ping` against them (raw, R2P2, raw, R2P2, ...), same count, size and receive mode, and at the end the
# median p50 and p99 of each kind's rounds and their ratios: one pair of runs on a 2-core machine swings the ratio by
# 30%, the medians of 5 or more rounds do not. The raw UDP echo and ping wait in the same receive mode as R2P2's loops.
# usage: benchmarks/scripts/r2p2-ping.sh COUNT SIZE [ROUNDS (default 5)] [--busy-poll | --receive-mode MODE]
# The load average is printed at the start and the end: numbers from a busy machine must be re-measured on a quiet one.
set -euo pipefail
. "$(dirname "$0")/tool-common.sh"
count=${1:?usage: r2p2-ping.sh COUNT SIZE [ROUNDS] [--busy-poll | --receive-mode MODE]}; size=${2:?size}; shift 2
rounds=5
if [[ ${1:-} =~ ^[0-9]+$ ]]; then rounds=$1; shift; fi
mode=("$@")

build_tool
start_server r2p2 "${mode[@]}"; r2p2=$address
start_server raw --raw-udp "${mode[@]}"; raw=$address
results="$logs/rounds.txt"
echo "# $(date -u +%Y-%m-%dT%H:%MZ) load average: $(load_average); $rounds rounds of $count calls of $size B, ${mode[*]:-default receive mode}"
for round in $(seq 1 "$rounds"); do
  tailguard ping --server "$raw" --raw-udp --count "$count" --size "$size" "${mode[@]}" | sed 's/^/raw /' | tee -a "$results"
  tailguard ping --server "$r2p2" --count "$count" --size "$size" "${mode[@]}" | sed 's/^/r2p2 /' | tee -a "$results"
done
round_medians "$results" raw r2p2
echo "# load average at the end: $(load_average)"
