-- wrk: POST /api/v1/claims/<id>/approve, each pending claim once.
-- APPROVE_IDS holds the pending claim ids (comma-separated); the two threads interleave them.
local ids = {}
for value in string.gmatch(os.getenv("APPROVE_IDS") or "", "[^,]+") do
  table.insert(ids, value)
end
local counter = 0
local threads = {}

setup = function(thread)
  thread:set("offset", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

init = function(args)
  position = offset + 1
  refused = 0 -- 409: a firm's cap used up (a right answer, not an approval)
  failed = 0 -- any other status of 400 or more
end

response = function(status, headers, body)
  if status == 409 then
    refused = refused + 1
  elseif status >= 400 then
    failed = failed + 1
  end
end

request = function()
  local claim = ids[position] or ids[#ids]
  position = position + 2
  return wrk.format("POST", "/api/v1/claims/" .. claim .. "/approve", nil, "{}")
end

done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout
  local refused, failed = 0, 0
  for _, thread in ipairs(threads) do
    refused = refused + thread:get("refused")
    failed = failed + thread:get("failed")
  end
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "errors": %d, "non_2xx": %d, '
    .. '"refused": %d, "failed": %d, '
    .. '"p50_us": %d, "p95_us": %d, "p99_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, errors, summary.errors.status, refused, failed,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean))
end
