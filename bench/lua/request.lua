-- FerroHSM HTTP benchmark: one fixed request, sent over and over.
-- Usage: wrk ... -s request.lua URL -- METHOD PATH TOKEN_FILE BODY_FILE
--   TOKEN_FILE / BODY_FILE may be "-" for none. The token is read from a file (not argv)
--   so it does not show in the process list.
-- done() prints one line "FERROHSM_WRK {json}" with the counts and latency percentiles
-- (microseconds) that bench/http.ts parses.

local function slurp(path)
  if path == nil or path == "-" or path == "" then return nil end
  local f = assert(io.open(path, "rb"))
  local text = f:read("*a")
  f:close()
  return text
end

local req

function init(args)
  local method, path = args[1], args[2]
  local token = slurp(args[3])
  local body = slurp(args[4])
  local headers = {}
  if token ~= nil then headers["Authorization"] = "Bearer " .. token:gsub("%s+$", "") end
  if body ~= nil then headers["Content-Type"] = "application/json" end
  req = wrk.format(method, path, headers, body)
end

function request()
  return req
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
