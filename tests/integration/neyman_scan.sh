#!/usr/bin/env bash
# neyman_scan.sh — a scan with statistics.neyman (docs/physics.md §12) on a tiny grid (XENONnT SR0,
# 2 couplings, 3 m4, 4 Neyman points x 40 toys): the cube has /neyman/{mu,tcrit,tcrit_mc_error,t_obs,
# n_failed_toys} and /axes/neyman_mu with units and long_name; every dataset and attribute is bitwise
# the same on 1, 2 and 4 ranks (cube_fingerprint.py), and after kill -9 mid-run and a resume; the
# reducer writes mu_limit_neyman_muB; a scan without statistics.neyman writes no /neyman group;
# bad neyman keys and values are refused with FILE:LINE:COL and the allowed values; dipscan limit
# --method neyman and dipscan coverage work (coverage 0.90 within 3 sigma) and refuse bad usage.
SUITE=neyman-scan
. "$(dirname "$0")/scan_lib.sh"
FP="$DIPSCAN_ROOT/tests/regression/cube_fingerprint.py"
data=$DIPSCAN_ROOT/data/experiments
if [ ! -f "$data/xenonnt_sr0.yaml" ]; then
  skip "Neyman scan" "data/experiments/xenonnt_sr0.yaml not present"; exit 0
fi
cfg=$W/ny.yaml
cat >"$cfg" <<YAML
name: ny
experiments: [xenonnt_sr0]
couplings: [universal, e]
m4: {values: [0.001, 0.01, 0.2]}
mu: {from: 1.0e-12, to: 1.0e-9, points: 60, spacing: log}
statistics:
  expected: none
  neyman: {toys: 40, mu: {from: 3.0e-12, to: 3.0e-11, points: 4, spacing: log}}
run: {batch: 1, progress_seconds: 1}
YAML

ref=""
for np in 1 2 4; do
  mpirun -np $np "$DIPSCAN_BIN" scan "$cfg" --output "$W/r$np.h5" >"$W/r$np.log" 2>&1; rc=$?
  check "Neyman scan with $np rank(s) exits 0" "[ $rc -eq 0 ]" "$(tail -n 2 "$W/r$np.log")"
  fp=$(/usr/bin/python3 "$FP" "$W/r$np.h5")
  if [ $np -eq 1 ]; then ref=$fp
  else check "every dataset and attribute bitwise identical on $np and 1 ranks" '[ "$fp" = "$ref" ]' \
    "$(diff <(echo "$ref") <(echo "$fp") | head -4)"; fi
done

/usr/bin/python3 - "$W/r2.h5" >"$W/content.txt" 2>&1 <<'PY'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
ok = True
for name in ["mu", "tcrit", "tcrit_mc_error", "t_obs", "n_failed_toys"]:
    d = f["neyman/" + name]
    ok &= "units" in d.attrs and "long_name" in d.attrs
tc, mu = f["neyman/tcrit"][...], f["neyman/mu"][...]
print("shape", tc.shape, "labels", [x.decode() if isinstance(x, bytes) else x for x in f["axes/neyman_mu"][0, :4]])
print("finite", int(np.isfinite(tc[..., :4]).sum()), "padding_nan", bool(np.isnan(tc[..., 4:]).all()))
print("range", float(np.nanmin(tc)), float(np.nanmax(tc)), "failed", int(f["neyman/n_failed_toys"][...].sum()))
print("attrs", ok, "toys", float(f.attrs["neyman_toys"]), "mu0", float(mu[0, 0, 0, 0]))
PY
check "cube: /neyman/* [1][2][3][32] with units and long_name, 4 finite t_c per unit in (0, 20), NaN padding, attribute neyman_toys = 40" \
  "grep -q 'shape (1, 2, 3, 32)' '$W/content.txt' && grep -q 'finite 24 padding_nan True' '$W/content.txt' && grep -qE 'range 0\\.[0-9]+ [0-9]\\.[0-9]+ failed 0' '$W/content.txt' && grep -q 'attrs True toys 40.0 mu0 3e-12' '$W/content.txt'" \
  "$(cat "$W/content.txt")"

# kill -9 mid-run, then resume until complete: bitwise the uninterrupted cube
out=$W/k.h5 runs=0 kills=0 done_=0
while [ $runs -lt 6 ] && [ $done_ -eq 0 ]; do
  runs=$((runs + 1))
  mpirun -np 2 "$DIPSCAN_BIN" scan "$cfg" --output "$out" >>"$W/k.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do [ -s "$out.journal" ] || ! kill -0 $pid 2>/dev/null && break; sleep 0.05; done
  if [ $runs -le 2 ] && kill -0 $pid 2>/dev/null; then
    kill -9 $(pgrep -P $pid) $pid 2>/dev/null; wait $pid 2>/dev/null; kills=$((kills + 1))
  else
    wait $pid && done_=1
  fi
done
check "killed Neyman scan completes after resumes ($runs runs, $kills kills)" "[ $done_ -eq 1 ] && [ $kills -ge 1 ]" "$(tail -n 3 "$W/k.log")"
fp=$(/usr/bin/python3 "$FP" "$out")
check "resumed Neyman cube bitwise identical to the uninterrupted one" '[ "$fp" = "$ref" ]' \
  "$(diff <(echo "$ref") <(echo "$fp") | head -4)"

"$DIPSCAN_BIN" limits "$W/r2.h5" --csv "$W/r2.csv" --no-write >"$W/lim.log" 2>&1; rc=$?
check "reducer: CSV header has mu_limit_neyman_muB before the status column, 1-dof rows carry a finite value" \
  "[ $rc -eq 0 ] && head -1 '$W/r2.csv' | grep -q ',mu_limit_neyman_muB,status$' && awk -F, '\$6 == 1 && \$8 + 0 > 0' '$W/r2.csv' | grep -q ." \
  "rc $rc: $(head -3 "$W/r2.csv")"

# The Neyman fields explain themselves like every other dataset (docs/output.md, netCDF view).
/usr/bin/python3 - "$W/r2.h5" "$DIPSCAN_ROOT/docs/output.md" >"$W/doc.txt" 2>&1 <<'PY'
import sys
import h5py, xarray as xr
path, doc = sys.argv[1], open(sys.argv[2]).read()
bad = []
with h5py.File(path, "r") as h:
    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            if "`/%s`" % name not in doc:
                bad.append("undocumented /" + name)
            if "units" not in obj.attrs or "long_name" not in obj.attrs:
                bad.append("no units/long_name /" + name)
    h.visititems(visit)
    bad += ["undocumented attribute " + a for a in h.attrs if "`%s`" % a not in doc]
ny = xr.open_dataset(path, group="neyman")
if ny["tcrit"].dims != ("experiment", "coupling", "m4", "neyman_mu"):
    bad.append("tcrit dims %s" % (ny["tcrit"].dims,))
print("problems:", bad if bad else "none")
PY
check "Neyman cube: every dataset and attribute documented in docs/output.md, with units and long_name; xarray dims" \
  "grep -q '^problems: none' '$W/doc.txt'" "$(tail -n 2 "$W/doc.txt")"

sed '/neyman:/d' "$cfg" >"$W/plain.yaml"
"$DIPSCAN_BIN" scan "$W/plain.yaml" --output "$W/plain.h5" >"$W/plain.log" 2>&1; rc=$?
check "without statistics.neyman: no /neyman group, no neyman_toys attribute" \
  "[ $rc -eq 0 ] && ! h5dump -n '$W/plain.h5' | grep -q neyman && ! h5dump -A '$W/plain.h5' | grep -q neyman_toys"

bad() { # NAME SED-EXPRESSION EXPECTED-GREP
  sed "$2" "$cfg" >"$W/bad.yaml"
  "$DIPSCAN_BIN" scan "$W/bad.yaml" --output "$W/bad.h5" --dry-run >"$W/bad.log" 2>&1; local rc=$?
  check "refused: $1" "[ $rc -ne 0 ] && grep -qE '$3' '$W/bad.log'" "rc $rc: $(tail -n 2 "$W/bad.log")"
}
bad "unknown key in statistics.neyman" 's/toys: 40,/toyz: 40,/' 'bad.yaml:[0-9]+:[0-9]+: .*unknown key .toyz.*allowed keys: toys, mu'
bad "unknown spacing (lists linear, log)" 's/spacing: log}}/spacing: cubic}}/' 'bad.yaml:[0-9]+:[0-9]+: .*cubic.*linear, log'
bad "more Neyman points than the axis holds" 's/points: 4,/points: 33,/' 'bad.yaml:[0-9]+:[0-9]+: .*points must be a whole number in \[2, 32\]'
bad "Neyman axis to <= from" 's/to: 3.0e-11/to: 1.0e-12/' 'bad.yaml:[0-9]+:[0-9]+: .*to must be'

# the commands: dipscan limit --method neyman and dipscan coverage (tiny), and their usage errors
"$DIPSCAN_BIN" limit --experiment xenonnt_sr0 --m4 0.01 --method neyman --toys 50 --expected none \
  >"$W/lim.csv" 2>"$W/lim.err"; rc=$?
check "limit --method neyman: column mu_limit_neyman_muB with a finite limit, t_c table on stderr" \
  "[ $rc -eq 0 ] && head -1 '$W/lim.csv' | grep -q ',mu_limit_neyman_muB$' && awk -F, 'NR == 2 && \$10 + 0 > 0' '$W/lim.csv' | grep -q . && grep -q 't_crit_mc_error' '$W/lim.err'" \
  "rc $rc: $(cat "$W/lim.csv" "$W/lim.err" | head -5)"
# coverage, small version (XENONnT, 0.01 MeV, Asimov data, the Wilks limit 9.416e-12 as true mu;
# 120 pseudo-experiments x 150 toys): Neyman 0.90 within 3 binomial sigma (one deterministic draw;
# the 2-sigma table with 1000 pseudo-experiments at several mu is in docs/physics.md §12.4)
"$DIPSCAN_BIN" coverage --experiment xenonnt_sr0 --m4 0.01 --mu 9.416e-12 --data asimov --pseudo 120 \
  --toys 150 >"$W/cov.csv" 2>&1; rc=$?
check "coverage: Neyman region covers 0.90 within 3 binomial sigma (120 pseudo-experiments, none failed)" \
  "[ $rc -eq 0 ] && awk -F, 'NR == 2 && \$7 == 120 && \$13 == 0 && (\$11 - 0.9) ^ 2 <= 9 * 0.09 / 120' '$W/cov.csv' | grep -q ." \
  "rc $rc: $(cat "$W/cov.csv")"
usage() { # NAME EXPECTED-GREP ARGS...
  local name=$1 want=$2; shift 2
  "$DIPSCAN_BIN" "$@" >"$W/u.out" 2>&1; local rc=$?
  check "usage error exits 2: $name" "[ $rc -eq 2 ] && grep -qE '$want' '$W/u.out'" "rc $rc: $(cat "$W/u.out")"
}
usage "--method lists wilks, neyman" 'allowed: wilks, neyman' limit --experiment xenonnt_sr0 --m4 0.01 --method foo
usage "--neyman-mu without --method neyman" 'needs --method neyman' limit --experiment xenonnt_sr0 --m4 0.01 --neyman-mu 1e-12:2e-12:4
usage "--method neyman with --dof 2" 'needs --dof 1' limit --experiment xenonnt_sr0 --m4 0.01 --method neyman --dof 2
usage "coverage --pseudo 0" 'pseudo must be' coverage --experiment xenonnt_sr0 --m4 0.01 --mu 1e-11 --pseudo 0
