-- wrk: the soak's mix, in turn on each connection: the places' JSON search, the search page,
-- a coordinator's territory page, the home page, a place's page, a registration to the
-- session given as the first argument. Argument 2: a place's id.
local session, lieu, n = nil, nil, 0
function init(args)
  session = args[1]
  lieu = args[2]
end
function request()
  n = n + 1
  local k = n % 6
  if k == 0 then
    return wrk.format("GET", "/api/v1/lieux?ou=lille")
  elseif k == 1 then
    return wrk.format("GET", "/lieux?ou=toulouse")
  elseif k == 2 then
    return wrk.format("GET", "/territoires/dep:31")
  elseif k == 3 then
    return wrk.format("GET", "/")
  elseif k == 4 then
    return wrk.format("GET", "/lieux/" .. lieu)
  end
  return wrk.format("POST", "/api/v1/sessions/" .. session .. "/inscriptions",
    { ["Content-Type"] = "application/json" },
    string.format('{"prenom": "Endurance %d", "contact": ""}', n))
end
