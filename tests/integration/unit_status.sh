#!/usr/bin/env bash
# unit_status.sh — no unit can abort a scan (issue 13, item 3).  Cards in tests/data/cards/ that used to
# abort every scan (and every resume) at the same unit: one bin 1-30 keV (flat chi^2: the best-fit
# search fails at one unit), one bin 1-2 keV, and ~1e10 counts per bin (chi2_mu_max rounding above
# the template ceiling).  Each scan now completes; a unit's trouble is its /units/status
# (1 ok, 2 no sensitivity = limit +inf, 3-5 failed), reported by `dipscan limits` and `dipscan limit`.
SUITE=unit-status
. "$(dirname "$0")/scan_lib.sh"
[ -d "$DIPSCAN_ROOT/data/experiments" ] || { skip "unit status" "no data/experiments"; exit 0; }
CARDS=$DIPSCAN_ROOT/tests/data/cards
FAILING_M4=0.002228917931216377   # onebin_1_30, universal: the best-fit root search fails here
py() { /usr/bin/python3 -c "import h5py, numpy as np; f = h5py.File('$1', 'r'); $2" 2>/dev/null; }
config() {  # card m4-spec output
  printf 'experiments: [%s]\nflavors: [universal, e, mu, tau]\nm4: %s\nmu: {from: 1.0e-12, to: 1.0e-8, points: 100, spacing: log}\noutput: %s\n' \
    "$CARDS/$1.yaml" "$2" "$3" >"$W/$1.yaml"
}

# 1. one bin 1-30 keV: a failing unit, units without signal (m4 beyond the solar endpoints), ok units
config onebin_1_30 "{values: [0.001, $FAILING_M4, 19.9]}" "$W/flat.h5"
mpirun -np 2 "$DIPSCAN_BIN" scan "$W/onebin_1_30.yaml" >"$W/flat.log" 2>&1; rc=$?
check "one bin 1-30 keV: the scan completes (exit 0)" "[ $rc -eq 0 ] && grep -q 'complete:' '$W/flat.log'" \
  "rc $rc: $(grep error "$W/flat.log" | head -2)"
st=$(py "$W/flat.h5" "print(' '.join(map(str, f['units/status'][0].ravel())))")
check "status per unit: no sensitivity (flat chi^2, or no signal at 19.9 MeV) but failed (limit search) at universal/$FAILING_M4" \
  "[ '$st' = '2 4 2 2 2 2 2 2 2 2 2 2' ]" "got $st"
check "the failed unit's limits are NaN, its chi2 row is kept and flat; no-sensitivity limits are +inf" \
  "py '$W/flat.h5' \"l = f['limits/mu_1dof'][0]; c = f['chi2'][0]; assert np.isnan(l[0, 1]) and np.isfinite(c[0, 1]).all() and np.ptp(c[0, 1]) < 1e-6 and np.isinf(np.delete(l.ravel(), 1)).all()\""
check "the status dataset is documented (long_name lists the codes)" \
  "py '$W/flat.h5' \"assert b'2 no sensitivity' in f['units/status'].attrs['long_name']\""
"$DIPSCAN_BIN" limits "$W/flat.h5" --csv "$W/flat.csv" >"$W/limits.log" 2>&1; rc=$?
check "dipscan limits reports the failed unit and the no-sensitivity units" \
  "[ $rc -eq 0 ] && grep -q '1 units failed: limit search (see /units/status): onebin_1_30/universal/m4=0.00222892' '$W/limits.log' && grep -q '11 units no sensitivity (limit +inf)' '$W/limits.log'" \
  "rc $rc: $(cat "$W/limits.log")"
"$DIPSCAN_BIN" limit --experiment "$CARDS/onebin_1_30.yaml" --coupling universal --m4 "0.001,$FAILING_M4,19.9" \
  >"$W/limit.out" 2>"$W/limit.err"; rc=$?
check "dipscan limit goes on (exit 0) and names the failure with its reason" \
  "[ $rc -eq 0 ] && grep -q 'failed: limit search: limit: best fit: root finder failed' '$W/limit.err' && [ \$(wc -l <'$W/limit.out') = 4 ]" \
  "rc $rc: $(cat "$W/limit.err")"
check "dipscan limit says no sensitivity (limit +inf) at 19.9 MeV" \
  "grep -q 'at m4 = 19.9 MeV: no sensitivity (limit +inf)' '$W/limit.err' && grep -q ',19.9,.*,inf,' '$W/limit.out'"

# 1b. with statistics.expected: toys the toy fits hit the same flat chi^2: the scan still completes
config onebin_1_30 "{values: [0.001, $FAILING_M4]}" "$W/toys.h5"
echo "statistics: {expected: toys}" >>"$W/onebin_1_30.yaml"
mpirun -np 2 "$DIPSCAN_BIN" scan "$W/onebin_1_30.yaml" >"$W/toys.log" 2>&1; rc=$?
st=$(py "$W/toys.h5" "print(' '.join(map(str, f['units/status'][0].ravel())))")
check "expected: toys on the flat card: the scan completes, the failing unit keeps its status ($st)" \
  "[ $rc -eq 0 ] && [ '$st' = '2 4 2 2 2 2 2 2' ]" "rc $rc: $(grep -m 1 error "$W/toys.log")"

# 2. one bin 1-2 keV and ~1e10 counts per bin on a 30-point m4 grid (both aborted at their first
#    units before): every unit completes, ok with a finite limit or no sensitivity with +inf
for card in onebin_1_2 huge_counts; do
  config $card "{from: 0.001, to: 0.6, points: 30, spacing: log}" "$W/$card.h5"
  mpirun -np 2 "$DIPSCAN_BIN" scan "$W/$card.yaml" >"$W/$card.log" 2>&1; rc=$?
  n=$(py "$W/$card.h5" "s = f['units/status'][...]; l = f['limits/mu_1dof'][...]; assert (np.isfinite(l) == (s == 1)).all() and (np.isinf(l) == (s == 2)).all(); print((s == 1).sum(), (s == 2).sum())")
  check "$card: the scan completes, every unit ok (finite limit) or no sensitivity (+inf): ${n:-?} of 120" \
    "[ $rc -eq 0 ] && [ \$(( ${n// /+} )) = 120 ]" "rc $rc: $(grep error "$W/$card.log" | head -2)"
done
