#!/usr/bin/env bash
# Installs every Debian package the project needs to build, test and run. Idempotent: packages
# already present are skipped, and apt's lists are refreshed only when something is missing.
set -euo pipefail

packages=(
  bazel-bootstrap            # Bazel 4.2.3, builds offline against the system libraries
  g++ pkg-config
  libabsl-dev
  libprotobuf-dev protobuf-compiler
  libgrpc++-dev protobuf-compiler-grpc
  libgtest-dev libgmock-dev libbenchmark-dev
  libssl-dev                 # libcrypto: HMAC, SHA-256, RAND_bytes
  libcurl4-openssl-dev       # outbound HTTP
  curl                       # README examples and smoke checks
  openssl                    # test certificates for webhookd's TLS test
  libboost1.81-dev           # webhookd's HTTP/1.1 server: Boost.Beast and Asio (header-only)
  clang-14 libclang-rt-14-dev  # tools/fuzz.sh: libFuzzer, ASan and UBSan runtimes for clang
  wrk nginx-light            # bench/run.sh: HTTP load generator, and the delivery receiver
  libpq-dev                  # PostgreSQL's client library (engine/persistence/postgres)
  postgresql-15              # initdb, pg_ctl, postgres for //testing:postgres_cluster
  python3-prometheus-client  # its parser checks webhookd's GET /metrics in a test
  chromium python3-websocket  # //console:console_browser_test: headless Chromium over DevTools
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# npm fetches google/api/{annotations,http}.proto (below); any installed npm will do (some
# machines get it with a nodejs package that is not Debian's).
command -v npm >/dev/null || missing+=(npm)
# node runs s3rver (below) for //testing:s3_server; any installed node will do, as for npm.
command -v node >/dev/null || missing+=(nodejs)

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# google/api/annotations.proto and http.proto (the google.api.http REST mapping) from the
# maintained npm package google-proto-files, into the fixed directory that //:deps.bzl declares
# as @com_google_googleapis. Pinned; skipped when that version is already there.
googleapis_version="6.0.1"
googleapis_dir="/usr/local/share/webhooks-googleapis"
if [ "$(cat "$googleapis_dir/VERSION" 2>/dev/null)" != "$googleapis_version" ]; then
  echo "setup: installing google-proto-files@$googleapis_version into $googleapis_dir" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "google-proto-files@$googleapis_version" >/dev/null)
  tar -xzf "$tmp/google-proto-files-$googleapis_version.tgz" -C "$tmp" \
    package/LICENSE package/google/api/annotations.proto package/google/api/http.proto
  $sudo mkdir -p "$googleapis_dir/google/api"
  $sudo cp "$tmp/package/google/api/annotations.proto" "$tmp/package/google/api/http.proto" \
    "$googleapis_dir/google/api/"
  $sudo cp "$tmp/package/LICENSE" "$googleapis_dir/LICENSE"
  echo "$googleapis_version" | $sudo tee "$googleapis_dir/VERSION" >/dev/null
fi

# s3rver, the S3-compatible server that //testing:s3_server runs for upload tests, with its
# dependencies, into a fixed directory that tests read by absolute path (Bazel's sandbox lets
# them). Pinned; skipped when that version is already there. Installed as this user into a
# temporary prefix, then copied into place, so npm never runs under sudo; install scripts are off
# because none of its dependencies need one.
s3rver_version="3.7.1"
s3rver_dir="/usr/local/share/webhooks-s3rver"
if [ "$(cat "$s3rver_dir/VERSION" 2>/dev/null)" != "$s3rver_version" ]; then
  echo "setup: installing s3rver@$s3rver_version into $s3rver_dir" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  s3rver_tmp="$(mktemp -d)"
  trap 'rm -rf "${tmp:-}" "$s3rver_tmp"' EXIT
  npm install --silent --prefix "$s3rver_tmp" --no-audit --no-fund --ignore-scripts \
    "s3rver@$s3rver_version" >/dev/null
  $sudo rm -rf "$s3rver_dir"
  $sudo mkdir -p "$s3rver_dir"
  # package-lock.json records the dependency versions this machine got.
  $sudo cp -R "$s3rver_tmp/node_modules" "$s3rver_tmp/package.json" \
    "$s3rver_tmp/package-lock.json" "$s3rver_dir/"
  # Written last: an interrupted install is retried on the next run.
  echo "$s3rver_version" | $sudo tee "$s3rver_dir/VERSION" >/dev/null
fi

# swagger-parser, the OpenAPI validator that //grpc_service:openapi_test runs on the generated
# openapi.json, installed the same way as s3rver into the fixed directory that test reads.
# Pinned (12.x: 13.x needs node 22); skipped when that version is already there.
swagger_parser_version="12.1.0"
swagger_parser_dir="/usr/local/share/webhooks-swagger-parser"
if [ "$(cat "$swagger_parser_dir/VERSION" 2>/dev/null)" != "$swagger_parser_version" ]; then
  echo "setup: installing @apidevtools/swagger-parser@$swagger_parser_version into" \
    "$swagger_parser_dir" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  swagger_parser_tmp="$(mktemp -d)"
  trap 'rm -rf "${tmp:-}" "${s3rver_tmp:-}" "$swagger_parser_tmp"' EXIT
  npm install --silent --prefix "$swagger_parser_tmp" --no-audit --no-fund --ignore-scripts \
    "@apidevtools/swagger-parser@$swagger_parser_version" >/dev/null
  $sudo rm -rf "$swagger_parser_dir"
  $sudo mkdir -p "$swagger_parser_dir"
  $sudo cp -R "$swagger_parser_tmp/node_modules" "$swagger_parser_tmp/package.json" \
    "$swagger_parser_tmp/package-lock.json" "$swagger_parser_dir/"
  echo "$swagger_parser_version" | $sudo tee "$swagger_parser_dir/VERSION" >/dev/null
fi
