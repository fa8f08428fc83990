-- wrk: redeems each pass of a file once (POST /api/v1/pass/{code}/utilisation with the place's
-- API key and a fresh nonce). Arguments: the codes file (one per line), the API key, wrk's
-- number of threads (-t). The codes are shared among the threads by line number; when a
-- thread has sent all of its codes its next requests are `GET /sante`, and it stops at its
-- next answer, after writing the file `<codes file>.fini-<thread>`: no pass is sent twice,
-- and scripts/charge.sh stops wrk (SIGINT: wrk then prints its figures) once every thread
-- has written its file.
local compteur = 0
function setup(thread)
  thread:set("id", compteur)
  compteur = compteur + 1
end

local codes, cle, suivant, envoyes, marque = {}, nil, 0, 0, nil
function init(args)
  cle = args[2]
  marque = args[1] .. ".fini-" .. id
  local total = tonumber(args[3])
  local n = 0
  for ligne in io.lines(args[1]) do
    if n % total == id then table.insert(codes, ligne) end
    n = n + 1
  end
end

function request()
  suivant = suivant + 1
  local code = codes[suivant]
  if code == nil then
    return wrk.format("GET", "/sante")
  end
  envoyes = envoyes + 1
  return wrk.format("POST", "/api/v1/pass/" .. code .. "/utilisation",
    { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. cle },
    string.format('{"nonce": "charge-%d-%d"}', id, suivant))
end

local recues = 0
function response(status, headers, body)
  recues = recues + 1
  if recues >= #codes then
    local f = io.open(marque, "w")
    if f then f:close() end
    wrk.thread:stop()
  end
end
