#!/usr/bin/env bash
# TailGuard R2P2 against the gRPC unary baseline, one open-loop generator for both (docs/load.md, docs/performance.md):
# a 64 B echo of each in its own process (tailguard serve, tailguard serve --grpc), then one `tailguard load` sweeping
# both over the same rates, writing a table, CSV, JSON and the latency-vs-throughput plot (PNG and SVG).
# usage: benchmarks/scripts/load-sweep.sh [OUTPUT_DIR] [-- extra tailguard load options]
#   RATES      offered rates               (default 5k,10k,20k,30k,50k,75k,100k)
#   DURATION   measuring time per point    (default 5s)
#   MODE       receive mode of servers and generator: blocking | busy-poll | adaptive (default: the runtime's for the
#              servers; the generator's own loops block, their receive timestamps being the kernel's)
#   SPIN       the R2P2 server's adaptive spin budget (default: the runtime's, 50us); 5us leaves the generator its core
# The run records the load average at its start and end: numbers from a busy machine must be re-measured on a quiet one.
set -euo pipefail
. "$(dirname "$0")/tool-common.sh"
out=${1:-$root/artifacts/load-sweep-$(date -u +%Y%m%d-%H%M)}  # artifacts/ is not committed
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
rates=${RATES:-5k,10k,20k,30k,50k,75k,100k}
duration=${DURATION:-5s}
mode=()
[ -n "${MODE:-}" ] && mode=(--receive-mode "$MODE")
mkdir -p "$out"

build_tool
spin=()
[ -n "${SPIN:-}" ] && spin=(--spin-budget "$SPIN")
start_server r2p2 "${mode[@]}" "${spin[@]}"; r2p2=$address
start_server grpc --grpc; grpc=$address
echo "# $(date -u +%Y-%m-%dT%H:%MZ) load average: $(load_average); rates $rates, $duration per point, 64 B ${mode[*]} ${spin[*]}" | tee "$out/summary.txt"
set +e
tailguard load --target "r2p2://$r2p2" --target "grpc://$grpc" --rates "$rates" --duration "$duration" --size 64 \
  --connections 8 --latency-connections 2 --threads 1 "${mode[@]}" \
  --csv "$out/points.csv" --json "$out/run.json" --plot "$out/latency.png" --plot "$out/latency.svg" "$@" | tee -a "$out/summary.txt"
status=${PIPESTATUS[0]}
set -e
echo "# load average at the end: $(load_average); exit $status (3: some point failed a self-check)" | tee -a "$out/summary.txt"
exit "$status"
