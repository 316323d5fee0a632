#!/usr/bin/python3
"""make_synthetic_cube.py OUT.h5 [old] — a small cube in the layout of cube.h, for the limits CLI test.

Not physics: Delta chi^2 = thr * (mu / L)^4 (a signal quadratic in mu against a background-like
chi^2), with a limit L(m4) that weakens as the pp and 7Be channels close (m4 near 0.31 and 0.47
MeV) and is infinite (flat chi^2) above 0.5 MeV.  Written with h5py, so the string axes and
attributes are variable-length strings (the C writer uses fixed-length ones).  Two units are left
unfinished (done = 0, chi^2 NaN) so the reducer's report of missing units can be checked.
The axes are root dimension scales (/experiment, /coupling, /m4, /mu) as dipscan writes them;
with the argument `old`, they are under /axes/ with /axes/flavor, the layout of older cubes.
"""
import sys

import h5py
import numpy as np

THR = 2.705543454095404  # chi^2_1 quantile at 90%
entries = ["xenonnt_sr0", "pandax4t_run1", "xenonnt_sr0+pandax4t_run1"]
flavors = ["universal", "e", "mu", "tau"]
m4 = np.geomspace(1e-3, 0.6, 40)
mu = np.geomspace(1e-13, 1e-8, 251)


def limit(e, f, m):
    scale = [1.0, 1.6, 0.85][e] * [0.97, 1.32, 2.15, 1.88][f] * 1e-11
    pp = np.clip(1 - (m / 0.31) ** 2, 0, None)
    be = np.clip(1 - (m / 0.47) ** 2, 0, None)
    strength = 0.8 * pp + 0.2 * be
    return np.inf if strength <= 0 else scale / np.sqrt(strength)


E, F, M, U = len(entries), len(flavors), len(m4), len(mu)
chi2 = np.full((E, F, M, U), np.nan)
mu1 = np.full((E, F, M), np.nan)
cmin = np.full((E, F, M), np.nan)
czero = np.full((E, F, M), np.nan)
done = np.zeros((E, F, M), np.uint8)
for e in range(E):
    for f in range(F):
        for m in range(M):
            if e == 1 and f == 3 and m in (5, 6):
                continue  # unfinished
            L = limit(e, f, m4[m])
            base = 400.0 + e
            chi2[e, f, m] = base + (0 if np.isinf(L) else THR * (mu / L) ** 4)
            mu1[e, f, m], cmin[e, f, m], czero[e, f, m] = L, base, base
            done[e, f, m] = 1

old_layout = len(sys.argv) > 2 and sys.argv[2] == "old"
axes = {"experiment": entries, "coupling": flavors, "m4": m4, "mu": mu}
with h5py.File(sys.argv[1], "w") as h:
    for name, values in axes.items():
        path = "axes/" + ("flavor" if name == "coupling" else name) if old_layout else name
        h[path] = values
        if not old_layout:
            h[path].make_scale(name)
    h["chi2"] = chi2
    h["limits/mu_1dof"] = mu1
    h["limits/chi2_min"] = cmin
    h["limits/mu_best"] = np.zeros((E, F, M))
    h["units/chi2_zero"] = czero
    h["done"] = done
    for d in ("chi2", "limits/mu_1dof", "limits/chi2_min", "limits/mu_best", "units/chi2_zero",
              "done"):
        for i, name in enumerate(("experiment", "coupling", "m4", "mu")[:h[d].ndim]):
            if not old_layout:
                h[d].dims[i].attach_scale(h[name])
    h.attrs["cl"] = 0.9
    h.attrs["threshold"] = "two-sided"
    h.attrs["threshold_delta_chi2"] = THR
    h.attrs["data"] = "asimov"
    h.attrs["status"] = "stopped"
