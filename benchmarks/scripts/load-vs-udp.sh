#!/usr/bin/env bash
# Issue 11's open-loop comparison: R2P2 against a plain UDP echo, driven by the same open-loop sender (tailguard load)
# in the same receive mode on both sides, 64 B, Poisson arrivals (docs/load.md, "Comparing with plain UDP").
# An R2P2 echo and a plain UDP echo run in their own processes; ROUNDS times, one `tailguard load` visits both targets
# (plain UDP first, then R2P2) at every rate; at the end, per rate, the median over the rounds of each target's p50 and
# p99 and their ratio R2P2/UDP (the issue's target: p99 at most 1.3x), and how many of the points passed their checks.
# usage: benchmarks/scripts/load-vs-udp.sh [OUTPUT_DIR] [-- extra tailguard load options]
#   RATES      offered rates                      (default 10k,50k)
#   DURATION   measuring time per point           (default 5s)
#   ROUNDS     runs of both targets               (default 3)
#   MODE       receive mode of both servers and the generator (default adaptive)
#   SPIN       the servers' adaptive spin budget  (default: the runtime's, 50us)
# Numbers from a busy machine (see the load average printed at the start and the end) must be re-measured on a quiet one.
set -euo pipefail
. "$(dirname "$0")/tool-common.sh"
out=${1:-$root/artifacts/load-vs-udp-$(date -u +%Y%m%d-%H%M)}  # artifacts/ is not committed
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
rates=${RATES:-10k,50k}
duration=${DURATION:-5s}
rounds=${ROUNDS:-3}
mode=(--receive-mode "${MODE:-adaptive}")
spin=()
[ -n "${SPIN:-}" ] && spin=(--spin-budget "$SPIN")
mkdir -p "$out"

build_tool
start_server r2p2 "${mode[@]}" "${spin[@]}"; r2p2=$address
start_server udp --raw-udp "${mode[@]}" "${spin[@]}"; udp=$address
echo "# $(date -u +%Y-%m-%dT%H:%MZ) load average: $(load_average); rates $rates, $duration per point, 64 B, ${mode[*]} ${spin[*]}, $rounds rounds" | tee "$out/summary.txt"
for round in $(seq 1 "$rounds"); do
  set +e
  tailguard load --target "udp://$udp" --target "r2p2://$r2p2" --rates "$rates" --duration "$duration" --size 64 \
    --connections 4 --latency-connections 2 --threads 1 "${mode[@]}" --csv "$out/round-$round.csv" "$@" | tee -a "$out/summary.txt"
  set -e
done

# Per target kind and rate: the median over the rounds of p50 and p99, and the ratio R2P2/UDP.
awk -F, '
  function median(a, n,   i, j, t) { for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j > 0 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
                                     return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  FNR == 1 { for (i = 1; i <= NF; i++) column[$i] = i; next }
  { kind = ($column["target"] ~ /^udp:/) ? "udp" : "r2p2"; rate = $column["target_rate"]; rates[rate] = 1
    key = kind SUBSEP rate; n = ++count[key]
    p50[key, n] = $column["p50_us"]; p99[key, n] = $column["p99_us"]; late[key, n] = $column["lateness_p99_us"]
    if ($column["passed"] == "true" || $column["passed"] == "True") passed[key]++ }
  END {
    for (rate in rates) {
      line = sprintf("# rate %s:", rate)
      for (k = 1; k <= 2; k++) {
        kind = (k == 1) ? "udp" : "r2p2"; key = kind SUBSEP rate; n = count[key]
        delete a; for (i = 1; i <= n; i++) a[i] = p50[key, i]; m50[kind] = median(a, n)
        delete a; for (i = 1; i <= n; i++) a[i] = p99[key, i]; m99[kind] = median(a, n)
        delete a; for (i = 1; i <= n; i++) a[i] = late[key, i]; mlate = median(a, n)
        line = line sprintf(" %s p50 %.1f us p99 %.1f us (sender lateness p99 %.1f us, %d of %d points passed);", kind, m50[kind], m99[kind], mlate, passed[key] + 0, n)
      }
      printf "%s ratio R2P2/UDP p50 %.2fx p99 %.2fx\n", line, m50["r2p2"] / m50["udp"], m99["r2p2"] / m99["udp"]
    }
  }' "$out"/round-*.csv | tee -a "$out/summary.txt"
echo "# load average at the end: $(load_average)" | tee -a "$out/summary.txt"
