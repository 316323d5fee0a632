#!/usr/bin/env bash
# background_systematic.sh — the background-normalisation systematic, shown (docs/physics.md §6.1).
# Runs scans/background_free.yaml and scans/background_card.yaml on NP ranks (default 2), reduces
# both with `dipscan limits`, and draws the two 90% CL curves per experiment and coupling into
# OUT/background_systematic.{png,dat,gp} (default OUT = results/background_systematic).
#
#     tools/background_systematic.sh [OUT] [NP]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/results/background_systematic}
np=${2:-2}
bin=${DIPSCAN_BIN:-$root/bin/dipscan}
mkdir -p "$out"
for mode in free card; do
  mpirun -np "$np" "$bin" scan "$root/scans/background_$mode.yaml" --output "$out/background_$mode.h5" \
    --restart >"$out/background_$mode.log" 2>&1
  "$bin" limits "$out/background_$mode.h5" --csv "$out/background_$mode.csv" >>"$out/background_$mode.log" 2>&1
done
# One .dat block per (experiment, coupling): m4, free limit, card limit (1 dof; 0 = every mu excluded).
python3 - "$out" <<'PY'
import csv, sys
out = sys.argv[1]
def load(mode):
    rows = {}
    with open(f"{out}/background_{mode}.csv") as f:
        for r in csv.DictReader(f):
            if r["dof"] == "1":
                rows[(r["experiment"], r["flavor"], float(r["m4_MeV"]))] = float(r["mu_limit_muB"])
    return rows
free, card = load("free"), load("card")
keys = sorted({(e, c) for e, c, _ in free})
with open(f"{out}/background_systematic.dat", "w") as f:
    for e, c in keys:
        f.write(f"# {e} {c}: m4_MeV mu90_free mu90_card card/free\n")
        for m4 in sorted(m for ee, cc, m in free if (ee, cc) == (e, c)):
            a, b = free[(e, c, m4)], card.get((e, c, m4), 0.0)
            f.write(f"{m4:.6g} {a:.6g} {b:.6g} {b / a if a > 0 else 0:.4f}\n")
        f.write("\n\n")
# Top rows: the two limits per (experiment, coupling); bottom row: their ratio card/free per coupling.
n, rows = len(keys), (len(keys) + 1) // 2 + 1
dat = f"{out}/background_systematic.dat"
gp = [f'set terminal pngcairo size 1000,{330 * rows} font ",10"',
      f'set output "{out}/background_systematic.png"',
      f'set multiplot layout {rows},2 title "Background normalisation: free vs the cards\' widths '
      '(observed data, 90% CL, 1 dof)"',
      'set logscale x', 'set xrange [0.001:1]', 'set xlabel "m_4 [MeV]"', 'set grid',
      'set logscale y', 'set format y "10^{%T}"', 'set key top left',
      'set ylabel "{/Symbol m}_{l4} limit [{/Symbol m}_B]"']
for i, (e, c) in enumerate(keys):
    gp += [f'set title "{e}, coupling {c}" noenhanced',
           f'plot "{dat}" index {i} using 1:($2>0?$2:1/0) with lines lw 2 title "background: free", '
           f'"" index {i} using 1:($3>0?$3:1/0) with lines lw 2 dt 2 title "background: card"']
if n % 2:
    gp.append("set multiplot next")
gp += ['unset logscale y', 'set format y "%.1f"', 'set yrange [0.5:1.1]',
       'set ylabel "limit ratio card / free"', 'set key bottom left noenhanced']
for c in sorted({c for _, c in keys}, key=lambda x: x != "universal"):
    parts = [f'"{dat}" index {i} using 1:($4>0?$4:1/0) with lines lw 2 title "{e}"'
             for i, (e, cc) in enumerate(keys) if cc == c]
    gp += [f'set title "ratio, coupling {c}" noenhanced', "plot " + ", ".join(parts)]
gp.append("unset multiplot")
with open(f"{out}/background_systematic.gp", "w") as f:
    f.write("\n".join(gp) + "\n")
PY
gnuplot "$out/background_systematic.gp"
echo "wrote $out/background_systematic.png"
