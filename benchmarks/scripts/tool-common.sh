# Shared by the benchmark scripts that drive the tailguard tool: build it once (Release), start servers on port 0 and
# read back the address each printed, and stop them (by process id) when the script exits.
# Source it: . "$(dirname "$0")/tool-common.sh"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tool_dll="$root/src/Tool/bin/Release/net10.0/TailGuard.Tool.dll"
servers=()
logs="$(mktemp -d)"

build_tool() {
  dotnet build "$root/src/Tool/TailGuard.Tool.csproj" -c Release -nologo -v quiet >/dev/null || { echo "build failed" >&2; exit 1; }
}

tailguard() { dotnet "$tool_dll" "$@"; }

# start_in NS NAME ARGS...: runs `tailguard serve ARGS...` in the background, inside network namespace NS ("" for this
# one), its output in $logs/NAME.log, and sets $address to the HOST:PORT its echo printed.
start_in() {
  local ns=$1 name=$2 run=(); shift 2
  [ -n "$ns" ] && run=(ip netns exec "$ns")
  # The command itself in the background (ip netns exec execs it; not a function or subshell), so $! is the server's
  # own process id to stop.
  "${run[@]}" dotnet "$tool_dll" serve "$@" >"$logs/$name.log" 2>&1 &
  servers+=($!)
  for _ in $(seq 1 300); do
    address=$(grep -o 'echo on [0-9.]*:[0-9]*' "$logs/$name.log" | head -1 | cut -d' ' -f3 || true)
    [ -n "$address" ] && return 0
    sleep 0.1
  done
  echo "$name did not start:" >&2; cat "$logs/$name.log" >&2; exit 1
}

# start_server NAME ARGS...: start_in this namespace, listening on 127.0.0.1:0.
start_server() { local name=$1; shift; start_in "" "$name" --listen 127.0.0.1:0 "$@"; }

stop_servers() {
  for pid in "${servers[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${servers[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$logs"
}
trap stop_servers EXIT

load_average() { cut -d' ' -f1-3 /proc/loadavg; }

# veth_pair PREFIX: two fresh network namespaces, PREFIX + a random suffix + a/b, joined by a veth pair (10.250.0.1 in
# $a, 10.250.0.2 in $b), with TX checksum offload off on both ends (else the kernel hands the peer UDP datagrams whose
# checksum nobody computed, which the AF_XDP transport rightly drops); sets $a and $b, and removes both, with the
# servers, when the script exits. Needs root, ip and ethtool.
veth_pair() {
  local suffix
  suffix=$(printf '%05x' $((RANDOM * 32 + RANDOM % 32)))
  a=$1${suffix}a; b=$1${suffix}b
  trap 'stop_servers; ip netns delete "$a" 2>/dev/null || true; ip netns delete "$b" 2>/dev/null || true' EXIT
  ip netns add "$a"; ip netns add "$b"
  ip link add "$a" netns "$a" type veth peer name "$b" netns "$b"
  ip -n "$a" addr add 10.250.0.1/24 dev "$a"; ip -n "$b" addr add 10.250.0.2/24 dev "$b"
  for ns in "$a" "$b"; do
    ip -n "$ns" link set "$ns" up; ip -n "$ns" link set lo up
    ip netns exec "$ns" ethtool -K "$ns" tx off >/dev/null
  done
}

# round_medians FILE BASE OTHER: FILE holds `tailguard ping` lines, each prefixed by its kind (BASE or OTHER) as the
# first word; prints the median p50 and p99 of each kind's rounds, their ratios and differences (one pair of runs on a
# 2-core machine swings a ratio by 30%, the medians of 5 or more rounds do not).
round_medians() {
  awk -v base="$2" -v other="$3" '
    function median(a, n,   i, j, t) { for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j > 0 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
                                       return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
    { kind = $1
      for (i = 2; i < NF; i++) { if ($i == "p50") p50[kind, ++n50[kind]] = $(i + 1); if ($i == "p99") p99[kind, ++n99[kind]] = $(i + 1) } }
    END {
      for (k in n50) { delete a; for (i = 1; i <= n50[k]; i++) a[i] = p50[k, i]; m50[k] = median(a, n50[k])
                       delete a; for (i = 1; i <= n99[k]; i++) a[i] = p99[k, i]; m99[k] = median(a, n99[k]) }
      if (!(base in m50) || !(other in m50)) { print "# no complete rounds"; exit 1 }
      printf "# medians of %d rounds: %s p50 %.1f us p99 %.1f us; %s p50 %.1f us p99 %.1f us; ratio p50 %.2fx p99 %.2fx; difference p50 %+.1f us p99 %+.1f us\n",
        n50[other], base, m50[base], m99[base], other, m50[other], m99[other], m50[other] / m50[base], m99[other] / m99[base], m50[other] - m50[base], m99[other] - m99[base] }
  ' "$1"
}
