#!/usr/bin/env bash
# tests/integration/no_nan.sh — numerical robustness on the shipped scans: no NaN in any output, for
# every m4 of each scans/*.yaml axis plus masses at and beyond the kinematic endpoints.
#
# For each shipped scan config, `dipscan limit` is run over all its experiment entries (joint fits
# included), all four couplings, its data mode, CL and threshold, at 1 and 2 dof, on the config's m4
# axis (thinned to at most 24 points, first and last kept: every m4 of the axis is checked again in
# the cube below) extended by m4 = 0 and masses around the largest solar endpoint (hep, read from
# data/solar/spectrum_hep.yaml) up to 100 MeV.  Every output field must be a number (no nan), the
# limits positive or +inf (at 2 dof also 0, the sentinel `dipscan limit` documents on stderr for
# "every mu excluded", which observed PandaX data give at low m4), chi2_min finite and >= 0, and every
# m4 above the hep endpoint (where no sterile neutrino can be produced) must give +inf at 1 dof (at
# 2 dof +inf or that sentinel: chi2 no longer depends on mu, so the slice is all in or all out).
# Each shipped scan (and demo.yaml with an m4 axis at and beyond every endpoint) is then run on 2
# ranks: every unit done, no NaN in /chi2 or /limits, +inf 1-dof limits beyond the endpoint, and
# no nan in the reducer's CSV.
set -u
root=${DIPSCAN_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${DIPSCAN_BIN:-$root/bin/dipscan}
suite=no-nan
W=$(mktemp -d /tmp/dipscan-nonan.XXXXXX)
trap 'rm -rf "$W"' EXIT

# Largest neutrino energy of any solar source [MeV]: the hep endpoint.
e_max=$(python3 - "$root/data/solar/spectrum_hep.yaml" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
values = re.search(r"energy_MeV:\s*\[([^\]]*)\]", text).group(1)
print(max(float(v) for v in values.replace("\n", " ").split(",") if v.strip()))
PY
)

# The pieces of a scan config `dipscan limit` needs, one per line: entries, m4 list, data, cl,
# threshold.  The shipped configs use flow style (checked: the script fails loudly otherwise).
plan() {
  python3 - "$1" "$e_max" <<'PY'
import math, re, sys
text = re.sub(r"#.*", "", open(sys.argv[1]).read())
e_max = float(sys.argv[2])
def flow(key):
    m = re.search(r"^%s:\s*(.*)$" % key, text, re.M)
    return m.group(1).strip() if m else None
def words(s):
    return [w.strip() for w in s.strip("[]").split(",") if w.strip()]
entries = words(flow("experiments"))
joint = flow("joint")
if joint:
    entries += ["+".join(words(g)) for g in re.findall(r"\[([^\[\]]*)\]", joint)]
axis = dict(re.findall(r"(\w+):\s*([^,{}]+|\[[^\]]*\])", flow("m4").strip("{}")))
if "values" in axis:
    m4 = [float(v) for v in words(axis["values"])]
else:
    a, b, n = float(axis["from"]), float(axis["to"]), int(axis["points"])
    log = axis.get("spacing", "log").strip() == "log"
    m4 = [math.exp(math.log(a) + (math.log(b) - math.log(a)) * i / (n - 1)) if log
          else a + (b - a) * i / (n - 1) for i in range(n)]
if len(m4) > 24:  # every k-th mass and the last: the cubes below cover the whole axis
    m4 = m4[::-(-len(m4) // 24)] + [m4[-1]]
extra = [0.0, 0.999 * e_max, e_max, 1.001 * e_max, 25.0, 100.0]
m4 = sorted(set(m4) | set(extra))
stats = dict(re.findall(r"(\w+):\s*([\w.\-]+)", flow("statistics") or ""))
print(",".join(entries))
print(",".join("%.10g" % v for v in m4))
print(stats.get("data", "observed"))
print(stats.get("cl", "0.90"))
print(stats.get("threshold", "two-sided"))
PY
}

check_csv() {  # name csv
  awk -F, -v e_max="$e_max" -v name="$1" '
    NR == 1 { next }
    { rows++
      if (tolower($0) ~ /nan/) { bad = bad " nan@" $1 "/" $2 "/m4=" $3; next }
      if (!($7 == "inf" || $7 + 0 > 0 || ($6 == 2 && $7 + 0 == 0))) bad = bad " limit<=0@" $3
      if (!($8 + 0 >= 0) || $8 == "inf") bad = bad " chi2_min@" $3
      if ($3 + 0 > e_max && $7 != "inf" && !($6 == 2 && $7 + 0 == 0)) bad = bad " finite-beyond-endpoint@" $3
      if ($3 + 0 > e_max) beyond++ }
    END {
      if (rows == 0) bad = " no rows"
      if (beyond == 0) bad = bad " no m4 beyond the endpoint"
      if (bad == "") printf "PASS no-nan: %s (%d rows, %d beyond the %.4g MeV endpoint, none finite)\n", name, rows, beyond, e_max
      else printf "FAIL no-nan: %s (%s)\n", name, substr(bad, 1, 300) }' "$2"
}

for config in "$root"/scans/*.yaml; do
  name=$(basename "$config" .yaml)
  if ! plan "$config" >"$W/plan" 2>"$W/plan.err"; then
    echo "FAIL $suite: $name (cannot read the config's axes: $(tail -1 "$W/plan.err"))"; continue
  fi
  { read -r entries; read -r m4; read -r data; read -r cl; read -r threshold; } <"$W/plan"
  for dof in 1 2; do
    if "$bin" limit --experiment "$entries" --m4 "$m4" --coupling all --data "$data" --cl "$cl" \
        --threshold "$threshold" --dof "$dof" >"$W/out.csv" 2>"$W/err"; then
      check_csv "$name: limit, $dof dof, every entry and coupling, m4 axis thinned + endpoints" "$W/out.csv"
    else
      echo "FAIL $suite: $name: limit, $dof dof (exit $?: $(grep -m 1 dipscan "$W/err"))"
    fi
  done
done

# ---- cubes: the shipped scans as they are (2 ranks), plus demo.yaml with its m4 axis replaced by
# masses at and beyond every endpoint; then the reducer's CSV of each cube.
if ! "$bin" --help 2>/dev/null | grep -q "^  scan "; then
  echo "SKIP $suite: cubes of the shipped scans (dipscan scan is not built yet)"; exit 0
fi
if ! /usr/bin/python3 -c 'import h5py' 2>/dev/null; then
  echo "SKIP $suite: cubes of the shipped scans (python3-h5py not installed)"; exit 0
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 HDF5_USE_FILE_LOCKING=FALSE
export OMPI_MCA_rmaps_base_oversubscribe=1
sed -e "s|^m4: .*|m4: {values: [0, 0.001, 0.42, 0.5, 0.87, 1.5, 17, $e_max, 18.8, 19, 25, 100]}|" \
  "$root/scans/demo.yaml" >"$W/beyond_endpoints.yaml"
check_cube() {  # name cube
  /usr/bin/python3 - "$2" "$e_max" <<'PY'
import sys
import h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
e_max = float(sys.argv[2])
done = f["done"][...].astype(bool)
problems = []
if not done.all():
    problems.append("%d of %d units not done" % ((~done).sum(), done.size))
chi2 = f["chi2"][...]
if np.isnan(chi2[done]).any():
    problems.append("NaN in /chi2 of finished units: %d" % np.isnan(chi2[done]).sum())
for name in ("mu_1dof", "chi2_min", "mu_best"):
    v = f["limits/" + name][...]
    if np.isnan(v[done]).any():
        problems.append("NaN in /limits/%s: %d" % (name, np.isnan(v[done]).sum()))
m4 = f["m4"][...]
beyond = m4 > e_max
mu_lim = f["limits/mu_1dof"][...]
if beyond.any() and not np.isinf(mu_lim[:, :, beyond]).all():
    problems.append("finite 1-dof limit beyond the endpoint")
print("; ".join(problems) if problems else
      "OK %d units, %d beyond the endpoint" % (done.size, done[:, :, beyond].size))
PY
}
for config in "$root"/scans/*.yaml "$W/beyond_endpoints.yaml"; do
  name=$(basename "$config" .yaml)
  # a Neyman scan (statistics.neyman: minutes to core-hours of toys) is checked here without its
  # toys; its construction is tested by tests/integration/neyman_scan.sh
  if grep -q '^  neyman:' "$config"; then sed '/^  neyman:/d' "$config" >"$W/$name.yaml"; config=$W/$name.yaml; fi
  cube=$W/$name.h5
  if ! mpirun -np 2 "$bin" scan "$config" --output "$cube" >"$W/scan.out" 2>"$W/scan.err"; then
    echo "FAIL $suite: $name cube (scan failed: $(grep -m 1 'error' "$W/scan.err"))"; continue
  fi
  verdict=$(check_cube "$name" "$cube" 2>&1)
  case $verdict in
    OK*) echo "PASS $suite: $name cube has no NaN (${verdict#OK })" ;;
    *) echo "FAIL $suite: $name cube ($verdict)" ;;
  esac
  if "$bin" limits "$cube" --no-write --csv "$W/$name.csv" >/dev/null 2>"$W/limits.err"; then
    if grep -qi nan "$W/$name.csv"; then
      echo "FAIL $suite: $name reducer CSV contains nan ($(grep -i -m 1 nan "$W/$name.csv"))"
    else
      echo "PASS $suite: $name reducer CSV has no nan ($(($(wc -l <"$W/$name.csv") - 1)) rows)"
    fi
  else
    echo "FAIL $suite: $name reducer failed ($(grep -m 1 dipscan "$W/limits.err"))"
  fi
done
