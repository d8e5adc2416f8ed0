-- wrk script for `latent serve`: single-customer POST /invocations, customers drawn in
-- turn from a file of ids (one per line; WRK_IDS, default /tmp/latent-ids.txt).
-- Usage: [WRK_RULES=1] wrk -t2 -c16 -d20s --latency -s scripts/wrk_invocations.lua http://127.0.0.1:8080/invocations
local ids = {}
local path = os.getenv("WRK_IDS") or "/tmp/latent-ids.txt"
for line in io.lines(path) do
  if #line > 0 then ids[#ids + 1] = line end
end
-- WRK_RULES=1 adds a per-request exclude and include (rules compiled per request).
local extra = ""
if os.getenv("WRK_RULES") == "1" then
  extra = ', "exclude": ["85123A"], "include": ["22423"]'
end
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

request = function()
  n = n + 1
  local id = ids[(n % #ids) + 1]
  return wrk.format(nil, nil, nil, '{"user_id": "' .. id .. '", "top_k": 10' .. extra .. '}')
end

response = function(status, headers, body)
  if status ~= 200 then
    io.stderr:write("status " .. status .. ": " .. body .. "\n")
  end
end
