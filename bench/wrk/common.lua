-- Shared by conclave.lua and etcd.lua: key space, the 100-byte value, base64 and the preload walk.
-- Settings come from the environment (wrk passes no options to scripts before init):
--   BENCH_OP    put | get | get-stale | preload
--   BENCH_KEYS  number of keys (default 10000), named bench/0 … bench/<n-1>
local bit = require("bit")

bench = {}
bench.op = os.getenv("BENCH_OP") or "get"
bench.keys = tonumber(os.getenv("BENCH_KEYS") or "10000")
-- 100 printable bytes, so the Consul raw body and etcd's base64 carry the same payload size.
bench.value = string.sub(string.rep("0123456789abcdefghijklmnopqrstuvwxyz", 3), 1, 100)

local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
function bench.base64(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = string.byte(s, i, i + 2)
    local n = bit.bor(bit.lshift(a, 16), bit.lshift(b or 0, 8), c or 0)
    local chars = {}
    for j = 1, 4 do
      local idx = bit.band(bit.rshift(n, (4 - j) * 6), 63) + 1
      chars[j] = string.sub(alphabet, idx, idx)
    end
    if not b then chars[3] = "=" end
    if not c then chars[4] = "=" end
    out[#out + 1] = table.concat(chars)
  end
  return table.concat(out)
end

function bench.key(i)
  return "bench/" .. i
end

-- Pre-built requests (building one per call costs more than a fast server's reply).
local requests = {}
local next_preload = 0
local responses = 0

-- make(i) returns the raw HTTP request for key index i.
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

function bench.install(make)
  function init(args)
    math.randomseed(os.time() * 100 + (thread_id or 0))
    for i = 0, bench.keys - 1 do
      requests[i] = make(i)
    end
  end

  if bench.op == "preload" then
    -- Walk every key once in order (run it with -t1), then say so on stdout: wrk itself only
    -- stops at its deadline, so kv_bench.sh waits for this line and ends wrk with SIGINT.
    local failures = 0
    function request()
      local r = requests[next_preload % bench.keys]
      next_preload = next_preload + 1
      return r
    end
    function response(status, headers, body)
      responses = responses + 1
      if status < 200 or status > 299 then
        failures = failures + 1
      end
      if responses == bench.keys then
        io.write("PRELOAD DONE responses=" .. responses .. " failures=" .. failures .. "\n")
        io.flush()
        wrk.thread:stop()
      end
    end
  else
    function request()
      return requests[math.random(0, bench.keys - 1)]
    end
  end
end
