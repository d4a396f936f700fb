#!/usr/bin/env bash
# Raft clusters (issue #4): a 3-server Conclave cluster against a 3-member etcd 3.4 cluster, all on
# 127.0.0.1, in one run: KV throughput and latency with the same wrk load against each leader,
# leader failover time (SIGKILL the leader, time to the first acknowledged write on a survivor),
# optionally leader/term stability while idle, and each server's peak RSS.
# Usage: bench/raft_bench.sh <path-to-conclave> [duration-seconds per cell, default 10]
# Environment: BENCH_OPS ("put get-consistent get-stale"; "get" = Conclave's default consistency),
#              BENCH_PUT_CONNS ("1 16 64"), BENCH_GET_CONNS ("1 16 64"), BENCH_KEYS (10000),
#              WRK_THREADS (1), BENCH_SYSTEMS ("conclave etcd"; "etcd" alone: pass "-" as the path),
#              BENCH_FAILOVER_TRIALS (10; 0 skips), BENCH_POLL_MS (20), BENCH_POLL_TIMEOUT (0.5 s),
#              BENCH_IDLE_SECONDS (0 = skip the idle check),
#              BENCH_CONCLAVE_ARGS (extra flags for every Conclave agent, e.g. "-config-file x.json").
# Prints figures only; it never passes or fails on speed. Raw outputs and logs go to bench/out/.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 <path-to-conclave> [duration-seconds]" >&2
  exit 2
fi
CONCLAVE=$1
SYSTEMS=${BENCH_SYSTEMS:-"conclave etcd"}
want() { [[ " $SYSTEMS " == *" $1 "* ]]; }
DURATION=${2:-10}
OPS=${BENCH_OPS:-"put get-consistent get-stale"}
PUT_CONNS=${BENCH_PUT_CONNS:-"1 16 64"}
GET_CONNS=${BENCH_GET_CONNS:-"1 16 64"}
export BENCH_KEYS=${BENCH_KEYS:-10000}
WRK_THREADS=${WRK_THREADS:-1}
TRIALS=${BENCH_FAILOVER_TRIALS:-10}
POLL_MS=${BENCH_POLL_MS:-20}
POLL_TIMEOUT=${BENCH_POLL_TIMEOUT:-0.5}
IDLE_SECONDS=${BENCH_IDLE_SECONDS:-0}
read -ra CONCLAVE_EXTRA <<<"${BENCH_CONCLAVE_ARGS:-}"
POLL_SLEEP=$(awk -v ms="$POLL_MS" 'BEGIN { printf "%.3f", ms / 1000 }')
READY_TIMEOUT=60     # seconds for a cluster to elect a leader and accept a write
FAILOVER_TIMEOUT=30  # seconds after the kill before a trial counts as failed
REJOIN_TIMEOUT=60    # seconds for a restarted member to catch up
N=3                  # servers per cluster

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT_DIR=$BENCH_DIR/out/raft-$(date +%Y%m%d-%H%M%S)
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
WORK=$(mktemp -d /tmp/raft_bench.XXXXXX)
# Index 1..3: Conclave s1..s3 (C_*) and etcd e1..e3 (E_*).
declare -a C_PID=() C_SPORT=() C_HPORT=() E_PID=() E_CPORT=() E_PPORT=() E_ID=()
declare -A RSS_MAX=()  # "s1"/"e1" → highest VmHWM (kB) seen over all of that member's processes

cleanup() {
  stop_pids "${C_PID[@]}"
  stop_pids "${E_PID[@]}"
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_us() { local t=${EPOCHREALTIME/[.,]/}; echo "$((10#$t))"; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
rss_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null || true; }
note_rss() {  # note_rss <member name> <pid>: keeps the highest VmHWM seen for the member
  local kb
  kb=$(rss_kb "$2")
  [[ -n $kb ]] || return 0
  local cur=${RSS_MAX[$1]:-0}
  if ((kb > cur)); then RSS_MAX[$1]=$kb; fi
}
alive() { [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null; }
# json_field <name>: the first "name":"value" or "name":value in stdin's JSON, without quotes.
json_field() { { tr -d '\n' | grep -oE "\"$1\" *: *(\"[^\"]*\"|[^,}]*)" | head -1 | sed -E 's/^[^:]*: *//; s/^"//; s/"$//'; } || true; }
# median/min/max of the numbers on stdin: "median min max count"
stats() { sort -n | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "- - - 0"; exit }
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%.0f %d %d %d\n", m, v[1], v[NR], NR }'; }

mapfile -t PORTS < <(free_ports $((4 * N)))
((${#PORTS[@]} == 4 * N)) || { echo "could not find $((4 * N)) free ports" >&2; exit 1; }
for i in $(seq 1 $N); do
  C_SPORT[i]=${PORTS[i - 1]}
  C_HPORT[i]=${PORTS[N + i - 1]}
  E_CPORT[i]=${PORTS[2 * N + i - 1]}
  E_PPORT[i]=${PORTS[3 * N + i - 1]}
done

# ---------------------------------------------------------------- Conclave cluster
c_url() { echo "http://127.0.0.1:${C_HPORT[$1]}"; }

# start_conclave_member <i> <log tag>: the same command line on first start and on restart.
start_conclave_member() {
  local i=$1 tag=$2 j
  local -a joins=()
  for j in $(seq 1 $N); do
    ((j == i)) || joins+=(-retry-join "127.0.0.1:${C_SPORT[j]}")
  done
  mkdir -p "$WORK/conclave/s$i"
  "$CONCLAVE" agent -server -bootstrap-expect $N -node "s$i" -data-dir "$WORK/conclave/s$i" \
    -bind 127.0.0.1 -server-port "${C_SPORT[i]}" -http-port "${C_HPORT[i]}" \
    -dns-port 0 -serf-lan-port 0 -serf-wan-port 0 "${joins[@]}" ${CONCLAVE_EXTRA[@]+"${CONCLAVE_EXTRA[@]}"} \
    >"$OUT_DIR/conclave-s$i-$tag.log" 2>&1 &
  C_PID[i]=$!
}

# The member index (1..3) that member i names as leader, or nothing.
conclave_leader_seen_by() {
  local addr j
  addr=$(curl -s -m 1 "$(c_url "$1")/v1/status/leader" 2>/dev/null | tr -d '"\r\n ' || true)
  for j in $(seq 1 $N); do
    if [[ $addr == "127.0.0.1:${C_SPORT[j]}" ]]; then echo "$j"; return 0; fi
  done
}

# Prints the leader's index if every live member names the same live leader.
conclave_agreed_leader() {
  local i l first=""
  for i in $(seq 1 $N); do
    alive "${C_PID[i]:-}" || continue
    l=$(conclave_leader_seen_by "$i")
    [[ -n $l ]] || return 1
    if [[ -z $first ]]; then first=$l; elif [[ $l != "$first" ]]; then return 1; fi
  done
  [[ -n $first ]] && alive "${C_PID[first]}" || return 1
  echo "$first"
}
conclave_has_leader() { conclave_agreed_leader >/dev/null; }

conclave_put() {  # conclave_put <i> <key> <value>: true if member i acknowledged the write
  [[ $(curl -s -m "${4:-2}" -X PUT --data-binary "$3" "$(c_url "$1")/v1/kv/$2" 2>/dev/null || true) == true ]]
}

start_conclave() {
  local i
  for i in $(seq 1 $N); do start_conclave_member "$i" start; done
  for i in $(seq 1 $N); do
    c_http_up() {
      alive "${C_PID[$1]}" || { echo "conclave s$1 exited:" >&2; tail -20 "$OUT_DIR/conclave-s$1-start.log" >&2; exit 1; }
      grep -qsE 'Started HTTP server on [^ ]+:[0-9]+ \(tcp\)' "$OUT_DIR/conclave-s$1-start.log"
    }
    wait_until "$READY_TIMEOUT" "conclave s$i's HTTP server" c_http_up "$i"
  done
  c_leader_writable() {
    local l
    l=$(conclave_agreed_leader) || return 1
    conclave_put "$l" bench-ready x
  }
  wait_until "$READY_TIMEOUT" "the conclave cluster to elect a leader and accept a write" c_leader_writable
  echo "conclave s1..s3 pids ${C_PID[*]}, HTTP ports ${C_HPORT[*]}, server ports ${C_SPORT[*]}; leader s$(conclave_agreed_leader)"
}

# ---------------------------------------------------------------- etcd cluster
e_url() { echo "http://127.0.0.1:${E_CPORT[$1]}"; }
e_b64() { printf '%s' "$1" | base64 -w0; }

start_etcd_member() {
  local i=$1 tag=$2 j cluster=""
  for j in $(seq 1 $N); do cluster+="${cluster:+,}e$j=http://127.0.0.1:${E_PPORT[j]}"; done
  # On a restart the data dir holds the membership; the --initial-* flags are then ignored.
  etcd --name "e$i" --data-dir "$WORK/etcd/e$i" \
    --listen-client-urls "$(e_url "$i")" --advertise-client-urls "$(e_url "$i")" \
    --listen-peer-urls "http://127.0.0.1:${E_PPORT[i]}" \
    --initial-advertise-peer-urls "http://127.0.0.1:${E_PPORT[i]}" \
    --initial-cluster "$cluster" --initial-cluster-state new --initial-cluster-token raft-bench \
    >"$OUT_DIR/etcd-e$i-$tag.log" 2>&1 &
  E_PID[i]=$!
}

etcd_status() { curl -s -m 1 -X POST -d '{}' "$(e_url "$1")/v3/maintenance/status" 2>/dev/null || true; }

etcd_index_of_id() {
  local j
  for j in $(seq 1 $N); do
    if [[ -n ${E_ID[j]:-} && ${E_ID[j]} == "$1" ]]; then echo "$j"; return 0; fi
  done
}

etcd_agreed_leader() {
  local i st l first=""
  for i in $(seq 1 $N); do
    alive "${E_PID[i]:-}" || continue
    st=$(etcd_status "$i")
    [[ -n $st ]] || return 1
    [[ -n ${E_ID[i]:-} ]] || E_ID[i]=$(json_field member_id <<<"$st")
    l=$(json_field leader <<<"$st")
    [[ -n $l && $l != 0 ]] || return 1
    if [[ -z $first ]]; then first=$l; elif [[ $l != "$first" ]]; then return 1; fi
  done
  l=$(etcd_index_of_id "$first")
  [[ -n $l ]] && alive "${E_PID[l]}" || return 1
  echo "$l"
}
etcd_has_leader() { etcd_agreed_leader >/dev/null; }

etcd_put() {  # etcd_put <i> <key> <value>: true if member i answered 200
  local body
  body="{\"key\":\"$(e_b64 "$2")\",\"value\":\"$(e_b64 "$3")\"}"
  [[ $(curl -s -m "${4:-2}" -o /dev/null -w '%{http_code}' -X POST -d "$body" "$(e_url "$1")/v3/kv/put" 2>/dev/null || true) == 200 ]]
}

start_etcd() {
  local i
  for i in $(seq 1 $N); do start_etcd_member "$i" start; done
  e_all_ids() {
    local i st
    for i in $(seq 1 $N); do
      alive "${E_PID[i]}" || { echo "etcd e$i exited:" >&2; tail -20 "$OUT_DIR/etcd-e$i-start.log" >&2; exit 1; }
      st=$(etcd_status "$i")
      E_ID[i]=$(json_field member_id <<<"$st")
      [[ -n ${E_ID[i]} ]] || return 1
    done
  }
  wait_until "$READY_TIMEOUT" "the etcd members to answer" e_all_ids
  e_leader_writable() {
    local l
    l=$(etcd_agreed_leader) || return 1
    etcd_put "$l" bench-ready x
  }
  wait_until "$READY_TIMEOUT" "the etcd cluster to elect a leader and accept a write" e_leader_writable
  echo "etcd e1..e3 pids ${E_PID[*]}, client ports ${E_CPORT[*]}; leader e$(etcd_agreed_leader) ($(etcd --version | head -1))"
}

# ---------------------------------------------------------------- load cells
# Conclave ?consistent reads: common.lua's key space and request table, one more query flag.
CONSISTENT_LUA=$WORK/conclave-consistent.lua
cat >"$CONSISTENT_LUA" <<'LUA'
local dir = os.getenv("BENCH_WRK_DIR") or "bench/wrk"
dofile(dir .. "/common.lua")
bench.install(function(i)
  return wrk.format("GET", "/v1/kv/" .. bench.key(i) .. "?consistent")
end)
LUA

conclave_script() { if [[ $1 == get-consistent ]]; then echo "$CONSISTENT_LUA"; else echo "$BENCH_WRK_DIR/conclave.lua"; fi; }
# etcd.lua: put; get-stale = serializable range; anything else (get, get-consistent) = linearizable.

declare -a NOTES=()
C_LEADER=""
E_LEADER=""
# Each cell goes to the current leader; a leader that moved under load is worth a note.
current_leaders() {
  local l
  if want conclave; then
    l=$(conclave_agreed_leader || true)
    if [[ -n $l && -n $C_LEADER && $l != "$C_LEADER" ]]; then NOTES+=("conclave leader moved s$C_LEADER -> s$l before $1"); fi
    [[ -n $l ]] || NOTES+=("conclave: no agreed leader before $1 (using s${C_LEADER:-?})")
    C_LEADER=${l:-$C_LEADER}
  fi
  if want etcd; then
    l=$(etcd_agreed_leader || true)
    if [[ -n $l && -n $E_LEADER && $l != "$E_LEADER" ]]; then NOTES+=("etcd leader moved e$E_LEADER -> e$l before $1"); fi
    [[ -n $l ]] || NOTES+=("etcd: no agreed leader before $1 (using e${E_LEADER:-?})")
    E_LEADER=${l:-$E_LEADER}
  fi
}

# ---------------------------------------------------------------- failover
declare -A FO_MS=() FO_DESC=()  # "<system>:<trial>" → ms (or "fail"), "s1->s3 via s2"

# conclave_rejoined <i> <token>: member i is back, names the same leader as the others and has
# applied a write made after its restart.
conclave_rejoined() {
  local i=$1 token=$2 l
  alive "${C_PID[i]}" || return 1
  l=$(conclave_agreed_leader) || return 1
  [[ $(curl -s -m 1 "$(c_url "$i")/v1/kv/bench-rejoin/$token?stale&raw" 2>/dev/null || true) == "$token" ]] && return 0
  # Not there yet: (re)write it through the leader; harmless if it was already written.
  conclave_put "$l" "bench-rejoin/$token" "$token" 1 || true
  return 1
}

etcd_rejoined() {
  local i=$1 token=$2 l body
  alive "${E_PID[i]}" || return 1
  l=$(etcd_agreed_leader) || return 1
  body="{\"key\":\"$(e_b64 "bench-rejoin/$token")\",\"serializable\":true}"
  curl -s -m 1 -X POST -d "$body" "$(e_url "$i")/v3/kv/range" 2>/dev/null | grep -q "\"value\":\"$(e_b64 "$token")\"" && return 0
  etcd_put "$l" "bench-rejoin/$token" "$token" 1 || true
  return 1
}

# failover_trial <conclave|etcd> <trial>: SIGKILL the leader, send the survivors (alternately) a
# write every POLL_MS until one is acknowledged, then restart the killed member on its data dir
# and wait until it rejoined. Returns 1 if the cluster could not be brought back.
failover_trial() {
  local sys=$1 t=$2 p=s leader pid j k=0 ok=0 t0 t1 ms via="" new
  [[ $sys == etcd ]] && p=e
  local -a surv=()
  if [[ $sys == conclave ]]; then
    wait_until "$READY_TIMEOUT" "a conclave leader" conclave_has_leader || return 1
    leader=$(conclave_agreed_leader) || return 1
    pid=${C_PID[leader]}
  else
    wait_until "$READY_TIMEOUT" "an etcd leader" etcd_has_leader || return 1
    leader=$(etcd_agreed_leader) || return 1
    pid=${E_PID[leader]}
  fi
  for j in $(seq 1 $N); do ((j == leader)) || surv+=("$j"); done
  note_rss "$p$leader" "$pid"
  t0=$(now_us)
  kill -KILL "$pid"
  wait "$pid" 2>/dev/null || true
  # A new attempt every POLL_MS, without waiting for earlier ones (a write sent while the
  # survivors still trust the dead leader may hang until its timeout, even after a new leader is
  # up); each attempt that is acknowledged leaves its arrival time in a file.
  local pdir=$WORK/poll-$sys-$t f v
  local -a polls=()
  mkdir -p "$pdir"
  while :; do
    j=${surv[k % ${#surv[@]}]}
    k=$((k + 1))
    if [[ $sys == conclave ]]; then
      (conclave_put "$j" "bench-failover/$t" "$t" "$POLL_TIMEOUT" && now_us >"$pdir/ack.$k.$j") &
    else
      (etcd_put "$j" "bench-failover/$t" "$t" "$POLL_TIMEOUT" && now_us >"$pdir/ack.$k.$j") &
    fi
    polls+=("$!")
    sleep "$POLL_SLEEP"
    if compgen -G "$pdir/ack.*" >/dev/null; then ok=1; break; fi
    (((($(now_us) - t0) / 1000000) >= FAILOVER_TIMEOUT)) && break
  done
  wait "${polls[@]}" 2>/dev/null || true  # each ends within POLL_TIMEOUT
  t1=$(now_us)
  if ((ok)); then  # the earliest acknowledgement, and which attempt it was
    for f in "$pdir"/ack.*; do
      v=$(<"$f")
      if [[ -n $v ]] && ((v < t1)); then
        t1=$v
        via=${f##*.}
        k=${f#"$pdir"/ack.}
        k=${k%.*}
      fi
    done
  fi
  ms=$(((t1 - t0) / 1000))
  if [[ $sys == conclave ]]; then new=$(conclave_agreed_leader || true); else new=$(etcd_agreed_leader || true); fi
  if ((ok)); then
    FO_MS[$sys:$t]=$ms
    FO_DESC[$sys:$t]="$p$leader->$p${new:-?} ack via $p$via, attempt $k"
  else
    FO_MS[$sys:$t]=fail
    FO_DESC[$sys:$t]="$p$leader killed, no write acknowledged within ${FAILOVER_TIMEOUT}s ($k attempts)"
  fi
  echo "  $sys trial $t: ${FO_MS[$sys:$t]} ms (${FO_DESC[$sys:$t]})"
  # Bring the killed member back on its data dir and wait until it has caught up.
  local token="t$t-$RANDOM" r0
  r0=$(now_us)
  if [[ $sys == conclave ]]; then
    start_conclave_member "$leader" "restart$t"
    wait_until "$REJOIN_TIMEOUT" "s$leader to rejoin" conclave_rejoined "$leader" "$token" || return 1
  else
    start_etcd_member "$leader" "restart$t"
    wait_until "$REJOIN_TIMEOUT" "e$leader to rejoin" etcd_rejoined "$leader" "$token" || return 1
  fi
  FO_DESC[$sys:$t]+=", rejoined in $((($(now_us) - r0) / 1000)) ms"
}

run_failover() {
  local sys=$1 t
  echo "failover: $sys, $TRIALS trials"
  for t in $(seq 1 "$TRIALS"); do
    if ! failover_trial "$sys" "$t"; then
      NOTES+=("$sys failover stopped after trial $t: the cluster did not recover (see $OUT_DIR/$sys-*-restart$t.log)")
      return 0
    fi
  done
}

# ---------------------------------------------------------------- idle stability
# One line per cluster: "leader=<name> id=<id> terms=<t1>/<t2>/<t3>" as every member sees it.
conclave_idle_sample() {
  local i leaders="" terms="" id
  for i in $(seq 1 $N); do
    leaders+="${leaders:+/}s$(conclave_leader_seen_by "$i")"
    terms+="${terms:+/}$(curl -s -m 1 "$(c_url "$i")/v1/agent/self" 2>/dev/null | grep -oE '"term" *: *"[0-9]+"' | grep -oE '[0-9]+' || echo '?')"
  done
  id=$(curl -s -m 1 "$(c_url 1)/v1/operator/raft/configuration" 2>/dev/null | tr -d '\n ' | sed 's/},{/}\n{/g' |
    grep '"Leader":true' | grep -oE '"ID":"[^"]*"' | cut -d'"' -f4 || true)
  echo "leaders=$leaders id=${id:-?} terms=$terms"
}
etcd_idle_sample() {
  local i st leaders="" terms="" l id=""
  for i in $(seq 1 $N); do
    st=$(etcd_status "$i")
    l=$(json_field leader <<<"$st")
    id=${l:-$id}
    leaders+="${leaders:+/}e$(etcd_index_of_id "$l")"
    terms+="${terms:+/}$(json_field raftTerm <<<"$st")"
  done
  echo "leaders=$leaders id=${id:-?} terms=$terms"
}
declare -a IDLE_LINES=()
idle_check() {
  local sys before after
  echo "idle check: ${IDLE_SECONDS}s without load"
  local -A start=()
  for sys in conclave etcd; do want "$sys" && start[$sys]=$("${sys}_idle_sample"); done
  sleep "$IDLE_SECONDS"
  for sys in conclave etcd; do
    want "$sys" || continue
    before=${start[$sys]}
    after=$("${sys}_idle_sample")
    local verdict="leader and term unchanged"
    [[ $before == "$after" ]] || verdict="CHANGED"
    IDLE_LINES+=("$(printf '%-9s start: %s\n%-9s end:   %s  -> %s' "$sys" "$before" "" "$after" "$verdict")")
  done
}

# ---------------------------------------------------------------- run
echo "raw output: $OUT_DIR"
LOAD_BEFORE=$(loadavg)
if want conclave; then start_conclave; fi
if want etcd; then start_etcd; fi
current_leaders "preload"
if want conclave; then
  preload conclave "$(c_url "$C_LEADER")" "$BENCH_WRK_DIR/conclave.lua"
  [[ $(curl -s "$(c_url "$C_LEADER")/v1/kv/bench/$((BENCH_KEYS - 1))?raw" | wc -c) -eq 100 ]] ||
    echo "WARNING: conclave is missing preloaded key bench/$((BENCH_KEYS - 1))" >&2
fi
if want etcd; then
  preload etcd "$(e_url "$E_LEADER")" "$BENCH_WRK_DIR/etcd.lua"
  curl -s -X POST -d "{\"key\":\"$(e_b64 "bench/$((BENCH_KEYS - 1))")\"}" "$(e_url "$E_LEADER")/v3/kv/range" | grep -q '"count":"1"' ||
    echo "WARNING: etcd is missing preloaded key bench/$((BENCH_KEYS - 1))" >&2
fi

declare -a ROWS=()
for op in $OPS; do
  conns=$GET_CONNS
  [[ $op == put ]] && conns=$PUT_CONNS
  for c in $conns; do
    current_leaders "$op c=$c"
    echo "running $op c=$c (${DURATION}s each; leaders${C_LEADER:+ s$C_LEADER}${E_LEADER:+ e$E_LEADER})"
    cres="- - - skipped"
    eres="- - - skipped"
    if want conclave; then
      cres=$(parse_wrk "$(run_wrk conclave "$op" "$c" "$(c_url "$C_LEADER")" "$(conclave_script "$op")" "$DURATION")")
    fi
    if want etcd; then
      eres=$(parse_wrk "$(run_wrk etcd "$op" "$c" "$(e_url "$E_LEADER")" "$BENCH_WRK_DIR/etcd.lua" "$DURATION")")
    fi
    ROWS+=("$op $c $cres $eres")
  done
done
LOAD_AFTER_CELLS=$(loadavg)
declare -A RSS_LOAD=()
for i in $(seq 1 $N); do
  if want conclave; then RSS_LOAD[s$i]=$(rss_kb "${C_PID[i]}"); note_rss "s$i" "${C_PID[i]}"; fi
  if want etcd; then RSS_LOAD[e$i]=$(rss_kb "${E_PID[i]}"); note_rss "e$i" "${E_PID[i]}"; fi
done

if ((TRIALS > 0)); then
  for sys in conclave etcd; do want "$sys" && run_failover "$sys"; done
fi
if ((IDLE_SECONDS > 0)); then idle_check; fi
for i in $(seq 1 $N); do
  if want conclave; then note_rss "s$i" "${C_PID[i]}"; fi
  if want etcd; then note_rss "e$i" "${E_PID[i]}"; fi
done

{
  echo
  echo "Raft cluster benchmark: 3 Conclave servers vs 3 etcd members on 127.0.0.1, $(nproc) cores"
  echo "${DURATION}s per cell against each leader, $BENCH_KEYS keys, 100-byte values, wrk -t$WRK_THREADS"
  echo "get-consistent = Conclave ?consistent vs etcd linearizable; get-stale = Conclave ?stale vs etcd serializable"
  printf '%-14s %5s | %9s %8s %8s %-12s | %9s %8s %8s %-12s | %7s\n' \
    operation conns "conc r/s" "p50 ms" "p99 ms" "conc errors" "etcd r/s" "p50 ms" "p99 ms" "etcd errors" "ratio"
  printf '%.0s-' {1..122}
  echo
  for row in "${ROWS[@]}"; do
    read -r op c crps cp50 cp99 cerr erps ep50 ep99 eerr <<<"$row"
    ratio=$(awk -v a="$crps" -v b="$erps" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else print "-" }')
    printf '%-14s %5s | %9s %8s %8s %-12s | %9s %8s %8s %-12s | %7s\n' \
      "$op" "$c" "$crps" "$cp50" "$cp99" "$cerr" "$erps" "$ep50" "$ep99" "$eerr" "$ratio"
  done
  echo "ratio = conclave req/s / etcd req/s; a cell with errors is not a valid measurement"
  if ((TRIALS > 0)); then
    echo
    echo "Failover: SIGKILL the leader -> first acknowledged write on a survivor (polled every ${POLL_MS} ms, ${POLL_TIMEOUT} s timeout)"
    printf '%5s | %8s  %-52s | %8s  %-52s\n' trial "conc ms" "conclave" "etcd ms" "etcd"
    for t in $(seq 1 "$TRIALS"); do
      printf '%5s | %8s  %-52s | %8s  %-52s\n' "$t" "${FO_MS[conclave:$t]:--}" "${FO_DESC[conclave:$t]:-}" \
        "${FO_MS[etcd:$t]:--}" "${FO_DESC[etcd:$t]:-}"
    done
    for sys in conclave etcd; do
      want "$sys" || continue
      fails=0
      vals=""
      for t in $(seq 1 "$TRIALS"); do
        v=${FO_MS[$sys:$t]:-}
        if [[ $v == fail || -z $v ]]; then fails=$((fails + 1)); else vals+="$v"$'\n'; fi
      done
      read -r med mn mx cnt < <(printf '%s' "$vals" | grep . | stats || echo "- - - 0")
      printf '%-9s failover: median %s ms, min %s ms, max %s ms over %s trials (%s failed or not run)\n' \
        "$sys" "$med" "$mn" "$mx" "$cnt" "$fails"
    done
  fi
  if ((${#IDLE_LINES[@]})); then
    echo
    echo "Idle stability over ${IDLE_SECONDS}s (leader as each member sees it, leader ID, term on each member):"
    printf '%s\n' "${IDLE_LINES[@]}"
  fi
  echo
  echo "Peak RSS (VmHWM, kB) after the load cells / highest over the run including restarted processes:"
  for i in $(seq 1 $N); do
    line=""
    if want conclave; then line+=$(printf 's%d %7s / %7s   ' "$i" "${RSS_LOAD[s$i]:-?}" "${RSS_MAX[s$i]:-?}"); fi
    if want etcd; then line+=$(printf 'e%d %7s / %7s' "$i" "${RSS_LOAD[e$i]:-?}" "${RSS_MAX[e$i]:-?}"); fi
    echo "  $line"
  done
  # Other work on the machine skews every figure: a load well above the core count means rerun.
  echo "load average before: $LOAD_BEFORE   after the load cells: $LOAD_AFTER_CELLS   at the end: $(loadavg)"
  if ((${#NOTES[@]})); then
    echo
    echo "Notes:"
    printf '  %s\n' "${NOTES[@]}"
  fi
} | tee "$OUT_DIR/summary.txt"
