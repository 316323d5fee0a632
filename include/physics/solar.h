/*
 * solar.h — the eight B16 solar-neutrino sources: total fluxes with uncertainties, spectral shapes,
 * and production profiles (where in the Sun each source is produced), plus the solar electron density.
 *
 * Everything is read from the project's own data files under DATA_DIR/solar/ (YAML with a provenance
 * block, derived from the public B16/Bahcall tables; see data/solar/README or each file's header).
 * ⁷Be is one source with two lines (0.8613 MeV, 89.6%; 0.3843 MeV, 10.4%) sharing one flux and one
 * flux nuisance; pep is a line at 1.442 MeV; the others are continuous spectra normalised to 1.
 * Ownership: solar_model owns all arrays; solar_free releases them.
 */
#ifndef DIPSCAN_SOLAR_H
#define DIPSCAN_SOLAR_H

#include <stddef.h>

#include "util/common.h"

typedef enum {
  SOLAR_PP = 0,
  SOLAR_PEP,
  SOLAR_HEP,
  SOLAR_BE7,
  SOLAR_B8,
  SOLAR_N13,
  SOLAR_O15,
  SOLAR_F17,
  SOLAR_N_SOURCES
} solar_source_id;

typedef enum { SOLAR_B16_GS98 = 0, SOLAR_B16_AGSS09MET = 1 } solar_metallicity;

#define SOLAR_MAX_LINES 2

typedef struct solar_source {
  const char *name;          /* "pp", "pep", "hep", "7Be", "8B", "13N", "15O", "17F" */
  double flux;               /* total flux at Earth [cm^-2 s^-1] for the chosen metallicity */
  double sigma_rel;          /* relative 1-sigma flux uncertainty (B16) */
  size_t n_lines;            /* > 0: monochromatic lines (pep, 7Be); 0: continuous spectrum */
  double line_energy[SOLAR_MAX_LINES];   /* [MeV] */
  double line_fraction[SOLAR_MAX_LINES]; /* branching, sums to 1 */
  size_t n_spec;             /* continuous: tabulated spectrum points */
  double *spec_E;            /* [MeV], increasing */
  double *spec_dNdE;         /* [MeV^-1], normalised: integral dE = 1 */
  double E_max;              /* endpoint [MeV] (largest line energy for lines) */
  double *production;        /* production density per unit r/R_sun on the model's radial grid,
                                normalised: integral dr = 1 */
} solar_source;

typedef struct solar_model {
  solar_metallicity metallicity;
  solar_source src[SOLAR_N_SOURCES];
  size_t n_r;                /* radial grid of the production profiles */
  double *r;                 /* r/R_sun, increasing */
  double *log10_ne;          /* log10(n_e / (N_A cm^-3)) on the grid */
  char checksum[17];         /* hash of the data files read (provenance) */
} solar_model;

int solar_init(solar_model *sun, const char *data_dir, solar_metallicity metallicity,
               dip_error *err);
void solar_free(solar_model *sun);

/* Normalised spectral shape dN/dE [MeV^-1] of a continuous source at E (linear interpolation,
 * 0 outside the table).  Returns 0 for line sources. */
double solar_shape(const solar_model *sun, solar_source_id s, double E);

/* "b16-gs98" / "b16-agss09met" ("?" out of range); words are looked up in solar_model_names. */
const char *solar_metallicity_name(solar_metallicity m);
/* Name of a solar source: "pp", "pep", "hep", "7Be", "8B", "13N", "15O", "17F" ("?" out of
 * range). */
const char *solar_source_name(solar_source_id s);
/* The name tables behind them (util/common.h registry), indexed by the enum values. */
extern const dip_names solar_model_names;
extern const dip_names solar_source_names;

#endif /* DIPSCAN_SOLAR_H */
