#!/usr/bin/env bash
# Runs one AFL++ fuzzing campaign against a TailGuard fuzz target (docs/reliability.md).
#   tests/Fuzz/run.sh TARGET SECONDS [--jobs N]
# Installs what it needs (AFL++ from apt, the SharpFuzz command-line tool), publishes the runner, instruments
# TailGuard.dll, seeds from tests/Fuzz/corpus/TARGET/, runs afl-fuzz for SECONDS under nice, then prints executions,
# edges, crashes and hangs. Crashes and hangs are minimised (afl-tmin) and saved to tests/Fuzz/crashes/TARGET/, where
# the test suite replays them. Every campaign is appended to artifacts/fuzz/campaigns.tsv.
# Environment: FUZZ_OUT (default artifacts/fuzz), FUZZ_NICE (default 10), FUZZ_TIMEOUT_MS (per input, default 2000),
# FUZZ_REUSE_BIN=1 (keep the runner published by the last campaign: for a series of campaigns on one commit).
set -euo pipefail

usage() { echo "usage: $0 TARGET SECONDS [--jobs N]   (targets: dotnet TailGuard.Fuzz.dll --list)" >&2; exit 2; }
[[ $# -ge 2 ]] || usage
target=$1; seconds=$2; shift 2
jobs=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --jobs) [[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] || usage; jobs=$2; shift 2 ;;
    *) usage ;;
  esac
done
[[ $target =~ ^[a-z0-9-]+$ ]] || usage
[[ $seconds =~ ^[1-9][0-9]*$ ]] || usage

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${FUZZ_OUT:-$repo/artifacts/fuzz}
nice_level=${FUZZ_NICE:-10}
timeout_ms=${FUZZ_TIMEOUT_MS:-2000}
corpus=$here/corpus/$target
crashes=$here/crashes/$target
mkdir -p "$out"

# 1. Tools: AFL++ (apt) and the SharpFuzz instrumenter (a .NET tool, kept under $out/tools).
if ! command -v afl-fuzz >/dev/null; then
  echo "== installing AFL++ (apt-get)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq afl++ >/dev/null
fi
sharpfuzz=$out/tools/sharpfuzz
if [[ ! -x $sharpfuzz ]]; then
  echo "== installing SharpFuzz.CommandLine 2.3.0"
  dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path "$out/tools" >/dev/null
fi

# 2. The runner, published once per campaign, with TailGuard.dll instrumented for AFL's coverage map.
bin=$out/bin
if [[ -n ${FUZZ_REUSE_BIN:-} && -f $bin/TailGuard.Fuzz.dll ]]; then
  echo "== reusing the runner in $bin (FUZZ_REUSE_BIN)"
else
  rm -rf "$bin"
  echo "== publishing the runner to $bin"
  nice -n "$nice_level" dotnet publish "$here/TailGuard.Fuzz/TailGuard.Fuzz.csproj" -c Release -o "$bin" -v quiet -nologo
fi
dotnet "$bin/TailGuard.Fuzz.dll" --list | grep -qx "$target" || { echo "no fuzz target '$target'" >&2; dotnet "$bin/TailGuard.Fuzz.dll" --list >&2; exit 2; }
[[ -d $corpus ]] && compgen -G "$corpus/*" >/dev/null || { echo "no seed corpus in $corpus" >&2; exit 2; }
"$sharpfuzz" "$bin/TailGuard.dll" >/dev/null 2>&1 || true # "already instrumented" when reused

# 3. The campaign: afl-fuzz for SECONDS (one main instance, jobs-1 secondaries), under nice.
# Unique even for two campaigns of one target started in the same second (afl-fuzz refuses a used output folder).
run=$(mktemp -d "$out/$target-$(date -u +%Y%m%dT%H%M%SZ)-XXXX")
export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== fuzzing $target for ${seconds}s with $jobs job(s), nice $nice_level, load $load_before -> $run"
pids=()
for ((j = 0; j < jobs; j++)); do
  role=$([[ $j -eq 0 ]] && echo "-M main" || echo "-S s$j")
  # shellcheck disable=SC2086
  nice -n "$nice_level" afl-fuzz $role -V "$seconds" -i "$corpus" -o "$run" -t "$timeout_ms" -m none \
    -- dotnet "$bin/TailGuard.Fuzz.dll" "$target" >"$run/afl-$j.log" 2>&1 &
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=$?; done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
if [[ $status -ne 0 ]] && ! compgen -G "$run/*/fuzzer_stats" >/dev/null; then
  echo "afl-fuzz failed (exit $status):" >&2; tail -n 30 "$run/afl-0.log" >&2; exit 1
fi

# 4. The numbers, summed over the instances.
stat() { awk -v k="$1" -F' *: *' '$1 == k { s += $2 } END { print s + 0 }' "$run"/*/fuzzer_stats; }
execs=$(stat execs_done); edges=$(awk -F' *: *' '$1 == "edges_found" && $2 > m { m = $2 } END { print m + 0 }' "$run"/*/fuzzer_stats)
crash_count=$(stat saved_crashes); hang_count=$(stat saved_hangs)
echo "== $target: executions $execs, edges $edges, crashes $crash_count, hangs $hang_count, ${seconds}s, load $load_before -> $load_after"
printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$target" "$seconds" "$jobs" "$execs" "$edges" "$crash_count" "$hang_count" "$load_before -> $load_after" >>"$out/campaigns.tsv"

# 5. Findings: minimised, saved for the regression test, replayed to show what broke.
found=0
for file in "$run"/*/crashes/id:* "$run"/*/hangs/id:*; do
  [[ -f $file ]] || continue
  found=$((found + 1))
  kind=$([[ $file == */hangs/* ]] && echo hang || echo crash)
  mkdir -p "$crashes"
  name=$kind-$(sha1sum "$file" | cut -c1-12).bin
  nice -n "$nice_level" afl-tmin -i "$file" -o "$crashes/$name" -t "$timeout_ms" -m none -- dotnet "$bin/TailGuard.Fuzz.dll" "$target" >/dev/null 2>&1 \
    || cp "$file" "$crashes/$name"
  echo "-- saved $kind tests/Fuzz/crashes/$target/$name"
done
if [[ $found -gt 0 ]]; then
  # Replay on the uninstrumented build (the suite's view): FAILED lines say which invariant broke.
  dotnet build "$here/TailGuard.Fuzz/TailGuard.Fuzz.csproj" -c Release -v quiet -nologo >/dev/null
  dotnet "$here/TailGuard.Fuzz/bin/Release/net10.0/TailGuard.Fuzz.dll" "$target" --replay "$crashes"/* || true
  exit 1
fi
