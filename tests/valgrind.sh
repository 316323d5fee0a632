#!/usr/bin/env bash
# tests/valgrind.sh — memcheck run of the unit tests and of a small scan: no errors, no definite leaks.
#
# Usage: tests/valgrind.sh [BUILD_DIR]      (default build; run after `make all`; CI calls it after
# `make check`).  Every program runs under valgrind memcheck with --leak-check=full; any memcheck
# error or any "definitely lost" block fails it (exit code 99 from --error-exitcode).  Open MPI's own
# one-off allocations and uninitialised-padding writes are suppressed by tests/valgrind.supp, which
# only names libmpi/libopen-pal/libopen-rte/hwloc/pmix/libevent internals, never dipscan code.
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

check() {  # name command...
  local name=$1; shift
  local log=$logs/$name.log
  "${vg[@]}" --log-file="$log" "$@" >"$log.out" 2>&1; local rc=$?
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

# 1. Unit tests.
for t in "$build"/tests/test_*; do
  [ -x "$t" ] && check "$(basename "$t")" "$t"
done

# 2. A small scan (single rank, no mpirun: valgrind sees dipscan itself, not the launcher).
