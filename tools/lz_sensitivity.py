#!/usr/bin/env python3
"""lz_sensitivity.py -- how much the LZ limits depend on the two undocumented card choices.

The LZ cards (data/experiments/lz_ws2022.yaml, lz_ws2024.yaml) make two choices that no LZ
publication at hand fixes (docs/physics.md §5.4): the energy resolution (stand-in sigma/E = 0.33/sqrt(E),
LUX) and whether the top bins 15-20 keV, where the 1D-ROI efficiency falls like a Gaussian edge,
are analysed.  This script writes card variants to a temporary directory -- the shipped cards with
only `resolution: a:` and `range_keV:` changed (and the name, so variants can be fitted jointly) --
runs `bin/dipscan limit` on each, and prints every limit with its change relative to the shipped
choice.  Nothing in the engine knows about these variants: they are ordinary cards.

    python3 tools/lz_sensitivity.py [--bin bin/dipscan] [--m4 0.01,0.3]

Python 3 standard library only.  Output: a CSV table on stdout.
"""
import argparse
import csv
import io
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
RUNS = ["lz_ws2022", "lz_ws2024"]
# (label, resolution a [sigma/E = a/sqrt(E)], analysis range [keV])
VARIANTS = [("a033_1to20", 0.33, (1, 20)), ("a045_1to20", 0.45, (1, 20)),
            ("a033_1to15", 0.33, (1, 15)), ("a045_1to15", 0.45, (1, 15))]


def variant_card(text, run, label, a, rng):
    """The shipped card text with the resolution parameter, the range and the name replaced."""
    out, n = re.subn(r"(?m)^name: .*$", f"name: {run}_{label}", text)
    assert n == 1
    out, n = re.subn(r"(?m)^range_keV: .*$", f"range_keV: [{rng[0]}, {rng[1]}]", out)
    assert n == 1
    out, n = re.subn(r"(?m)^(resolution:\n(?:  #.*\n)*  model: fractional\n  a: )\S+$",
                     lambda m: m.group(1) + repr(a), out)
    assert n == 1, "resolution block not in the expected form"
    return out


def run_limits(binary, entries, m4, data):
    cmd = [binary, "limit", "--experiment", ",".join(entries), "--m4", m4,
           "--coupling", "all", "--data", data]
    res = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return list(csv.DictReader(io.StringIO(res.stdout)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "bin", "dipscan"))
    ap.add_argument("--m4", default="0.01,0.3")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="lz_sensitivity_") as tmp:
        entries = {}  # label -> list of entry strings (paths joined with '+')
        for label, a, rng in VARIANTS:
            paths = []
            for run in RUNS:
                with open(os.path.join(ROOT, "data", "experiments", run + ".yaml")) as f:
                    text = variant_card(f.read(), run, label, a, rng)
                path = os.path.join(tmp, f"{run}_{label}.yaml")
                with open(path, "w") as f:
                    f.write(text)
                paths.append(path)
            entries[label] = paths + ["+".join(paths)]
        limits = {}  # (label, entry index, data, coupling, m4) -> mu limit
        for label, _, _ in VARIANTS:
            for data in ("observed", "asimov"):
                for row in run_limits(args.bin, entries[label], args.m4, data):
                    name = row["experiment"].replace("_" + label, "")
                    limits[(label, name, data, row["coupling"], row["m4_MeV"])] = float(
                        row["mu_limit_muB"])
    base = VARIANTS[0][0]
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(["experiment", "data", "coupling", "m4_MeV"] +
               [v[0] for v in VARIANTS] + ["change_%s_percent" % v[0] for v in VARIANTS[1:]])
    worst = 0.0
    for key in sorted(k[1:] for k in limits if k[0] == base):
        row = [limits[(v[0],) + key] for v in VARIANTS]
        change = [100.0 * (x / row[0] - 1.0) for x in row[1:]]
        worst = max(worst, max(abs(c) for c in change))
        w.writerow(list(key) + ["%.4e" % x for x in row] + ["%+.1f" % c for c in change])
    print("# largest change relative to %s: %.1f%%" % (base, worst), file=sys.stderr)


if __name__ == "__main__":
    main()
