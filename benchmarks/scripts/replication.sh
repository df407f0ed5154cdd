#!/usr/bin/env bash
# Replication benchmarks (docs/performance.md, "Replication"; docs/replication.md): 3 nodes as processes on this
# machine, the built-in store of `tailguard cluster`, 64-byte values, closed-loop clients (`tailguard cluster bench`).
#   1. read-write: HovercRaft (fan-out, metadata-only entries, spread replies) vs plain leader-based Raft (payloads in
#      the entries, the leader answers) vs one unreplicated node;
#   2. read-only: replies spread across replicas vs leader-only replies (HovercRaft);
#   3. failover: samples/ReplicatedKeyValue kills the leader's process and times the first write after it.
# On 2 cores three replicas and the client contend for the CPU: record the load average with every number (printed).
# usage: benchmarks/scripts/replication.sh [SECONDS_PER_RUN] [CONCURRENCY] [FAILOVER_RUNS]
set -euo pipefail
. "$(dirname "$0")/tool-common.sh"
seconds=${1:-5}; concurrency=${2:-16}; failovers=${3:-3}
clusters=()
stop_clusters() {
  for pid in "${clusters[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${clusters[@]}"; do wait "$pid" 2>/dev/null || true; done
  stop_servers
}
trap stop_clusters EXIT

# start_cluster NAME ARGS...: `tailguard cluster start --nodes 3 ARGS...` in the background; sets $members.
start_cluster() {
  local name=$1; shift
  dotnet "$tool_dll" cluster start --nodes "${nodes:-3}" "$@" >"$logs/$name.log" 2>&1 &
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

bench() { tailguard cluster bench --members "$members" --duration "${seconds}s" --concurrency "$concurrency" --size 64 "$@" || echo "(bench failed: see above)"; }

build_tool
echo "# $(date -u +%Y-%m-%dT%H:%MZ) load average: $(load_average); ${seconds}s per run, concurrency $concurrency, 64 B values"

echo "## read-write"
start_cluster hovercraft --mode hovercraft
echo -n "hovercraft   "; bench; stop_cluster
start_cluster leader --mode leader
echo -n "leader raft  "; bench --leader-only; stop_cluster
nodes=1 start_cluster unreplicated --mode unreplicated
echo -n "unreplicated "; bench; stop_cluster
echo "# load average: $(load_average)"

echo "## read-only"
start_cluster spread --mode hovercraft --replies spread
echo -n "spread       "; bench --read-fraction 100%; stop_cluster
start_cluster leaderreplies --mode hovercraft --replies leader
echo -n "leader-only  "; bench --read-fraction 100%; stop_cluster
echo "# load average: $(load_average)"

echo "## failover (leader killed to first acknowledged write)"
sample="$root/samples/ReplicatedKeyValue/bin/Release/net10.0/ReplicatedKeyValue.dll"
dotnet build "$root/samples/ReplicatedKeyValue/ReplicatedKeyValue.csproj" -c Release -nologo -v quiet >/dev/null || { echo "sample build failed" >&2; exit 1; }
for run in $(seq 1 "$failovers"); do
  dotnet "$sample" run --writes 50 | grep -E 'failover|lost' | tr '\n' ' '; echo
done
echo "# load average at the end: $(load_average)"
