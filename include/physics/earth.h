/*
 * earth.h — solar neutrinos crossing the Earth at night: regeneration of nu_e (the day–night
 * effect) and its average over a year at a detector's latitude (docs/physics.md §3.4).
 *
 * Three modules, built in this order, each with _init/_free:
 *   earth_model  the PREM electron density n_e(r) from data/earth/prem.yaml;
 *   earth_regen  for every energy of a log grid and every nadir-angle bin (uniform in cos eta), the
 *                probability |<nu_alpha|S|nu_i>|^2 that mass state i arriving from the Sun is detected
 *                as flavour alpha after the chord through the Earth.  Site independent: one per run;
 *   earth_site   that matrix averaged over a year's exposure at one latitude (the day part is the
 *                vacuum |U_alpha i|^2), or over the nights only.  Cheap: one per detector site.
 * oscillation.h folds an earth_site into the flavour fractions (osc_init_earth).
 *
 * Physics: nu_3 decouples (its matter correction in the Earth is below 1e-2 of Delta m^2_31 for solar
 * energies and its e-3 mixing with the potential is dropped); nu_1, nu_2 evolve in the propagation
 * basis (R23 U13)^dagger nu_flavour with H = (dm21^2/2E) R12 diag(0,1) R12^T + diag(c13^2 V, 0),
 * V = sqrt(2) G_F n_e, exactly (2x2 exponential) on constant-density steps of at most
 * EARTH_STEP_REARTH (16 km) along the chord, half of which is computed (the chord is symmetric).
 */
#ifndef DIPSCAN_EARTH_H
#define DIPSCAN_EARTH_H

#include <stddef.h>

#include "util/common.h"
#include "physics/oscillation.h"

#define EARTH_RADIUS_KM 6371.0      /* PREM (Dziewonski & Anderson 1981) */
#define EARTH_OBLIQUITY_DEG 23.44   /* obliquity of the ecliptic, J2000 (IAU) */
#define EARTH_N_COS 200             /* nadir bins, uniform in cos(eta) in (0, 1] */
#define EARTH_STEP_REARTH 0.0025    /* largest constant-density step along a chord [R_earth] */
#define EARTH_N_E 64                /* energies of the regeneration table, log-spaced */
#define EARTH_E_MIN_MEV 0.1
#define EARTH_E_MAX_MEV 30.0

typedef struct earth_model {
  size_t n;
  double *r;   /* [n] r / R_earth, increasing from 0 to 1 */
  double *ne;  /* [n] n_e / (N_A cm^-3) = rho Y_e */
  char checksum[17]; /* dip_hash_hex of data/earth/prem.yaml */
} earth_model;

int earth_init(earth_model *e, const char *data_dir, dip_error *err);
void earth_free(earth_model *e);
/* n_e / (N_A cm^-3) at r / R_earth (linear interpolation; 0 outside [0, 1]). */
double earth_ne(const earth_model *e, double r);

typedef struct earth_regen {
  osc_params params;
  double log_E_min, dlog_E;      /* energy grid E_k = exp(log_E_min + k dlog_E) [MeV], EARTH_N_E nodes */
  double U_sq[N_FLAVORS][3];     /* vacuum |U_alpha i|^2 (the day) */
  double *night;                 /* [EARTH_N_E][EARTH_N_COS][2][N_FLAVORS]: |<nu_alpha|S|nu_i>|^2, i = 1, 2 */
} earth_regen;

int earth_regen_init(earth_regen *rg, const earth_model *e, osc_params params, dip_error *err);
void earth_regen_free(earth_regen *rg);

/* Exposure of a year at latitude_deg to each nadir bin: w[k] for cos(eta) in [k, k+1)/EARTH_N_COS,
 * summing to the night fraction (returned).  Flux-weighted: uniform in the Sun's ecliptic longitude
 * (Kepler: dt ~ r^2 dlambda cancels the 1/r^2 of the flux) and in the hour angle. */
double earth_exposure(double latitude_deg, double w[EARTH_N_COS]);

typedef enum { EARTH_YEAR = 0, EARTH_NIGHTS = 1 } earth_average;

typedef struct earth_site {
  double latitude_deg;
  double night_fraction;
  double log_E_min, dlog_E;
  double *M;                     /* [EARTH_N_E][3][N_FLAVORS]: P(nu_i -> nu_alpha) at the detector */
} earth_site;

int earth_site_init(earth_site *site, const earth_regen *rg, double latitude_deg, earth_average avg,
                    dip_error *err);
void earth_site_free(earth_site *site);
/* P(nu_i -> nu_alpha) at energy E [MeV] (linear in ln E; the end nodes outside the grid). */
void earth_site_matrix(const earth_site *site, double E, double M[3][N_FLAVORS]);

#endif /* DIPSCAN_EARTH_H */
