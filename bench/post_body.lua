-- wrk script for bench/run.sh: POSTs a JSON body of $BODY_BYTES bytes (the size of a delivery
-- webhookd sent in the same run) to the delivery receiver, the baseline for deliveries/second.
local size = tonumber(os.getenv("BODY_BYTES") or "1024")
wrk.method = "POST"
wrk.body = '{"pad":"' .. string.rep("x", math.max(0, size - 10)) .. '"}'
wrk.headers["Content-Type"] = "application/json"
