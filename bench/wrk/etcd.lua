-- wrk script for etcd's v3 JSON gateway. See common.lua for BENCH_OP / BENCH_KEYS.
--   put, preload: POST /v3/kv/put   {"key": b64, "value": b64(100-byte value)}
--   get:          POST /v3/kv/range {"key": b64}                        (linearizable, the default)
--   get-stale:    POST /v3/kv/range {"key": b64, "serializable": true}  (local read, like ?stale)
local dir = os.getenv("BENCH_WRK_DIR") or "bench/wrk"
dofile(dir .. "/common.lua")

local value64 = bench.base64(bench.value)
local headers = { ["Content-Type"] = "application/json" }

bench.install(function(i)
  local key64 = bench.base64(bench.key(i))
  local body
  if bench.op == "put" or bench.op == "preload" then
    return wrk.format("POST", "/v3/kv/put", headers,
                      '{"key":"' .. key64 .. '","value":"' .. value64 .. '"}')
  elseif bench.op == "get-stale" then
    body = '{"key":"' .. key64 .. '","serializable":true}'
  else
    body = '{"key":"' .. key64 .. '"}'
  end
  return wrk.format("POST", "/v3/kv/range", headers, body)
end)
