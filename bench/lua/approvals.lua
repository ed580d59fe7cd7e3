-- wrk: POST /api/v1/claims/<id>/approve over a range of pending claim ids, each id once.
-- The ids come from the environment: APPROVE_FIRST and APPROVE_LAST; threads split the range.
local first = tonumber(os.getenv("APPROVE_FIRST"))
local last = tonumber(os.getenv("APPROVE_LAST"))
local threads = {}
local counter = 0

setup = function(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

init = function(args)
  next_id = first + id
  step = #threads > 0 and #threads or 2
end

request = function()
  local claim = next_id
  next_id = next_id + 2  -- two wrk threads interleave the ids
  if claim > last then claim = last end
  return wrk.format("POST", "/api/v1/claims/" .. claim .. "/approve", nil, "{}")
end

done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "errors": %d, "non_2xx": %d, '
    .. '"p50_us": %d, "p95_us": %d, "p99_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, errors, summary.errors.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean))
end
