-- FerroHSM soak benchmark: every request comes from the next of many actors (one JWT
-- per line of TOKENS_FILE, each with its own `sub`) and works on the next of many keys
-- (one AES-256-GCM key id per line of KEYS_FILE). Every LIST_EVERY-th request lists the
-- next page of PER_PAGE keys (walking every page; 0 = never); of the others, two in three
-- encrypt 1 KiB with the next key and one in three reads the next key.
-- Usage: wrk ... -s soak.lua URL -- TOKENS_FILE KEYS_FILE BODY_FILE STEP LIST_EVERY PER_PAGE
--   STEP is the number of wrk threads (thread t sends requests t, t + STEP, ...).
-- done() prints the same "FERROHSM_WRK {json}" line as request.lua.

local threads = 0

function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

local function lines(path)
  local out = {}
  for line in io.lines(path) do
    if line ~= "" then out[#out + 1] = line end
  end
  return out
end

local tokens, keys, body
local step = 2
local list_every = 10
local per_page = 100
local n = 0

function init(args)
  tokens = lines(args[1])
  keys = lines(args[2])
  local f = assert(io.open(args[3], "rb"))
  body = f:read("*a")
  f:close()
  step = tonumber(args[4] or "2")
  list_every = tonumber(args[5] or "10")
  per_page = tonumber(args[6] or "100")
  n = tid
end

function request()
  local i = n
  n = n + step
  local token = tokens[(i % #tokens) + 1]
  local key = keys[(i % #keys) + 1]
  local headers = { ["Authorization"] = "Bearer " .. token }
  if list_every > 0 and i % list_every == list_every - 1 then
    local pages = math.ceil(#keys / per_page)
    local page = (math.floor(i / list_every) % pages) + 1
    return wrk.format("GET", "/api/v1/keys?per_page=" .. per_page .. "&page=" .. page, headers)
  elseif i % 3 == 2 then
    return wrk.format("GET", "/api/v1/keys/" .. key, headers)
  end
  headers["Content-Type"] = "application/json"
  return wrk.format("POST", "/api/v1/keys/" .. key .. "/encrypt", headers, body)
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
