#!/usr/bin/env bash
# tests/run.sh — run every dipscan test program and print the closing "N passed, N failed" line.
#
# Usage: tests/run.sh BUILD_DIR [LEVEL...]     LEVEL: unit integration regression (default: all)
# Unit tests are C programs in BUILD_DIR/tests/; integration and regression tests are executable
# scripts in tests/integration/ and tests/regression/ that print PASS/FAIL/SKIP lines like test.h.
# Each program's output goes to BUILD_DIR/test-logs/<name>.log; failing lines are echoed.
set -u
build=${1:?usage: tests/run.sh BUILD_DIR [LEVEL...]}; shift
levels=${*:-unit integration regression}
root=$(cd "$(dirname "$0")/.." && pwd)
export DIPSCAN_ROOT=$root DIPSCAN_BUILD=$(cd "$build" && pwd)
export DIPSCAN_BIN=$DIPSCAN_BUILD/bin/dipscan
# Open MPI as root (CI runs as root) and more ranks than cores (Open MPI FAQ: running as root; oversubscription).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export HDF5_USE_FILE_LOCKING=FALSE
logs=$DIPSCAN_BUILD/test-logs; mkdir -p "$logs"
pass=0; fail=0; skip=0; crashed=""
run_one() {  # name command...
  local name=$1; shift
  local log=$logs/$name.log t0=$SECONDS
  "$@" >"$log" 2>&1; local rc=$?
  local p f s
  p=$(grep -c '^PASS ' "$log"); f=$(grep -c '^FAIL ' "$log"); s=$(grep -c '^SKIP ' "$log")
  pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
  grep -E '^(FAIL|SKIP) ' "$log"
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    fail=$((fail + 1)); crashed="$crashed $name"
    echo "FAIL $name: exited with status $rc and no FAIL line (see $log):"; tail -n 15 "$log" | sed 's/^/    /'
  fi
  printf '# %-34s %3d passed %3d failed %3d skipped  (%ds)\n' "$name" "$p" "$f" "$s" $((SECONDS - t0))
}
for level in $levels; do
  case $level in
    unit)
      for t in "$DIPSCAN_BUILD"/tests/test_*; do [ -x "$t" ] && run_one "$(basename "$t")" "$t"; done ;;
    integration|regression)
      for t in "$root"/tests/$level/*.sh; do [ -x "$t" ] && run_one "$level-$(basename "$t" .sh)" "$t"; done ;;
    *) echo "unknown test level '$level' (allowed: unit, integration, regression)"; exit 2 ;;
  esac
done
[ -n "$crashed" ] && echo "# crashed:$crashed"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
