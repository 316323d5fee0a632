#!/usr/bin/python3
"""derive_solar.py — regenerate data/solar/*.yaml from the public reference tables.

Usage:  tools/derive_solar.py REFERENCE_DIR [OUT_DIR]
        (REFERENCE_DIR holds the PEANUTS Data/ tables in the sub-folders solar_neutrino_spectra/ and
         ssm_profiles/, as named in each file's provenance block; OUT_DIR defaults to data/solar)

What it does (stdlib only; nothing is byte-copied):
  * fluxes_b16.yaml   — B16 total fluxes and fractional 1-sigma for GS98 and AGSS09met, converted from the
                        per-row units of fluxes_b16.dat (1e10, 1e8, 1e3, 1e9, 1e6, 1e8, 1e8, 1e6) to cm^-2 s^-1.
  * lines.yaml        — 7Be and pep line energies and branchings (transcribed standard values, cited).
  * spectrum_<s>.yaml — continuous shapes pp, hep, 8B, 13N, 15O, 17F: reformatted; a (0, 0) point is added
                        where the table does not start at E = 0 (the beta phase space vanishes there); trailing
                        zero rows beyond the endpoint are dropped (one zero kept, at the endpoint); the 8B table
                        (Winter et al. 2006, normalised to 1000) is divided by 1000; finally every shape is
                        rescaled so its TRAPEZOIDAL integral is 1, because solar.c interpolates linearly.  The
                        factor applied is written into the provenance block.
  * profile_b16_<m>.yaml — production densities per unit r/R_sun of the eight sources and log10(n_e/N_A cm^-3)
                        on the B16 radial grid, each production column rescaled so its trapezoidal integral is 1
                        (the factors are recorded).
"""
import os
import sys

SOURCES = ["pp", "pep", "hep", "7Be", "8B", "13N", "15O", "17F"]

# Row units of fluxes_b16.dat (its header): 1e10 (pp), 1e8 (pep), 1e3 (hep), 1e9 (7Be), 1e6 (8B),
# 1e8 (13N), 1e8 (15O), 1e6 (17F) cm^-2 s^-1.
FLUX_UNITS = [1e10, 1e8, 1e3, 1e9, 1e6, 1e8, 1e8, 1e6]

PEANUTS = "michelelucente/PEANUTS"

# (source, file, repository, commit that last changed it, blob, citation, scale of the tabulated values)
SPECTRA = [
    ("pp", "solar_neutrino_spectra/pp_shape.csv", PEANUTS, "e1f40dc32181e306a2fddce2037260815190cee1",
     "4b00947ad0a27fd5634465f3009025193251e4e0",
     "J. N. Bahcall, Phys. Rev. C 56, 3391 (1997) (sns.ias.edu/~jnb/SNdata ppspectrum)", 1.0),
    ("hep", "solar_neutrino_spectra/hep_shape.csv", PEANUTS, "b9d657157d118eb522074d7802e39246a2b13014",
     "6611f1ce46d59574e41e174cfaa656f437ff6070",
     "J. N. Bahcall, Phys. Rev. C 56, 3391 (1997) (hepspectrum)", 1.0),
    ("8B", "solar_neutrino_spectra/8B_shape_Winter_et_al.csv", PEANUTS,
     "3f2bc395e1f76bb247de32f4f69f5f7a462e0060", "608c0705aaa56614a86c30a5f3ea06e04df7b683",
     "W. T. Winter et al., Phys. Rev. C 73, 025503 (2006)", 1.0e-3),
    ("13N", "solar_neutrino_spectra/n13_shape.csv", PEANUTS, "e1f40dc32181e306a2fddce2037260815190cee1",
     "08321b17fe4be69db6e98f9c1f6cd296d79fef53",
     "J. N. Bahcall and R. K. Ulrich, Rev. Mod. Phys. 60, 297 (1988)", 1.0),
    ("15O", "solar_neutrino_spectra/o15_shape.csv", PEANUTS, "e1f40dc32181e306a2fddce2037260815190cee1",
     "5cf6297795f268390cffd557e005db14daa0d32a",
     "J. N. Bahcall and R. K. Ulrich, Rev. Mod. Phys. 60, 297 (1988) (the file header says 'N13'; the "
     "1.732 MeV endpoint identifies it as 15O)", 1.0),
    ("17F", "solar_neutrino_spectra/f17_shape.csv", PEANUTS, "e1f40dc32181e306a2fddce2037260815190cee1",
     "aabf02ee7ca01ec984a0a86cc3dd1597639fc08e",
     "J. N. Bahcall and R. K. Ulrich, Rev. Mod. Phys. 60, 297 (1988)", 1.0),
]

WHY_WINTER = ("Winter et al. 2006 is chosen over Bahcall et al. 1996 because it is derived from a newer "
              "measurement of the 8B(beta+)8Be*(2 alpha) alpha spectrum with a full error budget (the shape "
              "SNO adopted); Bahcall 1996 relies on older alpha-spectrum data.  The two differ little: mean "
              "energy 6.770 (Winter) vs 6.735 MeV (Bahcall), 0.5%, far below the 12% 8B flux uncertainty.")

PROFILES = [
    ("b16_gs98", "ssm_profiles/nudistr_b16_gs98.dat", "f73c47cf6f2d77086634a5c180b50039e10805e7",
     "B16-GS98 (N. Vinyoles et al., ApJ 835, 202 (2017), arXiv:1611.09867)"),
    ("b16_agss09met", "ssm_profiles/nudistr_b16_agss09.dat", "d9bd29f3374c63e8ea898733a55fb7aa566a2c96",
     "B16-AGSS09met (N. Vinyoles et al., ApJ 835, 202 (2017), arXiv:1611.09867)"),
]
PROFILE_COMMIT = "367d693d67e58be1f9f675701164fc2ff5c130ca"

B16_CITATION = "N. Vinyoles et al., ApJ 835, 202 (2017), arXiv:1611.09867 (B16 standard solar models)"


def numeric_rows(path):
    """Rows of numbers from a table, skipping blank and '#' lines; commas or blanks separate fields."""
    rows = []
    with open(path) as f:
        for line in f:
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            rows.append([float(x) for x in s.replace(",", " ").split()])
    return rows


def trapezoid(x, y):
    return sum(0.5 * (x[i + 1] - x[i]) * (y[i + 1] + y[i]) for i in range(len(x) - 1))


def fmt(v):
    return "%.10g" % v


def flow_list(values, indent, per_line=8):
    """A YAML flow sequence spread over lines (continuation lines indented by `indent` spaces)."""
    items = [fmt(v) for v in values]
    chunks = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * indent).join(chunks) + "]"


def quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def provenance_block(fields):
    out = ["provenance:"]
    for key, value in fields:
        out.append("  %s: %s" % (key, quote(value)))
    return "\n".join(out) + "\n"


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    print("wrote", path)


def derive_fluxes(ref, out):
    rows = numeric_rows(os.path.join(ref, "solar_neutrino_spectra/fluxes_b16.dat"))
    if len(rows) != 8 or any(len(r) != 4 for r in rows):
        sys.exit("fluxes_b16.dat: expected 8 rows of 4 numbers")
    text = "# B16 total solar-neutrino fluxes at Earth [cm^-2 s^-1] and fractional 1-sigma uncertainties.\n"
    text += "# Generated by tools/derive_solar.py; do not edit by hand.\n"
    text += provenance_block([
        ("source", "solar_neutrino_spectra/fluxes_b16.dat"),
        ("repository", PEANUTS + " Data/fluxes_b16.dat"),
        ("commit", PROFILE_COMMIT),
        ("blob", "7cda3f71e7bda8690e3d5a06804cd8d79112e6f9"),
        ("citation", B16_CITATION),
        ("derivation", "per-row units of the table header (1e10 pp, 1e8 pep, 1e3 hep, 1e9 7Be, 1e6 8B, "
                       "1e8 13N, 1e8 15O, 1e6 17F) multiplied out; sigma is fractional as in the table. "
                       "Note: the table gives 17F(GS98) = 5.28e6, the B16 paper 5.29e6; the table is kept."),
    ])
    text += "models:\n"
    for name, col in (("b16-gs98", 0), ("b16-agss09met", 2)):
        text += "  %s:\n" % name
        for i, src in enumerate(SOURCES):
            flux = rows[i][col] * FLUX_UNITS[i]
            text += '    "%s": {flux: %.3e, sigma_rel: %s}\n' % (src, flux, fmt(rows[i][col + 1]))
    write(os.path.join(out, "fluxes_b16.yaml"), text)


def derive_lines(out):
    text = "# Monochromatic solar-neutrino lines: energies [MeV] and branching fractions.\n"
    text += "# Generated by tools/derive_solar.py; do not edit by hand.\n"
    text += provenance_block([
        ("source", "transcribed standard values (no public table was used)"),
        ("citation", "J. N. Bahcall, Neutrino Astrophysics (Cambridge University Press, 1989): 7Be lines "
                     "0.8613 MeV (89.6%) and 0.3843 MeV (10.4%), pep line 1.442 MeV (docs/physics.md §2.2)"),
        ("derivation", "transcribed; the thermal line widths (Bahcall, PRD 49, 3923 (1994), ~1 keV) are "
                       "neglected: lines are delta functions at these energies"),
    ])
    text += '"7Be":\n  energy_MeV: [0.8613, 0.3843]\n  fraction: [0.896, 0.104]\n'
    text += '"pep":\n  energy_MeV: [1.442]\n  fraction: [1.0]\n'
    write(os.path.join(out, "lines.yaml"), text)


def derive_spectrum(ref, out, spec):
    src, rel, repo, commit, blob, citation, scale = spec
    rows = numeric_rows(os.path.join(ref, rel))
    E = [r[0] for r in rows]
    y = [r[1] * scale for r in rows]
    notes = []
    if scale != 1.0:
        notes.append("tabulated values multiplied by %g" % scale)
    if len(rows[0]) > 2:
        notes.append("uncertainty column(s) dropped")
    if E[0] > 0.0:
        E.insert(0, 0.0)
        y.insert(0, 0.0)
        notes.append("point (0, 0) added (phase space vanishes at E = 0)")
    last = max(i for i, v in enumerate(y) if v > 0.0)
    if last + 2 < len(y):
        notes.append("%d trailing zero rows beyond the endpoint dropped" % (len(y) - last - 2))
        E, y = E[:last + 2], y[:last + 2]
    integral = trapezoid(E, y)
    factor = 1.0 / integral
    y = [v * factor for v in y]
    notes.append("rescaled by %.8f so that the trapezoidal (linear-interpolation) integral is 1 "
                 "(integral before: %.8f)" % (factor, integral))
    fields = [("source", rel), ("repository", repo + " Data/" + os.path.basename(rel)),
              ("commit", commit), ("blob", blob), ("citation", citation),
              ("derivation", "; ".join(notes)), ("renormalisation", "%.8f" % factor)]
    if src == "8B":
        fields.append(("choice", WHY_WINTER))
    text = "# Normalised energy spectrum dN/dE [MeV^-1] of solar %s neutrinos (integral dE = 1).\n" % src
    text += "# Generated by tools/derive_solar.py; do not edit by hand.\n"
    text += provenance_block(fields)
    text += 'source: "%s"\n' % src
    text += "energy_MeV: %s\n" % flow_list(E, 2)
    text += "dNdE_per_MeV: %s\n" % flow_list(y, 2)
    write(os.path.join(out, "spectrum_%s.yaml" % src), text)
    return factor


def derive_profile(ref, out, prof):
    tag, rel, blob, citation = prof
    rows = numeric_rows(os.path.join(ref, rel))
    r = [row[0] for row in rows]
    log_ne = [row[2] for row in rows]
    columns, factors = [], []
    for k in range(len(SOURCES)):
        col = [row[4 + k] for row in rows]
        integral = trapezoid(r, col)
        factors.append(1.0 / integral)
        columns.append([v / integral for v in col])
    text = "# %s: production density per unit r/R_sun of each source (integral dr = 1) and the\n" % citation
    text += "# solar electron density log10(n_e / (N_A cm^-3)) on the same radial grid.\n"
    text += "# Generated by tools/derive_solar.py; do not edit by hand.\n"
    text += provenance_block([
        ("source", rel),
        ("repository", PEANUTS + " Data/" + os.path.basename(rel) +
         " (originally A. Serenelli's Solar_Data_files)"),
        ("commit", PROFILE_COMMIT),
        ("blob", blob),
        ("citation", citation),
        ("derivation", "columns 1 (r/R_sun), 3 (log10 n_e) and 5-12 (production per unit r/R_sun; the "
                       "header's 'fraction per zone' is a density: sum x dr = 0.9999) reformatted; each "
                       "production column rescaled so its trapezoidal integral over the grid is 1"),
        ("renormalisation", ", ".join("%s %.8f" % (s, f) for s, f in zip(SOURCES, factors))),
    ])
    text += "r_over_rsun: %s\n" % flow_list(r, 2)
    text += "log10_ne: %s\n" % flow_list(log_ne, 2)
    text += "production:\n"
    for s, col in zip(SOURCES, columns):
        text += '  "%s": %s\n' % (s, flow_list(col, 4, 6))
    write(os.path.join(out, "profile_%s.yaml" % tag), text)


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    ref = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) == 3 else os.path.join(os.path.dirname(__file__), "..", "data", "solar")
    os.makedirs(out, exist_ok=True)
    derive_fluxes(ref, out)
    derive_lines(out)
    for spec in SPECTRA:
        derive_spectrum(ref, out, spec)
    for prof in PROFILES:
        derive_profile(ref, out, prof)


if __name__ == "__main__":
    main()
