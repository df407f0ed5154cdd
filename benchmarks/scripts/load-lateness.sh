#!/usr/bin/env bash
# The generator's own send lateness under different sender configurations, in one run (docs/load.md, "The sending
# thread" and "Batched sends"): against one R2P2 echo, ROUNDS times, `tailguard load` at every rate in each
# configuration of CONFIGS. By default, issue 17's before and after of the sender work: the old configuration (two
# sending threads, spinning the last 2 ms before each send at normal priority, adaptive client loops) and the new
# default (one sending thread, 50 us spin, nice -10, kernel timestamps, batched sends, and the tool's default client
# loops: adaptive here, because the sweep has points above 20k/s). Prints, per configuration and rate, the median over
# the rounds of the sender's lateness p50 and p99 and of the achieved rate, how many points passed, and which checks
# failed.
# usage: benchmarks/scripts/load-lateness.sh [OUTPUT_DIR]
#   RATES      offered rates                     (default 5k,20k,50k,100k)
#   DURATION   measuring time per point          (default 3s)
#   ROUNDS     rounds of every configuration     (default 2)
#   SERVE      options of the R2P2 echo          (default: --spin-budget 5us)
#   CONFIGS    NAME=OPTIONS;NAME=OPTIONS...      (default: old and new as above). Batched sends against one at a time:
#              CONFIGS='single=--send-batch 1;batched=;window=--send-window 20us' RATES=50k,100k
# Numbers from a busy machine (load average printed at the start and the end) must be re-measured on a quiet one.
set -euo pipefail
. "$(dirname "$0")/tool-common.sh"
out=${1:-$root/artifacts/load-lateness-$(date -u +%Y%m%d-%H%M)}  # artifacts/ is not committed
rates=${RATES:-5k,20k,50k,100k}
duration=${DURATION:-3s}
rounds=${ROUNDS:-2}
read -r -a serve <<<"${SERVE:---spin-budget 5us}"
mkdir -p "$out"
configs=${CONFIGS:-old=--threads 2 --sender-spin 2ms --sender-priority normal --receive-mode adaptive;new=--threads 1}
IFS=';' read -r -a config_list <<<"$configs"

build_tool
start_server r2p2 "${serve[@]}"; r2p2=$address
echo "# $(date -u +%Y-%m-%dT%H:%MZ) load average: $(load_average); rates $rates, $duration per point, serve ${serve[*]}, $rounds rounds" | tee "$out/summary.txt"
for round in $(seq 1 "$rounds"); do
  for entry in "${config_list[@]}"; do
    config=${entry%%=*}
    read -r -a extra <<<"${entry#*=}"
    echo "# round $round, $config: ${extra[*]}; load average $(load_average)" | tee -a "$out/summary.txt"
    set +e
    tailguard load --target "r2p2://$r2p2" --rates "$rates" --duration "$duration" --warmup 1s --size 64 \
      --connections 8 --latency-connections 2 ${extra[@]+"${extra[@]}"} --csv "$out/$config-$round.csv" | grep -v "requests/s:" | tee -a "$out/summary.txt"
    set -e
  done
done

awk -F, '
  function median(a, n,   i, j, t) { for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j > 0 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
                                     return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  FNR == 1 { for (i = 1; i <= NF; i++) column[$i] = i; config = FILENAME; sub(/.*\//, "", config); sub(/-[0-9]+\.csv$/, "", config); next }
  { rate = $column["target_rate"]; key = config SUBSEP rate; n = ++count[key]; keys[key] = 1
    p50[key, n] = $column["lateness_p50_us"]; p99[key, n] = $column["lateness_p99_us"]; achieved[key, n] = $column["achieved_rate"]
    if ($column["passed"] == "true") passed[key]++
    split($column["failed_checks"], names, " "); for (i in names) if (names[i] != "") failed[key, names[i]]++ }
  END { for (key in keys) { split(key, k, SUBSEP); n = count[key]
          delete a; for (i = 1; i <= n; i++) a[i] = p50[key, i]; m50 = median(a, n)
          delete a; for (i = 1; i <= n; i++) a[i] = p99[key, i]; m99 = median(a, n)
          delete a; for (i = 1; i <= n; i++) a[i] = achieved[key, i]; mrate = median(a, n)
          checks = ""; for (f in failed) { split(f, g, SUBSEP); if (g[1] SUBSEP g[2] == key) checks = checks " " g[3] " " failed[f] "x" }
          printf "# %s %7s/s: sender lateness p50 %.1f us, p99 %.1f us, achieved %.0f/s (medians of %d); %d of %d points passed every check%s\n",
            k[1], k[2], m50, m99, mrate, n, passed[key] + 0, n, checks == "" ? "" : "; failed:" checks } }
' "$out"/*-[0-9]*.csv | sort -k2,2 -k3n | tee -a "$out/summary.txt"
echo "# load average at the end: $(load_average)" | tee -a "$out/summary.txt"
