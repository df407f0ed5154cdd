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
#     Each configuration's compiler server CPU time (user + system) during the same builds is printed beside its wall
#     time, and the compiler's accounting of TailGuard's analyzers of every run that has them;
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
# stubs, analyzers, generators, both, compare, nohotpath, nosecretflow; stubs is always kept, the percentages are read
# against it) runs fewer. nohotpath and nosecretflow are both with the hot-path allocation rules (TG3xxx) or the
# secret-flow rules (TG4xxx) in NoWarn, so the compiler does not run that analyzer: what each analyzer costs the build,
# which ReportAnalyzer cannot say (it charges an analyzer for compiler work it happens to trigger first).
# REPORT_ANALYZER=false builds without -p:ReportAnalyzer=true, as a user's build does: the wall and CPU times are then
# free of the accounting's own cost, and the per-analyzer lines are not printed.
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
  # Under its own file name: the compiler loads an analyzer assembly by the name its file says.
  mkdir -p "$work/compare" && cp "$COMPARE_WITH" "$work/compare/"
fi

projects=${PROJECTS:-runtime generated}
# The compiler server, whatever the environment says: CI images often set UseSharedCompilation=false, and a cold csc
# per build charges the analyzers for their JIT (2026-12-01: Csc 2x slower, TailGuard's ReportAnalyzer time 6x).
server=(-p:UseSharedCompilation=true)
# The compiler's analyzer accounting, unless REPORT_ANALYZER=false: a user's build does not time every analyzer callback,
# and that timing is itself work the analyzed builds do and the stubs builds do not.
report_analyzer=()
[ "${REPORT_ANALYZER:-true}" = false ] || report_analyzer=(-p:ReportAnalyzer=true)

# CPU time (user + system, ms) the compiler server processes have used so far: unlike the Csc task's wall time, it does
# not count time spent waiting for a disk or a core (on this VM one configuration's wall time varies by ±15% run to run).
server_cpu_ms() {
  local total=0 pid stat
  for pid in $(pgrep -f VBCSCompiler || true); do
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
    stat=${stat##*) }   # fields after the command name, which may hold spaces
    set -- $stat
    total=$((total + ${12} + ${13}))   # utime and stime: fields 14 and 15 of the whole line
  done
  echo $((total * 1000 / $(getconf CLK_TCK)))
}

# The ids of TailGuard's rules with a prefix (TG3: the hot-path allocation rules, TG4: the secret-flow rules), joined by
# an escaped ';' for an MSBuild property. With every rule of an analyzer in NoWarn the compiler does not run it.
rule_ids() {
  grep -ohE "\"$1[0-9]{3}\"" "$repo/src/Analyzers/Rules/DiagnosticRules.cs" | tr -d '"' | sort -u | paste -sd ';' | sed 's/;/%3B/g'
}

# Adds to the array named $1 the MSBuild properties that make configuration $3 of project $2 (none adds nothing);
# status 1 for a name it does not know, which would otherwise be built with no TailGuard component and reported as if it
# had one.
configuration_properties() {
  local -n properties=$1
  local project=$2 configuration=$3
  case $configuration in
    none) ;;
    analyzers) properties+=(-p:TailGuardAnalyzersPath="$work/TailGuard.Analyzers.dll") ;;
    generators) properties+=(-p:TailGuardGeneratorsPath="$work/TailGuard.Generators.dll") ;;
    both | nohotpath | nosecretflow)
      properties+=(-p:TailGuardAnalyzersPath="$work/TailGuard.Analyzers.dll" -p:TailGuardGeneratorsPath="$work/TailGuard.Generators.dll")
      case $configuration in
        nohotpath) properties+=(-p:TailGuardNoWarn="$(rule_ids TG3)") ;;
        nosecretflow) properties+=(-p:TailGuardNoWarn="$(rule_ids TG4)") ;;
      esac ;;
    compare) properties+=(-p:TailGuardAnalyzersPath="$work/compare/$(basename "${COMPARE_WITH:-}")" -p:TailGuardGeneratorsPath="$work/TailGuard.Generators.dll") ;;
    stubs) properties+=(-p:TailGuardStubsPath="$work/stubs/$(basename "$project" .csproj)") ;;
    emit) properties+=(-p:TailGuardGeneratorsPath="$work/TailGuard.Generators.dll" -p:EmitCompilerGeneratedFiles=true
                       -p:CompilerGeneratedFilesOutputPath="$work/emitted") ;;
    *) return 1 ;;
  esac
}

# One compile of the project alone (dependencies already built); prints the Csc task time and the compiler server's
# CPU time during it, in ms.
compile() {
  local project=$1 configuration=$2 log=$3
  local inject=(-p:CustomAfterMicrosoftCommonTargets="$here/AddTailGuardAnalyzers.targets"
                -p:TailGuardAnalyzedProject="$(basename "$project" .csproj)")
  configuration_properties inject "$project" "$configuration" || { echo "unknown configuration: $configuration" >&2; exit 2; }
  local cpu_before cpu_after
  cpu_before=$(server_cpu_ms)
  dotnet build "$project" -c Release --no-dependencies --no-incremental --no-restore -nologo -v d -clp:PerformanceSummary \
    "${report_analyzer[@]}" "${server[@]}" "${inject[@]}" > "$log" 2>&1 || { tail -30 "$log"; exit 1; }
  cpu_after=$(server_cpu_ms)
  # A request the server refuses is compiled by a cold compiler of its own (seconds of JIT) and may leave the next
  # configuration a cold server too: such a run measures nothing. An analyzer the compiler cannot load is no better.
  if grep -qE 'CompilerServer: server failed|warning CS8034' "$log"; then
    echo "$configuration: the compiler server refused the build or an analyzer did not load; see below" >&2
    grep -E 'CompilerServer: server failed|warning CS8034' "$log" | head -3 >&2
    exit 1
  fi
  echo "$(grep -E '^\s+[0-9]+ ms\s+Csc\s' "$log" | tail -1 | awk '{print $1}') $((cpu_after - cpu_before))"
}

# TailGuard's analyzers' time in a build log (ReportAnalyzer's line for the assembly), in seconds; empty when absent.
tailguard_analyzer_seconds() {
  grep -E '^\s+[0-9.<]+\s+[0-9<]+\s+TailGuard\.Analyzers, Version' "$1" | tail -1 | awk '{print $1}' || true
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

# Prints one line per configuration of the named table (configuration -> space-separated ms): runs, median, and the
# median against none (when measured) and against stubs.
report() {
  local -n table=$1
  shift
  local none stubs configuration m vs_none
  none=$(printf '%s\n' ${table[none]:-} | median)
  stubs=$(printf '%s\n' ${table[stubs]} | median)
  for configuration in "$@"; do
    m=$(printf '%s\n' ${table[$configuration]} | median)
    vs_none=""
    [ -n "$none" ] && vs_none=$(printf ', %+.1f%% vs none' "$(echo "100 * ($m - $none) / $none" | bc -l)")
    printf '   %-11s %s (median %s%s, %+.1f%% vs stubs)\n' "$configuration" "${table[$configuration]}" "$m" "$vs_none" \
      "$(echo "100 * ($m - $stubs) / $stubs" | bc -l)"
  done
}

# Prints, per configuration, each run's change against the stubs build of the same run (the configurations of one run
# share the machine's state, which drifts from run to run by more than the effect measured), their median and the
# distribution-free 95% interval of that median from order statistics (the k-th smallest and largest of n, k from the
# binomial(n, 1/2) tail; docs/load.md uses the same method for percentiles). Six runs give [min, max]; twenty, the 6th
# and 15th.
paired() {
  local -n table=$1
  shift
  local stubs=(${table[stubs]}) configuration values changes i
  for configuration in "$@"; do
    [ "$configuration" = stubs ] && continue
    values=(${table[$configuration]})
    changes=$(for i in "${!values[@]}"; do echo "100 * (${values[$i]} - ${stubs[$i]}) / ${stubs[$i]}" | bc -l; done | sort -g)
    # The median as every other line of this script takes it; awk adds only the interval.
    echo "$changes" | awk -v name="$configuration" -v m="$(echo "$changes" | median)" '
      { a[NR] = $1 }
      END {
        n = NR; c = 0.5 ^ n; tail = 0; k = 0
        for (j = 0; j < n; j++) { if (tail + c > 0.025) break; tail += c; k = j + 1; c = c * (n - j) / (j + 1) }
        if (k == 0) { printf "   %-11s median %+.1f%% vs stubs (too few runs for a 95%% interval)\n", name, m; exit }
        printf "   %-11s median %+.1f%% vs stubs, %.1f%% interval [%+.1f%%, %+.1f%%] (runs: ", name, m, 100 * (1 - 2 * tail), a[k], a[n - k + 1]
        for (j = 1; j <= n; j++) printf "%s%+.1f", (j > 1 ? " " : ""), a[j]
        printf ")\n"
      }'
  done
}

measure() {
  local name=$1 project=$2 configurations
  configurations=(${CONFIGURATIONS:-none stubs analyzers generators both ${COMPARE_WITH:+compare}})
  [[ " ${configurations[*]} " == *" stubs "* ]] || configurations=(stubs "${configurations[@]}")
  local c probe
  for c in "${configurations[@]}"; do
    # Refused before any build, not after the first runs.
    probe=()
    configuration_properties probe "$project" "$c" || { echo "unknown configuration: $c" >&2; exit 2; }
  done
  if [[ " ${configurations[*]} " == *" compare "* && -z "${COMPARE_WITH:-}" ]]; then echo "the compare configuration needs COMPARE_WITH" >&2; exit 2; fi
  dotnet build "$project" -c Release -v q -nologo "${server[@]}" >/dev/null   # dependencies, restore, and a warm compiler server
  compile "$project" both "$work/warmup.log" >/dev/null
  echo "== $name: generated stubs $(save_stubs "$project"); source $(find "$(dirname "$project")" -name '*.cs' -not -path '*/obj/*' -not -path '*/bin/*' -exec cat {} + | wc -l) lines"
  declare -A times=() cpu=() analyzers=()
  local result seconds
  for i in $(seq 1 "$runs"); do
    for configuration in "${configurations[@]}"; do
      result=$(compile "$project" "$configuration" "$work/$name-$configuration-$i.log")
      times[$configuration]+="${result% *} "
      cpu[$configuration]+="${result#* } "
      # The compiler's accounting of TailGuard's analyzers in this run (none in stubs), in ms.
      seconds=$(tailguard_analyzer_seconds "$work/$name-$configuration-$i.log")
      if [ -n "$seconds" ]; then analyzers[$configuration]+="$(echo "$seconds * 1000 / 1" | bc) "; fi
    done
  done
  echo "   $runs runs each, Csc task wall time, ms (vs none; vs stubs, the same code hand-written)"
  report times "${configurations[@]}"
  echo "   the same runs, each run's Csc wall time against that run's stubs build"
  paired times "${configurations[@]}"
  echo "   the same runs, compiler server CPU time (user + system), ms"
  report cpu "${configurations[@]}"
  echo "   the same runs, each run's CPU time against that run's stubs build"
  paired cpu "${configurations[@]}"
  local with_analyzers=()
  for configuration in "${configurations[@]}"; do
    if [ -n "${analyzers[$configuration]:-}" ]; then with_analyzers+=("$configuration"); fi
  done
  if [ ${#with_analyzers[@]} -gt 0 ]; then
    echo "   the same runs, ReportAnalyzer's time of TailGuard's analyzers (wall time of their callbacks), ms"
    for configuration in "${with_analyzers[@]}"; do
      printf '   %-11s %s (median %s)\n' "$configuration" "${analyzers[$configuration]}" "$(printf '%s\n' ${analyzers[$configuration]} | median)"
    done
  fi
  local log="$work/$name-both-$runs.log" all tailguard generators
  [ -f "$log" ] || return 0   # no "both" configuration this run
  if [ ${#report_analyzer[@]} -eq 0 ]; then
    echo "   ReportAnalyzer: off (REPORT_ANALYZER=false)"
    return 0
  fi
  all=$(grep -E 'Total analyzer execution time:' "$log" | tail -1 | grep -oE '[0-9]+\.[0-9]+' || echo "?")
  generators=$(grep -E 'Total generator execution time:' "$log" | tail -1 | grep -oE '[0-9]+\.[0-9]+' || echo "?")
  tailguard=$(tailguard_analyzer_seconds "$log")
  echo "   ReportAnalyzer, last run with both: all analyzers ${all} s, TailGuard analyzers ${tailguard:-?} s, all generators ${generators} s"
  # Every TailGuard analyzer and generator, each once (the detailed log may print the report more than once: the last).
  grep -E '^\s+[0-9.<]+\s+[0-9<]+\s+TailGuard\.(Analyzers|Generators)\.' "$log" | sed -E 's/ \(TG.*//; s/^\s+/   /' |
    awk '{ if (!($3 in line)) order[++n] = $3; line[$3] = $0 } END { for (i = 1; i <= n; i++) print line[order[i]] }'
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
