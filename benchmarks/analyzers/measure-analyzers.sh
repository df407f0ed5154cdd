#!/usr/bin/env bash
# Measures what TailGuard's analyzers and generators add to a C# build, two ways:
#   - an A/B/C/D of the project's Csc task (median of RUNS, configurations interleaved run by run): without any TailGuard
#     Roslyn component, with the analyzers only, with the generators only, and with both (what a package consumer gets).
#     This is the build time a user actually pays;
#   - the compiler's own accounting (-p:ReportAnalyzer=true) of the last run with both: TailGuard's analyzer and
#     generator time against all analyzers (it charges an analyzer for compiler work it triggers first, such as binding
#     attributes or method bodies, that the build would do anyway, and for time spent waiting for a core).
# Projects: the runtime of this repository (src/Runtime/TailGuard) and a generated consumer project of FILES files
# (generate-project.sh). The compiler server is used, as in a developer's build, and warmed up first. Not part of CI:
# run it by hand on a quiet machine (it prints the load average before and after),
#   benchmarks/analyzers/measure-analyzers.sh [FILES] [RUNS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
files=${1:-400}
runs=${2:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "load average before: $(cat /proc/loadavg)"
dotnet build "$repo/src/Analyzers/TailGuard.Analyzers.csproj" -c Release -v q -nologo >/dev/null
dotnet build "$repo/src/Generators/TailGuard.Generators.csproj" -c Release -v q -nologo >/dev/null
# Copies: nothing below may rebuild the files the compiler loads.
cp "$repo/src/Analyzers/bin/Release/netstandard2.0/TailGuard.Analyzers.dll" "$work/"
cp "$repo/src/Generators/bin/Release/netstandard2.0/TailGuard.Generators.dll" "$work/"
"$here/generate-project.sh" "$work/generated" "$files" >/dev/null

configurations=(none analyzers generators both)

# One compile of the project alone (dependencies already built); prints the Csc task time in ms.
compile() {
  local project=$1 configuration=$2 log=$3
  local inject=(-p:CustomAfterMicrosoftCommonTargets="$here/AddTailGuardAnalyzers.targets"
                -p:TailGuardAnalyzedProject="$(basename "$project" .csproj)")
  case $configuration in
    analyzers) inject+=(-p:TailGuardAnalyzersPath="$work/TailGuard.Analyzers.dll") ;;
    generators) inject+=(-p:TailGuardGeneratorsPath="$work/TailGuard.Generators.dll") ;;
    both) inject+=(-p:TailGuardAnalyzersPath="$work/TailGuard.Analyzers.dll" -p:TailGuardGeneratorsPath="$work/TailGuard.Generators.dll") ;;
  esac
  dotnet build "$project" -c Release --no-dependencies --no-incremental --no-restore -nologo -v d -clp:PerformanceSummary \
    -p:ReportAnalyzer=true "${inject[@]}" > "$log" 2>&1 || { tail -30 "$log"; exit 1; }
  grep -E '^\s+[0-9]+ ms\s+Csc\s' "$log" | tail -1 | awk '{print $1}'
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

measure() {
  local name=$1 project=$2
  dotnet build "$project" -c Release -v q -nologo >/dev/null   # dependencies, restore, and a warm compiler server
  compile "$project" both "$work/warmup.log" >/dev/null
  declare -A times=()
  for i in $(seq 1 "$runs"); do
    for configuration in "${configurations[@]}"; do
      times[$configuration]+="$(compile "$project" "$configuration" "$work/$name-$configuration-$i.log") "
    done
  done
  echo "== $name ($runs runs each, Csc task, ms)"
  local none
  none=$(printf '%s\n' ${times[none]} | median)
  for configuration in "${configurations[@]}"; do
    local m
    m=$(printf '%s\n' ${times[$configuration]} | median)
    printf '   %-11s %s (median %s, %+.1f%%)\n' "$configuration" "${times[$configuration]}" "$m" "$(echo "100 * ($m - $none) / $none" | bc -l)"
  done
  local log="$work/$name-both-$runs.log" all tailguard generators
  all=$(grep -E 'Total analyzer execution time:' "$log" | tail -1 | grep -oE '[0-9]+\.[0-9]+' || echo "?")
  generators=$(grep -E 'Total generator execution time:' "$log" | tail -1 | grep -oE '[0-9]+\.[0-9]+' || echo "?")
  tailguard=$(grep -E '^\s+[0-9.<]+\s+[0-9<]+\s+TailGuard\.Analyzers, Version' "$log" | tail -1 | awk '{print $1}')
  echo "   ReportAnalyzer, last run with both: all analyzers ${all} s, TailGuard analyzers ${tailguard:-?} s, all generators ${generators} s"
  grep -E '^\s+[0-9.<]+\s+[0-9<]+\s+TailGuard\.(Analyzers|Generators)\.' "$log" | tail -6 | sed -E 's/ \(TG.*//; s/^\s+/   /'
  # The detailed log repeats every warning in its summary: count distinct ones.
  echo "   TG3xxx/TG4xxx diagnostics reported: $(grep -oE '[^ ]+\.cs\([0-9,]+\): warning TG[34][0-9]{3}' "$log" | sort -u | wc -l)"
}

measure runtime "$repo/src/Runtime/TailGuard/TailGuard.csproj"
measure "generated-$files-files" "$work/generated/Generated.csproj"
echo "load average after: $(cat /proc/loadavg)"
