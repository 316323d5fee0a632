#!/usr/bin/env bash
# tests/fuzz/run.sh — replay the saved regression inputs, then fuzz each harness for a bounded time.
#
# Usage: tests/fuzz/run.sh BUILD_DIR SECONDS      (called by `make fuzz`; BUILD_DIR holds fuzz/fuzz_*)
# For harness fuzz_X: seeds in tests/fuzz/corpus_X/ (read-only here), saved crash inputs in
# tests/fuzz/regressions/X/ (each must now run clean), new corpus entries in BUILD_DIR/corpus/X/,
# crash artifacts in BUILD_DIR/artifacts/.  Prints PASS/FAIL lines like the other suites and one
# "# fuzz_X: N executions in S s, N new corpus entries" line per harness.  Exits non-zero on any FAIL.
# A crash found here becomes a regression: fix the owning module, copy the artifact into
# tests/fuzz/regressions/X/ (tests/unit/test_fuzz_replay.c replays it in `make check` / `make asan`).
set -u
build=${1:?usage: tests/fuzz/run.sh BUILD_DIR SECONDS}
seconds=${2:-60}
here=$(cd "$(dirname "$0")" && pwd)
fail=0
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
for bin in "$build"/fuzz/fuzz_*; do
  [ -x "$bin" ] || continue
  harness=$(basename "$bin"); name=${harness#fuzz_}
  corpus=$build/corpus/$name artifacts=$build/artifacts; log=$build/fuzz-$name.log
  mkdir -p "$corpus" "$artifacts"
  regressions=()
  if [ -d "$here/regressions/$name" ]; then
    while IFS= read -r f; do regressions+=("$f"); done < <(find "$here/regressions/$name" -type f | sort)
  fi
  if [ ${#regressions[@]} -gt 0 ]; then
    if "$bin" "${regressions[@]}" >"$log.replay" 2>&1; then
      echo "PASS fuzz: $harness replays ${#regressions[@]} regression inputs"
    else
      echo "FAIL fuzz: $harness regression replay (see $log.replay)"; fail=1
    fi
  fi
  dict=(); [ -f "$here/$harness.dict" ] && dict=(-dict="$here/$harness.dict")
  before=$(find "$corpus" -type f | wc -l)
  t0=$SECONDS
  "$bin" "${dict[@]}" -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/$harness-" "$corpus" "$here/corpus_$name" \
    >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  after=$(find "$corpus" -type f | wc -l)
  echo "# $harness: ${execs:-?} executions in $((SECONDS - t0)) s, $((after - before)) new corpus entries"
  if [ "$rc" -eq 0 ]; then
    echo "PASS fuzz: $harness ran ${seconds} s without findings"
  else
    crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | head -n 1)
    echo "FAIL fuzz: $harness finding (exit $rc, input ${crash:-none saved}; log $log)"
    grep -m 3 -E 'ERROR|runtime error|invariant broken' "$log" | sed 's/^/    /'
    fail=1
  fi
done
exit $fail
