#!/usr/bin/env bash
# The router experiment (docs/router.md, docs/performance.md "Router"): one server with 8 simulated single-request
# workers in `wait` mode, behind `tailguard router`, under Poisson (open-loop) load from `tailguard load` at 10%..90%
# of capacity, for each policy; p50/p99 per policy against the single-queue ideal (M/M/8 computed, M/G/8 simulated
# for bimodal; jbsq-report.py), a table and a plot (SVG), with what the workers really held and where a request's
# time went at the router. Then the router's own cost: a 64 B busy-polled ping through the router vs straight to the
# server, in the same run.
# usage: sudo benchmarks/scripts/jbsq.sh [OUTPUT_DIR]          (the router needs CAP_NET_RAW: run as root)
#   POLICIES  policies to compare            (default random,round-robin,jsq,jbsq:1,jbsq:2)
#   LOADS     offered loads, % of capacity   (default 10,20,30,40,50,60,70,80,90)
#   DISTS     service times                  (default exp,bimodal: exp:1ms and bimodal:90%:500us:5ms)
#   DURATION  measuring time per point       (default 5s; each point also warms up for 1s)
#   WORKERS   simulated workers              (default 8)
#   WORKER_MODE  the workers' receive mode      (default blocking: a waiting worker that spins after each response
#             only takes cores from the generator and the router; a request already queued at it is read at once)
#   PRIORITY  the nice value of the router and the server (default -5: above other work, below the nice -10 that
#             `tailguard load` gives its sender, whose lateness matters most): a worker's late wake-up lengthens its
#             service time and a late router holds its credits; other work on the machine should wait instead
#   NO_BUILD  1 skips building the tool (Release)
#   COST      1 measures the router's cost, 0 skips it (default 1); COST_MODE its receive mode (default busy-poll),
#             COST_COUNT its calls per target (default 20000, after as many warm-up calls)
# Everything runs on 127.0.0.1. The load average is recorded at the start and the end: numbers from a busy machine
# must be re-measured on a quiet one.
set -euo pipefail
. "$(dirname "$0")/tool-common.sh"
out=${1:-$root/artifacts/jbsq-$(date -u +%Y%m%d-%H%M)}  # artifacts/ is not committed
policies=${POLICIES:-random,round-robin,jsq,jbsq:1,jbsq:2}
loads=${LOADS:-10,20,30,40,50,60,70,80,90}
dists=${DISTS-exp,bimodal}  # DISTS= (empty) runs only the cost measurement
duration=${DURATION:-5s}
workers=${WORKERS:-8}
cost_mode=${COST_MODE:-busy-poll}
worker_mode=${WORKER_MODE:-blocking}
priority=${PRIORITY:--5}
mkdir -p "$out"
trap 'exit 143' TERM INT  # so the EXIT trap of tool-common.sh stops what was started
[ "$(id -u)" = 0 ] || { echo "the router forwards through a raw socket: run as root (CAP_NET_RAW)" >&2; exit 2; }

# service time, its mean in microseconds and its model for the report's ideal (jbsq-report.py), per distribution
declare -A spec=([exp]="exp:1ms" [bimodal]="bimodal:90%:500us:5ms")
declare -A mean_us=([exp]=1000 [bimodal]=950)
declare -A model=([exp]="exp:1000" [bimodal]="bimodal:0.9:500:5000")

# start_tool NAME PATTERN ARGS...: `tailguard ARGS...` in the background, its log in $logs/NAME.log; waits until the log
# has a line matching PATTERN (a grep -E pattern) and sets $pid and $line.
start_tool() {
  local name=$1 pattern=$2; shift 2
  nice -n "$priority" dotnet "$tool_dll" "$@" >"$logs/$name.log" 2>&1 &
  pid=$!
  servers+=("$pid")
  for _ in $(seq 1 600); do
    line=$(grep -E -m1 "$pattern" "$logs/$name.log" 2>/dev/null || true)
    [ -n "$line" ] && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "$name did not start:" >&2; cat "$logs/$name.log" >&2; exit 1
}

stop_tool() { kill -TERM "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# start_pair NAME POLICY SERVE_ARGS...: a router (port 0, an empty servers file) and a server of $pair_workers workers that send it
# FEEDBACK, joined through the file; sets $router, $router_pid, $server, $server_pid.
start_pair() {
  local name=$1 policy=$2; shift 2
  local file="$logs/$name.servers"; : >"$file"
  start_tool "$name-router" 'FEEDBACK on' router --listen 127.0.0.1:0 --feedback-port 0 --servers-file "$file" \
    --policy "$policy" --queue-timeout 10s --feedback-timeout 5s "${router_args[@]}"
  router_pid=$pid
  router=$(sed -E 's/.*router on ([0-9.]+:[0-9]+).*/\1/' <<<"$line")
  local feedback; feedback=$(sed -E 's/.*FEEDBACK on ([0-9.]+:[0-9]+).*/\1/' <<<"$line")
  start_tool "$name-server" 'R2P2 echo on' serve --listen 127.0.0.1:0 --workers "$pair_workers" --router "$feedback" "$@"
  server_pid=$pid
  server=$(sed -E 's/.*echo on ([0-9.]+:[0-9]+).*/\1/' <<<"$line")
  if [[ $line == *" workers on "* ]]; then sed -E 's/.* workers on ([0-9.]+:[0-9]+-[0-9]+).*/\1/' <<<"$line" >"$file"; else echo "$server" >"$file"; fi
  for _ in $(seq 1 300); do
    [ "$(grep -c ' added$' "$logs/$name-router.log" 2>/dev/null || true)" -ge "$pair_workers" ] && return 0
    sleep 0.1
  done
  echo "the router did not take the workers:" >&2; cat "$logs/$name-router.log" >&2; exit 1
}

[ -n "${NO_BUILD:-}" ] || build_tool  # NO_BUILD=1: the Release tool is already built
echo "# $(date -u +%Y-%m-%dT%H:%MZ) load average: $(load_average); $workers workers (wait, $worker_mode receive), router and server at nice $priority, policies $policies, loads $loads%, $duration per point" | tee "$out/summary.txt"
router_args=()
pair_workers=$workers
for dist in ${dists//,/ }; do
  capacity=$(( workers * 1000000 / ${mean_us[$dist]} ))
  rates=$(for l in ${loads//,/ }; do printf '%s,' $(( capacity * l / 100 )); done); rates=${rates%,}
  for policy in ${policies//,/ }; do
    name="$dist-${policy/:/}"
    start_pair "$name" "$policy" --service-time "${spec[$dist]}" --service-mode wait --seed 7 --receive-mode "$worker_mode"
    echo "## $dist ${spec[$dist]}, $policy: rates $rates (capacity $capacity/s)" | tee -a "$out/summary.txt"
    set +e
    tailguard load --target "r2p2://$router?router" --rates "$rates" --duration "$duration" --warmup 1s --size 64 \
      --timeout 5s --percentiles 50,99 --csv "$out/$name.csv" >>"$out/summary.txt" 2>&1
    echo "# load exit $? (3: a point failed a self-check), load average $(load_average)" | tee -a "$out/summary.txt"
    set -e
    stop_tool "$router_pid"; stop_tool "$server_pid"
    tail -n $(( workers + 1 )) "$logs/$name-router.log" >>"$out/summary.txt"
    grep -h '^service time' "$logs/$name-server.log" | tee "$out/$name.service" | tee -a "$out/summary.txt"
  done
done

if [ "${COST:-1}" = 1 ]; then
  router_args=(--receive-mode "$cost_mode")
  pair_workers=1  # one spinning worker: with the router and the client, three busy-polling threads already
  start_pair cost jbsq:2 --receive-mode "$cost_mode"
  echo "## router cost, 64 B, $cost_mode, load average $(load_average)" | tee -a "$out/summary.txt"
  for target in "direct $server" "router $router --via-router"; do
    set -- $target
    printf '%-7s ' "$1" | tee -a "$out/summary.txt"
    tailguard ping --server "$2" ${3:-} --count "${COST_COUNT:-20000}" --size 64 --receive-mode "$cost_mode" 2>&1 | tee -a "$out/summary.txt" "$out/cost-$1.txt" || true
  done
  stop_tool "$router_pid"; stop_tool "$server_pid"
fi

echo "# load average at the end: $(load_average)" | tee -a "$out/summary.txt"
python3 "$(dirname "$0")/jbsq-report.py" "$out" "$workers" "exp=${model[exp]}" "bimodal=${model[bimodal]}" | tee "$out/results.md"
