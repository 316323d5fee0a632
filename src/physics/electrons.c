/*
 * electrons.c — free and stepping electron counting for xenon (see electrons.h).
 *
 * The shell table below is transcribed from the RRPA binding energies of Chen et al.,
 * "Low-energy electronic recoil in xenon detectors by solar neutrinos", PLB 774 (2017) 656,
 * arXiv:1610.04177 (as tabulated, with corrected orbital labels, in SNuDD
 * data/binding_energies/binding_xenon.csv).
 * The occupancies sum to Z = 54.
 */
#include "physics/electrons.h"

#include <stddef.h>

#include "physics/constants.h"

typedef struct xe_shell {
  const char *orbital;
  double binding_keV;
  int electrons;
} xe_shell;

static const xe_shell XE_SHELLS[] = {
    {"5p3/2", 0.0120, 4}, {"5p1/2", 0.0134, 2}, {"5s", 0.0275, 2},      {"4d5/2", 0.0717, 6},
    {"4d3/2", 0.0738, 4}, {"4p3/2", 0.1628, 4}, {"4p1/2", 0.1756, 2},   {"4s", 0.2294, 2},
    {"3d5/2", 0.6499, 6}, {"3d3/2", 0.7081, 4}, {"3p3/2", 0.9612, 4},   {"3p1/2", 1.0248, 2},
    {"3s", 1.1705, 2},    {"2p3/2", 4.8356, 4}, {"2p1/2", 5.1615, 2},   {"2s", 5.5098, 2},
    {"1s", 34.759, 2},
};

/* Measured xenon M1, L3, L2, L1 and K absorption edges [keV] (X-ray data compilations; docs/physics.md
 * §4), kept as quadrature breakpoints next to the RRPA values above. */
static const double XE_EDGES_MEASURED_KEV[] = {1.1487, 4.7856, 5.1071, 5.4528, 34.561};
/* Subshells bound by less than this (5p, 5s, 4d, 4p) are not breakpoints: their steps lie below the
 * 0.2 keV where the grids of the shipped cards start resolving structure. */
#define EDGE_MIN_BINDING_KEV 0.2

size_t electrons_xenon_edges(double *keV, size_t cap) {
  const size_t n_shells = sizeof XE_SHELLS / sizeof *XE_SHELLS;
  const size_t n_measured = sizeof XE_EDGES_MEASURED_KEV / sizeof *XE_EDGES_MEASURED_KEV;
  size_t n = 0, i = 0, j = 0;
  while (i < n_shells && XE_SHELLS[i].binding_keV < EDGE_MIN_BINDING_KEV)
    i++;
  while ((i < n_shells || j < n_measured) && n < cap) /* merge two increasing lists */
    keV[n++] = j >= n_measured || (i < n_shells && XE_SHELLS[i].binding_keV < XE_EDGES_MEASURED_KEV[j])
                   ? XE_SHELLS[i++].binding_keV
                   : XE_EDGES_MEASURED_KEV[j++];
  return n;
}

double electrons_per_atom(electrons_model model, double T_keV) {
  if (model == ELECTRONS_FREE)
    return DIP_XE_Z;
  int n = 0;
  for (size_t i = 0; i < sizeof XE_SHELLS / sizeof *XE_SHELLS; i++)
    if (XE_SHELLS[i].binding_keV < T_keV)
      n += XE_SHELLS[i].electrons;
  return n;
}

double electrons_xe_atoms_per_tonne(void) {
  return DIP_AVOGADRO * DIP_GRAMS_PER_TONNE / DIP_XE_MOLAR_MASS_G;
}
