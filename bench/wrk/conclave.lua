-- wrk script for Conclave (Consul KV API). See common.lua for BENCH_OP / BENCH_KEYS.
--   put, preload: PUT /v1/kv/bench/<n> with the 100-byte value as the raw body (reply: true)
--   get:          GET /v1/kv/bench/<n>          (Consul's default consistency)
--   get-stale:    GET /v1/kv/bench/<n>?stale    (any server answers from its own state)
local dir = os.getenv("BENCH_WRK_DIR") or "bench/wrk"
dofile(dir .. "/common.lua")

bench.install(function(i)
  local path = "/v1/kv/" .. bench.key(i)
  if bench.op == "put" or bench.op == "preload" then
    return wrk.format("PUT", path, nil, bench.value)
  elseif bench.op == "get-stale" then
    return wrk.format("GET", path .. "?stale")
  end
  return wrk.format("GET", path)
end)
