#!/usr/bin/env bash
# expected_scan.sh — the expected sensitivity of a scan (issue 14): with statistics.expected: toys
# the band, its MC errors, the power edge, PCL, Z and the toys' p-value are bitwise identical at 1,
# 2 and 3 ranks and after kill -9 + resume (the toys are keyed by (seed, entry, coupling, m4),
# never by rank or order); the cube records the seed; PCL >= the observed limit everywhere and
# equals it wherever the observed limit is above the power edge; `dipscan limits` appends the
# expected columns and draws one Brazil-band figure per entry.  With expected: none the fields are
# NaN, the observed results are those of the toys scan bitwise, and the CSV keeps its old header.
SUITE=expected-scan
. "$(dirname "$0")/scan_lib.sh"
cfg=$W/toys.yaml
sed 's/^statistics: {/statistics: {expected: toys, toys: 100, seed: 777, /' "$SMALL" >"$cfg"
bands() {  # bitwise digest of every expected-sensitivity dataset
  local f=$1 d out=""
  for d in /expected/mu_band /expected/mu_band_mc_error /expected/mu_power_edge \
           /expected/p_local_toys /limits/mu_pcl /limits/z_local /limits/mu_1dof; do
    h5dump -d "$d" -b LE -o "$W/raw.bin" "$f" >/dev/null 2>&1 || { echo "unreadable $d"; return; }
    out="$out $(md5sum < "$W/raw.bin" | cut -c1-32)"
  done
  echo "$out"
}
ref=""
for np in 1 2 3; do
  mpirun -np $np "$DIPSCAN_BIN" scan "$cfg" --output "$W/r$np.h5" >"$W/r$np.log" 2>&1; rc=$?
  check "toys scan with $np rank(s) exits 0" "[ $rc -eq 0 ]" "$(tail -n 2 "$W/r$np.log")"
  d=$(bands "$W/r$np.h5")
  if [ $np -eq 1 ]; then ref=$d
  else check "bands, PCL, Z and p-values bitwise identical with $np and 1 ranks" '[ "$d" = "$ref" ]' "$d vs $ref"; fi
done
# kill -9 mid-run, then resume until complete
out=$W/k.h5 killed=0
mpirun -np 2 "$DIPSCAN_BIN" scan "$cfg" --output "$out" >"$W/k.log" 2>&1 &
pid=$!
for _ in $(seq 100); do [ -s "$out.journal" ] || ! kill -0 $pid 2>/dev/null && break; sleep 0.05; done
if kill -0 $pid 2>/dev/null; then kill -9 $(pgrep -P $pid) $pid 2>/dev/null; killed=1; fi
wait $pid 2>/dev/null
mpirun -np 2 "$DIPSCAN_BIN" scan "$cfg" --output "$out" >>"$W/k.log" 2>&1; rc=$?
check "killed (kill -9) mid-run, then resumed to completion" \
  "[ $killed = 1 ] && [ $rc -eq 0 ] && grep -qE 'resumed .*: [1-9][0-9]* units already done' '$W/k.log'" \
  "killed $killed rc $rc: $(grep resumed "$W/k.log")"
check "bands after kill -9 + resume bitwise identical to the uninterrupted run" \
  '[ "$(bands "$out")" = "$ref" ]'
/usr/bin/python3 - "$W/r2.h5" >"$W/py.txt" 2>&1 <<'PY'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
obs, pcl, edge = f["limits/mu_1dof"][()], f["limits/mu_pcl"][()], f["expected/mu_power_edge"][()]
band, err = f["expected/mu_band"][()], f["expected/mu_band_mc_error"][()]
fin = np.isfinite(obs)
print("seed", f.attrs["seed"].decode(), "expected", f.attrs["expected"].decode(), "toys", f.attrs["toys"])
print("pcl_ge_obs", bool(np.all(pcl[fin] >= obs[fin])))
print("pcl_eq_obs_above_edge", bool(np.all(pcl[fin & (obs >= edge)] == obs[fin & (obs >= edge)])))
print("raised", int(np.sum(fin & (obs < edge))), "kept", int(np.sum(fin & (obs >= edge))))
print("edges_increasing", bool(np.all(np.diff(band[np.isfinite(band).all(-1)], axis=-1) > 0)))
print("mc_errors_positive", bool(np.all(err[np.isfinite(err)] > 0)))
print("band_axis", [x.decode() if isinstance(x, bytes) else x for x in f["axes/band"][0]])
PY
check "the cube records seed 777, expected toys, 100 toys" "grep -q '^seed 777 expected toys toys 100' '$W/py.txt'" "$(head -1 "$W/py.txt")"
check "PCL >= observed limit in every unit" "grep -q 'pcl_ge_obs True' '$W/py.txt'"
check "PCL = observed limit wherever it lies above the power edge (and some units raised, some kept)" \
  "grep -q 'pcl_eq_obs_above_edge True' '$W/py.txt' && grep -qE 'raised [1-9][0-9]* kept [1-9]' '$W/py.txt'" "$(grep raised "$W/py.txt")"
check "band edges increase from -2 to +2 sigma; toy MC errors > 0" \
  "grep -q 'edges_increasing True' '$W/py.txt' && grep -q 'mc_errors_positive True' '$W/py.txt'"
"$DIPSCAN_BIN" limits "$W/r2.h5" --csv "$W/l.csv" --plot "$W/plots" >"$W/l.log" 2>&1; rc=$?
check "dipscan limits: the expected columns on the CSV header" \
  "[ $rc -eq 0 ] && head -1 '$W/l.csv' | grep -q ',mu_limit_muB,expected_m2_muB,expected_m1_muB,expected_median_muB,expected_p1_muB,expected_p2_muB,mu_limit_pcl_muB,z_local,status$'" "$(tail -2 "$W/l.log")"
check "one Brazil-band figure per entry (3 entries)" \
  "[ \$(ls '$W/plots'/brazil_*.png 2>/dev/null | wc -l) = 3 ] && [ -s '$W/plots/brazil_xenonnt_sr0+pandax4t_run1.pdf' ]"
sed 's/^statistics: {/statistics: {expected: none, /' "$SMALL" >"$W/none.yaml"
mpirun -np 2 "$DIPSCAN_BIN" scan "$W/none.yaml" --output "$W/none.h5" >"$W/none.log" 2>&1
"$DIPSCAN_BIN" limits "$W/none.h5" --csv "$W/none.csv" --plot "$W/none_plots" >/dev/null 2>&1; rc=$?
/usr/bin/python3 - "$W/none.h5" "$W/r2.h5" >"$W/none.txt" 2>&1 <<'PY'
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
nan = all(np.isnan(a[d][()]).all() for d in ("expected/mu_band", "limits/mu_pcl", "limits/z_local"))
same = all(np.array_equal(a[d][()], b[d][()], equal_nan=True) for d in ("chi2", "limits/mu_1dof", "limits/mu_best", "units/nuisances_best"))
print("nan", nan, "same", same)
PY
check "expected: none — the expected fields NaN; chi2, limits, nuisances bitwise those of the toys scan" \
  "grep -q 'nan True same True' '$W/none.txt'" "$(cat "$W/none.txt")"
check "expected: none — the CSV keeps the 7 old columns and no Brazil figure is drawn" \
  "[ $rc -eq 0 ] && [ \"\$(head -1 '$W/none.csv')\" = experiment,coupling,m4_MeV,data,cl,dof,mu_limit_muB,status ] && ! ls '$W/none_plots'/brazil* >/dev/null 2>&1"
