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
  tailguard ping --server "$raw" --raw-udp --count "$count" --size "$size" "${mode[@]}" | tee -a "$results"
  tailguard ping --server "$r2p2" --count "$count" --size "$size" "${mode[@]}" | tee -a "$results"
done
# Each line: "<raw UDP|R2P2> SIZE B MODE  p50 X us  p99 Y us ...": the median of each kind's rounds.
awk '
  function median(a, n,   i, j, t) { for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j > 0 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
                                     return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  { kind = ($1 == "raw") ? "raw" : "r2p2"
    for (i = 1; i < NF; i++) { if ($i == "p50") p50[kind, ++n50[kind]] = $(i + 1); if ($i == "p99") p99[kind, ++n99[kind]] = $(i + 1) } }
  END {
    for (k in n50) { delete a; for (i = 1; i <= n50[k]; i++) a[i] = p50[k, i]; m50[k] = median(a, n50[k])
                     delete a; for (i = 1; i <= n99[k]; i++) a[i] = p99[k, i]; m99[k] = median(a, n99[k]) }
    if (!("raw" in m50) || !("r2p2" in m50)) { print "# no complete rounds"; exit 1 }
    printf "# medians of %d rounds: raw UDP p50 %.1f us p99 %.1f us; R2P2 p50 %.1f us p99 %.1f us; ratio p50 %.2fx p99 %.2fx\n",
      n50["r2p2"], m50["raw"], m99["raw"], m50["r2p2"], m99["r2p2"], m50["r2p2"] / m50["raw"], m99["r2p2"] / m99["raw"] }
' "$results"
echo "# load average at the end: $(load_average)"
