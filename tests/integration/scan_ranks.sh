#!/usr/bin/env bash
# scan_ranks.sh — rank-count invariance: the same small scan under mpirun -np 1, 2, 3, 4 gives
# bitwise-identical /chi2, /limits/*, /done, /units/nuisances_best (h5dump -b).  The synthetic
# evaluator always; the real physics (bin/dipscan) too when the experiment cards are present.  The
# cube is read back by the C reader (test_scan --check / --check-limits) and by h5dump, which also
# reads /axes/nuisance and /units/nuisances_best of the physics cube.
SUITE=scan-ranks
. "$(dirname "$0")/scan_lib.sh"

ref=""
for np in 1 2 3 4; do
  out=$W/syn$np.h5
  mpirun -np $np "$DRIVER" --drive "$SMALL" --output "$out" --cost-ms 1 >"$W/syn$np.log" 2>&1
  rc=$?
  check "synthetic scan with $np rank(s) exits 0" "[ $rc -eq 0 ]" "$(tail -n 2 "$W/syn$np.log")"
  d=$(digest "$out")
  if [ $np -eq 1 ]; then ref=$d
  else check "synthetic cube bitwise identical with $np and 1 ranks" '[ "$d" = "$ref" ]' "$d vs $ref"; fi
done
check "progress lines on stderr (units, points/s, ETA)" \
  "grep -qE '^scan: [0-9]+/96 units .* points/s, ETA' '$W/syn2.log'"
"$DRIVER" --check "$W/syn2.h5" scan-ranks-reader
h5dump -A "$W/syn3.h5" >"$W/attrs.txt" 2>&1
check "h5dump reads the root attributes (config, hash, conventions, ranks)" \
  "grep -q 'ATTRIBUTE \"config_hash\"' '$W/attrs.txt' && grep -q '\"mu_B\"' '$W/attrs.txt' && grep -q 'ATTRIBUTE \"ranks\"' '$W/attrs.txt' && grep -q '\"complete\"' '$W/attrs.txt'"

data=$DIPSCAN_ROOT/data/experiments
if [ -f "$data/xenonnt_sr0.yaml" ] && [ -f "$data/pandax4t_run1.yaml" ]; then
  ref=""
  for np in 1 2 4; do
    out=$W/phys$np.h5
    mpirun -np $np "$DIPSCAN_BIN" scan "$SMALL" --output "$out" >"$W/phys$np.log" 2>&1
    rc=$?
    check "dipscan scan with $np rank(s) exits 0" "[ $rc -eq 0 ]" "$(tail -n 2 "$W/phys$np.log")"
    d=$(digest "$out")
    if [ $np -eq 1 ]; then ref=$d
    else check "physics cube bitwise identical with $np and 1 ranks" '[ "$d" = "$ref" ]' "$d vs $ref"; fi
  done
  "$DRIVER" --check-limits "$W/phys2.h5" scan-ranks-physics
  h5dump -d /axes/nuisance "$W/phys2.h5" >"$W/nuis_names.txt" 2>&1; rc1=$?
  h5dump -d /units/nuisances_best "$W/phys2.h5" >"$W/nuis.txt" 2>&1; rc2=$?
  check "h5dump reads /axes/nuisance (alpha_pp ... beta_xenonnt_sr0_*)" \
    "[ $rc1 -eq 0 ] && grep -q '\"alpha_pp\"' '$W/nuis_names.txt' && grep -q '\"beta_xenonnt_sr0_' '$W/nuis_names.txt'" \
    "rc $rc1: $(head -c 300 "$W/nuis_names.txt")"
  check "h5dump reads /units/nuisances_best [E][F][M][32], finite values and NaN padding" \
    "[ $rc2 -eq 0 ] && grep -q 'DATASPACE  SIMPLE { ( [0-9]*, [0-9]*, [0-9]*, 32 )' '$W/nuis.txt' && grep -qE '(^|[ ,])-?[0-9]\.[0-9]' '$W/nuis.txt' && grep -q 'nan' '$W/nuis.txt'" \
    "rc $rc2: $(head -c 300 "$W/nuis.txt")"
else
  skip "physics scan at 1/2/4 ranks" "data/experiments/{xenonnt_sr0,pandax4t_run1}.yaml not present yet"
fi

# --dry-run prints the plan and writes nothing
"$DIPSCAN_BIN" scan "$SMALL" --dry-run --output "$W/dry.h5" >"$W/dry.txt" 2>&1; rc=$?
check "--dry-run prints the plan (96 units, 3840 points) and creates no output" \
  "[ $rc -eq 0 ] && grep -q 'units: 96 = 3 entries x 2 couplings x 16 m4' '$W/dry.txt' && grep -q 'points: 3840' '$W/dry.txt' && [ ! -e '$W/dry.h5' ]" \
  "rc $rc: $(head -n 3 "$W/dry.txt")"
dry() { sed -n "s/^$1: //p" "$W/dry.txt"; }
check "--dry-run: the resolved names and sizes as key: value lines" \
  "[ \"\$(dry dry_run.output)\" = '$W/dry.h5' ] && [ \"\$(dry dry_run.name)\" = small ] && [ \"\$(dry dry_run.units)\" = 96 ] && [ \"\$(dry dry_run.points)\" = 3840 ]" \
  "$(grep dry_run "$W/dry.txt")"
# the estimate: units timed with the real evaluator; core-seconds = units x unit time; on --ranks 4 the
# wall time covers a quarter of the work plus the set-up, and the efficiency is at most 1
"$DIPSCAN_BIN" scan "$SMALL" --dry-run --ranks 4 --calibrate 0.3 >"$W/dry.txt" 2>&1; rc=$?
check "--dry-run --ranks 4: a calibrated estimate consistent with its unit time" \
  "[ $rc -eq 0 ] && [ \"\$(dry estimate.ranks)\" = 4 ] && [ \"\$(dry estimate.calibration_units)\" -ge 1 ] && awk -v u=\"\$(dry estimate.unit_seconds)\" -v c=\"\$(dry estimate.core_seconds)\" -v w=\"\$(dry estimate.wall_seconds)\" -v s=\"\$(dry estimate.setup_seconds)\" -v e=\"\$(dry estimate.efficiency)\" 'BEGIN {exit !(u > 0 && c > 0 && (c - 96 * u) ^ 2 < (1e-5 * c) ^ 2 && w >= s + c / 4 && e > 0 && e <= 1)}'" \
  "rc $rc: $(grep estimate "$W/dry.txt")"
"$DIPSCAN_BIN" scan "$SMALL" --dry-run --calibrate 0 >"$W/dry.txt" 2>&1; rc=$?
check "--dry-run --calibrate 0: names, no estimate" \
  "[ $rc -eq 0 ] && grep -q '^dry_run.units: 96' '$W/dry.txt' && ! grep -q '^estimate' '$W/dry.txt'" "rc $rc"
"$DIPSCAN_BIN" scan "$SMALL" --dry-run --ranks 0 >"$W/dry.txt" 2>&1; rc=$?
check "--dry-run --ranks 0: refused (exit 2)" "[ $rc -eq 2 ] && grep -q 'ranks must be a whole number' '$W/dry.txt'" "rc $rc"
