#!/usr/bin/env bash
# The README's first command: install what is missing, build `conclave`, start a dev agent, load
# the example catalog and KV data from resources/examples/, and keep the agent in the foreground
# until Ctrl-C. Environment: CONCLAVE_HTTP_PORT (default 8500), CONCLAVE_DATA_DIR (default: a new
# temporary dir), BUILD_DIR (default build).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# shellcheck source=../.ci/deps.sh
source .ci/deps.sh
install_packages "${BUILD_PACKAGES[@]}"

BUILD_DIR=${BUILD_DIR:-build}
PORT=${CONCLAVE_HTTP_PORT:-8500}
# Same flags as .ci/run, so that running the tests afterwards reuses this build.
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCONCLAVE_WERROR=ON >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)" --target conclave
BIN=$BUILD_DIR/bin/conclave

DATA_DIR=${CONCLAVE_DATA_DIR:-$(mktemp -d /tmp/conclave-dev-XXXXXX)}
LOG=$DATA_DIR.log
echo "==> starting: $BIN agent -dev -http-port $PORT -data-dir $DATA_DIR   (log: $LOG)"
"$BIN" agent -dev -http-port "$PORT" -data-dir "$DATA_DIR" >"$LOG" 2>&1 &
AGENT=$!
trap 'kill -TERM "$AGENT" 2>/dev/null || true; wait "$AGENT" 2>/dev/null || true' EXIT INT TERM

# Wait for the agent's "Started HTTP server" line (poll with a deadline, no fixed sleep).
deadline=$((SECONDS + 20))
until grep -q 'Started HTTP server on' "$LOG"; do
  if ! kill -0 "$AGENT" 2>/dev/null; then cat "$LOG"; echo "==> the agent exited" >&2; exit 1; fi
  if ((SECONDS > deadline)); then cat "$LOG"; echo "==> the agent did not start in 20 s" >&2; exit 1; fi
  sleep 0.1
done
ADDR=http://127.0.0.1:$PORT

echo "==> loading resources/examples into the agent"
for f in resources/examples/node.json resources/examples/node2.json resources/examples/db.json; do
  curl -sf -X PUT --data @"$f" "$ADDR/v1/catalog/register" >/dev/null
done
"$BIN" kv import -http-addr="$ADDR" @resources/examples/kv.json
curl -sf -X PUT --data '{"Name":"api","Port":9000,"Tags":["v1"],"Check":{"TTL":"30s","Status":"passing"}}' \
  "$ADDR/v1/agent/service/register"

cat <<MSG

==> Conclave dev agent is up at $ADDR (data dir $DATA_DIR). Try:
    curl '$ADDR/v1/catalog/services'
    curl '$ADDR/v1/health/service/web?passing'
    curl '$ADDR/v1/kv/app/?recurse'
    $BIN kv get -recurse -http-addr=$ADDR app/
    $BIN catalog nodes -http-addr=$ADDR
==> Ctrl-C stops the agent. Agent log follows:

MSG
tail -n +1 -f "$LOG" --pid="$AGENT" &
wait "$AGENT"
