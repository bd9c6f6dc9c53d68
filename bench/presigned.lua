-- wrk script for bench/federation.py: POST pre-signed requests, each once, in order.
-- The requests come from the Lua file named by BENCH_REQUESTS (written by `python -m bench._procs presign`).
-- Once all are sent it repeats the last one (an already-stored activity: a cheap duplicate) until the bench has
-- counted every request as stored and stops wrk; the bench does its own timing.
local requests = dofile(os.getenv("BENCH_REQUESTS"))
local i = 0
local checked = false

local function format(r)
  return wrk.format("POST", r.path, r.headers, r.body)
end

request = function()
  if not checked then
    -- wrk calls request() once to check the script without sending the result: do not use up a request.
    checked = true
    return format(requests[1])
  end
  if i < #requests then
    i = i + 1
  end
  return format(requests[i])
end
