/*
 * card.h — experiment cards: everything the engine needs to know about one data set.
 *
 * A card is a YAML file data/experiments/NAME.yaml (documented key by key in
 * data/experiments/TEMPLATE.yaml).  Adding an experiment means writing a card, not code.  A card
 * holds: name, citation, target (xenon), exposure [t yr], analysis bins in reconstructed energy
 * [keV], observed counts per bin, one or more background components per bin (each with a relative
 * normalisation uncertainty or `free`, and a flag saying whether it already contains the SM
 * solar-neutrino component), the SM solar-neutrino count the collaboration quotes (if any), a total
 * efficiency table vs reconstructed energy (linear interpolation, constant beyond the table ends),
 * an energy-resolution model sigma(T), an optional analysis range that selects bins, and the
 * optional site (name, latitude) the day–night average needs (docs/physics.md §3.4).  Every
 * table carries a `provenance:` block (source, derivation, digitised: true/false).
 *
 * card_load validates strictly (yamlx): unknown keys, wrong types, missing keys, non-increasing
 * edges, negative or non-finite counts, array-length mismatches, efficiencies outside [0, 1] and
 * unknown enum values are errors whose message starts with FILE:LINE:COL.  After loading, the
 * arrays hold only the bins selected by `range_keV` (all bins if absent).
 *
 * Ownership: card_load allocates every array and string; card_free releases them and zeroes the
 * struct (safe on a zeroed or partially loaded card).
 */
#ifndef DIPSCAN_CARD_H
#define DIPSCAN_CARD_H

#include <stddef.h>

#include "util/common.h"


/* Resolution models, sigma and E in keV:
 *   CARD_RES_SQRT_LINEAR  sigma = a sqrt(E) + b E
 *   CARD_RES_FRACTIONAL   sigma = E (a / sqrt(E) + b)   (the same function; the form papers quote)
 *   CARD_RES_POLYNOMIAL   sigma = sum_i c_i E^i */
typedef enum {
  CARD_RES_SQRT_LINEAR = 0,
  CARD_RES_FRACTIONAL = 1,
  CARD_RES_POLYNOMIAL = 2,
  CARD_N_RES_MODELS = 3
} card_resolution_model;

typedef struct card_background {
  char *name;
  double *counts;   /* [n_bins] expected events in each selected bin */
  double sigma_rel; /* relative normalisation uncertainty; INFINITY = free */
  int includes_sm;  /* 1 if the component already contains the SM solar-nu ER events */
} card_background;

typedef struct card {
  char *name, *path, *citation, *title;
  char checksum[17];         /* dip_hash_hex of the card file's bytes */
  double exposure_t_yr;
  int exposure_to_check;     /* 1 when the card marks the exposure as not yet verified */
  size_t n_bins;             /* selected bins */
  double *edges;             /* [n_bins + 1] keV, strictly increasing */
  double *observed;          /* [n_bins] events (may be non-integer for digitised data) */
  size_t n_bkg;
  card_background *bkg;      /* [n_bkg] */
  double sm_quoted_events;   /* SM solar-nu ER events quoted by the collaboration; NAN if none */
  double sm_quoted_sigma;    /* its 1-sigma uncertainty; NAN if not quoted */
  double sm_quoted_window[2];/* reconstructed-energy window [keV] the quoted number refers to */
  size_t n_eff;
  double *eff_E;             /* [n_eff] keV, strictly increasing */
  double *eff;               /* [n_eff] in [0, 1] */
  card_resolution_model res_model;
  size_t n_res_coef;
  double *res_coef;          /* (a, b) or polynomial c_0..c_{n-1} */
  int has_digitised;         /* 1 if any table is marked digitised */
  char *site_name;           /* laboratory (site.name); NULL if the card has no site */
  double site_latitude_deg;  /* geographic latitude [deg, north > 0]; NAN if no site */
} card;

/* Load a card.  name_or_path: a bare name (no '/', no ".yaml") is looked up as
 * DATA_DIR/experiments/NAME.yaml; anything else is a path.  data_dir may be NULL for paths. */
int card_load(card *c, const char *name_or_path, const char *data_dir, dip_error *err);
void card_free(card *c);

/* Restrict the card to the bins inside [lo, hi] keV (both must be existing edges of the current
 * selection).  Used for the card's own range_keV and for run options that drop bins. */
int card_select_range(card *c, double lo, double hi, dip_error *err);

/* Total efficiency at reconstructed energy E [keV]: linear interpolation of the table, the end
 * values beyond its ends. */
double card_efficiency(const card *c, double E_keV);

/* Resolution sigma [keV] at energy T [keV] (0 for T <= 0). */
double card_resolution_sigma(const card *c, double T_keV);

/* Sum over selected bins of observed counts / of all background components. */
double card_total_observed(const card *c);
double card_total_background(const card *c);

#endif /* DIPSCAN_CARD_H */
