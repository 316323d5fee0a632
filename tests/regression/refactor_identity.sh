#!/usr/bin/env bash
# Pure-refactor safety net: three shipped scans (scans/paper2025.yaml, scans/mass_scan.yaml with observed
# data, scans/all_xenon_asimov.yaml) are run on 2 ranks and reduced; every dataset of each cube (including
# /limits_reduced), every root attribute but the run-dependent ones (version, times, runs, ranks) and
# every CSV byte must hash exactly as recorded in tests/regression/fingerprints/NAME.txt.
#
# Those records were made by the code before the architecture refactor (issue 12).  A change that is
# meant to move numbers regenerates them deliberately and says why in its commit:
#     DIPSCAN_UPDATE_FINGERPRINTS=1 tests/regression/refactor_identity.sh
set -u
root=${DIPSCAN_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${DIPSCAN_BIN:-$root/bin/dipscan}
suite=regression-refactor-identity
records=$root/tests/regression/fingerprints
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
if ! /usr/bin/python3 -c "import h5py" 2>/dev/null; then
  echo "SKIP $suite: python3-h5py is not installed (apt-get install python3-h5py)"; exit 0
fi
for name in paper2025 mass_scan all_xenon_asimov; do
  cube=$work/$name.h5 csv=$work/${name}_limits.csv
  if ! mpirun -np 2 "$bin" scan "$root/scans/$name.yaml" --output "$cube" >"$work/$name.scan.log" 2>&1; then
    echo "FAIL $suite: scan of scans/$name.yaml failed: $(tail -2 "$work/$name.scan.log")"; continue
  fi
  if ! "$bin" limits "$cube" --csv "$csv" >"$work/$name.limits.log" 2>&1; then
    echo "FAIL $suite: dipscan limits $name failed: $(tail -2 "$work/$name.limits.log")"; continue
  fi
  /usr/bin/python3 "$root/tests/regression/cube_fingerprint.py" "$cube" "$csv" >"$work/$name.txt"
  n=$(wc -l <"$work/$name.txt")
  if [ "${DIPSCAN_UPDATE_FINGERPRINTS:-0}" = 1 ]; then
    mkdir -p "$records" && cp "$work/$name.txt" "$records/$name.txt"
    echo "PASS $suite: $name: fingerprints of $n datasets, attributes and files recorded"
  elif [ ! -f "$records/$name.txt" ]; then
    echo "FAIL $suite: no recorded fingerprints for $name ($records/$name.txt)"
  elif diff -u "$records/$name.txt" "$work/$name.txt" >"$work/$name.diff"; then
    echo "PASS $suite: $name: all $n datasets, attributes and CSV bytes identical to the recorded run"
  else
    echo "FAIL $suite: $name differs from the recorded run:"; grep '^[-+][a-z]' "$work/$name.diff" | head -20
  fi
done
# The CLI paths (dipscan limit, dipscan rates) compared the same way, byte for byte.
cli() {  # name args...
  local name=$1; shift
  if ! "$bin" "$@" >"$work/$name.csv" 2>"$work/$name.err"; then
    echo "FAIL $suite: dipscan $* failed: $(tail -2 "$work/$name.err")"; return
  fi
  local got; got=$(sha256sum <"$work/$name.csv" | cut -c1-32)
  if [ "${DIPSCAN_UPDATE_FINGERPRINTS:-0}" = 1 ]; then
    echo "$got" >"$records/$name.txt"; echo "PASS $suite: $name: output recorded"
  elif [ "$got" = "$(cat "$records/$name.txt" 2>/dev/null)" ]; then
    echo "PASS $suite: $name: dipscan $1 output identical to the recorded run"
  else
    echo "FAIL $suite: $name: dipscan $* output differs from the recorded run"; head -5 "$work/$name.csv"
  fi
}
cli limit_joint limit --expected none --experiment xenonnt_sr0,pandax4t_run1,xenonnt_sr0+lz_ws2024 --m4 0.01,0.3,1.0 \
  --coupling all --data observed --dof 2
cli limit_stepping limit --expected none --experiment lz_ws2022 --m4 0.05 --coupling all --data asimov --electrons stepping \
  --split full --threshold one-sided
cli rates_lz rates --experiment lz_ws2024 --m4 0.1 --coupling mu --mu 3e-11 --split full
