#!/usr/bin/env bash
# The long randomized linearizability run (docs/replication.md, "Guarantees"): many rounds of concurrent clients on a
# 3-node cluster of processes while nodes are killed, restarted and paused at random; every history is checked.
# Usage: tests/Replication.Tests/run-linearizability.sh [ROUNDS] [SECONDS_PER_ROUND] [SEED]
set -euo pipefail
cd "$(dirname "$0")/../.."
export TG_LINEARIZABILITY_ROUNDS="${1:-20}"
export TG_LINEARIZABILITY_SECONDS="${2:-20}"
export TG_LINEARIZABILITY_SEED="${3:-$RANDOM}"
echo "load: $(cat /proc/loadavg)"
nice -n 5 dotnet test tests/Replication.Tests --filter "FullyQualifiedName~LinearizabilityTests" --logger "console;verbosity=detailed"
