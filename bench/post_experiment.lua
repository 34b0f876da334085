-- post_experiment.lua - wrk script: POST /v1/experiments with the spec of
-- bench/load_spec.json (5 seeds x 2 kernel formulas = 10 jobs each).  The
-- user token comes from $LMNTK_TOKEN; wrk counts any reply but 2xx/3xx.
local f = assert(io.open("bench/load_spec.json", "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("LMNTK_TOKEN")
