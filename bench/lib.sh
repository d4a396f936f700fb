# Shell helpers shared by the bench scripts (sourced, not run): process control, free ports,
# polling, and running and parsing wrk. Callers set OUT_DIR (raw outputs) and WRK_THREADS first.
# shellcheck shell=bash

# require_tools <tool…>: exits 2 naming the first missing one.
require_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install wrk etcd-server curl)" >&2; exit 2; }
  done
}

# The Debian etcd refuses to start on architectures it does not support officially.
etcd_arch_env() {
  case $(uname -m) in x86_64 | aarch64) ;; *) export ETCD_UNSUPPORTED_ARCH=$(dpkg --print-architecture 2>/dev/null || uname -m) ;; esac
}

# Stops only what this script started, by PID: SIGTERM, a bounded wait, then SIGKILL.
stop_pid() {
  local pid=$1
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 10))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  wait "$pid" 2>/dev/null || true
}

peak_rss() {  # VmHWM of a live process, e.g. "123456 kB"
  awk '/^VmHWM:/ {print $2 " " $3}' "/proc/$1/status" 2>/dev/null || echo "?"
}

# A port nobody uses right now (etcd needs explicit ports; Conclave takes 0). Picked below the
# kernel's ephemeral range, so that an outgoing connection cannot take it between the pick and
# the server's bind; `ss` (when present) also rules out ports held by any socket, not only listeners.
free_port() {
  local port lo=32768 hi=60999
  read -r lo hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
  local base=10000 span=$((lo - 10000))
  if ((span < 1000)); then base=$((hi + 1)) span=$((65535 - hi)); fi
  if ((span < 1000)); then base=20000 span=40000; fi
  for _ in $(seq 1 100); do
    port=$((base + RANDOM % span))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue
    if command -v ss >/dev/null && [[ -n $(ss -Htan "sport = :$port" 2>/dev/null) ]]; then continue; fi
    echo "$port"
    return 0
  done
  echo "no free port found" >&2
  return 1
}

# free_ports <n>: n distinct free ports, one per line.
free_ports() {
  local n=$1 port
  local -a got=()
  while ((${#got[@]} < n)); do
    port=$(free_port) || return 1
    [[ " ${got[*]} " == *" $port "* ]] || got+=("$port")
  done
  printf '%s\n' "${got[@]}"
}

# wait_until <seconds> <description> <command…>: polls the command until it succeeds.
wait_until() {
  local timeout=$1 what=$2
  shift 2
  local deadline=$((SECONDS + timeout))
  until "$@"; do
    if ((SECONDS >= deadline)); then
      echo "timed out after ${timeout}s waiting for $what" >&2
      return 1
    fi
    sleep 0.05
  done
}

# run_wrk <system> <op> <conns> <url> <script> <duration>: raw output to $OUT_DIR/<system>-<op>-c<conns>.txt;
# prints that file's name. <op> goes to the script as BENCH_OP.
run_wrk() {
  local system=$1 op=$2 conns=$3 url=$4 script=$5 duration=$6
  local threads=$WRK_THREADS
  ((threads > conns)) && threads=$conns
  local out=$OUT_DIR/$system-$op-c$conns.txt
  BENCH_OP=$op wrk -t"$threads" -c"$conns" -d"${duration}s" --timeout 10s --latency -s "$script" "$url" \
    >"$out" 2>&1 || echo "wrk exited non-zero for $system $op c$conns (see $out)" >&2
  echo "$out"
}

# Converts wrk's latency ("812.00us", "1.52ms", "2.00s", "1.00m") to milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
    printf "%.2f\n", n }'
}

# parse_wrk <file> → "req/s p50ms p99ms errors" (errors: "-" or e.g. "non2xx=12,timeout=3")
parse_wrk() {
  local f=$1 rps p50 p99 errs=""
  rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$f")
  p50=$(awk '$1 == "50%" {print $2}' "$f")
  p99=$(awk '$1 == "99%" {print $2}' "$f")
  local non2xx
  non2xx=$(awk -F: '/Non-2xx or 3xx responses/ {gsub(/ /, "", $2); print $2}' "$f")
  [[ -n $non2xx && $non2xx != 0 ]] && errs+="non2xx=$non2xx,"
  local sock
  sock=$(sed -nE 's/.*Socket errors: connect ([0-9]+), read ([0-9]+), write ([0-9]+), timeout ([0-9]+).*/connect=\1,read=\2,write=\3,timeout=\4/p' "$f")
  if [[ -n $sock ]]; then
    for kv in ${sock//,/ }; do [[ ${kv#*=} != 0 ]] && errs+="$kv,"; done
  fi
  [[ -z $rps ]] && errs+="no-result,"
  errs=${errs%,}
  echo "${rps:-0} $( [[ -n $p50 ]] && to_ms "$p50" || echo -) $( [[ -n $p99 ]] && to_ms "$p99" || echo -) ${errs:--}"
}

# preload <system> <url> <script>: writes bench/0 … bench/<BENCH_KEYS-1> once each with wrk.
preload() {
  local system=$1 url=$2 script=$3 out=$OUT_DIR/$1-preload.txt
  echo "preloading $BENCH_KEYS keys into $system"
  # One thread walks every key once and prints PRELOAD DONE; wrk only stops at its deadline, so
  # SIGINT (wrk then prints its summary) ends it as soon as the walk is done.
  BENCH_OP=preload wrk -t1 -c16 -d300s --timeout 10s -s "$script" "$url" >"$out" 2>&1 &
  local wrk_pid=$!
  preload_done() { grep -qs '^PRELOAD DONE' "$out" || ! kill -0 "$wrk_pid" 2>/dev/null; }
  wait_until 300 "$system preload" preload_done
  kill -INT "$wrk_pid" 2>/dev/null || true
  wait "$wrk_pid" 2>/dev/null || true
  local done_line
  done_line=$(grep -s '^PRELOAD DONE' "$out" || true)
  if [[ -z $done_line ]]; then
    echo "WARNING: $system preload did not finish (see $out)" >&2
  elif [[ $done_line != *" failures=0" ]]; then
    echo "WARNING: $system preload: $done_line" >&2
  fi
}

# stop_pids <pid…>: like stop_pid for several at once (SIGTERM to all, one bounded wait, then
# SIGKILL), so servers of one cluster shut down together rather than losing quorum one by one.
stop_pids() {
  local pid live=()
  for pid in "$@"; do
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && live+=("$pid")
  done
  ((${#live[@]})) || return 0
  kill -TERM "${live[@]}" 2>/dev/null || true
  local deadline=$((SECONDS + 10)) any
  while ((SECONDS < deadline)); do
    any=0
    for pid in "${live[@]}"; do kill -0 "$pid" 2>/dev/null && any=1; done
    ((any)) || break
    sleep 0.1
  done
  for pid in "${live[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
    wait "$pid" 2>/dev/null || true
  done
}
