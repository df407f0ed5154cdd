#!/usr/bin/env bash
# Runs tests while two busy-spinning processes compete for the CPUs, as on a loaded CI machine, N times in a row.
# The allocation tests must hold here: they measure bytes on the threads doing the work, many windows, the minimum and
# the median (tests/Shared/Allocations/AllocationWindows.cs), never timing.
#
#   tests/run-under-load.sh [-n RUNS] [-s SPINNERS] [--] [dotnet test arguments...]
#
# Without test arguments it runs the README's test command: builds Sdk.sln once (before the spinners start), then
# `dotnet test Sdk.sln --no-build` each run, which runs the test projects side by side as CI does. Examples:
#   tests/run-under-load.sh -n 3
#   tests/run-under-load.sh -n 5 -- tests/EndToEnd.Tests --filter FullyQualifiedName~ZeroAllocation
# Exit status: 0 when every run passed, otherwise the number of failed runs (at most 255); 255 when the build fails.
set -uo pipefail

runs=3
spinners=2
usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    -n|--runs) [[ $# -ge 2 && "$2" =~ ^[1-9][0-9]*$ ]] || { echo "run-under-load: -n needs a positive count" >&2; exit 2; }; runs=$2; shift 2 ;;
    -s|--spinners) [[ $# -ge 2 && "$2" =~ ^[0-9]+$ ]] || { echo "run-under-load: -s needs a count" >&2; exit 2; }; spinners=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    --) shift; break ;;
    -*) echo "run-under-load: unknown option '$1' (try --help)" >&2; exit 2 ;;
    *) break ;;
  esac
done

cd "$(dirname "$0")/.."
if [[ $# -eq 0 ]]; then
  dotnet build Sdk.sln || exit 255
  set -- Sdk.sln --no-build
fi

pids=()
stop_spinners() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  pids=()
}
trap stop_spinners EXIT
trap 'exit 130' INT TERM

failed=0
for ((run = 1; run <= runs; run++)); do
  for ((i = 0; i < spinners; i++)); do
    # A plain busy loop in its own process: no I/O, no memory, killed by its PID below.
    bash -c 'while :; do :; done' &
    pids+=("$!")
  done
  echo "run-under-load: run $run/$runs with $spinners spinners (pids ${pids[*]}), load $(cut -d' ' -f1-3 /proc/loadavg)"
  if dotnet test "$@"; then
    echo "run-under-load: run $run passed"
  else
    echo "run-under-load: run $run FAILED"
    failed=$((failed + 1))
  fi
  stop_spinners
done

echo "run-under-load: $((runs - failed)) of $runs runs passed"
exit $((failed > 255 ? 255 : failed))
