/*
 * oscillation.h — solar-neutrino flavour composition at Earth.
 *
 * Adiabatic MSW with three flavours (LMA, theta13 included), averaged over each source's
 * production profile (docs/physics.md §3).  Two ways to split the non-electron part:
 *   OSC_SPLIT_SIMPLE: P_emu = (1 - P_ee) cos^2 theta23, P_etau = (1 - P_ee) sin^2 theta23
 *   OSC_SPLIT_FULL:   P_ealpha = sum_i P_ei |U_alpha i|^2 with the matter-mixed P_ei.
 * osc_init gives the flavours by day (vacuum propagation from the Sun to the detector);
 * osc_init_earth averages over a site's year, day and night, with the Earth regeneration of earth.h
 * (docs/physics.md §3.4).
 * The table built by osc_init makes osc_fractions cheap enough for inner integration loops.
 */
#ifndef DIPSCAN_OSCILLATION_H
#define DIPSCAN_OSCILLATION_H

#include <stddef.h>

#include "util/common.h"
#include "physics/solar.h"

typedef enum { OSC_SPLIT_SIMPLE = 0, OSC_SPLIT_FULL = 1 } osc_split;

typedef struct osc_params {
  double sin2_theta12, sin2_theta13, theta23_deg, delta_cp_deg;
  double dm21_eV2, dm31_eV2;
} osc_params;

/* NuFIT 5.3 (2024), normal ordering, without SK atmospheric data (cite in the .c). */
osc_params osc_params_nufit53(void);

typedef struct oscillation {
  osc_params params;
  osc_split split;
  /* Per-source tables on a log-spaced energy grid: P[flavor] averaged over production. */
  size_t n_E;
  double log_E_min, dlog_E;           /* grid: E_i = exp(log_E_min + i*dlog_E) [MeV] */
  double *table[SOLAR_N_SOURCES];     /* [n_E][N_FLAVORS] */
} oscillation;

int osc_init(oscillation *osc, const solar_model *sun, osc_params params, osc_split split,
             dip_error *err);
/* As osc_init, with the mass states crossing the Earth as the site (earth.h) sees them. */
struct earth_site;
int osc_init_earth(oscillation *osc, const solar_model *sun, osc_params params, osc_split split,
                   const struct earth_site *site, dip_error *err);
void osc_free(oscillation *osc);

/* Production-averaged P(nu_e -> nu_alpha) at Earth for source s at energy E [MeV], alpha = e, mu, tau.
 * Sums to 1.  From the table (interpolated; relative error < 1e-5 against osc_pee_exact). */
void osc_fractions(const oscillation *osc, solar_source_id s, double E, double P[N_FLAVORS]);

/* Direct production average (no table), for tests; NaN if out of memory. */
double osc_pee_exact(const oscillation *osc, const solar_model *sun, solar_source_id s, double E);

/* Split names (util/common.h registry; words are looked up there, e.g. by stats/options.c). */
const char *osc_split_name(osc_split split);
extern const dip_names osc_split_names; /* "simple", "full" */

#endif /* DIPSCAN_OSCILLATION_H */
