#!/usr/bin/env bash
# Replication benchmarks (docs/performance.md, "Replication"; docs/replication.md): 3 nodes as processes on this
# machine, the built-in store of `tailguard cluster`, 64-byte values, closed-loop clients (`tailguard cluster bench`).
#   1. read-write: HovercRaft (fan-out, metadata-only entries, spread replies) vs plain leader-based Raft (payloads in
#      the entries, the leader answers) vs one unreplicated node; and HovercRaft with multicast fan-out (one send per
#      call to a group, docs/replication.md "Fan-out"), in a network namespace of its own whose loopback carries
#      multicast (needs root and iproute2; skipped, saying so, otherwise);
#   2. read-only: replies spread across replicas vs leader-only replies (HovercRaft);
#   3. failover: samples/ReplicatedKeyValue kills the leader's process and times the first write after it.
# On 2 cores three replicas and the client contend for the CPU: record the load average with every number (printed).
# usage: benchmarks/scripts/replication.sh [SECONDS_PER_RUN] [CONCURRENCY] [FAILOVER_RUNS] [ONLY]
#   CONCURRENCY: calls in flight, or a comma-separated list (e.g. 1,4,16,64) run in turn on each configuration's one
#   cluster: the throughput-vs-p99 curve that "beats leader-based Raft at equal p99" is read from
#   ONLY: run just the configurations named (space-separated: hovercraft leader unreplicated multicast spread
#   leaderreplies), e.g. a smoke run of one: replication.sh 1 1 0 multicast
set -euo pipefail
. "$(dirname "$0")/tool-common.sh"
seconds=${1:-5}; concurrency=${2:-16}; failovers=${3:-3}; only=${4:-}
clusters=()
in_ns=()      # a command prefix that runs the cluster and its client inside the multicast namespace
mcast_ns=""
stop_clusters() {
  for pid in "${clusters[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${clusters[@]}"; do wait "$pid" 2>/dev/null || true; done
  stop_servers
  if [ -n "$mcast_ns" ]; then ip netns del "$mcast_ns" 2>/dev/null || true; fi
}
wanted() { [ -z "$only" ] || [[ " $only " == *" $1 "* ]]; }
trap stop_clusters EXIT

# start_cluster NAME ARGS...: `tailguard cluster start --nodes 3 ARGS...` in the background; sets $members.
start_cluster() {
  local name=$1; shift
  "${in_ns[@]}" dotnet "$tool_dll" cluster start --nodes "${nodes:-3}" "$@" >"$logs/$name.log" 2>&1 &
  clusters+=($!)
  for _ in $(seq 1 600); do
    members=$(grep -o -- '--members [^ ]*' "$logs/$name.log" | head -1 | cut -d' ' -f2 || true)
    if [ -n "$members" ] && grep -qE 'leader: |no leader yet' "$logs/$name.log"; then return 0; fi
    sleep 0.1
  done
  echo "$name did not start:" >&2; cat "$logs/$name.log" >&2; exit 1
}

stop_cluster() {
  local pid=${clusters[-1]}
  kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  unset 'clusters[-1]'
}

# bench LABEL ARGS...: one `cluster bench` per concurrency in the list, each line labelled.
bench() {
  local label=$1; shift
  for c in ${concurrency//,/ }; do
    printf '%-13s c=%-4s ' "$label" "$c"
    "${in_ns[@]}" dotnet "$tool_dll" cluster bench --members "$members" --duration "${seconds}s" --concurrency "$c" --size 64 "$@" || echo "(bench failed: see above)"
  done
}

build_tool
echo "# $(date -u +%Y-%m-%dT%H:%MZ) load average: $(load_average); ${seconds}s per run, concurrency $concurrency, 64 B values"

echo "## read-write"
if wanted hovercraft; then start_cluster hovercraft --mode hovercraft; bench hovercraft; stop_cluster; fi
if wanted leader; then start_cluster leader --mode leader; bench "leader raft" --leader-only; stop_cluster; fi
if wanted unreplicated; then nodes=1 start_cluster unreplicated --mode unreplicated; bench unreplicated; stop_cluster; fi
if wanted multicast; then
  # The nodes and the client on the loopback of a namespace of their own, with multicast on and 224.0.0.0/4 routed
  # to it: the host's routes stay untouched. The group's port is inside that namespace only.
  group="239.$((RANDOM % 254 + 1)).$((RANDOM % 254 + 1)).$((RANDOM % 254 + 1)):$((RANDOM % 20000 + 20000))"
  ns="tgmc$$"
  if [ "$(id -u)" = 0 ] && ip netns add "$ns" 2>/dev/null; then
    mcast_ns=$ns
    ip -n "$ns" link set lo up multicast on && ip -n "$ns" route add 224.0.0.0/4 dev lo
    in_ns=(ip netns exec "$ns")
    start_cluster multicast --mode hovercraft --multicast "$group"
    bench multicast --multicast "$group"; stop_cluster
    in_ns=(); ip netns del "$ns"; mcast_ns=""
  else
    echo "multicast    (skipped: needs root and ip netns for a namespace whose loopback carries multicast)"
  fi
fi
echo "# load average: $(load_average)"

echo "## read-only"
if wanted spread; then start_cluster spread --mode hovercraft --replies spread; bench spread --read-fraction 100%; stop_cluster; fi
if wanted leaderreplies; then start_cluster leaderreplies --mode hovercraft --replies leader; bench leader-only --read-fraction 100%; stop_cluster; fi
echo "# load average: $(load_average)"

if [ "$failovers" -eq 0 ]; then echo "# load average at the end: $(load_average)"; exit 0; fi
echo "## failover (leader killed to first acknowledged write)"
sample="$root/samples/ReplicatedKeyValue/bin/Release/net10.0/ReplicatedKeyValue.dll"
dotnet build "$root/samples/ReplicatedKeyValue/ReplicatedKeyValue.csproj" -c Release -nologo -v quiet >/dev/null || { echo "sample build failed" >&2; exit 1; }
for run in $(seq 1 "$failovers"); do
  dotnet "$sample" run --writes 50 | grep -E 'failover|lost' | tr '\n' ' '; echo
done
echo "# load average at the end: $(load_average)"
