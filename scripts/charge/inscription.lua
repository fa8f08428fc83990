-- wrk: one registration per request to the session given as the first argument
-- (POST /api/v1/sessions/{id}/inscriptions), each with its own first name.
local session, n = nil, 0
function init(args)
  session = args[1]
end
function request()
  n = n + 1
  local corps = string.format('{"prenom": "Charge %d", "contact": ""}', n)
  return wrk.format("POST", "/api/v1/sessions/" .. session .. "/inscriptions",
    { ["Content-Type"] = "application/json" }, corps)
end
