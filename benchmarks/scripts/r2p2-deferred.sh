#!/usr/bin/env bash
# Issue 11's deferred-answer cost: an R2P2 echo that answers in its handler against one that defers every request and
# answers through its R2P2ResponseHandle at once (tailguard serve --answer deferred), each in its own process, in ROUNDS
# alternating rounds of `tailguard ping` (immediate, deferred, immediate, ...), same count, size and receive mode; at
# the end the median p50 and p99 of each kind's rounds and their difference (the issue's target: at most 1 us more at
# p50). Closed loop, one call at a time: the path's own cost, not queueing.
# usage: benchmarks/scripts/r2p2-deferred.sh COUNT SIZE [ROUNDS (default 5)] [--busy-poll | --receive-mode MODE]
# The load average is printed at the start and the end: numbers from a busy machine must be re-measured on a quiet one.
set -euo pipefail
. "$(dirname "$0")/tool-common.sh"
count=${1:?usage: r2p2-deferred.sh COUNT SIZE [ROUNDS] [--busy-poll | --receive-mode MODE]}; size=${2:?size}; shift 2
rounds=5
if [[ ${1:-} =~ ^[0-9]+$ ]]; then rounds=$1; shift; fi
mode=("$@")

build_tool
start_server immediate "${mode[@]}"; immediate=$address
start_server deferred --answer deferred "${mode[@]}"; deferred=$address
results="$logs/rounds.txt"
echo "# $(date -u +%Y-%m-%dT%H:%MZ) load average: $(load_average); $rounds rounds of $count calls of $size B, ${mode[*]:-default receive mode}"
for round in $(seq 1 "$rounds"); do
  tailguard ping --server "$immediate" --count "$count" --size "$size" "${mode[@]}" | sed 's/^/immediate /' | tee -a "$results"
  tailguard ping --server "$deferred" --count "$count" --size "$size" "${mode[@]}" | sed 's/^/deferred /' | tee -a "$results"
done
round_medians "$results" immediate deferred
echo "# load average at the end: $(load_average)"
