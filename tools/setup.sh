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

# npm_package PACKAGE VERSION DIR: installs PACKAGE@VERSION with its dependencies into DIR, a
# fixed directory that tests read by absolute path (Bazel's sandbox lets them); skipped when that
# version is already there. Installed as this user into a temporary prefix, then copied into
# place, so npm never runs under sudo; install scripts are off because none of these packages'
# dependencies need one.
npm_package() {
  local package="$1" version="$2" dir="$3"
  [ "$(cat "$dir/VERSION" 2>/dev/null)" != "$version" ] || return 0
  echo "setup: installing $package@$version into $dir" >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  local prefix; prefix="$(mktemp -d)"
  npm install --silent --prefix "$prefix" --no-audit --no-fund --ignore-scripts \
    "$package@$version" >/dev/null
  $sudo rm -rf "$dir"
  $sudo mkdir -p "$dir"
  # package-lock.json records the dependency versions this machine got.
  $sudo cp -R "$prefix/node_modules" "$prefix/package.json" "$prefix/package-lock.json" "$dir/"
  rm -rf "$prefix"
  # Written last: an interrupted install is retried on the next run.
  echo "$version" | $sudo tee "$dir/VERSION" >/dev/null
}

# s3rver, the S3-compatible server that //testing:s3_server runs for upload tests.
npm_package s3rver 3.7.1 /usr/local/share/webhooks-s3rver
# swagger-parser, the OpenAPI validator that //grpc_service:openapi_test runs on the generated
# openapi.json. 12.x: 13.x needs node 22.
npm_package @apidevtools/swagger-parser 12.1.0 /usr/local/share/webhooks-swagger-parser
