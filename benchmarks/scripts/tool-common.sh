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

# start_server NAME ARGS...: runs `tailguard serve ARGS... --listen 127.0.0.1:0` in the background and sets
# $address to the HOST:PORT it printed.
start_server() {
  local name=$1; shift
  # dotnet itself in the background (not a function or subshell), so $! is the server's own process id to stop.
  dotnet "$tool_dll" serve --listen 127.0.0.1:0 "$@" >"$logs/$name.log" 2>&1 &
  servers+=($!)
  for _ in $(seq 1 300); do
    address=$(grep -o 'on [0-9.]*:[0-9]*' "$logs/$name.log" | head -1 | cut -d' ' -f2 || true)
    [ -n "$address" ] && return 0
    sleep 0.1
  done
  echo "$name did not start:" >&2; cat "$logs/$name.log" >&2; exit 1
}

stop_servers() {
  for pid in "${servers[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${servers[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$logs"
}
trap stop_servers EXIT

load_average() { cut -d' ' -f1-3 /proc/loadavg; }
