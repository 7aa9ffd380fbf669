-- wrk script for bench/run.sh: webhookd's REST search (the first page of every org's webhooks,
-- the same call grpc_load --mode=search makes over gRPC). The token is $WEBHOOKD_TOKEN.
wrk.method = "POST"
wrk.body = "{}"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("WEBHOOKD_TOKEN")

function response(status, headers, body)
  if status ~= 200 then
    io.stderr:write("rest_search.lua: HTTP " .. status .. "\n")
  end
end
