#!/usr/bin/env bash
# Who holds the cores while `tailguard load` runs against `tailguard serve` on this machine (docs/load.md, "The sending
# thread"): one open-loop point at RATE, and, one second into its measurement, two readings of every thread's
# /proc/PID/task/TID/schedstat one second apart, in both processes. Prints per thread name: how many threads, the
# share of a core they ran (100% = one core) and the share they spent runnable but waiting for one.
# usage: benchmarks/scripts/load-cpu-census.sh RATE [-- serve options] [--- load options]
#   e.g. load-cpu-census.sh 20k -- --receive-mode adaptive --- --connections 8 --threads 2 --receive-mode adaptive
# Numbers from a busy machine (load average printed) describe that machine; compare runs made one after the other.
set -euo pipefail
. "$(dirname "$0")/tool-common.sh"
rate=${1:?usage: load-cpu-census.sh RATE [-- serve options] [--- load options]}; shift
serve=(); load=()
[ "${1:-}" = "--" ] && shift
while [ $# -gt 0 ] && [ "$1" != "---" ]; do serve+=("$1"); shift; done
[ "${1:-}" = "---" ] && shift
load=("$@")

build_tool
start_server r2p2 "${serve[@]}"; r2p2=$address
server_pid=${servers[-1]}
echo "# $(date -u +%Y-%m-%dT%H:%MZ) load average: $(load_average); $rate; serve ${serve[*]}; load ${load[*]}"
dotnet "$tool_dll" load --target "r2p2://$r2p2" --rates "$rate" --warmup 1s --duration 4s "${load[@]}" >"$logs/load.log" 2>&1 &
load_pid=$!

# "PID TID NAME RUN_NS WAIT_NS" for every thread of the two processes.
census() {
  for pid in "$server_pid" "$load_pid"; do
    for task in /proc/"$pid"/task/*; do
      read -r run wait _ <"$task/schedstat" 2>/dev/null || continue
      echo "$pid ${task##*/} $(tr ' ' '_' <"$task/comm") $run $wait"
    done
  done
}
sleep 3
census >"$logs/before"
sleep 1
census >"$logs/after"
wait "$load_pid" || true
grep -E "^r2p2|! " "$logs/load.log" | grep -v "requests/s:" || true
awk -v server="$server_pid" '
  NR == FNR { run[$1, $2] = $4; wait[$1, $2] = $5; next }
  ($1, $2) in run { who = ($1 == server ? "serve" : "load"); key = who " " $3
                    threads[key]++; cpu[key] += $4 - run[$1, $2]; queued[key] += $5 - wait[$1, $2] }
  END { printf "%-6s %-28s %7s %9s %9s\n", "proc", "thread", "threads", "on-core", "waiting"
        for (k in threads) if (cpu[k] > 5e6 || queued[k] > 5e6) { split(k, p, " ")
          printf "%-6s %-28s %7d %8.1f%% %8.1f%%\n", p[1], p[2], threads[k], cpu[k] / 1e7, queued[k] / 1e7 } }
' "$logs/before" "$logs/after" | sort -k4 -nr
echo "# load average at the end: $(load_average)"
