#!/usr/bin/env bash
# Soak: mixed REST and gRPC load plus deliveries against one durable webhookd for MINUTES
# minutes, then a report: unexpected errors (must be 0), deliberate bad requests and their
# answers, deliveries published and received, and webhookd's resident memory and open file
# descriptors after warm-up (the first 2 minutes, or the first half of a shorter run) and at
# the end, with a sample every 20 seconds.
#
#   bash tools/soak.sh 10
#   SOAK_WRAPPER="heaptrack -o /tmp/soak-heap" bash tools/soak.sh 10   # where memory goes
#
# Everything runs on 127.0.0.1: webhookd (with --allow_private_endpoints), nginx answering 200
# as the receiver, wrk on the REST search, bench's grpc_load for gRPC search and publishing,
# and a curl loop sending malformed requests on purpose. Exits non-zero on an unexpected error
# or if resident memory grew by more than 10% or descriptors by more than 5%. Memory is not held
# to less: the delivery history it keeps follows the publish rate (about 1 kB per delivery in
# the retention window below), which moves with what else the machine runs.
set -euo pipefail
minutes="${1:?usage: tools/soak.sh MINUTES}"
seconds=$((minutes * 60))
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash tools/setup.sh >&2

out="$(mktemp -d /var/tmp/webhooks-soak.XXXXXX)"
log() { echo "soak: $*" >&2; }
bazel build -c opt //grpc_service:webhookd //bench:grpc_load 2>"$out/build.log" ||
  { cat "$out/build.log" >&2; exit 1; }
bin="$(bazel info -c opt bazel-bin 2>/dev/null)"
mkdir -p "$out/bin"
cp "$bin/grpc_service/webhookd" "$bin/bench/grpc_load" "$out/bin/"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# The receiver: nginx on loopback, 200 at once, one log line per delivery.
nginx_port="$(free_port)"
mkdir -p "$out/nginx/logs"
cat >"$out/nginx/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $out/nginx/nginx.pid;
error_log $out/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
  log_format receipt '\$http_idempotency_key';
  server {
    listen 127.0.0.1:$nginx_port;
    location / { access_log $out/nginx/logs/deliveries.log receipt; return 200; }
  }
}
CONF
"$(command -v nginx || echo /usr/sbin/nginx)" -p "$out/nginx" -c "$out/nginx/nginx.conf" &
pids+=($!)

# webhookd: durable, default principals (org Primary, admin token below). Delivery records are
# kept 30 s instead of 3 days, so that what a soak measures is leaks, not the history it is
# asked to keep (about 1 kB per delivery, by design). That history still follows the publish
# rate, which each publish's fdatasync bounds and which varies from run to run (100 to 500/s
# on 2 cores), and the allocator keeps its high-water mark: the warm-up covers both.
export WEBHOOKD_ADMIN_TOKEN="soak-admin-token"
${SOAK_WRAPPER:-} "$out/bin/webhookd" --grpc_listen=127.0.0.1:0 --http_listen=127.0.0.1:0 \
  --data_dir="$out/data" --allow_private_endpoints --history_retention=30s \
  2>"$out/webhookd.log" &
webhookd_pid=$!
pids+=("$webhookd_pid")
for _ in $(seq 300); do
  grep -q "webhookd: ready" "$out/webhookd.log" 2>/dev/null && break
  sleep 0.1
done
# The server's own process (under SOAK_WRAPPER, $! is the wrapper's).
webhookd_pid="$(pgrep -n -f "^$out/bin/webhookd ")"
grpc_port="$(sed -n 's/.*gRPC listening on port \([0-9]*\).*/\1/p' "$out/webhookd.log")"
http_port="$(sed -n 's/.*HTTP listening on port \([0-9]*\).*/\1/p' "$out/webhookd.log")"
[ -n "$grpc_port" ] && [ -n "$http_port" ] || { cat "$out/webhookd.log" >&2; exit 1; }
rest="http://127.0.0.1:$http_port/api/rest/2.0"
auth=(-H "Authorization: Bearer $WEBHOOKD_ADMIN_TOKEN" -H "Content-Type: application/json")
curl -sf -X POST "$rest/webhooks/create" "${auth[@]}" --data-raw "{\"name\":\"soak\",
  \"url\":\"http://127.0.0.1:$nginx_port/hook\",\"events\":[\"LIVEBOARD_SCHEDULE\"],
  \"signature_verification\":{\"type\":\"HMAC_SHA256\",\"header\":\"X-Webhook-Signature\",
  \"algorithm\":\"SHA256\",\"secret\":\"soak-secret\"}}" >/dev/null

resident_kb() { awk '/^VmRSS/ {print $2}' "/proc/$webhookd_pid/status"; }
descriptors() { ls "/proc/$webhookd_pid/fd" | wc -l; }
warmup=$((seconds / 2 < 120 ? seconds / 2 : 120))

log "load for ${minutes} min (results in $out)"
export WEBHOOKD_TOKEN="$WEBHOOKD_ADMIN_TOKEN"
wrk -t1 -c4 -d"${seconds}s" -s bench/rest_search.lua "$rest/webhooks/search" \
  >"$out/wrk.txt" 2>"$out/wrk.err" &
wrk_pid=$!
pids+=("$wrk_pid")
"$out/bin/grpc_load" --target="127.0.0.1:$grpc_port" --mode=search --streams=4 --warmup=0s \
  --duration="${seconds}s" >"$out/grpc_search.txt" 2>&1 &
search_pid=$!
pids+=("$search_pid")
"$out/bin/grpc_load" --target="127.0.0.1:$grpc_port" --mode=publish --streams=1 --warmup=0s \
  --duration="${seconds}s" --publish_log="$out/published.txt" >"$out/grpc_publish.txt" 2>&1 &
publish_pid=$!
pids+=("$publish_pid")
# Deliberate bad requests, one a second: malformed JSON (400), an unknown field (400), no
# token (401). Their answers are checked, and they are not counted as errors.
(
  end=$((SECONDS + seconds))
  while [ "$SECONDS" -lt "$end" ]; do
    curl -s -o /dev/null -w '%{http_code}\n' -X POST "$rest/webhooks/search" "${auth[@]}" \
      --data-raw '{"record_size":' >>"$out/bad_malformed.txt"
    curl -s -o /dev/null -w '%{http_code}\n' -X POST "$rest/webhooks/search" "${auth[@]}" \
      --data-raw '{"colour":"red"}' >>"$out/bad_unknown.txt"
    curl -s -o /dev/null -w '%{http_code}\n' -X POST "$rest/webhooks/search" \
      -H "Content-Type: application/json" --data-raw '{}' >>"$out/bad_unauthenticated.txt"
    sleep 1
  done
) &
bad_pid=$!
pids+=("$bad_pid")

# Samples every 20 s: seconds into the load, resident kB, descriptors, kB in --data_dir.
(
  start=$SECONDS
  while kill -0 "$webhookd_pid" 2>/dev/null; do
    echo "$((SECONDS - start)) $(resident_kb) $(descriptors) $(du -sk "$out/data" | cut -f1)"
    sleep 20
  done
) >"$out/samples.txt" 2>/dev/null &
pids+=($!)
# Warm-up: caches, connections, the history window and the allocator's arenas fill first.
sleep "$warmup"
rss_start=$(resident_kb)
fd_start=$(descriptors)
wait "$wrk_pid" "$search_pid" "$publish_pid" "$bad_pid" || true
sleep 2  # Deliveries in flight land.
rss_end=$(resident_kb)
fd_end=$(descriptors)

published=$(wc -l <"$out/published.txt")
received=$(sort -u "$out/nginx/logs/deliveries.log" | grep -c '^n\.' || true)
rest_errors=$(sed -n 's/.*Non-2xx or 3xx responses: \([0-9]*\).*/\1/p' "$out/wrk.txt")
rest_errors=${rest_errors:-0}
rest_socket_errors=$(grep -c "Socket errors" "$out/wrk.txt" || true)
grpc_search_errors=$(sed -n 's/.* errors=\([0-9]*\).*/\1/p' "$out/grpc_search.txt")
publish_errors=$(sed -n 's/.* errors=\([0-9]*\).*/\1/p' "$out/grpc_publish.txt")
bad_wrong=$(cat "$out/bad_malformed.txt" "$out/bad_unknown.txt" | grep -vc '^400$' || true)
bad_wrong=$((bad_wrong + $(grep -vc '^401$' "$out/bad_unauthenticated.txt" || true)))
bad_total=$(cat "$out"/bad_*.txt | wc -l)
unexpected=$((rest_errors + rest_socket_errors + ${grpc_search_errors:-1} + ${publish_errors:-1} + bad_wrong))
growth() { python3 -c "import sys; a,b=map(float,sys.argv[1:]); print('%.1f' % ((b-a)/a*100))" "$1" "$2"; }

cat <<REPORT
soak: ${minutes} min against webhookd (durable), $(nproc) cores
  REST search (wrk):        $(sed -n 's/Requests\/sec: *//p' "$out/wrk.txt") req/s, non-2xx $rest_errors
  gRPC search:              $(cat "$out/grpc_search.txt" | head -1)
  gRPC publish:             $(cat "$out/grpc_publish.txt" | head -1)
  deliveries:               $published published, $received distinct events received
  deliberate bad requests:  $bad_total sent, $bad_wrong answered other than 400/401
  unexpected errors:        $unexpected
  resident memory:          ${rss_start} kB after ${warmup} s of warm-up, ${rss_end} kB at the end ($(growth "$rss_start" "$rss_end")%)
  file descriptors:         ${fd_start} after ${warmup} s of warm-up, ${fd_end} at the end ($(growth "$fd_start" "$fd_end")%)
  samples (s, resident kB, descriptors, data kB):
$(awk '{printf "    %5d %8d %4d %8d\n", $1, $2, $3, $4}' "$out/samples.txt")
REPORT
ok=1
[ "$unexpected" -eq 0 ] || ok=0
[ "$received" -ge "$published" ] || ok=0
python3 -c "import sys; a,b,c,d=map(float,sys.argv[1:]); sys.exit(0 if b<=a*1.10 and d<=c*1.05 else 1)" \
  "$rss_start" "$rss_end" "$fd_start" "$fd_end" || ok=0
[ "$ok" -eq 1 ]
