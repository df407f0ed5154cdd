#!/usr/bin/env bash
# Work per call of an R2P2 ping (and of a plain UDP ping, for scale), measured in units a shared machine does not
# distort much: CPU time (perf's task-clock), system calls (the raw_syscalls:sys_enter tracepoint) and context switches,
# each divided by the number of calls. Wall-clock latency on a busy 2-core machine swings by 30%; the work a call does
# does not. Hardware counters (instructions) are used when the machine has them (a VM often has none: perf then prints
# "<not supported>" and the script says so).
#
# Client and server are separate processes (tailguard serve, tailguard ping). Each side is counted twice, over a run of
# SMALL and of LARGE calls, and reported as (LARGE - SMALL) / (LARGE - SMALL calls): start-up, JIT and warm-up cancel
# out. The server is counted by attaching to it (perf stat -p) for the length of each ping.
#
# usage: benchmarks/scripts/r2p2-work.sh [--tool PATH/TailGuard.Tool.dll] SMALL LARGE [MODE FLAGS...]
#   MODE FLAGS go to both serve and ping, e.g. --receive-mode blocking (today) or nothing / --busy-poll (wave 1's tool).
#   --tool measures another build of the tool (e.g. an older commit's, built in its own worktree); default: this tree's.
# Compare builds in the blocking mode: a spinning loop's CPU time grows with the wait, not with the work.
set -euo pipefail
. "$(dirname "$0")/tool-common.sh"
if [ "${1:-}" = "--tool" ]; then tool_dll=$2; shift 2; else build_tool; fi
small=${1:?usage: r2p2-work.sh [--tool DLL] SMALL LARGE [MODE FLAGS...]}; large=${2:?large}; shift 2
mode=("$@")
events=task-clock,context-switches,raw_syscalls:sys_enter,instructions:u,instructions:k

# count OUT CMD...: perf stat CSV of CMD into OUT.
count() { local out=$1; shift; perf stat -x, -e "$events" -o "$out" -- "$@" >/dev/null; }
# value FILE EVENT: the counter's value (task-clock in ms), or "-" when not supported.
value() { awk -F, -v e="$2" '$3 == e || index($3, e ":") == 1 || $3 == e "/" { print ($1 ~ /not/ ? "-" : $1); exit }' "$1"; }

# measure KIND [serve flags]: ping SMALL then LARGE calls, counting the client and (attached) the server.
measure() {
  local kind=$1; shift
  local ping_flags=(); [ "$kind" = raw ] && ping_flags=(--raw-udp)
  start_server "$kind" "$@" "${mode[@]}"; local server_pid=${servers[-1]} server=$address
  dotnet "$tool_dll" ping --server "$server" "${ping_flags[@]}" --count "$small" "${mode[@]}" >/dev/null # warm the server
  for n in "$small" "$large"; do
    perf stat -x, -e "$events" -o "$logs/$kind-server-$n" -p "$server_pid" & local perf_pid=$!
    sleep 0.5
    count "$logs/$kind-client-$n" dotnet "$tool_dll" ping --server "$server" "${ping_flags[@]}" --count "$n" --warmup 0 "${mode[@]}"
    kill -INT "$perf_pid"; wait "$perf_pid" || true
  done
  for side in client server; do
    local row="$kind $side"
    for e in task-clock raw_syscalls:sys_enter context-switches instructions:u instructions:k; do
      local a b; a=$(value "$logs/$kind-$side-$small" "$e"); b=$(value "$logs/$kind-$side-$large" "$e")
      if [ "$a" = "-" ] || [ "$b" = "-" ] || [ -z "$a" ] || [ -z "$b" ]; then row="$row  $e n/a"; continue; fi
      row="$row  $(awk -v a="$a" -v b="$b" -v n=$((large - small)) -v e="$e" 'BEGIN {
        d = (b - a) / n; if (e == "task-clock") printf "cpu %.2f us", d * 1000; else printf "%s %.2f", e, d }')"
    done
    echo "$row" | sed 's/raw_syscalls:sys_enter/syscalls/; s/context-switches/switches/'
  done
}

echo "# $(date -u +%Y-%m-%dT%H:%MZ) load average: $(load_average); per call, ($large - $small calls); tool $tool_dll; ${mode[*]:-default receive mode}"
measure raw --raw-udp
measure r2p2
echo "# load average at the end: $(load_average)"
