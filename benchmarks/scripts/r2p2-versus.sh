#!/usr/bin/env bash
# R2P2 round trips of this checkout against an earlier commit, on loopback: the `tailguard` tool built from BASE (a
# commit, in a temporary git worktree) and from this checkout, each serving an R2P2 echo in its own process, then ROUNDS
# alternating rounds of each tool's `tailguard ping` against its own echo (base, current, base, current, ...), same
# count, size and receive mode, and at the end the median p50 and p99 of each side's rounds, their ratios and
# differences. Issue 22 asks that the hardened default mode keep the p50 and p99 of the commit before the hardening:
#   benchmarks/scripts/r2p2-versus.sh 1e94030 20000 64 7 --busy-poll
# usage: benchmarks/scripts/r2p2-versus.sh BASE COUNT SIZE [ROUNDS (default 7)] [--busy-poll | --receive-mode MODE]
# The load average is printed at the start and the end: numbers from a busy machine must be re-measured on a quiet one.
set -euo pipefail
. "$(dirname "$0")/tool-common.sh"
usage="usage: r2p2-versus.sh BASE COUNT SIZE [ROUNDS] [--busy-poll | --receive-mode MODE]"
base=${1:?$usage}; count=${2:?$usage}; size=${3:?$usage}; shift 3
rounds=7
if [[ ${1:-} =~ ^[0-9]+$ ]]; then rounds=$1; shift; fi
mode=("$@")
base_commit=$(git -C "$root" rev-parse --verify --quiet "$base^{commit}") || { echo "r2p2-versus: '$base' is not a commit" >&2; exit 2; }

# The base tool, built in a worktree of its own (removed at exit with the servers).
base_tree="$logs/base"
git -C "$root" worktree add --detach --quiet "$base_tree" "$base_commit"
remove_base_tree() { git -C "$root" worktree remove --force "$base_tree" 2>/dev/null || true; stop_servers; }
trap remove_base_tree EXIT
dotnet build "$base_tree/src/Tool/TailGuard.Tool.csproj" -c Release -nologo -v quiet >/dev/null || { echo "base build failed" >&2; exit 1; }
base_dll="$base_tree/src/Tool/bin/Release/net10.0/TailGuard.Tool.dll"
build_tool

current_dll=$tool_dll
tool_dll=$base_dll; start_server base "${mode[@]}"; base_address=$address
tool_dll=$current_dll; start_server current "${mode[@]}"; current_address=$address

results="$logs/rounds.txt"
echo "# $(date -u +%Y-%m-%dT%H:%MZ) load average: $(load_average); base $(git -C "$root" log -1 --format='%h %s' "$base_commit" | cut -c1-80)"
echo "# current $(git -C "$root" log -1 --format=%h HEAD)$([ -n "$(git -C "$root" status --porcelain -- src)" ] && echo ' with uncommitted changes in src'); $rounds rounds of $count calls of $size B, ${mode[*]:-default receive mode}"
for round in $(seq 1 "$rounds"); do
  dotnet "$base_dll" ping --server "$base_address" --count "$count" --size "$size" "${mode[@]}" | sed 's/^/base /' | tee -a "$results"
  dotnet "$current_dll" ping --server "$current_address" --count "$count" --size "$size" "${mode[@]}" | sed 's/^/current /' | tee -a "$results"
done
round_medians "$results" base current
echo "# load average at the end: $(load_average)"
