#!/usr/bin/env bash
# AF_XDP vs kernel UDP on one veth pair, in one run (docs/performance.md, "AF_XDP"): two fresh network namespaces
# (tgxb + random) joined by a veth pair, TX checksum offload off on both ends (else the kernel hands the peer UDP
# datagrams whose checksum nobody computed, which the AF_XDP transport rightly drops), then, busy-polled, 64 B:
#   1. kernel UDP echo in A  <- tailguard ping / load from B (kernel UDP)
#   2. AF_XDP echo in A      <- the same ping / load from B (kernel UDP)
#   3. AF_XDP echo in A      <- tailguard ping --xdp from B (AF_XDP at both ends)
# ping gives closed-loop p50/p99 (one call at a time); load gives the achieved rate and its percentiles at an offered
# rate (open loop), i.e. requests (= packets each way) per second. Everything is removed on exit.
# Needs root, ip (iproute2) and ethtool. The numbers mean something only on a quiet machine: the load average is
# printed before and after.
# usage: sudo benchmarks/scripts/xdp-bench.sh [COUNT] [RATE] [ROUNDS]     (defaults 20000 calls, 50k/s, 2 rounds)
set -euo pipefail
. "$(dirname "$0")/tool-common.sh"
count=${1:-20000}; rate=${2:-50k}; rounds=${3:-2}
for tool in ip ethtool; do command -v "$tool" >/dev/null || { echo "xdp-bench.sh needs $tool" >&2; exit 1; }; done
[ "$(id -u)" = 0 ] || { echo "xdp-bench.sh needs root (network namespaces, XDP)" >&2; exit 1; }

veth_pair tgxb

# in NS ARGS...: the tool inside a namespace (servers: start_in, tool-common.sh).
in_ns() { local ns=$1; shift; ip netns exec "$ns" dotnet "$tool_dll" "$@"; }

# Where requests went missing, if they did (cumulative since the namespaces were made): the AF_XDP socket's kernel
# counters (rx_dropped: no fill-ring frame; rx_ring_full: the echo loop left the RX ring full; docs/xdp.md, "Bursts";
# ss shows them where the kernel has xsk_diag), the veth pair's drops (on the XDP side, rx_queue_0_drops counts frames
# the program redirected and the socket could not take, plus any the veth's own XDP queue dropped), and the kernel UDP
# sockets' receive-buffer overflows for the kernel echo beside it.
counters() {
  echo "# AF_XDP sockets (ss --xdp -e -m):"
  ip netns exec "$a" ss --xdp -e -m 2>&1 | sed -n '2,$p' | sed 's/^/#   /' | grep . || echo "#   (nothing: no xsk_diag here)"
  echo "# veth drops (ethtool -S, nonzero):"; { ip netns exec "$a" ethtool -S "$a"; ip netns exec "$b" ethtool -S "$b"; } 2>/dev/null | grep -iE "drop|full|err" | grep -v ": 0$" | sed 's/^/#   /' || true
  echo "# kernel UDP receive-buffer overflows in $a (nstat):"; ip netns exec "$a" nstat -asz UdpRcvbufErrors Udp6RcvbufErrors 2>/dev/null | sed 1d | sed 's/^/#   /' || true
}

build_tool
start_in "$a" kernel --listen 10.250.0.1:0 --busy-poll; kernel=$address
start_in "$a" xdp --xdp "$a:0" --listen 10.250.0.1:0 --busy-poll; xdp=$address
grep -h "AF_XDP" "$logs/xdp.log" | sed 's/^/# /'
echo "# $(date -u +%Y-%m-%dT%H:%MZ) load average: $(load_average); $count calls of 64 B, busy-poll; load at $rate for 3 s"
for round in $(seq 1 "$rounds"); do
  echo "## round $round"
  echo "kernel UDP echo <- kernel UDP ping:"; in_ns "$b" ping --server "$kernel" --count "$count" --size 64 --busy-poll
  echo "AF_XDP echo     <- kernel UDP ping:"; in_ns "$b" ping --server "$xdp" --count "$count" --size 64 --busy-poll
  echo "AF_XDP echo     <- AF_XDP ping:";     in_ns "$b" ping --xdp "$b:0" --server "$xdp" --count "$count" --size 64 --busy-poll
  echo "kernel UDP echo <- load:"; in_ns "$b" load --target "r2p2://$kernel" --rates "$rate" --duration 3s --warmup 1s --size 64 --busy-poll 2>&1 | grep -v "^$" || true  # a failed self-check exits non-zero: still report it
  counters
  echo "AF_XDP echo     <- load:"; in_ns "$b" load --target "r2p2://$xdp" --rates "$rate" --duration 3s --warmup 1s --size 64 --busy-poll 2>&1 | grep -v "^$" || true  # a failed self-check exits non-zero: still report it
  counters
done
echo "# load average at the end: $(load_average)"
