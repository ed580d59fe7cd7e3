-- wrk: POST /api/v1/claims/<id>/approve, each pending claim once.
-- APPROVE_IDS holds the pending claim ids (comma-separated); the two threads interleave them.
local ids = {}
for value in string.gmatch(os.getenv("APPROVE_IDS") or "", "[^,]+") do
  table.insert(ids, value)
end
local counter = 0

setup = function(thread)
  thread:set("offset", counter)
  counter = counter + 1
end

init = function(args)
  position = offset + 1
end

request = function()
  local claim = ids[position] or ids[#ids]
  position = position + 2
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
