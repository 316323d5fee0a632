#!/usr/bin/env bash
# limits_status.sh — the `status` column of the limits CSV, through the CLI.
#
# One tiny scan (XENONnT SR0, universal, Asimov) on a mu grid deliberately too narrow,
# 1.5e-11 .. 3e-11 mu_B: at m4 = 0.01 MeV the limit (9.4e-12) lies below the grid, at 0.3 MeV
# (8.6e-11) above it, and at 3 MeV no solar neutrino makes a recoil in the window.  The CSV must
# say below_grid / above_grid / no_sensitivity, carry the engine's root-found values (equal to
# `dipscan limit` at the same point) instead of inf, and stderr must name the fix (mu.to, mu.from).
# Then the default mu range (`scan --dry-run` of a config without mu:) must contain the limits of
# every shipped card near the end of its reach (m4 = 2.2 MeV, the weakest coupling, observed and
# Asimov; the limits diverge where 8B neutrinos stop making recoils in the window, m4 ~ 2.3-2.5
# MeV) and the -2 sigma expected limit of the most sensitive card at m4 = 1 keV.
set -u
root=${DIPSCAN_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${DIPSCAN_BIN:-$root/bin/dipscan}
py=/usr/bin/python3
S=limits_status
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
check() { if eval "$2"; then echo "PASS $S: $1"; else echo "FAIL $S: $1 (${3:-})"; fi; }

cat >"$W/narrow.yaml" <<EOF
experiments: [xenonnt_sr0]
couplings: [universal]
m4: {values: [0.01, 0.3, 3.0]}
mu: {from: 1.5e-11, to: 3.0e-11, points: 12}
statistics: {data: asimov, expected: asimov}
output: $W/narrow.h5
EOF
"$bin" scan "$W/narrow.yaml" >"$W/scan.log" 2>&1 || { echo "FAIL $S: scan ($(tail -2 "$W/scan.log"))"; exit 1; }
"$bin" limits "$W/narrow.h5" --csv "$W/narrow.csv" --plot "$W/plots" 2>"$W/err"; rc=$?
check "limits exits 0" "[ $rc = 0 ]" "rc $rc: $(tail -1 "$W/err")"
check "the header ends in status" "head -1 '$W/narrow.csv' | grep -q ',z_local,status\$'" "$(head -1 "$W/narrow.csv")"
ref=$("$bin" limit --experiment xenonnt_sr0 --m4 0.01,0.3 --coupling universal --data asimov \
      --expected none 2>/dev/null | awk -F, 'NR > 1 {print $7}' | tr '\n' ' ')
$py - "$W/narrow.csv" $ref >"$W/py" 2>&1 <<'PY'
import csv, math, sys
rows = {(r["m4_MeV"], r["dof"]): r for r in csv.DictReader(open(sys.argv[1]))}
low, high = float(sys.argv[2]), float(sys.argv[3])
def row(m4, dof):
    return rows[(m4, dof)]["status"], float(rows[(m4, dof)]["mu_limit_muB"])
s, v = row("0.01", "1"); assert s == "below_grid" and abs(v / low - 1) < 1e-6 and v < 1.5e-11, (s, v, low)
s, v = row("0.3", "1"); assert s == "above_grid" and abs(v / high - 1) < 1e-6 and v > 3e-11, (s, v, high)
s, v = row("3", "1"); assert s == "no_sensitivity" and math.isinf(v), (s, v)
s, v = row("0.3", "2"); assert s == "above_grid" and math.isinf(v), (s, v)
s, v = row("3", "2"); assert s == "no_sensitivity" and math.isinf(v), (s, v)
print("ok: below", low, "above", high)
PY
check "below_grid / above_grid carry the engine's value (= dipscan limit), no_sensitivity inf" \
  "grep -q '^ok' '$W/py'" "$(tail -2 "$W/py")"
check "stderr names the fix for above_grid (raise mu.to to at least 3e-10)" \
  "grep -q 'raise mu.to in the scan YAML to at least 3e-10' '$W/err'" "$(grep warning "$W/err")"
check "stderr names the fix for below_grid (lower mu.from)" \
  "grep -q 'lower mu.from in the scan YAML to at most' '$W/err'" "$(grep warning "$W/err")"
$py - "$W/narrow.h5" >"$W/h5" 2>&1 <<'PY'
import sys, h5py
g = h5py.File(sys.argv[1], "r")["limits_reduced"]
names = g["status_1dof"].attrs["flag_meanings"]
names = (names.decode() if isinstance(names, bytes) else names).split()
print(" ".join(names[s] for s in g["status_1dof"][0, 0, :]))
PY
check "/limits_reduced/status_1dof holds the same statuses (flag_meanings)" \
  "grep -qx 'below_grid above_grid no_sensitivity' '$W/h5'" "$(cat "$W/h5")"

# The Brazil plot marks the observed limit that lies above the mu grid (m4 = 0.3 MeV: the engine's
# value, inside the frame, with a marker on it) and never draws it off the frame.
$py - "$W/plots/brazil.dat" "$W/plots/brazil.gp" >"$W/brazil" 2>&1 <<'PY'
import re, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip() and not l.startswith("#")]
by_m4 = {float(r[0]): r for r in rows}
top = float(re.search(r"set yrange \[[^:]+:([^\]]+)\]", open(sys.argv[2]).read()).group(1))
obs03, mark03, mark001 = float(by_m4[0.3][1]), float(by_m4[0.3][7]), by_m4[0.01][7]
assert obs03 == mark03 and 3e-11 < mark03 < top and mark001 == "NaN", (obs03, mark03, top, mark001)
assert all(r[1] == "NaN" or float(r[1]) <= top for r in rows), "observed drawn above the frame"
assert "above the μ grid" in open(sys.argv[2]).read()
print("marked ok: marker at %.3g (above the grid top 3e-11), frame top %.3g" % (mark03, top))
PY
check "Brazil plot: an observed limit above the mu grid is marked inside the frame, not drawn off it" \
  "grep -q '^marked ok' '$W/brazil'" "$(tail -2 "$W/brazil")"

# The default mu range against every shipped card.
printf 'experiments: [xenonnt_sr0]\n' >"$W/defaults.yaml"
"$bin" scan "$W/defaults.yaml" --dry-run >"$W/dry" 2>&1
from=$(awk '/^mu.from:/ {print $2}' "$W/dry"); to=$(awk '/^mu.to:/ {print $2}' "$W/dry")
cards=$(ls "$root"/data/experiments/*.yaml | grep -v TEMPLATE | xargs -n1 basename | sed 's/\.yaml$//' | paste -sd,)
: >"$W/edge.csv"
for data in observed asimov; do
  "$bin" limit --experiment "$cards" --m4 2.2 --coupling mu --data "$data" --expected none \
    2>/dev/null | tail -n +2 >>"$W/edge.csv"
done
"$bin" limit --experiment xlzd_200tyr --m4 0.001 --coupling universal --data asimov 2>/dev/null \
  >"$W/low.csv"
$py - "$from" "$to" "$W/edge.csv" "$W/low.csv" >"$W/range" 2>&1 <<'PY'
import csv, math, sys
lo, hi = float(sys.argv[1]), float(sys.argv[2])
edge = [float(r[6]) for r in csv.reader(open(sys.argv[3]))]
one = next(r for r in csv.DictReader(open(sys.argv[4])) if r["dof"] == "1")
low = [float(one[k]) for k in one if k == "mu_limit_muB" or k.startswith("expected_")]
assert len(low) == 6, one
assert len(edge) >= 8 and all(math.isfinite(v) and lo < v < hi for v in edge), (lo, hi, edge)
assert all(lo < v < hi for v in low), (lo, hi, low)
print("ok: default mu %g .. %g contains %d edge limits up to %.3g and the lowest band edge %.3g"
      % (lo, hi, len(edge), max(edge), min(low)))
PY
check "the default mu range contains every shipped card's limits (m4 = 2.2 MeV, 1 keV band)" \
  "grep -q '^ok' '$W/range'" "$(tail -2 "$W/range")"
grep '^ok' "$W/range" | sed "s/^/# $S: /"
exit 0
