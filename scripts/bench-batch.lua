-- wrk: POST the JSON body in $BODY (a batch look-up) with a bearer token in $TOKEN.
wrk.method = "POST"
local f = assert(io.open(os.getenv("BODY"), "r"))
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
dofile("scripts/bench-report.lua")
