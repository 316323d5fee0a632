#!/usr/bin/env bash
# tests/valgrind.sh — memcheck run of the unit tests and of a small scan: no errors, no definite leaks.
#
# Usage: tests/valgrind.sh [BUILD_DIR]      (default build; run after `make all`; CI calls it after
# `make check`).  Every program runs under valgrind memcheck with --leak-check=full; any memcheck
# error or any "definitely lost" block fails it (exit code 99 from --error-exitcode).  Open MPI's own
# one-off allocations and PMIx's uninitialised padding are suppressed by tests/valgrind.supp (MPI /
# PMIx internals only, plus one commented, test-only entry for scan_run's deliberate fatal path).
# Prints PASS/FAIL/SKIP lines; logs go to BUILD_DIR/valgrind/<name>.log.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
logs=$build/valgrind; mkdir -p "$logs"
export DIPSCAN_ROOT=$root DIPSCAN_BUILD=$build DIPSCAN_BIN=$build/bin/dipscan
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 HDF5_USE_FILE_LOCKING=FALSE
vg=(valgrind --tool=memcheck --error-exitcode=99 --leak-check=full --show-leak-kinds=definite
    --errors-for-leak-kinds=definite --track-origins=yes --num-callers=40
    --suppressions="$root/tests/valgrind.supp")
fail=0
if ! command -v valgrind >/dev/null; then
  echo "SKIP valgrind: all (valgrind is not installed; apt-get install valgrind)"; exit 0
fi

check() {  # name command...   (EXPECT_FAIL=1: the command itself must fail, but memcheck-clean)
  local name=$1; shift
  local log=$logs/${name// /_}.log
  "${vg[@]}" --log-file="$log" "$@" >"$log.out" 2>&1; local rc=$?
  [ "${EXPECT_FAIL:-0}" = 1 ] && [ "$rc" -ne 0 ] && [ "$rc" -ne 99 ] && rc=0
  local errors lost
  errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$log" | sort -n | tail -n 1)
  lost=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$log" | tr -d , | sort -n | tail -n 1)
  if [ "$rc" -eq 0 ] && [ "${errors:-x}" = 0 ]; then
    echo "PASS valgrind: $name (0 errors, ${lost:-0} bytes definitely lost)"
  else
    echo "FAIL valgrind: $name (exit $rc, ${errors:-?} errors, ${lost:-?} bytes definitely lost; see $log)"
    fail=1
  fi
}

# 1. Unit tests, DIPSCAN_VALGRIND_JOBS (default 2) at a time: each runs single-threaded under
#    valgrind, and their scratch files are unique (mkdtemp, pid); verdicts are printed in order.
jobs_max=${DIPSCAN_VALGRIND_JOBS:-2}
names=()
for t in "$build"/tests/test_*; do
  [ -x "$t" ] || continue
  names+=("$(basename "$t")")
  check "${names[-1]}" "$t" >"$logs/${names[-1]}.verdict" &
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n; done
done
wait
for name in "${names[@]}"; do
  cat "$logs/$name.verdict"
  grep -q '^PASS' "$logs/$name.verdict" || fail=1
done

# 2. A small scan (tests/data/scan_small.yaml: 96 units x 40 mu) as a singleton and on 2 ranks
#    under mpirun (valgrind on each rank, not on the launcher), then the other subcommands.
bin=$build/bin/dipscan
work=$(mktemp -d /tmp/dipscan-valgrind.XXXXXX); trap 'rm -rf "$work"' EXIT
check "scan (1 rank)" "$bin" scan "$root/tests/data/scan_small.yaml" --output "$work/small.h5"
if command -v mpirun >/dev/null; then
  export OMPI_MCA_rmaps_base_oversubscribe=1
  log2=$logs/scan-2-ranks
  mpirun -np 2 "${vg[@]}" --log-file="$log2.%q{OMPI_COMM_WORLD_RANK}.log" \
    "$bin" scan "$root/tests/data/scan_small.yaml" --output "$work/small2.h5" >"$log2.out" 2>&1
  rc=$?
  errors=$(cat "$log2".[0-9].log | sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' | sort -n | tail -n 1)
  if [ "$rc" -eq 0 ] && [ "${errors:-x}" = 0 ]; then
    echo "PASS valgrind: scan (2 ranks under mpirun; 0 errors on each rank)"
  else
    echo "FAIL valgrind: scan (2 ranks) (exit $rc, ${errors:-?} errors; see $log2.*.log)"; fail=1
  fi
fi
check "limits" "$bin" limits "$work/small.h5" --no-write --csv "$work/small.csv"
check "limit (joint, 2 dof)" "$bin" limit --experiment xenonnt_sr0+pandax4t_run1 --m4 0.01,0.3 --dof 2
check "rates" "$bin" rates --experiment xenonnt_sr0 --electrons stepping
EXPECT_FAIL=1 check "bad config (error path)" "$bin" scan "$root/tests/data/scan_bad_values.yaml" --dry-run
exit $fail
