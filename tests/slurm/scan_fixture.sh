# tests/slurm/scan_fixture.sh — the small scan the SLURM test submits, and checks of its outputs
# (sourced by tests/integration/slurm.sh).  Knows the cube layout of include/engine/cube.h and the CSV of
# `dipscan limits`; everything SLURM-specific stays in the test itself.
#
# The grid: 1 experiment x 2 flavours x SLURM_TEST_M4 m4 points x SLURM_TEST_MU mu points, sized so that a
# 2-rank scan runs for a few seconds: long enough to be stopped twice mid-run, short enough for the 3-minute
# budget.  (The real scan runs at ~1.8e5 points/s on 2 ranks: 400 units x 1500 mu take ~3.3 s; the first
# sizing, 48 x 40, finished in 0.02 s and could not be stopped mid-run.)
SLURM_TEST_M4=${SLURM_TEST_M4:-200}
SLURM_TEST_MU=${SLURM_TEST_MU:-1500}

expected_units() { echo $((2 * SLURM_TEST_M4)); }

write_scan_config() {  # FILE
  cat > "$1" <<EOF
# SLURM integration test scan (tests/integration/slurm.sh); the output is given on the command line.
name: slurm_test
experiments: [xenonnt_sr0]
couplings: [e, mu]
m4: {from: 0.01, to: 0.5, points: $SLURM_TEST_M4, spacing: log}
mu: {from: 1.0e-12, to: 1.0e-9, points: $SLURM_TEST_MU, spacing: log}
EOF
}

# Finished units of a running or stopped scan: the journal holds one record per unit (format 2:
# 48-byte header whose u32 at offset 20 is the payload length P, then P bytes, then an 8-byte hash).
units_done() {  # CUBE
  local size payload
  size=$(stat -c %s "$1.journal" 2>/dev/null) || { echo 0; return; }
  payload=$(od -An -j20 -N4 -tu4 "$1.journal" 2>/dev/null | tr -d ' ')
  [ -n "$payload" ] || { echo 0; return; }
  echo $((size / (48 + payload + 8)))
}

# A complete cube: every unit done, status "complete", chi2 finite everywhere, written by RANKS ranks.
check_cube() {  # CUBE RANKS
  /usr/bin/python3 - "$1" "$2" "$(expected_units)" <<'PY'
import sys
try:
    import h5py, numpy as np
except ImportError as e:
    print(f"cannot check the cube: {e} (install python3-h5py)"); sys.exit(1)
path, ranks, units = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
try:
    f = h5py.File(path, "r")
except OSError as e:
    print(f"cannot open {path}: {e}"); sys.exit(1)
done, chi2 = f["done"][...], f["chi2"][...]
status = f.attrs["status"]; status = status.decode() if isinstance(status, bytes) else str(status)
problems = []
if done.size != units: problems.append(f"{done.size} units, expected {units}")
if not done.all(): problems.append(f"{int((done == 0).sum())} units not done")
if status != "complete": problems.append(f"status '{status}'")
if not np.isfinite(chi2).all(): problems.append(f"{int((~np.isfinite(chi2)).sum())} non-finite chi2")
if int(f.attrs["ranks"]) != ranks: problems.append(f"ranks attribute {f.attrs['ranks']}, expected {ranks}")
if problems:
    print("; ".join(problems)); sys.exit(1)
print(f"{done.size} units done, chi2{list(chi2.shape)} finite, status complete, {ranks} ranks, runs={int(f.attrs['runs'])}")
PY
}

# The reducer's CSV: the documented header (its first 7 columns; the expected-sensitivity columns
# of docs/physics.md §11 follow), one 1-dof row per unit, limits that are numbers.
check_csv() {  # CSV
  /usr/bin/python3 - "$1" "$(expected_units)" <<'PY'
import csv, math, sys
path, units = sys.argv[1], int(sys.argv[2])
try:
    rows = list(csv.reader(open(path)))
except OSError as e:
    print(f"cannot read {path}: {e}"); sys.exit(1)
header = "experiment,coupling,m4_MeV,data,cl,dof,mu_limit_muB".split(",")
if not rows or rows[0][:len(header)] != header:
    print(f"header {rows[0] if rows else None}, expected {header}"); sys.exit(1)
one = [r for r in rows[1:] if r[5] == "1"]
if len(one) != units:
    print(f"{len(one)} 1-dof rows, expected {units}"); sys.exit(1)
lim = [float(r[6]) for r in one]
if any(math.isnan(x) or x <= 0 for x in lim):
    print("a 1-dof limit is NaN or not positive"); sys.exit(1)
fin = [x for x in lim if math.isfinite(x)]
print(f"{len(rows) - 1} rows, {len(one)} 1-dof limits" +
      (f" from {min(fin):.3g} to {max(fin):.3g} mu_B" if fin else " (all infinite)"))
PY
}
