#!/usr/bin/env bash
# Regenerates PublicAPI.Unshipped.txt of every packable library from its code, so the public API analyzers
# (RS0016/RS0017, eng/Packaging.targets) pass: the integrator runs it after merging branches that add API and reviews
# the diff. Idempotent: a second run changes nothing.
#
#   eng/update-public-api.sh [PROJECT.csproj ...]      (default: every packable library under src/)
#
# What it does, per project: empties the Unshipped file (keeping '#nullable enable'), lets the analyzers' own code fix
# add every public symbol that PublicAPI.Shipped.txt lacks (`dotnet format analyzers --diagnostics RS0016`), sorts the
# file ordinally, then builds the project with -warnaserror to prove the files match the code. A shipped symbol that
# the code no longer has is a breaking change: the build then fails with RS0017, and the script names it instead of
# editing the Shipped file (ship a release by moving Unshipped lines into Shipped, by hand).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; }
case "${1:-}" in -h|--help) usage; exit 0 ;; -*) echo "update-public-api: unknown option '$1' (try --help)" >&2; exit 2 ;; esac

if [[ $# -gt 0 ]]; then
  projects=("$@")
else
  mapfile -t projects < <(grep -rl --include='*.csproj' '<IsPackable>true</IsPackable>' src | xargs -r grep -L '<PackageType>Template</PackageType>' | sort)
fi
[[ ${#projects[@]} -gt 0 ]] || { echo "update-public-api: no packable library found under src/" >&2; exit 1; }

header='#nullable enable'
for project in "${projects[@]}"; do
  [[ -f "$project" ]] || { echo "update-public-api: no such project: $project" >&2; exit 2; }
  dir=$(dirname "$project")
  shipped="$dir/PublicAPI.Shipped.txt"
  unshipped="$dir/PublicAPI.Unshipped.txt"
  [[ -f "$shipped" ]] || printf '%s\n' "$header" > "$shipped"
  before=$(mktemp)
  cp "$unshipped" "$before" 2>/dev/null || : > "$before"
  printf '%s\n' "$header" > "$unshipped"

  echo "update-public-api: $project"
  # dotnet format exits nonzero when it fixed something in some configurations; the build below is the real check.
  dotnet format analyzers "$project" --diagnostics RS0016 --severity warn --verbosity quiet || true

  body=$(grep -v -x -F "$header" "$unshipped" | sed '/^[[:space:]]*$/d' | LC_ALL=C sort -u || true)
  { printf '%s\n' "$header"; [[ -n "$body" ]] && printf '%s\n' "$body"; } > "$unshipped"

  if ! log=$(dotnet build "$project" -warnaserror --nologo -v q 2>&1); then
    echo "$log" | grep -E 'RS00[0-9]{2}' | sed 's/ \[.*\]$//' | sort -u >&2 || true
    echo "$log" | grep -qE 'RS00[0-9]{2}' || echo "$log" | tail -20 >&2
    echo "update-public-api: $project does not build with its API files (see above); RS0017 means a shipped API was removed" >&2
    rm -f "$before"
    exit 1
  fi

  added=$(comm -13 <(LC_ALL=C sort "$before") <(LC_ALL=C sort "$unshipped"))
  removed=$(comm -23 <(LC_ALL=C sort "$before") <(LC_ALL=C sort "$unshipped"))
  if [[ -z "$added$removed" ]]; then
    echo "update-public-api: $unshipped: no API change"
  else
    echo "update-public-api: $unshipped: review these API changes"
    [[ -n "$added" ]] && printf '%s\n' "$added" | sed 's/^/  added:   /'
    [[ -n "$removed" ]] && printf '%s\n' "$removed" | sed 's/^/  removed: /'
  fi
  rm -f "$before"
done
