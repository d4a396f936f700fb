#!/usr/bin/env bash
# DNS throughput and latency: Conclave's DNS interface against unbound serving the same records
# from a local zone, both driven by dnsperf over UDP on loopback.
# Usage: bench/dns_bench.sh <path-to-conclave> [duration-seconds, default 10]
# Environment: BENCH_SERVICES (100), BENCH_INSTANCES (5), DNSPERF_CLIENTS (4), DNSPERF_THREADS (1).
# Catalog: BENCH_SERVICES services × BENCH_INSTANCES instances (one node each), all passing.
# Query files: A and SRV lookups of every service, in order. Prints figures only; never fails on speed.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 <path-to-conclave> [duration-seconds]" >&2
  exit 2
fi
CONCLAVE=$(realpath "$1")
DURATION=${2:-10}
SERVICES=${BENCH_SERVICES:-100}
INSTANCES=${BENCH_INSTANCES:-5}
CLIENTS=${DNSPERF_CLIENTS:-4}
THREADS=${DNSPERF_THREADS:-1}
for tool in dnsperf unbound curl python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install dnsperf unbound curl python3)" >&2; exit 2; }
done
[[ -x $CONCLAVE ]] || { echo "not executable: $CONCLAVE" >&2; exit 2; }

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT_DIR=$BENCH_DIR/out/dns-$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT_DIR"
WORK=$(mktemp -d /tmp/dns_bench.XXXXXX)
CONCLAVE_PID=""
UNBOUND_PID=""

# shellcheck source=lib.sh
source "$BENCH_DIR/lib.sh"  # stop_pid
cleanup() {
  stop_pid "$CONCLAVE_PID"
  stop_pid "$UNBOUND_PID"
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# ---------------------------------------------------------------- conclave
"$CONCLAVE" agent -dev -node bench -data-dir "$WORK/data" -log-level warn -http-port 0 -dns-port 0 \
  -server-port 0 -serf-lan-port 0 -serf-wan-port 0 >"$WORK/conclave.log" 2>&1 &
CONCLAVE_PID=$!
# The INFO lines with the ports are filtered at -log-level warn; read them from /v1/agent/self instead.
HTTP_PORT="" DNS_PORT=""
deadline=$((SECONDS + 30))
while ((SECONDS < deadline)); do
  HTTP_PORT=$(grep -oE 'HTTP: [0-9]+' "$WORK/conclave.log" | grep -oE '[0-9]+' | head -1 || true)
  DNS_PORT=$(grep -oE 'DNS: [0-9]+' "$WORK/conclave.log" | grep -oE '[0-9]+' | head -1 || true)
  [[ -n $HTTP_PORT && -n $DNS_PORT ]] && curl -sf "http://127.0.0.1:$HTTP_PORT/v1/status/leader" >/dev/null && break
  sleep 0.2
done
[[ -n $DNS_PORT ]] || { echo "conclave did not start:"; cat "$WORK/conclave.log"; exit 1; }
echo "conclave: HTTP $HTTP_PORT, DNS $DNS_PORT"

echo "registering $SERVICES services × $INSTANCES instances..."
for ((s = 0; s < SERVICES; s++)); do
  for ((i = 0; i < INSTANCES; i++)); do
    n=$((s * INSTANCES + i))
    ip="10.$((n / 65536 % 256)).$((n / 256 % 256)).$((n % 256))"
    printf '{"Node":"node-%d","Address":"%s","Service":{"Service":"svc-%d","ID":"svc-%d-%d","Port":%d},"Check":{"CheckID":"c-%d-%d","Name":"c","Status":"passing","ServiceID":"svc-%d-%d"}}' \
      "$n" "$ip" "$s" "$s" "$i" $((8000 + i)) "$s" "$i" "$s" "$i"
    echo
  done
done >"$WORK/register.jsonl"
while IFS= read -r body; do
  curl -sf -X PUT --data "$body" "http://127.0.0.1:$HTTP_PORT/v1/catalog/register" >/dev/null
done <"$WORK/register.jsonl"

for ((s = 0; s < SERVICES; s++)); do echo "svc-$s.service.consul A"; done >"$WORK/queries-A.txt"
for ((s = 0; s < SERVICES; s++)); do echo "svc-$s.service.consul SRV"; done >"$WORK/queries-SRV.txt"

# ---------------------------------------------------------------- unbound with the same records
UNBOUND_PORT=$(free_port)
{
  echo "server:"
  echo "  interface: 127.0.0.1"
  echo "  port: $UNBOUND_PORT"
  echo "  do-daemonize: no"
  echo "  username: \"\""
  echo "  chroot: \"\""
  echo "  directory: \"$WORK\""
  echo "  pidfile: \"$WORK/unbound.pid\""
  echo "  use-syslog: no"
  echo "  logfile: \"\""
  echo "  verbosity: 0"
  echo "  num-threads: 1"
  echo "  access-control: 127.0.0.0/8 allow"
  echo "  do-not-query-localhost: yes"
  echo "  local-zone: \"consul.\" static"
  for ((s = 0; s < SERVICES; s++)); do
    for ((i = 0; i < INSTANCES; i++)); do
      n=$((s * INSTANCES + i))
      ip="10.$((n / 65536 % 256)).$((n / 256 % 256)).$((n % 256))"
      echo "  local-data: \"svc-$s.service.consul. 0 IN A $ip\""
      echo "  local-data: \"svc-$s.service.consul. 0 IN SRV 1 1 $((8000 + i)) node-$n.node.dc1.consul.\""
      echo "  local-data: \"node-$n.node.dc1.consul. 0 IN A $ip\""
    done
  done
  echo "remote-control:"
  echo "  control-enable: no"
} >"$WORK/unbound.conf"
unbound -d -c "$WORK/unbound.conf" >"$WORK/unbound.log" 2>&1 &
UNBOUND_PID=$!
for _ in $(seq 100); do
  dig +short +tries=1 +time=1 @127.0.0.1 -p "$UNBOUND_PORT" svc-0.service.consul A >/dev/null 2>&1 && break
  sleep 0.1
done

echo "sample answers (conclave, then unbound):"
dig +noall +answer @127.0.0.1 -p "$DNS_PORT" svc-0.service.consul SRV | head -3
dig +noall +answer @127.0.0.1 -p "$UNBOUND_PORT" svc-0.service.consul SRV | head -3

# ---------------------------------------------------------------- runs
declare -A QPS
run() {  # system port qtype
  local out=$OUT_DIR/$1-$3.txt
  dnsperf -s 127.0.0.1 -p "$2" -d "$WORK/queries-$3.txt" -l "$DURATION" -c "$CLIENTS" -T "$THREADS" -Q 1000000 \
    -S 0 -v >"$out.raw" 2>&1 || true
  grep -vE '^> ' "$out.raw" >"$out" || true
  local qps lat lost
  qps=$(grep -oE 'Queries per second: +[0-9.]+' "$out" | grep -oE '[0-9.]+$' || echo 0)
  lat=$(grep -E 'Average Latency' "$out" | sed -E 's/.*Average Latency \(s\): *//' || true)
  lost=$(grep -E 'Queries lost' "$out" | sed -E 's/^ *//' || true)
  # Percentiles from the per-query latencies dnsperf -v prints ("> NOERROR ... 0.000123").
  local pct
  pct=$(grep -E '^> ' "$out.raw" | awk '{print $NF}' | sort -g | awk '
    { v[NR] = $1 } END { if (NR == 0) { print "n/a"; exit }
      printf "p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms", v[int(NR*0.5)+0]*1000, v[int(NR*0.9)+0]*1000, v[int(NR*0.99)+0]*1000, v[NR]*1000 }')
  QPS[$1-$3]=$qps
  printf '%-9s %-4s %10s qps   avg/min/max/stddev %s   %s   %s\n' "$1" "$3" "$qps" "$lat" "$pct" "$lost"
}
echo
echo "dnsperf: ${DURATION}s per run, $CLIENTS clients, UDP, $SERVICES services × $INSTANCES instances"
for qtype in A SRV; do
  run conclave "$DNS_PORT" "$qtype"
  run unbound "$UNBOUND_PORT" "$qtype"
done
echo
for qtype in A SRV; do
  python3 -c "import sys; c,u=float(sys.argv[1]),float(sys.argv[2]); print(f'ratio conclave/unbound {sys.argv[3]}: {c/u*100:.0f}% of unbound qps' if u>0 else 'ratio: n/a')" \
    "${QPS[conclave-$qtype]}" "${QPS[unbound-$qtype]}" "$qtype"
done
echo "raw outputs: $OUT_DIR"
