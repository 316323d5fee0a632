#!/usr/bin/env bash
# cube_netcdf.sh — the cube explains itself to generic readers, with no dipscan reader code.
#
# A tiny scan on 2 MPI ranks (the parallel writer), resumed once, then reduced twice (the in-place
# /limits_reduced rewrite).  Then: `ncdump -h` (netCDF-C) lists the named dimensions experiment,
# coupling, m4, mu with their units and no phony dimensions; xarray (netCDF4 engine) opens the
# root group with m4 and mu as coordinates equal to the scanned grid; h5py finds `units` and
# `long_name` on every dataset, a dimension scale on every dimension of every dataset, and the
# card checksums, titles and flags as root attributes; every dataset and root attribute is
# documented in docs/output.md; a cube in the older layout is refused on resume.
set -u
root=${DIPSCAN_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${DIPSCAN_BIN:-$root/bin/dipscan}
py=/usr/bin/python3
S=cube_netcdf
for need in ncdump mpirun; do
  command -v $need >/dev/null || { echo "SKIP $S: all ($need not installed: netcdf-bin / openmpi-bin)"; exit 0; }
done
if ! $py -c 'import h5py, xarray, netCDF4' 2>/dev/null; then
  echo "SKIP $S: all (python3-h5py, python3-xarray or python3-netcdf4 not installed)"; # A cube in the layout before the dimension scales (axes under /axes/) is refused on resume with a
# message that says what to do, and nothing is written to it.
cp "$W/c.h5" "$W/old.h5"
$py -c 'import sys, h5py; f = h5py.File(sys.argv[1], "r+"); f.move("m4", "axes/m4")' "$W/old.h5"
sum_before=$(md5sum <"$W/old.h5")
mpirun -np 2 "$bin" scan "$W/c.yaml" --output "$W/old.h5" >"$W/old.log" 2>&1; rc=$?
check "an older-layout cube is refused on resume (exit 1, says --restart, file untouched)" \
  "[ $rc = 1 ] && grep -q 'written by an older dipscan' '$W/old.log' && grep -q -- '--restart' '$W/old.log' && [ \"\$(md5sum <'$W/old.h5')\" = '$sum_before' ]" \
  "rc $rc: $(grep -m1 older "$W/old.log")"
check "every dataset and root attribute of the cube is in docs/output.md" \
  "grep -q '^docs ok' '$W/py.txt'" "$(grep undocumented "$W/py.txt")"
exit 0
fi
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
check() { if eval "$2"; then echo "PASS $S: $1"; else echo "FAIL $S: $1 (${3:-})"; fi; }

cat >"$W/c.yaml" <<EOF
experiments: [xenonnt_sr0, pandax4t_run1]
couplings: [universal, e]
m4: {values: [0.01, 0.3]}
mu: {from: 1.0e-12, to: 1.0e-9, points: 30}
statistics: {data: asimov, expected: none}
output: $W/c.h5
EOF
mpirun -np 2 "$bin" scan "$W/c.yaml" >"$W/scan.log" 2>&1 &&
  mpirun -np 2 "$bin" scan "$W/c.yaml" >>"$W/scan.log" 2>&1 &&
  "$bin" limits "$W/c.h5" --csv "$W/c.csv" >>"$W/scan.log" 2>&1 &&
  "$bin" limits "$W/c.h5" --csv "$W/c.csv" >>"$W/scan.log" 2>&1
rc=$?
check "scan on 2 ranks, resume, two reductions" "[ $rc = 0 ] && grep -q 'resumed' '$W/scan.log'" \
  "rc $rc: $(tail -2 "$W/scan.log")"

ncdump -h "$W/c.h5" >"$W/ncdump.txt" 2>&1; rc=$?
check "ncdump -h reads the cube" "[ $rc = 0 ]" "$(head -3 "$W/ncdump.txt")"
check "ncdump lists the dimensions experiment = 2, coupling = 2, m4 = 2, mu = 30" \
  "grep -q 'experiment = 2 ;' '$W/ncdump.txt' && grep -q 'coupling = 2 ;' '$W/ncdump.txt' && grep -q 'm4 = 2 ;' '$W/ncdump.txt' && grep -q 'mu = 30 ;' '$W/ncdump.txt'"
check "chi2 is (experiment, coupling, m4, mu) and /limits_reduced/mu_1dof (experiment, coupling, m4)" \
  "grep -q 'double chi2(experiment, coupling, m4, mu)' '$W/ncdump.txt' && grep -q 'double mu_1dof(experiment, coupling, m4)' '$W/ncdump.txt'"
check "m4 and mu carry units MeV and mu_B" \
  "grep -q 'm4:units = \"MeV\"' '$W/ncdump.txt' && grep -q 'mu:units = \"mu_B\"' '$W/ncdump.txt'"
check "no phony (unnamed) dimension anywhere" "! grep -q phony_dim '$W/ncdump.txt'" \
  "$(grep -m3 phony_dim "$W/ncdump.txt")"

$py - "$W/c.h5" "$root/docs/output.md" >"$W/py.txt" 2>&1 <<'PY'
import sys
import h5py, numpy as np, xarray as xr
path = sys.argv[1]
ds = xr.open_dataset(path)
assert ds["chi2"].dims == ("experiment", "coupling", "m4", "mu"), ds["chi2"].dims
assert list(ds["coupling"].values) == ["universal", "e"], ds["coupling"].values
assert list(ds["experiment"].values) == ["xenonnt_sr0", "pandax4t_run1"], ds["experiment"].values
assert np.allclose(ds["m4"].values, [0.01, 0.3]) and ds["m4"].attrs["units"] == "MeV"
assert np.allclose(ds["mu"].values, np.geomspace(1e-12, 1e-9, 30), rtol=1e-12)
row = ds["chi2"].sel(experiment="xenonnt_sr0", coupling="e", m4=0.3)
assert row.dims == ("mu",) and np.isfinite(row.values).all()
print("xarray ok")
missing, unscaled = [], []
with h5py.File(path, "r") as h:
    def visit(name, obj):
        if not isinstance(obj, h5py.Dataset):
            return
        if "units" not in obj.attrs or "long_name" not in obj.attrs:
            missing.append(name)
        if obj.attrs.get("CLASS") != b"DIMENSION_SCALE":
            unscaled.extend("%s[%d]" % (name, i) for i in range(obj.ndim) if len(obj.dims[i]) == 0)
    h.visititems(visit)
    flags = [f.decode() if isinstance(f, bytes) else f for f in h.attrs["card_flags"]]
    sums = h.attrs["card_checksums"]
print("missing units/long_name:", missing)
print("dimensions without a scale:", unscaled)
assert not missing and not unscaled
assert flags == ["none", "digitised exposure_to_check"], flags
assert len(sums) == 2 and all(len(s) == 16 for s in sums)
print("h5py ok")
doc = open(sys.argv[2]).read()
with h5py.File(path, "r") as h:
    names = []
    h.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
    undocumented = ["/" + n for n in names
                    if not n.startswith("limits_reduced.spare/") and "`/%s`" % n not in doc]
    undocumented += ["attribute " + a for a in h.attrs if "`%s`" % a not in doc]
print("undocumented in docs/output.md:", undocumented)
assert names and not undocumented
print("docs ok", len(names), "datasets")
PY
check "xarray.open_dataset: labelled chi2 with m4/mu/experiment/coupling coordinates" \
  "grep -q 'xarray ok' '$W/py.txt'" "$(tail -3 "$W/py.txt")"
check "every dataset has units, long_name and a dimension scale on every dimension; card flags" \
  "grep -q 'h5py ok' '$W/py.txt'" "$(tail -4 "$W/py.txt")"
# A cube in the layout before the dimension scales (axes under /axes/) is refused on resume with a
# message that says what to do, and nothing is written to it.
cp "$W/c.h5" "$W/old.h5"
$py -c 'import sys, h5py; f = h5py.File(sys.argv[1], "r+"); f.move("m4", "axes/m4")' "$W/old.h5"
sum_before=$(md5sum <"$W/old.h5")
mpirun -np 2 "$bin" scan "$W/c.yaml" --output "$W/old.h5" >"$W/old.log" 2>&1; rc=$?
check "an older-layout cube is refused on resume (exit 1, says --restart, file untouched)" \
  "[ $rc = 1 ] && grep -q 'written by an older dipscan' '$W/old.log' && grep -q -- '--restart' '$W/old.log' && [ \"\$(md5sum <'$W/old.h5')\" = '$sum_before' ]" \
  "rc $rc: $(grep -m1 older "$W/old.log")"
check "every dataset and root attribute of the cube is in docs/output.md" \
  "grep -q '^docs ok' '$W/py.txt'" "$(grep undocumented "$W/py.txt")"
exit 0
