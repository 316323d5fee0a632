# scan_lib.sh — helpers sourced by the scan integration tests (not a test itself: not executable).
# Provides: ok/ko/skip (PASS/FAIL/SKIP lines), $DRIVER (the scan engine with the synthetic
# evaluator, tests/unit/test_scan.c), digest FILE (checksums of /chi2, /limits/*, /done,
# /units/nuisances_best via h5dump),
# journal_units FILE (unit index of every journal record), a per-script scratch directory $W.
: "${DIPSCAN_ROOT:?run through tests/run.sh}" "${DIPSCAN_BUILD:?}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export HDF5_USE_FILE_LOCKING=FALSE
DRIVER="$DIPSCAN_BUILD/tests/test_scan"
SMALL="$DIPSCAN_ROOT/tests/data/scan_small.yaml"
W=$(mktemp -d /tmp/dipscan_it.XXXXXX)
trap 'rm -rf "$W"' EXIT
ok()   { echo "PASS $SUITE: $1"; }
ko()   { echo "FAIL $SUITE: $1 ($2)"; }
skip() { echo "SKIP $SUITE: $1 ($2)"; }
check() { if eval "$2"; then ok "$1"; else ko "$1" "${3:-condition false}"; fi; }
# Bitwise digest of the result datasets (h5dump -b writes the raw little-endian bytes).
digest() {
  local f=$1 d out=""
  for d in /chi2 /limits/mu_1dof /limits/chi2_min /limits/mu_best /done /units/nuisances_best; do
    h5dump -d "$d" -b LE -o "$W/raw.bin" "$f" >/dev/null 2>&1 || { echo "unreadable"; return; }
    out="$out $(md5sum < "$W/raw.bin" | cut -c1-32)"
  done
  echo "$out"
}
# Bytes of one journal record (format 2: a 48-byte header whose u32 at offset 20 is the payload
# length P, then P bytes, then an 8-byte hash), and the unit index of every record (2nd 8-byte
# word).
journal_record_size() {
  local p
  p=$(od -An -j20 -N4 -tu4 "$1" | tr -d ' ')
  echo $((48 + ${p:-0} + 8))
}
journal_units() {  # (whole records only; the record size need not be a multiple of 8)
  [ -s "$1" ] || return 0
  /usr/bin/python3 -c "
import struct, sys
b = open(sys.argv[1], 'rb').read(); n = $(journal_record_size "$1")
for i in range(len(b) // n): print(struct.unpack_from('<Q', b, i * n + 8)[0])" "$1"
}
