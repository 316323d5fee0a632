/*
 * analysis.h — the physics pipeline seen from the scan: everything a rank needs to evaluate a
 * work unit (entry, coupling, m4) along a mu axis.
 *
 * analysis_init builds, once per rank: the solar model, the experiment cards, per detector site
 * (with day_night on) the oscillation tables and the differential-rate engine, one true-recoil grid shared by all cards, each card's response
 * matrix, the binned SM templates per solar source, and each card's backgrounds without their SM
 * part (detector/background.h).  An "entry" is one row of the experiment axis: a single card or a
 * joint fit of several cards (shared solar-flux nuisances, separate backgrounds).
 * analysis_eval_unit computes the unit-coupling signal templates for m4 (cached: consecutive units
 * with the same m4 reuse the per-flavour spectra), asks the dataset provider (stats/dataset.h) for
 * the entry's counts of the configured kind (options.data), binds them to the fit, profiles the
 * chi^2 along the given mu axis with warm starts, and root-finds the 1-dof limit.
 * analysis_expected then adds the unit's expected sensitivity (stats/bands.h): the Asimov dataset's
 * limit or the limits of background-only toys keyed by (seed, unit, toy), each fitted exactly like
 * the data, and the power-constrained limit and local significance of the observed fit.  Nothing
 * in it depends on the number of ranks.
 */
#ifndef DIPSCAN_ANALYSIS_H
#define DIPSCAN_ANALYSIS_H

#include <stddef.h>

#include "util/common.h"
#include "physics/electrons.h"
#include "stats/bands.h"
#include "stats/dataset.h"
#include "stats/limit.h"
#include "stats/neyman.h"

/* How the background normalisations are constrained: every one free (no pull term), or with the
 * relative width each card documents (its components' sigma_rel). */
typedef enum { BACKGROUND_FREE = 0, BACKGROUND_CARD = 1 } background_mode;

typedef struct analysis_options {
  electrons_model electrons;   /* default ELECTRONS_FREE */
  int split;                   /* osc_split; default OSC_SPLIT_SIMPLE */
  int metallicity;             /* solar_metallicity; default SOLAR_B16_GS98 */
  unsigned source_mask;        /* bit s set = solar source s included; default all */
  data_mode data;              /* dataset kind fitted (dataset.h); default DATA_OBSERVED */
  double cl;                   /* confidence level, default 0.90 */
  threshold_kind threshold;    /* default THRESHOLD_TWO_SIDED (Delta chi^2 = 2.706 at 90%) */
  int day_night;               /* 1 (default): flavours averaged over the year at each card's site,
                                  with the Earth at night (docs/physics.md §3.4); 0: daytime only */
  background_mode background;  /* BACKGROUND_FREE (default) or BACKGROUND_CARD (docs/physics.md §6.1) */
  expected_mode expected;      /* expected sensitivity (bands.h); default EXPECTED_ASIMOV */
  long n_toys;                 /* background-only toys per unit for EXPECTED_TOYS; default 1000 */
  uint64_t seed;               /* base seed of the toys; default 1 */
  double power_threshold;      /* pi_crit of the power constraint; default 0.32 (bands.h) */
  neyman_spec neyman;          /* statistics.neyman (neyman.h); default off (n_toys 0) */
} analysis_options;

void analysis_options_default(analysis_options *opt);

/* Capacity of unit_summary.nuisances: alpha_s per solar source (8 at most) plus every card's
 * background components in a joint fit. */
#define ANALYSIS_MAX_NUISANCES 32

typedef struct unit_summary {
  int status;          /* dipole_unit_status (stats/dipole_result.h) */
  char reason[256];    /* a failed status: the message of the failure */
  double mu_limit;     /* 1-dof limit [mu_B] (root-found); +INFINITY when no signal can reach the window */
  double mu_best;      /* best-fit mu >= 0 [mu_B] */
  double chi2_min;     /* profiled chi^2 at mu_best */
  double chi2_zero;    /* profiled chi^2 at mu = 0 */
  double signal_total; /* unit-coupling signal counts summed over the entry's bins (per mu_B^2) */
  long n_profiles;     /* profiled chi^2 evaluations spent */
  long n_fallbacks;    /* profiles where Newton failed and the fallback minimiser was used */
  size_t n_nuisances;  /* nuisances of the entry (chi2_n_nuisances) */
  double nuisances[ANALYSIS_MAX_NUISANCES]; /* profiled relative normalisations at mu_best, in
                                 chi2.h order (alpha_s per included source, then each card's beta_j);
                                 slots >= n_nuisances are NaN */
} unit_summary;

typedef struct analysis analysis;

/* cards: names (data/experiments/NAME.yaml) or paths.  Entries are added afterwards. */
int analysis_init(analysis **out, const char *data_dir, const analysis_options *opt,
                  const char *const *cards, size_t n_cards, dip_error *err);
void analysis_free(analysis *an);

/* Add an entry = the cards with indices idx[0..n) fitted jointly (n == 1: a single experiment).
 * Its name is the card names joined with '+'.  Returns the entry index in *entry.  Refused
 * (DIP_EINVAL) when the entry would have more than ANALYSIS_MAX_NUISANCES nuisances. */
int analysis_add_entry(analysis *an, const size_t *idx, size_t n, size_t *entry, dip_error *err);
size_t analysis_n_entries(const analysis *an);
const char *analysis_entry_name(const analysis *an, size_t entry);
/* Name of nuisance p of an entry (p < the entry's n_nuisances) into out[n]: "alpha_<source>"
 * (solar source name, e.g. alpha_pp, alpha_7Be), then "beta_<card>_<component>" for each card's
 * background components.  DIP_EINVAL for p out of range or a name longer than n - 1. */
int analysis_nuisance_name(const analysis *an, size_t entry, size_t p, char *out, size_t n);
size_t analysis_n_nuisances(const analysis *an, size_t entry);
/* Checksum of each card file (for provenance), and the card names. */
size_t analysis_n_cards(const analysis *an);
const char *analysis_card_name(const analysis *an, size_t card);
/* "" or one line saying that the card's SM-including background had to be clamped (a shortfall up
 * to BACKGROUND_MAX_SHORTFALL of the SM removed; more refuses analysis_init).  Commands print it. */
const char *analysis_card_warning(const analysis *an, size_t card);
const char *analysis_card_checksum(const analysis *an, size_t card);

/* The card behind card index c (for bins, exposure, observed counts). */
const struct card *analysis_card(const analysis *an, size_t card);

/* Binned rates of one card (each array [n_bins] of that card, events in the card's exposure):
 * the SM solar-nu counts (sum of included sources), the unit-coupling signal (per mu_B^2) for the
 * coupling at m4, and the card's background total as published (before any SM removal). */
int analysis_card_rates(analysis *an, size_t card, dip_coupling coupling, double m4_MeV,
                        double *sm, double *signal_unit, double *background, dip_error *err);

/* The Delta chi^2 threshold for the options' (cl, threshold) at 1 dof. */
double analysis_threshold_1dof(const analysis *an);

/* Evaluate one unit: profiled chi^2 at each mu[i] (mu in mu_B, any order; n_mu may be 0) into
 * chi2[i], plus the root-found 1-dof limit and best fit.  chi2 may be NULL when n_mu == 0.
 * Numerical trouble of the fit (a point that cannot be profiled, a root search that fails) is not
 * an error: summary->status says what happened (dipole_unit_status, with the message in reason),
 * the affected numbers are NaN and the call succeeds; a limit +inf has status "no sensitivity".
 * Points so far above the data that some bin would hold more than CHI2_MAX_SIGNAL_COUNTS signal
 * events (mu > chi2_mu_max, see chi2.h: the profile is ill-conditioned there) are not profiled:
 * chi2[i] is the chi^2 at nominal nuisances, an upper bound of the profiled value, itself > 1e9
 * above the minimum — those points are excluded at any CL either way. */
int analysis_eval_unit(analysis *an, size_t entry, dip_coupling coupling, double m4_MeV,
                       const double *mu, size_t n_mu, double *chi2, unit_summary *summary,
                       dip_error *err);

/* Expected sensitivity of a unit (after analysis_eval_unit of the same unit gave `observed`): the
 * band of the options' kind (EXPECTED_NONE: nothing to do, *b untouched), the PCL and Z of the
 * observed fit.  The toys are keyed by (options.seed, the unit's key, toy index), the unit's key
 * being analysis_unit_key(entry, coupling, m4): the same unit gets the same toys in any scan
 * layout, on any rank, in any order.  The entry's workspace is left bound to the last dataset
 * fitted. */
int analysis_expected(analysis *an, size_t entry, dip_coupling coupling, double m4_MeV,
                      const unit_summary *observed, bands_result *b, dip_error *err);

/* One point of a unit's Neyman construction (stats/neyman.h, docs/physics.md §12). */
typedef struct neyman_point {
  double t_crit;     /* cl-quantile of the toys' t(mu); NaN when a toy fit failed */
  double t_crit_err; /* its MC error (order statistics, neyman.h) */
  double t_obs;      /* t(mu) of the data the options configure (observed or Asimov) */
  long n_failed;     /* toys whose fit failed */
} neyman_point;

/* The Neyman construction of a unit at mu[0..n_mu) (n_mu <= NEYMAN_MAX_POINTS) with n_toys toys
 * per point: the data of the options' kind are fitted (best fit, then the conditional fit at each
 * mu[k], whose nuisances centre the toys), n_toys signal toys keyed by (options.seed,
 * analysis_unit_key, k, toy) are drawn and fitted, and out[k] gets t_c, its error and t_obs.
 * *n_fits = the toy fits done.  A failed fit is the point's outcome (NaN, counted), never an error;
 * only memory and inputs fail the call.  Independent of rank and order. */
int analysis_neyman(analysis *an, size_t entry, dip_coupling coupling, double m4_MeV,
                    const double *mu, size_t n_mu, long n_toys, neyman_point *out, long *n_fits,
                    dip_error *err);

/* Coverage of the 1-dof regions at a true mu (docs/physics.md §12.4): n_pseudo pseudo-experiments
 * are drawn (signal toys) with the signal at mu_true and the nuisances at their conditional best
 * fit to the configured data at mu_true; each is fitted, its Wilks region contains mu_true when
 * t(mu_true) <= the 1-dof threshold, its Neyman region when t(mu_true) <= t_c(mu_true) of its own
 * construction (n_toys toys centred on its own conditional fit).  Pseudo-experiments whose fit or
 * construction failed are counted apart, not in n_pseudo. */
typedef struct coverage_result {
  long n_pseudo;        /* pseudo-experiments that count */
  long covered_wilks;   /* ... whose Wilks region contains mu_true */
  long covered_neyman;  /* ... whose Neyman region contains mu_true */
  long n_failed;        /* pseudo-experiments left out (a failed fit) */
} coverage_result;

int analysis_coverage(analysis *an, size_t entry, dip_coupling coupling, double m4_MeV,
                      double mu_true, long n_pseudo, long n_toys, coverage_result *out,
                      dip_error *err);

/* The toys' unit key: splitmix64-style mix of the entry index, the coupling and the bits of m4. */
uint64_t analysis_unit_key(size_t entry, dip_coupling coupling, double m4_MeV);

/* 2-dof helper: the first mu > mu_from where the profiled chi^2 of the unit equals
 * chi2_ref + threshold (chi2_ref = the global minimum of the (m4, mu) plane). */
int analysis_crossing(analysis *an, size_t entry, dip_coupling coupling, double m4_MeV,
                      double chi2_ref, double threshold, double mu_from, double *mu_cross,
                      dip_error *err);

/* Names <-> enums (errors list the allowed values; data_mode's are in dataset.h). */
int coupling_from_name(const char *name, dip_coupling *out, dip_error *err);
const char *coupling_name(dip_coupling c);
const char *electrons_name(electrons_model e);
/* The name tables behind them (util/common.h registry), indexed by the enum values. */
extern const dip_names coupling_names;  /* "universal", "e", "mu", "tau" */
extern const dip_names electrons_names; /* "free", "stepping" */
extern const dip_names day_night_names; /* "off", "on" (the value of analysis_options.day_night) */
extern const dip_names background_names; /* "free", "card" (background_mode) */

#endif /* DIPSCAN_ANALYSIS_H */
