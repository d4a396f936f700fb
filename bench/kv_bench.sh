#!/usr/bin/env bash
# KV throughput and latency: Conclave's Consul KV API against a single-member etcd 3.4, with wrk.
# Usage: bench/kv_bench.sh <path-to-conclave> [duration-seconds, default 10]
# Environment: BENCH_CONNS ("1 16 64"), BENCH_OPS ("put get get-stale"), BENCH_KEYS (10000),
#              WRK_THREADS (1; wrk shares our 2 cores with the server under test),
#              BENCH_SYSTEMS ("conclave etcd"; "etcd" alone needs no conclave binary: pass "-").
# Prints figures only; it never passes or fails on speed. Raw wrk outputs go to bench/out/.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 <path-to-conclave> [duration-seconds]" >&2
  exit 2
fi
CONCLAVE=$1
SYSTEMS=${BENCH_SYSTEMS:-"conclave etcd"}
want() { [[ " $SYSTEMS " == *" $1 "* ]]; }
DURATION=${2:-10}
CONNS=${BENCH_CONNS:-"1 16 64"}
OPS=${BENCH_OPS:-"put get get-stale"}
export BENCH_KEYS=${BENCH_KEYS:-10000}
WRK_THREADS=${WRK_THREADS:-1}
READY_TIMEOUT=30  # seconds to wait for each server to come up

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT_DIR=$BENCH_DIR/out/$(date +%Y%m%d-%H%M%S)
export BENCH_WRK_DIR=$BENCH_DIR/wrk
# shellcheck source=lib.sh
source "$BENCH_DIR/lib.sh"

require_tools wrk etcd curl
if want conclave; then
  [[ -x $CONCLAVE ]] || { echo "not executable: $CONCLAVE" >&2; exit 2; }
  CONCLAVE=$(realpath "$CONCLAVE")
fi
etcd_arch_env

mkdir -p "$OUT_DIR"
WORK=$(mktemp -d /tmp/kv_bench.XXXXXX)
CONCLAVE_PID=""
ETCD_PID=""
CONCLAVE_PEAK_RSS=""
ETCD_PEAK_RSS=""

cleanup() {
  stop_pid "$CONCLAVE_PID"
  stop_pid "$ETCD_PID"
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- Conclave
start_conclave() {
  mkdir -p "$WORK/conclave-data"
  "$CONCLAVE" agent -dev -http-port 0 -data-dir "$WORK/conclave-data" -node bench \
    >"$OUT_DIR/conclave.log" 2>&1 &
  CONCLAVE_PID=$!
  conclave_ready() {
    kill -0 "$CONCLAVE_PID" 2>/dev/null || { echo "conclave exited:" >&2; cat "$OUT_DIR/conclave.log" >&2; exit 1; }
    grep -qsE 'Started HTTP server on [^ ]+:[0-9]+ \(tcp\)' "$OUT_DIR/conclave.log"
  }
  wait_until "$READY_TIMEOUT" "conclave's HTTP server" conclave_ready
  local port
  port=$(grep -oE 'Started HTTP server on [^ ]+:[0-9]+ \(tcp\)' "$OUT_DIR/conclave.log" | head -1 |
    sed -E 's/.*:([0-9]+) \(tcp\)/\1/')
  CONCLAVE_URL="http://127.0.0.1:$port"
  # A dev agent answers writes only once it has elected itself leader.
  conclave_writable() { [[ $(curl -s -X PUT --data-binary x "$CONCLAVE_URL/v1/kv/bench-ready" || true) == true ]]; }
  wait_until "$READY_TIMEOUT" "conclave to accept writes" conclave_writable
  echo "conclave pid $CONCLAVE_PID on $CONCLAVE_URL"
}

# ---------------------------------------------------------------- etcd
start_etcd() {
  local client_port peer_port
  client_port=$(free_port)
  peer_port=$(free_port)
  while [[ $peer_port == "$client_port" ]]; do peer_port=$(free_port); done
  ETCD_URL="http://127.0.0.1:$client_port"
  etcd --name default --data-dir "$WORK/etcd-data" \
    --listen-client-urls "$ETCD_URL" --advertise-client-urls "$ETCD_URL" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "default=http://127.0.0.1:$peer_port" \
    >"$OUT_DIR/etcd.log" 2>&1 &
  ETCD_PID=$!
  etcd_ready() {
    kill -0 "$ETCD_PID" 2>/dev/null || { echo "etcd exited:" >&2; tail -20 "$OUT_DIR/etcd.log" >&2; exit 1; }
    curl -s "$ETCD_URL/health" 2>/dev/null | grep -q '"health":"true"'
  }
  wait_until "$READY_TIMEOUT" "etcd health" etcd_ready
  echo "etcd pid $ETCD_PID on $ETCD_URL ($(etcd --version | head -1))"
}

check_conclave_key() {  # the last key must be there, with the 100-byte value
  [[ $(curl -s "$CONCLAVE_URL/v1/kv/bench/$((BENCH_KEYS - 1))?raw" | wc -c) -eq 100 ]]
}
check_etcd_key() {
  local key64
  key64=$(printf 'bench/%d' $((BENCH_KEYS - 1)) | base64 -w0)
  curl -s -X POST -d "{\"key\":\"$key64\"}" "$ETCD_URL/v3/kv/range" | grep -q '"count":"1"'
}

echo "raw output: $OUT_DIR"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
if want conclave; then start_conclave; fi
if want etcd; then start_etcd; fi
if want conclave; then
  preload conclave "$CONCLAVE_URL" "$BENCH_WRK_DIR/conclave.lua"
  check_conclave_key || echo "WARNING: conclave is missing preloaded key bench/$((BENCH_KEYS - 1))" >&2
fi
if want etcd; then
  preload etcd "$ETCD_URL" "$BENCH_WRK_DIR/etcd.lua"
  check_etcd_key || echo "WARNING: etcd is missing preloaded key bench/$((BENCH_KEYS - 1))" >&2
fi

declare -a ROWS=()
for op in $OPS; do
  for c in $CONNS; do
    echo "running $op c=$c (${DURATION}s each)"
    cres="- - - skipped"
    eres="- - - skipped"
    if want conclave; then
      cres=$(parse_wrk "$(run_wrk conclave "$op" "$c" "$CONCLAVE_URL" "$BENCH_WRK_DIR/conclave.lua" "$DURATION")")
    fi
    if want etcd; then
      eres=$(parse_wrk "$(run_wrk etcd "$op" "$c" "$ETCD_URL" "$BENCH_WRK_DIR/etcd.lua" "$DURATION")")
    fi
    ROWS+=("$op $c $cres $eres")
  done
done
CONCLAVE_PEAK_RSS=-
ETCD_PEAK_RSS=-
if want conclave; then CONCLAVE_PEAK_RSS=$(peak_rss "$CONCLAVE_PID"); fi
if want etcd; then ETCD_PEAK_RSS=$(peak_rss "$ETCD_PID"); fi

{
  echo
  echo "KV benchmark: ${DURATION}s per cell, $BENCH_KEYS keys, 100-byte values, wrk -t$WRK_THREADS, $(nproc) cores"
  echo "get = Conclave default consistency vs etcd linearizable; get-stale = Conclave ?stale vs etcd serializable"
  printf '%-10s %5s | %9s %8s %8s %-12s | %9s %8s %8s %-12s | %7s\n' \
    operation conns "conc r/s" "p50 ms" "p99 ms" "conc errors" "etcd r/s" "p50 ms" "p99 ms" "etcd errors" "ratio"
  printf '%.0s-' {1..118}
  echo
  for row in "${ROWS[@]}"; do
    read -r op c crps cp50 cp99 cerr erps ep50 ep99 eerr <<<"$row"
    ratio=$(awk -v a="$crps" -v b="$erps" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else print "-" }')
    printf '%-10s %5s | %9s %8s %8s %-12s | %9s %8s %8s %-12s | %7s\n' \
      "$op" "$c" "$crps" "$cp50" "$cp99" "$cerr" "$erps" "$ep50" "$ep99" "$eerr" "$ratio"
  done
  echo
  echo "conclave peak RSS (VmHWM): $CONCLAVE_PEAK_RSS   etcd peak RSS: $ETCD_PEAK_RSS"
  # Other work on the machine skews every figure: a load well above the core count means rerun.
  echo "load average before: $LOAD_BEFORE   after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "ratio = conclave req/s / etcd req/s; a cell with errors is not a valid measurement"
} | tee "$OUT_DIR/summary.txt"
