-- wrk script for `POST /video/{hash_id}/views`: every request is a new anonymous viewer
-- (X-Viewer-Id unique per thread and request) watching 5 s, so every request is a counted,
-- qualified view: the most expensive path (event row, viewer rows, all-time, period and daily
-- aggregates, one transaction). Usage: wrk -s views.lua URL -- HASH_ID
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  hash = args[1]
  counter = 0
  refused = 0
  path = "/video/" .. hash .. "/views"
end

function request()
  counter = counter + 1
  local headers = {
    ["Content-Type"] = "application/json",
    ["X-Viewer-Id"] = string.format("bench-%d-%d", tid, counter),
  }
  local body = string.format('{"watched_seconds": 5.0, "session_id": "s%d"}', counter)
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
  if status ~= 201 then
    refused = refused + 1
  end
end

function done(summary, latency, requests)
  local refused_total = 0
  for _, thread in ipairs(threads) do
    refused_total = refused_total + thread:get("refused")
  end
  io.write(string.format("non-201 responses: %d\n", refused_total))
end
