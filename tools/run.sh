#!/usr/bin/env bash
# The run command: installs what is missing, builds webhookd (optimised) and runs it in the
# foreground on 127.0.0.1 (gRPC 50051, REST 8080) until Ctrl-C. Extra arguments go to webhookd,
# e.g. --principals_file=FILE, --data_dir=DIR or --in_memory, --allow_private_endpoints.
# Without --principals_file the admin token comes from $WEBHOOKD_ADMIN_TOKEN, or is generated
# into a 0600 file whose path webhookd logs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
exec bazel run -c opt //grpc_service:webhookd -- \
  --grpc_listen=127.0.0.1:50051 --http_listen=127.0.0.1:8080 "$@"
