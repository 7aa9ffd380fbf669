#!/usr/bin/env bash
# The webhookd binary as an operator runs it: start-up checks of the principals file, the
# default admin token, REST on a port chosen at run time, and a clean exit on SIGTERM/SIGINT.
# Usage: webhookd_test.sh PATH_TO_WEBHOOKD
set -euo pipefail

webhookd="$1"
tmp="$(mktemp -d "${TEST_TMPDIR:-/tmp}/webhookd_test.XXXXXX")"
passed=0
failed=0

cases=""  # <testcase> elements of the JUnit report.

xml_escape() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g'; }
fail() {
  echo "FAIL: $*" >&2
  failed=$((failed + 1))
  cases+="<testcase name=\"check $((passed + failed))\"><failure message=\"$(echo "$*" | head -c 500 | xml_escape)\"/></testcase>"
}
pass() {
  passed=$((passed + 1))
  cases+="<testcase name=\"check $((passed + failed))\"/>"
}

# Starts webhookd with "$@" and waits (blocking reads, at most 20 s) for its "ready" line.
# Sets PID, HTTP_PORT and LOG (a file that collects its stderr).
start() {
  LOG="$tmp/log.$RANDOM"
  rm -f "$tmp/fifo" && mkfifo "$tmp/fifo"
  # Durable state only where a test names its --data_dir; the rest run in memory.
  local storage=(--in_memory)
  [[ " $* " == *" --data_dir="* ]] && storage=()
  "$webhookd" --grpc_listen=127.0.0.1:0 --http_listen=127.0.0.1:0 "${storage[@]}" "$@" \
    2>"$tmp/fifo" &
  PID=$!
  exec 3<"$tmp/fifo"
  HTTP_PORT=""
  while IFS= read -r -t 20 line <&3; do
    echo "$line" >>"$LOG"
    if [[ "$line" =~ HTTP\ listening\ on\ port\ ([0-9]+) ]]; then HTTP_PORT="${BASH_REMATCH[1]}"; fi
    [[ "$line" == *"webhookd: ready"* ]] && return 0
  done
  return 1
}

# Sends signal $1 to the running webhookd; sets STATUS to its exit status.
stop() {
  kill "-$1" "$PID"
  STATUS=0
  wait "$PID" || STATUS=$?
  cat <&3 >>"$LOG" || true
  exec 3<&-
}

post() {  # post TOKEN PATH BODY -> prints "<status> <body>"
  curl -s -o "$tmp/body" -w '%{http_code}' -X POST "http://127.0.0.1:$HTTP_PORT$2" \
    -H 'Content-Type: application/json' -H "Authorization: Bearer $1" --data-raw "$3"
  echo " $(cat "$tmp/body")"
}

# 1. A principals file with an unknown field is refused, naming the line.
printf 'orgs { id: "0" name: "Primary" }\norgs { id: "1" nmae: "x" }\n' >"$tmp/bad.textproto"
if "$webhookd" --principals_file="$tmp/bad.textproto" --grpc_listen=127.0.0.1:0 \
     --http_listen=127.0.0.1:0 2>"$tmp/err"; then
  fail "started with an unknown field"
elif grep -q "bad.textproto:2:" "$tmp/err"; then pass; else fail "no line in: $(cat "$tmp/err")"; fi

# 2. A token of an unknown user is refused, naming the line.
hash="$(printf '%s' t0k3n | sha256sum | cut -d' ' -f1)"
cat >"$tmp/unknown_user.textproto" <<EOT
orgs { id: "0" name: "Primary" }
users { id: "u1" name: "a" privileges: ADMINISTRATION org_ids: "0" }
tokens { sha256: "$hash" user_id: "u2" org_id: "0" }
EOT
if "$webhookd" --principals_file="$tmp/unknown_user.textproto" 2>"$tmp/err"; then
  fail "started with an unknown user"
elif grep -q 'unknown_user.textproto:3:.*unknown user "u2"' "$tmp/err"; then pass
else fail "unknown user not named: $(cat "$tmp/err")"; fi

# 3. No principals file and no WEBHOOKD_ADMIN_TOKEN: a generated token in a 0600 file.
mkdir -p "$tmp/run"
unset WEBHOOKD_ADMIN_TOKEN || true
if XDG_RUNTIME_DIR="$tmp/run" start; then
  token_file="$(ls "$tmp"/run/webhookd-admin-token-* 2>/dev/null | head -1)"
  if [[ -z "$token_file" ]]; then fail "no token file"; else
    # An unguessable name: 16 random hex digits, not the pid.
    [[ "$token_file" =~ /webhookd-admin-token-[0-9a-f]{16}$ ]] && pass \
      || fail "token file name is guessable: $token_file"
    [[ "$(stat -c %a "$token_file")" == 600 ]] && pass || fail "token file mode $(stat -c %a "$token_file")"
    token="$(cat "$token_file")"
    grep -q "$token_file" "$LOG" && pass || fail "token file path not logged"
    grep -q "$token" "$LOG" && fail "token logged" || pass
    out="$(post "$token" /api/rest/2.0/webhooks/create \
      '{"name":"h","url":"https://example.com/hook","events":["LIVEBOARD_SCHEDULE"]}')"
    [[ "$out" == 200\ *'"org":{"id":"0","name":"Primary"}'* ]] && pass || fail "create: $out"
    out="$(post "$token" /api/rest/2.0/system/preferences/communication-channels/search '{}')"
    [[ "$out" == *'"cluster_preferences":[{"event_type":"LIVEBOARD_SCHEDULE","channels":["WEBHOOK"]}]'* ]] \
      && pass || fail "default preference: $out"
    out="$(post wrong /api/rest/2.0/webhooks/search '{}')"
    [[ "$out" == 401\ *'"code":10097'* ]] && pass || fail "wrong token: $out"
  fi
  stop TERM
  [[ "$STATUS" == 0 ]] && pass || fail "exit status $STATUS after SIGTERM"
  grep -q "webhookd: stopped" "$LOG" && pass || fail "no clean stop: $(cat "$LOG")"
else
  fail "did not start: $(cat "$LOG")"
fi

# 4. WEBHOOKD_ADMIN_TOKEN, and SIGINT.
if WEBHOOKD_ADMIN_TOKEN=from-env start; then
  out="$(post from-env /api/rest/2.0/webhooks/search '{}')"
  [[ "$out" == 200\ *'"total_count":0'* ]] && pass || fail "env token: $out"
  stop INT
  [[ "$STATUS" == 0 ]] && pass || fail "exit status $STATUS after SIGINT"
else
  fail "did not start with WEBHOOKD_ADMIN_TOKEN: $(cat "$LOG")"
fi

# 5. A principals file.
cat >"$tmp/good.textproto" <<EOT
orgs { id: "0" name: "Primary" }
orgs { id: "1532970882" name: "testOrg" }
users { id: "u1" name: "admin@example.com" privileges: ADMINISTRATION org_ids: "0" org_ids: "1532970882" }
tokens { sha256: "$hash" user_id: "u1" org_id: "1532970882" }
EOT
chmod 644 "$tmp/good.textproto"
if "$webhookd" --principals_file="$tmp/good.textproto" --in_memory --grpc_listen=127.0.0.1:0 \
     --http_listen=127.0.0.1:0 2>"$tmp/err"; then
  fail "started with a principals file that others may read"
elif grep -q "good.textproto has mode 0644: it holds credentials, so its group and others must have no access (chmod 600 $tmp/good.textproto)" "$tmp/err"; then
  pass
else fail "mode not refused: $(cat "$tmp/err")"; fi
chmod 600 "$tmp/good.textproto"
# The port allow-list: a bad entry stops the start with the flag named; a good one is logged.
if "$webhookd" --allowed_delivery_ports=443,https --in_memory --grpc_listen=127.0.0.1:0 \
     --http_listen=127.0.0.1:0 2>"$tmp/err"; then
  fail "started with a port that is not a number"
elif grep -q "webhookd: cannot start: --allowed_delivery_ports: 'https' is not a TCP port (1-65535)" "$tmp/err"; then
  pass
else fail "bad port not refused: $(cat "$tmp/err")"; fi
if "$webhookd" --allowed_delivery_ports=70000 --in_memory --grpc_listen=127.0.0.1:0 \
     --http_listen=127.0.0.1:0 2>"$tmp/err"; then
  fail "started with port 70000"
elif grep -q "allowed_ports: 70000 is not a TCP port (1-65535)" "$tmp/err"; then
  pass
else fail "port 70000 not refused: $(cat "$tmp/err")"; fi
if start --allowed_delivery_ports=443,8443; then
  grep -q "webhookd: --allowed_delivery_ports: deliveries may connect only to ports 443, 8443" \
    "$LOG" && pass || fail "allow-list not logged: $(cat "$LOG")"
  stop TERM
else fail "did not start with --allowed_delivery_ports: $(cat "$LOG")"; fi
if start --principals_file="$tmp/good.textproto"; then
  # The token acts in testOrg: its org's preferences, not the cluster's (a cluster
  # administrator's, in Primary).
  out="$(post t0k3n /api/rest/2.0/system/preferences/communication-channels/configure \
    '{"cluster_preferences":[{"event_type":"LIVEBOARD_SCHEDULE","channels":["WEBHOOK"]}]}')"
  [[ "$out" == 403\ * ]] && pass || fail "cluster configure by an org admin: $out"
  out="$(post t0k3n /api/rest/2.0/system/preferences/communication-channels/configure \
    '{"org_preferences":[{"org_identifier":"testOrg","preferences":[{"event_type":"LIVEBOARD_SCHEDULE","channels":["WEBHOOK"]}]}]}')"
  [[ "$out" == "204 " ]] && pass || fail "configure: $out"
  out="$(post t0k3n /api/rest/2.0/webhooks/create \
    '{"name":"h","url":"https://example.com/hook","events":["LIVEBOARD_SCHEDULE"]}')"
  [[ "$out" == 200\ *'"org":{"id":"1532970882","name":"testOrg"}'* ]] && pass || fail "create: $out"
  stop TERM
  [[ "$STATUS" == 0 ]] && pass || fail "exit status $STATUS"
else
  fail "did not start with a principals file: $(cat "$LOG")"
fi

# 6. --data_dir keeps webhooks across a restart.
if WEBHOOKD_ADMIN_TOKEN=durable start --data_dir="$tmp/data"; then
  out="$(post durable /api/rest/2.0/webhooks/create \
    '{"name":"kept","url":"https://example.com/hook","events":["LIVEBOARD_SCHEDULE"]}')"
  [[ "$out" == 200\ * ]] && pass || fail "create with --data_dir: $out"
  stop TERM
  if WEBHOOKD_ADMIN_TOKEN=durable start --data_dir="$tmp/data"; then
    out="$(post durable /api/rest/2.0/webhooks/search '{}')"
    [[ "$out" == 200\ *'"name":"kept"'*'"total_count":1'* ]] && pass || fail "after restart: $out"
    stop TERM
  else
    fail "did not restart with --data_dir: $(cat "$LOG")"
  fi
else
  fail "did not start with --data_dir: $(cat "$LOG")"
fi

# 7. --tls_cert/--tls_key: HTTPS (and gRPC over TLS) with a self-signed certificate.
if openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
     -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 \
     -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null; then
  if WEBHOOKD_ADMIN_TOKEN=tls-token start --tls_cert="$tmp/cert.pem" --tls_key="$tmp/key.pem"; then
    grep -q "HTTP listening on port [0-9]* (TLS)" "$LOG" && pass || fail "TLS not logged"
    out="$(curl -s --cacert "$tmp/cert.pem" -o "$tmp/body" -w '%{http_code}' -X POST \
      "https://127.0.0.1:$HTTP_PORT/api/rest/2.0/webhooks/search" \
      -H 'Content-Type: application/json' -H 'Authorization: Bearer tls-token' --data-raw '{}')"
    [[ "$out" == 200 ]] && pass || fail "HTTPS search: $out"
    stop TERM
    [[ "$STATUS" == 0 ]] && pass || fail "exit status $STATUS"
  else
    fail "did not start with TLS: $(cat "$LOG")"
  fi
  if "$webhookd" --in_memory --tls_cert="$tmp/cert.pem" 2>"$tmp/err"; then
    fail "started with half of TLS"
  else pass; fi
else
  fail "openssl could not make a test certificate"
fi

# 8. --rate_limit_per_second: a second request within the second is 429 with Retry-After.
if WEBHOOKD_ADMIN_TOKEN=rl-token start --rate_limit_per_second=1 --rate_limit_burst=1; then
  out="$(post rl-token /api/rest/2.0/webhooks/search '{}')"
  [[ "$out" == 200\ * ]] && pass || fail "first request: $out"
  headers="$(curl -s -D - -o "$tmp/body" -X POST "http://127.0.0.1:$HTTP_PORT/api/rest/2.0/webhooks/search" \
    -H 'Content-Type: application/json' -H 'Authorization: Bearer rl-token' --data-raw '{}')"
  [[ "$headers" == "HTTP/1.1 429 Too Many Requests"* && "$headers" == *"Retry-After: 1"* ]] \
    && grep -q '"code":10002' "$tmp/body" && pass || fail "rate limit: $headers $(cat "$tmp/body")"
  stop TERM
else
  fail "did not start with a rate limit: $(cat "$LOG")"
fi

# 9. --help documents the flags.
"$webhookd" --help >"$tmp/help" 2>&1 || true
for flag in grpc_listen http_listen principals_file data_dir tls_cert tls_key grpc_reflection \
    rate_limit_per_second rate_limit_burst max_concurrent_validations http_handler_threads \
    http_max_queued_requests header_timeout max_connections max_connections_per_client; do
  grep -q -- "--$flag" "$tmp/help" && pass || fail "--help lacks --$flag"
done

# 10. --log_format=json: one JSON object a line (here the error that stops start-up); another
#     format is refused, naming the flag.
"$webhookd" --log_format=json --principals_file="$tmp/no-such-file" 2>"$tmp/err" || true
if /usr/bin/python3 - "$tmp/err" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
entry = json.loads(lines[-1])
assert entry["level"] == "error", entry
assert entry["message"].startswith("cannot start: cannot read principals file "), entry
assert set(entry) == {"time", "level", "message"}, entry
assert entry["time"].endswith("Z") and len(entry["time"]) == 24, entry
PY
then pass; else fail "no JSON error line: $(cat "$tmp/err")"; fi
if "$webhookd" --log_format=xml 2>"$tmp/err"; then
  fail "started with --log_format=xml"
elif grep -qx 'webhookd: --log_format must be text or json, not "xml"' "$tmp/err"; then pass
else fail "--log_format=xml not refused by name: $(cat "$tmp/err")"; fi

# 11. A negative per-webhook limit is refused, naming the flags and the rule.
if "$webhookd" --in_memory --max_attempts_per_second_per_webhook=-1 2>"$tmp/err"; then
  fail "started with a negative per-webhook limit"
elif grep -qx 'webhookd: cannot start: --max_attempts_in_flight_per_webhook and --max_attempts_per_second_per_webhook must not be negative (0: no limit)' "$tmp/err"; then pass
else fail "negative limit not refused by name: $(cat "$tmp/err")"; fi

# 12. A negative overlap of secret rotations is refused, naming the flag.
if "$webhookd" --in_memory --secret_rotation_overlap=-1s 2>"$tmp/err"; then
  fail "started with a negative --secret_rotation_overlap"
elif grep -qx 'webhookd: cannot start: --secret_rotation_overlap must not be negative' "$tmp/err"; then pass
else fail "negative --secret_rotation_overlap not refused by name: $(cat "$tmp/err")"; fi

echo "$passed passed, $failed failed"
# A report in GoogleTest's shape, with the counts on <testsuites>, as tools/test.sh reads them.
if [[ -n "${XML_OUTPUT_FILE:-}" ]]; then
  total=$((passed + failed))
  cat >"$XML_OUTPUT_FILE" <<EOT
<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="$total" failures="$failed" errors="0" name="AllTests">
<testsuite name="webhookd_test" tests="$total" failures="$failed" errors="0">
$cases
</testsuite>
</testsuites>
EOT
fi
[[ "$failed" == 0 ]]
