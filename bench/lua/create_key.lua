-- FerroHSM HTTP benchmark: POST /api/v1/keys with a unique name per request
-- ("bench-<thread>-<n>"), so every request creates a new key.
-- Usage: wrk ... -s create_key.lua URL -- TOKEN_FILE ALGORITHM
-- done() prints the same "FERROHSM_WRK {json}" line as request.lua.

local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local headers = { ["Content-Type"] = "application/json" }
local algorithm
local n = 0

function init(args)
  local f = assert(io.open(args[1], "rb"))
  headers["Authorization"] = "Bearer " .. f:read("*a"):gsub("%s+$", "")
  f:close()
  algorithm = args[2] or "EC-P256"
end

function request()
  n = n + 1
  local body = string.format('{"name":"bench-%d-%d","algorithm":"%s"}', tid, n, algorithm)
  return wrk.format("POST", "/api/v1/keys", headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'FERROHSM_WRK {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d,"mean":%.1f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean))
end
