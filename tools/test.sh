#!/usr/bin/env bash
# The test command: installs what is missing, builds everything, runs every test of this
# workspace and of the example host workspace, then this workspace's again under ASan+UBSan,
# and ends with "N passed, M failed" counting GoogleTest cases (not Bazel targets), each
# configuration's runs counted. Exits non-zero if anything failed or did not build.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bash tools/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

status=0
passed=0
failed=0

# Runs `bazel test //...` in workspace $1 with the options that follow and adds its GoogleTest
# cases to the counts.
run_workspace() {
  local dir=$1
  (cd "$dir" && bazel test "${@:2}" //...) || status=1
  local testlogs targets target xml tests failures
  testlogs=$(cd "$dir" && bazel info "${@:2}" bazel-testlogs 2>/dev/null)
  targets=$(cd "$dir" && bazel query 'tests(//...)' 2>/dev/null)
  for target in $targets; do
    xml="$testlogs/$(echo "${target#//}" | tr ':' '/')/test.xml"
    if [ ! -f "$xml" ]; then
      echo "no test results for $target (did it build?)"
      failed=$((failed + 1))
      continue
    fi
    # GoogleTest's <testsuites> element carries the totals of the whole binary; a test that is
    # not GoogleTest gets Bazel's report, one <testsuite> of one case.
    totals=$(grep -o -m1 '<testsuites [^>]*' "$xml")
    [ -n "$totals" ] || totals=$(grep -o -m1 '<testsuite [^>]*' "$xml")
    tests=$(echo "$totals" | grep -o ' tests="[0-9]*"' | grep -o '[0-9]*')
    failures=$(echo "$totals" | grep -o ' failures="[0-9]*"' | grep -o '[0-9]*')
    errors=$(echo "$totals" | grep -o ' errors="[0-9]*"' | grep -o '[0-9]*')
    if [ -z "$tests" ]; then  # A binary that crashed before writing its report.
      failed=$((failed + 1))
      continue
    fi
    failed=$((failed + failures + ${errors:-0}))
    passed=$((passed + tests - failures - ${errors:-0}))
  done
}

run_workspace "$root"
run_workspace "$root/examples/host_workspace"
# Every test again under AddressSanitizer and UndefinedBehaviorSanitizer (one build; see
# .bazelrc). ThreadSanitizer runs are in tools/sanitizers.sh.
run_workspace "$root" --config=asan_ubsan

echo "$passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
