/*
 * evaluator.h — the dipole analysis as a scan evaluator (engine/evaluator.h).
 *
 * A unit (entry, coupling, m4) is evaluated by analysis_eval_unit along the mu axis; its results
 * are the fields of dipole_result_schema (stats/dipole_result.h), one dataset each in the cube:
 *   chi2                  [mu]      profiled chi^2 (journal: hash)
 *   limits/mu_1dof        scalar    root-found 1-dof limit [mu_B] (+inf: none)
 *   limits/chi2_min       scalar    profiled chi^2 at the best fit
 *   limits/mu_best        scalar    best-fit mu >= 0 [mu_B]
 *   units/chi2_zero       scalar    profiled chi^2 at mu = 0
 *   units/signal_total    scalar    unit-coupling signal counts (per mu_B^2)
 *   units/n_profiles      scalar    int64, profiled chi^2 evaluations
 *   units/n_fallbacks     scalar    int64, profiles that needed the fallback minimiser
 *   units/nuisances_best  [nuisance] profiled nuisances at mu_best (NaN in unused slots)
 * and the expected sensitivity (stats/bands.h; all NaN when statistics.expected is none):
 *   expected/mu_band            [band] expected limit at -2, -1, 0, +1, +2 sigma [mu_B]
 *   expected/mu_band_mc_error   [band] MC error of each edge (0 for asimov)
 *   expected/mu_power_edge      scalar expected limit at the power threshold
 *   limits/mu_pcl               scalar power-constrained limit [mu_B]
 *   limits/z_local              scalar local significance of the best fit
 *   expected/p_local_toys       scalar empirical local p-value (NaN without toys)
 * The evaluator also hands the engine the cube's root attributes describing the analysis (units,
 * cross-section convention, cl, threshold, data, electrons, split, solar model, expected, toys,
 * seed (decimal text: all 64 bits), power_threshold), the entry names, the nuisance names of every
 * entry (/axes/nuisance) and the band labels (/axes/band).
 * With statistics.neyman on, the schema is dipole_neyman_result_schema: also
 *   neyman/mu                   [neyman_mu] the Neyman axis [mu_B] (the same in every unit)
 *   neyman/tcrit                [neyman_mu] critical value t_c(mu) from the toys
 *   neyman/tcrit_mc_error       [neyman_mu] its MC error
 *   neyman/t_obs                [neyman_mu] t(mu) of the data
 *   neyman/n_failed_toys        scalar      int64, toy fits that failed (their point's t_c is NaN)
 * with the labels /axes/neyman_mu (the mu values as text) and the root attribute neyman_toys.
 */
#ifndef DIPSCAN_STATS_EVALUATOR_H
#define DIPSCAN_STATS_EVALUATOR_H

#include "engine/evaluator.h"
#include "stats/analysis.h"
#include "stats/dipole_result.h"


#define DIPOLE_N_ATTRIBUTES 16

typedef struct dipole_evaluator {
  scan_evaluator ev;            /* what scan_run takes; ev.ctx is this struct (do not copy it) */
  scan_attribute attributes[DIPOLE_N_ATTRIBUTES + 1]; /* + neyman_toys when on */
  analysis *an;                 /* not owned */
  double neyman_mu[NEYMAN_MAX_POINTS]; /* the Neyman axis (statistics.neyman; n_neyman == 0: off) */
  size_t n_neyman;
  long neyman_toys;
  char *neyman_text;            /* [NEYMAN_MAX_POINTS][24] the axis as text */
  const char **neyman_names;    /* [entries][NEYMAN_MAX_POINTS] into neyman_text */
  const char **entry_names;     /* [entries], owned by the analysis */
  char *nuisance_text;          /* [entries][ANALYSIS_MAX_NUISANCES][64] */
  const char **nuisance_names;  /* [entries][ANALYSIS_MAX_NUISANCES] into nuisance_text */
  const char **band_names;      /* [entries][BANDS_N_EDGES] static labels */
  char seed_text[24];           /* the toys' base seed, decimal */
  const char *const *axis_labels[DIPOLE_N_AXES_NEYMAN];
} dipole_evaluator;

/* Wire an analysis (with its entries added) built with options opt; both must outlive d. */
int dipole_evaluator_init(dipole_evaluator *d, analysis *an, const analysis_options *opt,
                          dip_error *err);
void dipole_evaluator_free(dipole_evaluator *d);

#endif /* DIPSCAN_STATS_EVALUATOR_H */
