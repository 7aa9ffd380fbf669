#!/usr/bin/env bash
# bench/run.sh: builds with -c opt, runs every benchmark of bench/ with its baseline in the same
# run on this machine, and prints one table (figure, baseline, ratio, target). About 6-7 minutes
# on 2 cores after the build. Needs wrk, nginx-light and postgresql-15 (tools/setup.sh installs
# them).
#
#   bash bench/run.sh                  # the table on stdout; raw outputs in $BENCH_OUT
#   BENCH_ORGS=10000 bash bench/run.sh # webhooks (one per org) behind the gRPC/REST search
#
# Every server it starts listens on 127.0.0.1 only, and every load generator stops on its own.
set -euo pipefail
cd "$(dirname "$0")/.."

orgs="${BENCH_ORGS:-100000}"          # webhooks in webhookd for the search benchmarks
seconds="${BENCH_SECONDS:-5}"         # measured time of each load run
streams="${BENCH_STREAMS:-16}"        # concurrent calls / connections of each load run
publish_seconds="${BENCH_PUBLISH_SECONDS:-10}"
paced_rate="${BENCH_PACED_RATE:-1000}"  # publishes/s of the fixed-rate delivery run
out="${BENCH_OUT:-$(mktemp -d /var/tmp/webhooks-bench.XXXXXX)}"
mkdir -p "$out"
log() { echo "run.sh: $*" >&2; }

for tool in wrk nginx python3; do
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] ||
    { echo "run.sh: $tool is missing (bash tools/setup.sh installs it)" >&2; exit 1; }
done
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"

log "building (-c opt); raw outputs in $out"
targets=(//grpc_service:webhookd //bench:engine_benchmark //bench:memory_probe
         //bench:echo_server //bench:grpc_load //bench:durable_benchmark)
bazel build -c opt "${targets[@]}" 2>"$out/build.log" || { cat "$out/build.log" >&2; exit 1; }
bin_dir="$(bazel info -c opt bazel-bin 2>/dev/null)"
# Copies, so that a concurrent build in this tree cannot swap a binary mid-run.
mkdir -p "$out/bin"
for t in "${targets[@]}"; do cp -f "$bin_dir/$(echo "${t#//}" | tr : /)" "$out/bin/"; done

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if declare -F stop_postgres >/dev/null; then stop_postgres; fi
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Starts webhookd with the given flags; sets webhookd_pid, grpc_port, http_port.
start_webhookd() {
  local name="$1"; shift
  "$out/bin/webhookd" --grpc_listen=127.0.0.1:0 --http_listen=127.0.0.1:0 "$@" \
    2>"$out/$name.stderr" &
  webhookd_pid=$!
  pids+=("$webhookd_pid")
  for _ in $(seq 600); do
    grep -q "webhookd: ready" "$out/$name.stderr" 2>/dev/null && break
    kill -0 "$webhookd_pid" 2>/dev/null || { cat "$out/$name.stderr" >&2; exit 1; }
    sleep 0.1
  done
  grpc_port="$(sed -n 's/.*gRPC listening on port \([0-9]*\).*/\1/p' "$out/$name.stderr")"
  http_port="$(sed -n 's/.*HTTP listening on port \([0-9]*\).*/\1/p' "$out/$name.stderr")"
  [ -n "$grpc_port" ] || { cat "$out/$name.stderr" >&2; exit 1; }
}
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# One org per webhook, each with its own user and token "bench-token-<org>"; org 0's user is an
# administrator, which searches every org. (One user spanning 100,000 orgs would also work, but
# webhookd's principals check costs tokens x that user's orgs at start-up.)
principals() {
  python3 - "$1" "$2" <<'PY'
import hashlib, os, sys
count, path = int(sys.argv[1]), sys.argv[2]
lines = ["rbac_enabled: false"]
for org in range(count):
    name = "Primary" if org == 0 else "org%d" % org
    privilege = "ADMINISTRATION" if org == 0 else "DEVELOPER"
    digest = hashlib.sha256(("bench-token-%d" % org).encode()).hexdigest()
    lines.append('orgs { id: "%d" name: "%s" }' % (org, name))
    lines.append('users { id: "u%d" name: "u%d@example.com" privileges: %s org_ids: "%d" }'
                 % (org, org, privilege, org))
    lines.append('tokens { sha256: "%s" user_id: "u%d" org_id: "%d" }' % (digest, org, org))
open(path, "w").write("\n".join(lines) + "\n")
os.chmod(path, 0o600)  # webhookd refuses a principals file that others may read.
PY
}

# ---- 1. Engine: create, update, delete, search pages at 100 / 10,000 / 100,000 webhooks.
log "engine benchmarks"
"$out/bin/engine_benchmark" --benchmark_min_time=0.1 --benchmark_format=json \
  --benchmark_out="$out/engine.json" --benchmark_out_format=json >"$out/engine.txt" 2>&1

# ---- 2. Memory: resident bytes per webhook at 100,000 webhooks.
log "memory probe"
"$out/bin/memory_probe" 100000 >"$out/memory.txt"

# ---- 3. gRPC search vs echo, REST search vs gRPC search.
export WEBHOOKD_TOKEN=bench-token-0
log "gRPC echo server (the search's baseline)"
"$out/bin/echo_server" --listen=127.0.0.1:0 2>"$out/echo.stderr" &
echo_pid=$!; pids+=("$echo_pid")
for _ in $(seq 100); do grep -q "listening on port" "$out/echo.stderr" && break; sleep 0.1; done
echo_port="$(sed -n 's/.*listening on port \([0-9]*\).*/\1/p' "$out/echo.stderr")"

# webhookd (in memory) with ORGS webhooks, one per org and token; gRPC search and echo in
# turn (grpc_load --echo_target: slices of each, so both meet the machine in the same state),
# then REST search.
search_bench() {
  local name="$1" count="$2"
  log "webhookd with $count webhooks (in memory): gRPC SearchWebhooks, then REST search (wrk)"
  principals "$count" "$out/principals-$name.textproto"
  start_webhookd "search-$name" --in_memory --principals_file="$out/principals-$name.textproto"
  "$out/bin/grpc_load" --target=127.0.0.1:"$grpc_port" --mode=fill --orgs="$count" \
    --streams=32 >"$out/fill-$name.txt"
  "$out/bin/grpc_load" --target=127.0.0.1:"$grpc_port" --mode=search --streams="$streams" \
    --duration="${seconds}s" --echo_target=127.0.0.1:"$echo_port" >"$out/grpc-$name.txt"
  grep -v '^echo ' "$out/grpc-$name.txt" >"$out/grpc_search-$name.txt"
  sed -n 's/^echo //p' "$out/grpc-$name.txt" >"$out/grpc_echo-$name.txt"
  wrk -t2 -c"$streams" -d"${seconds}s" --latency -s bench/rest_search.lua \
    "http://127.0.0.1:$http_port/api/rest/2.0/webhooks/search" >"$out/rest_search-$name.txt" 2>&1
  stop "$webhookd_pid"
}
search_bench large "$orgs"
# Not a target: the same with 1,000 orgs and tokens, where authentication is cheap.
search_bench small 1000

stop "$echo_pid"

# ---- 4. Delivery to nginx, durable store on, vs wrk POSTing the same body size to it.
log "nginx on loopback"
nginx_port="$(free_port)"
mkdir -p "$out/nginx/logs"
cat >"$out/nginx/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $out/nginx/nginx.pid;
error_log $out/nginx/logs/error.log warn;
events { worker_connections 16384; }
worker_rlimit_nofile 19000;
http {
  log_format receipt '\$msec \$http_idempotency_key \$content_length';
  client_body_buffer_size 1m;
  server {
    listen 127.0.0.1:$nginx_port;
    location /durable  { access_log $out/nginx/logs/durable.log receipt; return 200; }
    location /memory   { access_log $out/nginx/logs/memory.log receipt; return 200; }
    location /memory-paced { access_log $out/nginx/logs/memory-paced.log receipt; return 200; }
    location /postgres { access_log $out/nginx/logs/postgres.log receipt; return 200; }
    location /postgres-2 { access_log $out/nginx/logs/postgres-2.log receipt; return 200; }
    location /baseline { access_log $out/nginx/logs/baseline.log receipt; return 200; }
  }
}
CONF
"$nginx_bin" -p "$out/nginx" -c "$out/nginx/nginx.conf" &
nginx_pid=$!; pids+=("$nginx_pid")
for _ in $(seq 50); do
  curl -s -o /dev/null "http://127.0.0.1:$nginx_port/baseline" && break; sleep 0.1
done

principals 1 "$out/principals1.textproto"
# Publishes for $publish_seconds to a fresh webhookd (flags: "$@"; with REPLICAS 2, a second one
# with the same flags, which shares the state and the deliveries) whose one webhook points at
# nginx's /NAME, then waits (at most 60 s) until nginx logged every queued event. The one webhook
# takes every delivery, so the per-webhook limits are off: this measures the server, not them.
deliver() {
  local name="$1" replicas="$2"; shift 2
  set -- --max_attempts_in_flight_per_webhook=0 --max_attempts_per_second_per_webhook=0 "$@"
  log "webhookd ($name, $replicas replica(s)) delivering to nginx; publishing for ${publish_seconds}s"
  start_webhookd "delivery-$name" --principals_file="$out/principals1.textproto" \
    --allow_private_endpoints "$@"
  local first_pid="$webhookd_pid" first_port="$grpc_port" second_pid=""
  if [ "$replicas" = 2 ]; then
    start_webhookd "delivery-$name-2" --principals_file="$out/principals1.textproto" \
      --allow_private_endpoints "$@"
    second_pid="$webhookd_pid"
  fi
  "$out/bin/grpc_load" --target=127.0.0.1:"$first_port" --mode=fill --orgs=1 \
    --url="http://127.0.0.1:$nginx_port/$name" >/dev/null
  "$out/bin/grpc_load" --target=127.0.0.1:"$first_port" --mode=publish --streams="$streams" \
    --rate="${publish_rate:-0}" --duration="${publish_seconds}s" \
    --publish_log="$out/published-$name.txt" >"$out/publish-$name.txt"
  local queued; queued="$(wc -l <"$out/published-$name.txt")"
  for _ in $(seq 600); do
    [ "$(cat "$out/nginx/logs/$name.log" 2>/dev/null | wc -l)" -ge "$queued" ] && break
    sleep 0.1
  done
  stop "$first_pid"
  [ -z "$second_pid" ] || stop "$second_pid"
}

# A throwaway PostgreSQL 15 (fsync on, like the journal's fdatasync), run as the postgres account
# when this is root; one new database per call of pg_database.
pg_dir="$(mktemp -d /var/tmp/webhooks-bench-pg.XXXXXX)"
as_postgres=()
if [ "$(id -u)" = 0 ]; then chown postgres "$pg_dir"; as_postgres=(runuser -u postgres --); fi
pg_port="$(free_port)"
"${as_postgres[@]}" /usr/lib/postgresql/15/bin/initdb -D "$pg_dir/data" -U postgres -A trust \
  >"$out/initdb.log" 2>&1
"${as_postgres[@]}" /usr/lib/postgresql/15/bin/pg_ctl -D "$pg_dir/data" -l "$pg_dir/log" \
  -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1" -w start >/dev/null
stop_postgres() {
  "${as_postgres[@]}" /usr/lib/postgresql/15/bin/pg_ctl -D "$pg_dir/data" -m immediate stop \
    >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
}
pg_database() {
  psql -q -h 127.0.0.1 -p "$pg_port" -U postgres -c "CREATE DATABASE $1" postgres >/dev/null
  echo "postgresql://postgres@127.0.0.1:$pg_port/$1"
}

rm -rf "$out/data"
deliver durable 1 --data_dir="$out/data"
# Not a target: the same with --in_memory, to show what the durable store costs.
deliver memory 1 --in_memory
# The publishers above outrun delivery, so their latency is the queue's; this one publishes at a
# fixed rate below what webhookd delivers, for the latency of a delivery that does not queue.
publish_rate="$paced_rate" deliver memory-paced 1 --in_memory
deliver postgres 1 --postgres_url="$(pg_database deliveries1)"
deliver postgres-2 2 --postgres_url="$(pg_database deliveries2)"
body_bytes="$(python3 -c '
import statistics, sys
sizes = [int(l.split()[2]) for l in open(sys.argv[1]) if l.split()[2].isdigit()]
print(int(statistics.median(sizes)) if sizes else 1024)' "$out/nginx/logs/durable.log")"
log "wrk POSTing $body_bytes-byte bodies to nginx (baseline)"
BODY_BYTES="$body_bytes" wrk -t1 -c"$streams" -d"${seconds}s" --latency -s bench/post_body.lua \
  "http://127.0.0.1:$nginx_port/baseline" >"$out/wrk_nginx.txt" 2>&1
stop "$nginx_pid"

# ---- 5. Durable creates: journal, PostgreSQL with one replica and with two.
log "durable creates (journal; PostgreSQL with 1 and 2 replicas)"
"$out/bin/durable_benchmark" --benchmark_min_time=1 --benchmark_format=json \
  --benchmark_out="$out/durable.json" --benchmark_out_format=json >"$out/durable.txt" 2>&1

# ---- The table.
python3 bench/report.py "$out" | tee "$out/table.md"
