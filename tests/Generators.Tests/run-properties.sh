#!/usr/bin/env bash
# Runs the generated-contract property test (Properties/GeneratedContractPropertyTests.cs) longer than CI does, with
# random seeds: every scenario is a random valid contract set, generated, compiled warning-free and called end to end.
#
#   tests/Generators.Tests/run-properties.sh [minutes] [rounds]
#
# Each round runs for the given minutes (default 10) with a fresh random seed; a failure prints the seed (rerun it with
# TAILGUARD_PROPERTY_SEED=<seed> TAILGUARD_PROPERTY_ITER=1) and the shrunk scenario's sources, which belong in
# tests/Generators.Tests/Regressions as a regression test and golden file. Nice'd: the machine is shared.
set -euo pipefail
cd "$(dirname "$0")/../.."

minutes="${1:-10}"
rounds="${2:-1}"
if ! [[ "$minutes" =~ ^[0-9]+$ && "$rounds" =~ ^[0-9]+$ && "$minutes" -ge 1 && "$rounds" -ge 1 ]]; then
  echo "usage: $0 [minutes >= 1] [rounds >= 1]" >&2
  exit 2
fi

dotnet build tests/Generators.Tests/TailGuard.Generators.Tests.csproj -v quiet -nologo
for round in $(seq 1 "$rounds"); do
  echo "round $round/$rounds: $minutes minute(s), random seed, load $(cut -d' ' -f1-3 /proc/loadavg)"
  TAILGUARD_PROPERTY_SEED=random TAILGUARD_PROPERTY_TIME=$((minutes * 60)) \
    nice -n 10 dotnet test tests/Generators.Tests/TailGuard.Generators.Tests.csproj --no-build \
      --filter "FullyQualifiedName~GeneratedContractPropertyTests" --logger "console;verbosity=normal"
done
