#!/usr/bin/env bash
# Where the ConfidentialKeyValue demo's CPU goes, per thread, with 1 and with 2 receive loops (issue 14: why 2 loops
# ran at 0.60x of 1). Runs the Release demo once per loop count and, while its workload runs, samples each thread's
# scheduler counters twice, WINDOW seconds apart (/proc/PID/task/*/schedstat: time on CPU, time waiting on a run
# queue, timeslices; /proc/PID/task/*/status: voluntary and involuntary context switches). Prints, per kind of thread
# (comm, 15 characters: "R2P2 server 127", "R2P2 client 127", .NET pool workers, ...), the sums over the window, and
# the process's CPU use in cores. On 2 cores: a kind that is on CPU for most of the window while its work is a few
# microseconds a call is spinning; a large run-queue wait means threads take turns on the cores.
# usage: benchmarks/scripts/trust-demo-threads.sh [OPERATIONS (default 400000)] [WINDOW seconds (default 2)] [CONCURRENCY (default 8)] [-- demo options]
set -euo pipefail
operations=${1:-400000}; window=${2:-2}; concurrency=${3:-8}
shift $(( $# < 3 ? $# : 3 )); [[ ${1:-} == -- ]] && shift
[[ $operations =~ ^[0-9]+$ && $window =~ ^[0-9]+$ && $concurrency =~ ^[0-9]+$ ]] || {
  echo "usage: trust-demo-threads.sh [OPERATIONS] [WINDOW] [CONCURRENCY] [-- demo options]" >&2; exit 2; }
cd "$(dirname "$0")/../.."
dotnet build samples/ConfidentialKeyValue -c Release -v q -nologo >/dev/null
work=$(mktemp -d)
pid=
cleanup() { [[ -n $pid ]] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

snapshot() { # pid -> lines "tid comm|oncpu_ns wait_ns slices voluntary involuntary"
  local task
  for task in /proc/"$1"/task/*; do
    [[ -r $task/schedstat ]] || continue
    printf '%s %s|%s %s %s\n' "${task##*/}" "$(tr ' ' '_' <"$task/comm")" "$(cat "$task/schedstat" 2>/dev/null)" \
      "$(awk '/^voluntary_ctxt_switches/ {print $2}' "$task/status" 2>/dev/null)" \
      "$(awk '/^nonvoluntary_ctxt_switches/ {print $2}' "$task/status" 2>/dev/null)"
  done
}

echo "# $(date -u +%Y-%m-%dT%H:%MZ) load average: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs; window ${window}s"
for loops in 1 2; do
  dotnet samples/ConfidentialKeyValue/bin/Release/net10.0/ConfidentialKeyValue.dll --operations "$operations" \
    --concurrency "$concurrency" --keys 1000 --loops "$loops" "$@" >"$work/out" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do grep -q '^workload:' "$work/out" 2>/dev/null && break; sleep 0.05; done
  sleep 0.5 # past the warm-up (the store's initial puts)
  snapshot "$pid" >"$work/before"
  sleep "$window"
  snapshot "$pid" >"$work/after"
  wait "$pid" || { echo "the demo failed (--loops $loops):" >&2; cat "$work/out" >&2; exit 1; }
  pid=
  ops=$(sed -n 's/^ *throughput *\([0-9]*\) ops\/s.*/\1/p' "$work/out")
  echo "## --loops $loops: throughput $ops ops/s ($(grep -c . "$work/after") threads)"
  awk -v window="$window" '
    NR == FNR { split($0, p, "|"); before[p[1]] = p[2]; next }
    { split($0, p, "|"); split(p[1], id, " "); kind = id[2]; split(p[2], a, " ");
      if (!(p[1] in before)) next; split(before[p[1]], b, " ");
      cpu[kind] += (a[1] - b[1]) / 1e6; wait[kind] += (a[2] - b[2]) / 1e6; slices[kind] += a[3] - b[3];
      vol[kind] += a[4] - b[4]; invol[kind] += a[5] - b[5]; count[kind]++; total += (a[1] - b[1]) / 1e6 }
    END { printf "%-18s %7s %9s %11s %9s %9s %9s\n", "thread kind", "threads", "cpu ms", "runq-wait ms", "slices", "volunt.", "involunt.";
          for (k in cpu) if (cpu[k] > 1 || wait[k] > 1)
            printf "%-18s %7d %9.0f %11.0f %9d %9d %9d\n", k, count[k], cpu[k], wait[k], slices[k], vol[k], invol[k] | "sort -k3 -n -r";
          close("sort -k3 -n -r");
          printf "process: %.2f cores busy over the window\n", total / (window * 1000) }
  ' "$work/before" "$work/after"
done
echo "# load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
