#!/usr/bin/env bash
# A longer campaign of the hostile-host property test (issue 21): random host capability operations interleaved with
# calls on several threads; the secret must never reach the host and every call must be right or refused.
# CI runs a bounded form (12 seeds x 60 operations). Usage:
#   tests/Boundary.Tests/run-property.sh [seeds] [operations per seed] [first seed]
# e.g. run-property.sh 500 200 1000. Prints the campaign's totals; a failure prints the seed and the host's operations
# and exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/../.."
export TAILGUARD_PROPERTY_SEEDS="${1:-200}"
export TAILGUARD_PROPERTY_OPERATIONS="${2:-200}"
export TAILGUARD_PROPERTY_FIRST_SEED="${3:-1}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
echo "load average: $(cat /proc/loadavg)"
status=0
nice -n 5 dotnet test tests/Boundary.Tests --filter "FullyQualifiedName~HostileHostPropertyTests" \
  --logger "console;verbosity=detailed" > "$log" 2>&1 || status=$?
grep -E "seeds x|seed [0-9]+:|Passed!|Failed!|^\[[0-9]+\] " "$log" || tail -n 40 "$log"
exit "$status"
