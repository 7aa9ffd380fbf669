#!/usr/bin/env bash
# Fuzzes every target of //fuzz for SECONDS each (default 60) with libFuzzer, starting from
# its seed corpus (fuzz/corpus/<target>/) and every saved crash (fuzz/regressions/<target>/),
# and prints one line per target: executions, new corpus entries, and what was found.
# New corpus entries go to a temporary directory, so the committed corpus stays small.
# Exits non-zero if any target crashed, leaked, timed out or ran out of memory; the inputs
# that did are kept in a directory it names (copy them into fuzz/regressions/<target>/ so
# that `bazel test //fuzz/...` replays them).
#
#   bash tools/fuzz.sh 60
#   FUZZ_TARGETS="multipart_fuzzer" bash tools/fuzz.sh 300
#
# Builds with --config=fuzz (.bazelrc): clang 14, -fsanitize=fuzzer,address,undefined.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

seconds=${1:-60}
targets=(${FUZZ_TARGETS:-json_request_fuzzer webhook_validation_fuzzer address_policy_fuzzer
  engine_sequence_fuzzer multipart_fuzzer rest_gateway_fuzzer principals_fuzzer
  journal_reader_fuzzer storage_response_fuzzer})

labels=()
for t in "${targets[@]}"; do labels+=("//fuzz:$t"); done
bazel build --config=fuzz "${labels[@]}" || { echo "fuzz: build failed"; exit 1; }
bin=$(bazel info --config=fuzz bazel-bin 2>/dev/null)/fuzz

work=$(mktemp -d)
findings="$work/findings"
mkdir -p "$findings"
status=0
results=()
for t in "${targets[@]}"; do
  mkdir -p "$work/corpus/$t" "$findings/$t"
  seeds=("fuzz/corpus/$t")
  [ -d "fuzz/regressions/$t" ] && seeds+=("fuzz/regressions/$t")
  log="$work/$t.log"
  echo "=== $t: ${seconds}s" >&2
  # -timeout: one input may take this long; -rss_limit_mb: memory of the whole process.
  "$bin/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$findings/$t/" "$work/corpus/$t" "${seeds[@]}" >"$log" 2>&1
  rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  [ -n "$execs" ] || execs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
  new=$(find "$work/corpus/$t" -type f | wc -l)
  found=$(find "$findings/$t" -type f | wc -l)
  extra=$(grep -oE '^engine_sequence_fuzzer: [0-9]+ operations in [0-9]+ sequences[^)]*\)?' "$log" | tail -1)
  line="$t: ${execs:-0} executions, $new new corpus inputs"
  [ -n "$extra" ] && line="$line (${extra#engine_sequence_fuzzer: })"
  if [ "$rc" -ne 0 ] || [ "$found" -gt 0 ]; then
    status=1
    kind=$(grep -oE 'ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|libFuzzer): [a-zA-Z-]+|runtime error: .*|deadly signal|timeout after [0-9]+ seconds|out-of-memory' "$log" | head -1)
    line="$line; FOUND (exit $rc) ${kind:-see log}: $(ls "$findings/$t" | tr '\n' ' ')"
    cp "$log" "$findings/$t.log"
    grep -E 'ERROR|runtime error|SUMMARY|^    #[0-9]' "$log" | head -30 >&2
  fi
  results+=("$line")
done

echo
printf '%s\n' "${results[@]}"
if [ "$status" -ne 0 ]; then
  keep=$(mktemp -d /tmp/fuzz-findings.XXXXXX)
  cp -r "$findings"/. "$keep"/
  echo "fuzz: findings and logs kept in $keep; copy each input into fuzz/regressions/<target>/"
fi
rm -rf "$work"
exit "$status"
