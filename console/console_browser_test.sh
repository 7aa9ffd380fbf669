#!/usr/bin/env bash
# Runs console_browser_test.py with Debian's Python, whose python3-websocket it needs (the
# python3 first on PATH may be another one).
# Usage: console_browser_test.sh console_browser_test.py PATH_TO_WEBHOOKD
set -euo pipefail
exec /usr/bin/python3 "$@"
