#!/usr/bin/env bash
# Measures what the TailGuard analyzers add to a C# build, two ways:
#   - the compiler's own accounting (-p:ReportAnalyzer=true): TailGuard's analyzer time against all analyzers;
#   - an A/B of the project's Csc task with and without the TailGuard analyzers (alternating runs, median), which is the
#     build time a user actually pays (ReportAnalyzer charges an analyzer for compiler work it triggers first, such as
#     binding attributes or method bodies, that the build would do anyway).
# Projects: the runtime of this repository (src/Runtime, analyzers injected as a package consumer would have them) and a
# generated consumer project of several hundred files (generate-project.sh). The compiler server is used, as in a
# developer's build, and warmed up first. Not part of CI: run it by hand,
#   benchmarks/analyzers/measure-analyzers.sh [FILES] [RUNS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
files=${1:-400}
runs=${2:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

dotnet build "$repo/src/Analyzers/TailGuard.Analyzers.csproj" -c Release -v q -nologo >/dev/null
# A copy: nothing below may rebuild the file the compiler loads.
cp "$repo/src/Analyzers/bin/Release/netstandard2.0/TailGuard.Analyzers.dll" "$work/"
analyzers="$work/TailGuard.Analyzers.dll"
"$here/generate-project.sh" "$work/generated" "$files" >/dev/null

# One compile of the project alone (dependencies already built); prints the Csc task time in ms.
compile() {
  local project=$1 with=$2 log=$3
  local inject=()
  if [ "$with" = yes ]; then
    inject=(-p:CustomAfterMicrosoftCommonTargets="$here/AddTailGuardAnalyzers.targets" -p:TailGuardAnalyzersPath="$analyzers"
            -p:TailGuardAnalyzedProject="$(basename "$project" .csproj)")
  fi
  dotnet build "$project" -c Release --no-dependencies --no-incremental --no-restore -nologo -v d -clp:PerformanceSummary \
    -p:ReportAnalyzer=true "${inject[@]}" > "$log" 2>&1 || { tail -30 "$log"; exit 1; }
  grep -E '^\s+[0-9]+ ms\s+Csc\s' "$log" | tail -1 | awk '{print $1}'
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

measure() {
  local name=$1 project=$2
  dotnet build "$project" -c Release -v q -nologo >/dev/null   # dependencies, restore, and a warm compiler server
  compile "$project" yes "$work/warmup.log" >/dev/null
  local with=() without=()
  for i in $(seq 1 "$runs"); do
    without+=("$(compile "$project" no "$work/$name-without-$i.log")")
    with+=("$(compile "$project" yes "$work/$name-with-$i.log")")
  done
  local log="$work/$name-with-$runs.log"
  local all tailguard
  all=$(grep -E 'Total analyzer execution time:' "$log" | tail -1 | grep -oE '[0-9]+\.[0-9]+')
  tailguard=$(grep -E '^\s+[0-9.<]+\s+[0-9<]+\s+TailGuard\.Analyzers, Version' "$log" | tail -1 | awk '{print $1}')
  echo "== $name ($runs runs each)"
  echo "   Csc without TailGuard analyzers, ms: ${without[*]} (median $(printf '%s\n' "${without[@]}" | median))"
  echo "   Csc with TailGuard analyzers, ms:    ${with[*]} (median $(printf '%s\n' "${with[@]}" | median))"
  echo "   ReportAnalyzer, last run: all analyzers ${all} s, TailGuard ${tailguard} s"
  grep -E '^\s+[0-9.<]+\s+[0-9<]+\s+TailGuard\.Analyzers\.' "$log" | tail -2 | sed -E 's/ \(TG.*//; s/^\s+/   /'
  # The detailed log repeats every warning in its summary: count distinct ones.
  echo "   TG3xxx/TG4xxx diagnostics reported: $(grep -oE '[^ ]+\.cs\([0-9,]+\): warning TG[34][0-9]{3}' "$log" | sort -u | wc -l)"
}

measure runtime "$repo/src/Runtime/TailGuard/TailGuard.csproj"
measure "generated-$files-files" "$work/generated/Generated.csproj"
