#!/usr/bin/env bash
# R2P2 vs plain UDP round trips on loopback, the way docs/performance.md reports them: an R2P2 echo and a plain UDP echo
# in their own processes, then two rounds of `ping --raw-udp` and `ping` against them, same count, size and mode.
# usage: benchmarks/scripts/r2p2-ping.sh COUNT SIZE [--busy-poll]
set -u
# Build first: dotnet build samples/Echo -c Release
root="$(cd "$(dirname "$0")/../.." && pwd)"
exe="dotnet $root/samples/Echo/bin/Release/net10.0/Echo.dll"
count=$1; size=$2; shift 2; mode="$*"
$exe serve --address 127.0.0.1 --port 47001 $mode > /tmp/serve-r2p2.log 2>&1 & s1=$!
$exe serve --address 127.0.0.1 --port 47002 --raw-udp $mode > /tmp/serve-raw.log 2>&1 & s2=$!
sleep 2
echo "# $(date -u +%H:%M) load: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in 1 2; do
  $exe ping --address 127.0.0.1 --port 47002 --raw-udp --count $count --size $size $mode
  $exe ping --address 127.0.0.1 --port 47001 --count $count --size $size $mode
done
kill -TERM $s1 $s2; wait $s1 $s2 2>/dev/null
