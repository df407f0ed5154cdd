#!/usr/bin/env bash
# A per-method profile of the AF_XDP echo path (docs/performance.md, "AF_XDP"): two fresh network namespaces (tgxp +
# random) joined by a veth pair, TX checksum offload off on both ends, a busy-polled AF_XDP echo in A and, unless MODE
# is idle, a busy-polled AF_XDP ping of CALLS calls (64 B) from B; then, for SECONDS each, one after the other:
#   perf stat: CPU time (task-clock) and system calls (an empty busy-polling turn makes one recvfrom, each datagram sent
#              one sendto), so samples become CPU time per turn or per datagram whatever else the machine runs;
#   perf record -g: cpu-clock samples, with the runtime writing /tmp/perf-PID.map (DOTNET_PerfMapEnabled=1) so JIT-ed
#              methods have names. DOTNET_EnableWriteXorExecute=0 because with W^X on the runtime maps its code from a
#              memfd ("memfd:doublemapper"), which perf 6.1 attributes to that file instead of looking up the map.
# Prints each process's top symbols by samples (self, not children). perf reads the maps from /tmp by process id when
# it reports; they are copied next to perf.data too, to read the profile later or elsewhere (copy them back to /tmp):
#   perf report -i OUT/perf.data --no-children --sort comm,sym
# MODE=idle measures the echo alone: every turn finds the RX ring empty, so task-clock / recvfrom is what an empty
# busy-polling turn costs.
# Needs root, ip, ethtool and perf (linux-perf). Keep OUT outside the repository.
# usage: sudo [MODE=echo|idle] benchmarks/scripts/xdp-profile.sh OUT [CALLS] [SECONDS]   (defaults 1000000 calls, 6 s)
set -euo pipefail
. "$(dirname "$0")/tool-common.sh"
out=${1:?usage: xdp-profile.sh OUT [CALLS] [SECONDS]}; calls=${2:-1000000}; seconds=${3:-6}; mode=${MODE:-echo}
for tool in ip ethtool perf; do command -v "$tool" >/dev/null || { echo "xdp-profile.sh needs $tool" >&2; exit 1; }; done
[ "$(id -u)" = 0 ] || { echo "xdp-profile.sh needs root (network namespaces, XDP, perf)" >&2; exit 1; }
mkdir -p "$out"

veth_pair tgxp

build_tool
export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0
start_in "$a" echo --xdp "$a:0" --listen 10.250.0.1:0 --busy-poll
server=${servers[-1]}
pids=$server
if [ "$mode" != idle ]; then
  ip netns exec "$b" dotnet "$tool_dll" ping --xdp "$b:0" --server "$address" --count "$calls" --size 64 --busy-poll >"$out/client.log" 2>&1 &
  client=$!; servers+=("$client"); pids="$server,$client"
fi
sleep 4 # tiered compilation settles (tier 1) before sampling
echo "# $(date -u +%FT%TZ) load average $(load_average); MODE=$mode, echo pid $server${client:+, ping pid $client}" | tee "$out/info.txt"
stats=()
for pid in ${pids//,/ }; do
  perf stat -e 'task-clock,syscalls:sys_enter_recvfrom,syscalls:sys_enter_sendto' -p "$pid" -- sleep "$seconds" 2>"$out/stat-$pid.txt" &
  stats+=($!)
done
wait "${stats[@]}" # then sample: counting system calls costs time in the kernel, which the samples would show
perf record -F 4999 -g -o "$out/perf.data" -p "$pids" -- sleep "$seconds" 2>"$out/perf-record.log"
for pid in ${pids//,/ }; do cp "/tmp/perf-$pid.map" "$out/"; done
cp "$logs/echo.log" "$out/server.log"
for pid in ${pids//,/ }; do
  clock=$(awk '/task-clock/ { gsub(",", "", $1); print $1 }' "$out/stat-$pid.txt")
  turns=$(awk '/sys_enter_recvfrom/ { gsub(",", "", $1); print $1 }' "$out/stat-$pid.txt")
  sends=$(awk '/sys_enter_sendto/ { gsub(",", "", $1); print $1 }' "$out/stat-$pid.txt")
  echo "## pid $pid: task-clock $clock ms, $turns recvfrom, $sends sendto; $(awk -v c="$clock" -v t="$turns" 'BEGIN { if (t > 0) printf "%.0f ns of CPU per recvfrom", c * 1e6 / t }')"
done
# By thread name (the loops are "R2P2 server ..." and "R2P2 client ..."), as shares of all samples; perf 6.1's --pid
# and --comm filters drop some kernel symbols, so the whole table is printed rather than one filtered per process.
perf report -i "$out/perf.data" --no-children --sort comm,sym --stdio -g none 2>/dev/null | grep -v '^#' | grep . | head -40
echo "# load average at the end: $(load_average)" | tee -a "$out/info.txt"
