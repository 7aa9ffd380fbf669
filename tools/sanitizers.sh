#!/usr/bin/env bash
# Runs every test under AddressSanitizer + UndefinedBehaviorSanitizer (one build,
# --config=asan_ubsan, over //...) and the concurrent tests under ThreadSanitizer
# (--config=tsan), then prints one line per configuration, "asan_ubsan: N passed, M failed",
# naming each target that failed. Exits non-zero if any test failed or did not build.
#
#   bash tools/sanitizers.sh            # both
#   bash tools/sanitizers.sh asan_ubsan # one of them
#
# Extra arguments after the config names go to every `bazel test` (e.g. --test_output=all).
# The sanitizer configs are defined in .bazelrc; each keeps its outputs in its own
# bazel-out/k8-fastbuild-<config>, so they do not disturb the normal build.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# The tests that run threads of their own: the engine's dispatcher, the curl transport's
# thread and the loopback receiver.
tsan_targets=(
  //engine:webhook_engine_test
  //engine:delivery_test
  //engine:delivery_e2e_test
  //engine:curl_transport_test
  //engine:journal_store_test
  //engine:durability_test
)

configs=()
extra=()
for arg in "$@"; do
  case "$arg" in
    asan_ubsan|tsan) configs+=("$arg") ;;
    *) extra+=("$arg") ;;
  esac
done
((${#configs[@]})) || configs=(asan_ubsan tsan)

logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT
status=0
summary=()

for config in "${configs[@]}"; do
  if [ "$config" = tsan ]; then targets=("${tsan_targets[@]}"); else targets=(//...); fi
  echo "=== bazel test --config=$config ${targets[*]}" >&2
  start=$SECONDS
  bazel test --config="$config" --keep_going --test_summary=short ${extra[@]+"${extra[@]}"} \
    -- "${targets[@]}" 2>&1 | tee "$logdir/$config.log"
  rc=${PIPESTATUS[0]}
  # Bazel's summary: "//pkg:target   PASSED in 1.2s", "FAILED in", "TIMEOUT in",
  # "FAILED TO BUILD", "NO STATUS", "FLAKY, ...".
  passed=$(grep -cE '^//[^ ]+ +(\(cached\) +)?PASSED' "$logdir/$config.log")
  failed_targets=$(grep -E '^//[^ ]+ +(\(cached\) +)?(FAILED|TIMEOUT|NO STATUS|FLAKY|INCOMPLETE)' "$logdir/$config.log" |
    awk '{print $1}' | sort -u | tr '\n' ' ')
  failed=$(echo "$failed_targets" | wc -w)
  line="$config: $passed passed, $failed failed ($((SECONDS - start)) s)"
  [ -n "$failed_targets" ] && line="$line: $failed_targets"
  if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
    line="$line (bazel exited $rc: a target did not build)"
  fi
  [ "$rc" -eq 0 ] && [ "$failed" -eq 0 ] || status=1
  summary+=("$line")
done

echo
printf '%s\n' "${summary[@]}"
exit "$status"
