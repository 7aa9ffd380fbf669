#!/usr/bin/env bash
# openapi_test.sh OPENAPI_JSON GATEWAY_ROUTES OPENAPI_CHECK_JS: runs openapi_check.js (the
# validator and the route comparison) on the generated document. Fails, naming what is missing,
# without node or the validator that tools/setup.sh installs.
set -euo pipefail

validator_dir="/usr/local/share/webhooks-swagger-parser"
validator_version="12.1.0"  # As tools/setup.sh pins it.

node="$(command -v node || true)"
for candidate in /usr/bin/node /usr/local/bin/node; do
  if [ -z "$node" ] && [ -x "$candidate" ]; then node="$candidate"; fi
done
if [ -z "$node" ]; then
  echo "FAIL: node is not installed (not on PATH, /usr/bin or /usr/local/bin): run tools/setup.sh" >&2
  exit 1
fi
found="$(cat "$validator_dir/VERSION" 2>/dev/null || true)"
if [ "$found" != "$validator_version" ]; then
  echo "FAIL: @apidevtools/swagger-parser $validator_version is not installed in $validator_dir" \
    "(found version '$found'): run tools/setup.sh" >&2
  exit 1
fi

routes="${TEST_TMPDIR:-/tmp}/gateway_routes.txt"
"$2" >"$routes"
exec "$node" "$3" "$1" "$routes" "$validator_dir"
