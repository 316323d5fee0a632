#!/usr/bin/env bash
# readme_python.sh — the README's Python example (the first ```python block) runs as printed on a
# small cube at results/demo.h5 (XENONnT SR0 + PandaX-4T Run1, universal, 6 m4, reduced), and what
# it plots is right: the Delta chi^2 profile is >= 0 and about 0 at its minimum, and it reaches the dotted
# threshold line where the dashed limit line stands (the CSV's limit, within the grid spacing).
# With python3-matplotlib it writes results/demo_python.png; without it the example runs against a
# recording stand-in for matplotlib.pyplot (said on the PASS line), so the data path is still tested.
set -u
root=${DIPSCAN_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${DIPSCAN_BIN:-$root/bin/dipscan}
py=/usr/bin/python3
S=readme_python
if ! $py -c 'import xarray, netCDF4' 2>/dev/null; then
  echo "SKIP $S: all (python3-xarray or python3-netcdf4 not installed)"; exit 0
fi
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
check() { if eval "$2"; then echo "PASS $S: $1"; else echo "FAIL $S: $1 (${3:-})"; fi; }
mkdir -p "$W/results"
awk '/^```python$/ {on = 1; next} on && /^```$/ {exit} on' "$root/README.md" >"$W/example.py"
check "the README has a Python example" "grep -q 'open_dataset' '$W/example.py'"

cat >"$W/demo.yaml" <<EOF
experiments: [xenonnt_sr0, pandax4t_run1]
couplings: [universal]
m4: {from: 0.005, to: 0.5, points: 6}
mu: {from: 1.0e-12, to: 1.0e-9, points: 120}
statistics: {data: observed, expected: none}
output: $W/results/demo.h5
EOF
"$bin" scan "$W/demo.yaml" >"$W/log" 2>&1 && "$bin" limits "$W/results/demo.h5" >>"$W/log" 2>&1
check "a small cube at results/demo.h5, reduced" "[ $? = 0 ]" "$(tail -2 "$W/log")"

real=yes
if ! $py -c 'import matplotlib' 2>/dev/null; then
  real=no
  mkdir -p "$W/stub/matplotlib"
  echo 'def use(name): pass' >"$W/stub/matplotlib/__init__.py"
  cat >"$W/stub/matplotlib/pyplot.py" <<'STUB'
"""A recording stand-in for matplotlib.pyplot: keeps what the example draws."""
import json
import numpy as np
record = {"lines": [], "hlines": [], "vlines": []}
class Axes:
    def _line(self, x, y, **kw):
        record["lines"].append([np.asarray(x, float).tolist(), np.asarray(y, float).tolist()])
    semilogx = loglog = plot = _line
    def axhline(self, y, **kw): record["hlines"].append(float(y))
    def axvline(self, x, **kw): record["vlines"].append(float(x))
    def set(self, **kw): pass
    def legend(self, **kw): pass
class Figure:
    def tight_layout(self): pass
    def savefig(self, path): json.dump(record, open(path + ".json", "w")); open(path, "w").close()
def subplots(rows, cols, **kw):
    return Figure(), [Axes() for _ in range(rows * cols)]
STUB
fi
(cd "$W" && PYTHONPATH=$([ $real = no ] && echo "$W/stub") $py example.py) >"$W/run" 2>&1
check "the example runs (matplotlib: $real)" "[ $? = 0 ] && [ -f '$W/results/demo_python.png' ]" "$(tail -3 "$W/run")"
if [ $real = yes ]; then
  check "the example's PNG is a PNG" "head -c 8 '$W/results/demo_python.png' | grep -q PNG"
  exit 0
fi
$py - "$W/results/demo_python.png.json" >"$W/rec" 2>&1 <<'PY'
import json, sys
import numpy as np
r = json.load(open(sys.argv[1]))
(mu, d), limits = r["lines"][0], r["lines"][1:]
mu, d = np.array(mu), np.array(d)
thr, lim = r["hlines"][0], r["vlines"][0]
# the reference is the row minimum (the engine's best fit, between grid points): the grid's
# Delta chi^2 is >= 0 and its smallest value close to 0
assert -1e-9 <= np.nanmin(d) < 0.2 and abs(thr - 2.7055) < 1e-3, (np.nanmin(d), thr)
k = np.searchsorted(mu, lim)
assert d[k - 1] <= thr <= d[k], (lim, d[k - 1], d[k])  # the limit sits where the profile crosses
assert len(limits) == 2 and all(np.isfinite(y).any() for _, y in limits)
print("recorded ok: limit %.3g mu_B between grid points with Delta chi2 %.2f .. %.2f" % (lim, d[k - 1], d[k]))
PY
check "what it plots: profile min ~0, crossing of the threshold at the limit, 2 limit curves" \
  "grep -q '^recorded ok' '$W/rec'" "$(tail -2 "$W/rec")"
exit 0
