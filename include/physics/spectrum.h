/*
 * spectrum.h — the differential electron-recoil rate dR/dT in a xenon target, for the SM
 * (per solar source) and for the dipole portal at unit coupling (per source and arriving flavour).
 *
 *   dR/dT = N_e/tonne x Z_eff(T)/54 x phi_s x int dE f_s(E) P_el(E) dsigma/dT(E, T)
 *
 * in events/(tonne yr keV), T in keV.  Because for E >= E_min(T, m4) both cross sections are
 * c0(T) + c1(T)/E + c2(T)/E^2 (xsec.h), the E integral is sum_n c_n(T) I_{s,l,n}(E_min) with
 * I_n(x) = int_x^Emax f_s(E) P_el(E) E^-n dE.  spectrum_init tabulates the cumulative I_n on the
 * source's own energy table (each table interval split into equal steps, fixed-order Gauss–Legendre
 * per step); an evaluation is then a table look-up plus one Gauss–Legendre sum over the partial step,
 * independent of mu and O(1) per (T, m4).  Line sources (pep, 7Be) are delta functions.
 *
 * Ownership: the spectrum borrows sun and osc (they must outlive it) and owns its tables.
 * Evaluation functions are read-only on the spectrum (safe to share between threads).
 */
#ifndef DIPSCAN_SPECTRUM_H
#define DIPSCAN_SPECTRUM_H

#include <stddef.h>

#include "util/common.h"
#include "physics/electrons.h"
#include "physics/oscillation.h"
#include "physics/solar.h"

/* Gauss–Legendre order and default number of steps per solar table interval. */
#define SPECTRUM_GL_ORDER 8
#define SPECTRUM_STEPS_DEFAULT 2

/* Flux moments of one source: cumulative I_n per flavour on the integration nodes (continuous)
 * or per line. */
typedef struct spectrum_source {
  double flux;                            /* [cm^-2 s^-1] */
  size_t n_nodes;                         /* continuous: integration nodes (0 for lines) */
  double *node_E;                         /* [n_nodes] MeV, increasing */
  double *cumulative;                     /* [n_nodes][N_FLAVORS][3]: I_n(node_E[k]) [MeV^-n] */
  size_t n_lines;                         /* lines: count (0 for continuous) */
  double line_E[SOLAR_MAX_LINES];         /* [MeV] */
  double line_weight[SOLAR_MAX_LINES][N_FLAVORS]; /* branching x P_el(line_E) */
} spectrum_source;

typedef struct spectrum {
  const solar_model *sun;                 /* borrowed */
  const oscillation *osc;                 /* borrowed */
  electrons_model electrons;
  double gl_x[SPECTRUM_GL_ORDER];         /* Gauss–Legendre nodes on [-1, 1] */
  double gl_w[SPECTRUM_GL_ORDER];         /* and weights */
  spectrum_source src[SOLAR_N_SOURCES];
} spectrum;

int spectrum_init(spectrum *sp, const solar_model *sun, const oscillation *osc, electrons_model el,
                  dip_error *err);
/* As spectrum_init with `steps` equal integration steps per solar table interval (>= 1). */
int spectrum_init_steps(spectrum *sp, const solar_model *sun, const oscillation *osc,
                        electrons_model el, size_t steps, dip_error *err);
void spectrum_free(spectrum *sp);

/* SM dR/dT [events/(tonne yr keV)]: out[s*n_T + i] for source s at T_keV[i] (> 0), summed over the
 * arriving flavours (P_ee nu_e-e + (1 - P_ee) nu_mu,tau-e).  out has SOLAR_N_SOURCES*n_T entries. */
int spectrum_sm(const spectrum *sp, size_t n_T, const double *T_keV, double *out, dip_error *err);

/* Dipole-portal dR/dT per mu_B^2 [events/(tonne yr keV)] for a sterile neutrino of mass m4_MeV:
 * out[(s*N_FLAVORS + l)*n_T + i] is the contribution of the nu_l arriving from source s when
 * mu_l4 = 1 mu_B (flux x P_el).  The universal coupling is the sum over l.  out has
 * SOLAR_N_SOURCES*N_FLAVORS*n_T entries. */
int spectrum_signal(const spectrum *sp, double m4_MeV, size_t n_T, const double *T_keV, double *out,
                    dip_error *err);

#endif /* DIPSCAN_SPECTRUM_H */
