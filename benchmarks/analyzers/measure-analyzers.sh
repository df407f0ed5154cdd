#!/usr/bin/env bash
# Measures what TailGuard's analyzers and generators add to a C# build, two ways:
#   - an A/B of the project's Csc task (median of RUNS, configurations interleaved run by run, so machine load falls on
#     all of them alike) in five configurations:
#       none        no TailGuard Roslyn component: the service code compiles, but without the stubs it needs;
#       stubs       no TailGuard Roslyn component, plus the generators' output saved once and compiled as ordinary
#                   source files: the project a user who hand-wrote the same clients and dispatchers would compile;
#       analyzers   the analyzers only (over none);
#       generators  the generators only;
#       both        analyzers and generators: what a package consumer gets.
#     The issue-13 target ("TailGuard's analyzers and generators together add at most 10% to the compile's wall time")
#     is read as both against stubs: the generators are charged for running (parsing contracts, emitting text) and for
#     anything their output costs beyond the same code written by hand, not for compiling the clients and dispatchers a
#     program needs either way. Both against none is printed too: it is the whole price of the stubs, and it grows with
#     the number of contracts (the generated project has two per file, far more than a real service);
#   - the compiler's own accounting (-p:ReportAnalyzer=true) of the last run with both: TailGuard's analyzer and
#     generator time against all analyzers (it charges an analyzer for compiler work it triggers first, such as binding
#     attributes or method bodies, that the build would do anyway, and for time spent waiting for a core).
# Projects: the runtime of this repository (src/Runtime/TailGuard; skipped with PROJECTS=generated) and a generated
# consumer project of FILES files (generate-project.sh). VARIANT=clean (the default) generates service code that builds
# without a TailGuard diagnostic, as a project that leaves the analyzers on does, and is what the issue-13 target is read
# on; VARIANT=noisy generates the same code written to trip the rules (6 diagnostics per file, the variant runs before
# 2026-11-30 evening used), which adds the price of reporting and logging thousands of warnings. The compiler server is used, as in a developer's build, and
# warmed up first. Not part of CI: run it by hand on a quiet machine (it prints the load average before and after),
#   benchmarks/analyzers/measure-analyzers.sh [FILES] [RUNS]
# COMPARE_WITH=path/to/TailGuard.Analyzers.dll (another build of the analyzers, e.g. main's) adds a sixth
# configuration, "compare": the generators with that build's analyzers, interleaved with the others, so "both" against
# "compare" is a before/after of an analyzer change in one run. CONFIGURATIONS="stubs both compare" (any of none,
# stubs, analyzers, generators, both, compare; stubs is always kept, the percentages are read against it) runs fewer.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
files=${1:-400}
runs=${2:-3}
variant=${VARIANT:-clean}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "load average before: $(cat /proc/loadavg)"
dotnet build "$repo/src/Analyzers/TailGuard.Analyzers.csproj" -c Release -v q -nologo >/dev/null
dotnet build "$repo/src/Generators/TailGuard.Generators.csproj" -c Release -v q -nologo >/dev/null
# Copies: nothing below may rebuild the files the compiler loads.
cp "$repo/src/Analyzers/bin/Release/netstandard2.0/TailGuard.Analyzers.dll" "$work/"
cp "$repo/src/Generators/bin/Release/netstandard2.0/TailGuard.Generators.dll" "$work/"
"$here/generate-project.sh" "$work/generated" "$files" "$variant" >/dev/null
if [ -n "${COMPARE_WITH:-}" ]; then
  [ -f "$COMPARE_WITH" ] || { echo "COMPARE_WITH: no such file: $COMPARE_WITH" >&2; exit 2; }
  mkdir -p "$work/compare" && cp "$COMPARE_WITH" "$work/compare/TailGuard.Analyzers.dll"
fi

projects=${PROJECTS:-runtime generated}
# The compiler server, whatever the environment says: CI images often set UseSharedCompilation=false, and a cold csc
# per build charges the analyzers for their JIT (2026-12-01: Csc 2x slower, TailGuard's ReportAnalyzer time 6x).
server=(-p:UseSharedCompilation=true)

# One compile of the project alone (dependencies already built); prints the Csc task time in ms.
compile() {
  local project=$1 configuration=$2 log=$3
  local inject=(-p:CustomAfterMicrosoftCommonTargets="$here/AddTailGuardAnalyzers.targets"
                -p:TailGuardAnalyzedProject="$(basename "$project" .csproj)")
  case $configuration in
    analyzers) inject+=(-p:TailGuardAnalyzersPath="$work/TailGuard.Analyzers.dll") ;;
    generators) inject+=(-p:TailGuardGeneratorsPath="$work/TailGuard.Generators.dll") ;;
    both) inject+=(-p:TailGuardAnalyzersPath="$work/TailGuard.Analyzers.dll" -p:TailGuardGeneratorsPath="$work/TailGuard.Generators.dll") ;;
    compare) inject+=(-p:TailGuardAnalyzersPath="$work/compare/TailGuard.Analyzers.dll" -p:TailGuardGeneratorsPath="$work/TailGuard.Generators.dll") ;;
    stubs) inject+=(-p:TailGuardStubsPath="$work/stubs/$(basename "$project" .csproj)") ;;
    emit) inject+=(-p:TailGuardGeneratorsPath="$work/TailGuard.Generators.dll" -p:EmitCompilerGeneratedFiles=true
                   -p:CompilerGeneratedFilesOutputPath="$work/emitted") ;;
  esac
  dotnet build "$project" -c Release --no-dependencies --no-incremental --no-restore -nologo -v d -clp:PerformanceSummary \
    -p:ReportAnalyzer=true "${server[@]}" "${inject[@]}" > "$log" 2>&1 || { tail -30 "$log"; exit 1; }
  grep -E '^\s+[0-9]+ ms\s+Csc\s' "$log" | tail -1 | awk '{print $1}'
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# Saves what the generators emit for the project, as the sources of the stubs configuration; prints its size.
save_stubs() {
  local project=$1 stubs
  stubs="$work/stubs/$(basename "$project" .csproj)"
  rm -rf "$work/emitted" && mkdir -p "$stubs"
  compile "$project" emit "$work/emit.log" >/dev/null
  if [ -d "$work/emitted/TailGuard.Generators" ]; then cp -r "$work/emitted/TailGuard.Generators/." "$stubs/"; fi
  echo "$(find "$stubs" -name '*.cs' | wc -l) files, $(find "$stubs" -name '*.cs' -exec cat {} + | wc -l) lines"
}

measure() {
  local name=$1 project=$2 configurations
  configurations=(${CONFIGURATIONS:-none stubs analyzers generators both ${COMPARE_WITH:+compare}})
  [[ " ${configurations[*]} " == *" stubs "* ]] || configurations=(stubs "${configurations[@]}")
  if [[ " ${configurations[*]} " == *" compare "* && -z "${COMPARE_WITH:-}" ]]; then echo "the compare configuration needs COMPARE_WITH" >&2; exit 2; fi
  dotnet build "$project" -c Release -v q -nologo "${server[@]}" >/dev/null   # dependencies, restore, and a warm compiler server
  compile "$project" both "$work/warmup.log" >/dev/null
  echo "== $name: generated stubs $(save_stubs "$project"); source $(find "$(dirname "$project")" -name '*.cs' -not -path '*/obj/*' -not -path '*/bin/*' -exec cat {} + | wc -l) lines"
  declare -A times=()
  for i in $(seq 1 "$runs"); do
    for configuration in "${configurations[@]}"; do
      times[$configuration]+="$(compile "$project" "$configuration" "$work/$name-$configuration-$i.log") "
    done
  done
  echo "   $runs runs each, Csc task, ms (vs none; vs stubs, the same code hand-written)"
  local none stubs
  none=$(printf '%s\n' ${times[none]:-} | median)
  stubs=$(printf '%s\n' ${times[stubs]} | median)
  for configuration in "${configurations[@]}"; do
    local m vs_none=""
    m=$(printf '%s\n' ${times[$configuration]} | median)
    [ -n "$none" ] && vs_none=$(printf ', %+.1f%% vs none' "$(echo "100 * ($m - $none) / $none" | bc -l)")
    printf '   %-11s %s (median %s%s, %+.1f%% vs stubs)\n' "$configuration" "${times[$configuration]}" "$m" "$vs_none" \
      "$(echo "100 * ($m - $stubs) / $stubs" | bc -l)"
  done
  local log="$work/$name-both-$runs.log" all tailguard generators
  [ -f "$log" ] || return 0   # no "both" configuration this run
  all=$(grep -E 'Total analyzer execution time:' "$log" | tail -1 | grep -oE '[0-9]+\.[0-9]+' || echo "?")
  generators=$(grep -E 'Total generator execution time:' "$log" | tail -1 | grep -oE '[0-9]+\.[0-9]+' || echo "?")
  tailguard=$(grep -E '^\s+[0-9.<]+\s+[0-9<]+\s+TailGuard\.Analyzers, Version' "$log" | tail -1 | awk '{print $1}')
  echo "   ReportAnalyzer, last run with both: all analyzers ${all} s, TailGuard analyzers ${tailguard:-?} s, all generators ${generators} s"
  grep -E '^\s+[0-9.<]+\s+[0-9<]+\s+TailGuard\.(Analyzers|Generators)\.' "$log" | tail -6 | sed -E 's/ \(TG.*//; s/^\s+/   /'
  # The detailed log repeats every warning in its summary: count distinct file(line,column) and id, one form only.
  echo "   TailGuard diagnostics reported (distinct file(line,column) and id): $(grep -oE '[^ ]+\.cs\([0-9]+,[0-9]+\): (warning|error) TG[0-9]{4}' "$log" | sort -u | wc -l)"
}

for p in $projects; do
  case $p in
    runtime) measure runtime "$repo/src/Runtime/TailGuard/TailGuard.csproj" ;;
    generated) measure "generated-$files-files-$variant" "$work/generated/Generated.csproj" ;;
  esac
done
echo "load average after: $(cat /proc/loadavg)"
