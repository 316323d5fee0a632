/*
 * limit.h — confidence limits on mu from the profiled chi^2 (docs/physics.md §6).
 *
 * 1 dof (fixed m4, coupling and experiment set): the best fit mu_best >= 0 minimises the profiled
 * chi^2 along mu (mu = 0 when the data show no excess), and the limit is the mu > mu_best where
 * chi^2(mu) - chi^2_min crosses the threshold.  2 dof: the threshold is taken relative to the global
 * minimum over (m4, mu) — the caller finds that minimum and asks limit_crossing for the crossing at
 * each m4.  Crossings are bracketed by expanding from the problem's natural mu scale
 * (chi2_mu_unit) and then root-found (Brent) to a relative precision far below 1e-4 in mu.
 *
 * Both fit the data currently bound to the workspace (chi2_set_data); a new dataset is a new
 * chi2_set_data followed by the same calls.
 *
 * Thresholds: limit_threshold(0.90, 1, TWO_SIDED) = 2.7055 (the reference analysis' convention),
 * (0.90, 1, ONE_SIDED) = 1.6424 (the one-sided interval of a parameter at its physical boundary:
 * chi^2_1 quantile at 2 CL - 1), (0.90, 2, TWO_SIDED) = 4.6052.
 */
#ifndef DIPSCAN_LIMIT_H
#define DIPSCAN_LIMIT_H

#include "stats/chi2.h"
#include "util/common.h"

typedef enum { THRESHOLD_TWO_SIDED = 0, THRESHOLD_ONE_SIDED = 1 } threshold_kind;

/* Delta chi^2 threshold for confidence level cl in (0, 1) and dof >= 1 (GSL chi^2 quantiles).
 * kind is the 1-dof convention (ONE_SIDED needs cl >= 0.5); with 2 or more dof the region is
 * always the chi^2_dof quantile (the one-sided rule is for one parameter at its boundary), so
 * `dipscan limit` and `dipscan limits` share one 2-dof convention.  NAN outside these ranges. */
double limit_threshold(double cl, int dof, threshold_kind kind);

/* "two-sided" / "one-sided" <-> enum (the error lists the allowed names). */
int threshold_from_name(const char *name, threshold_kind *out, dip_error *err);
const char *threshold_name(threshold_kind t);
extern const dip_names threshold_names; /* "two-sided", "one-sided" */

typedef struct limit_result {
  double mu_best;   /* best-fit mu >= 0 [mu_B]                                           */
  double chi2_min;  /* profiled chi^2 at mu_best                                          */
  double chi2_zero; /* profiled chi^2 at mu = 0                                           */
  double mu_limit;  /* 1-dof limit [mu_B]; +INFINITY if the signal is zero / cannot reach
                     * the threshold                                                      */
} limit_result;

/* Best fit and 1-dof limit for the workspace's current templates.  Resets the nuisances first, so
 * the result does not depend on earlier calls. */
int limit_1dof(chi2_workspace *ws, double threshold, limit_result *res, dip_error *err);

/* The best fit alone (limit_1dof without the crossing: mu_limit is NaN), from cold nuisances.  The
 * Neyman construction (stats/neyman.h) needs chi^2_min of every toy, not its limit. */
int limit_best_fit(chi2_workspace *ws, limit_result *res, dip_error *err);

/* First mu > mu_from with chi2(mu) = chi2_ref + threshold (2-dof use: chi2_ref = the global
 * minimum).  *mu_cross = mu_from if chi2(mu_from) already reaches chi2_ref + threshold, +INFINITY if
 * no mu does. */
int limit_crossing(chi2_workspace *ws, double chi2_ref, double threshold, double mu_from,
                   double *mu_cross, dip_error *err);

#endif /* DIPSCAN_LIMIT_H */
