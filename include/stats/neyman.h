/*
 * neyman.h — the Neyman construction with the profile-likelihood-ratio ordering (Feldman & Cousins,
 * PRD 57 (1998) 3873), nuisances by the profile construction (docs/physics.md §12).
 *
 * Test statistic (the one of the Wilks limits, limit.h): t(mu) = chi^2(mu) - chi^2_min with the
 * minimum over mu >= 0.  At each mu_k of a coarse Neyman axis, N pseudo-experiments are drawn with
 * the signal at mu_k and the nuisances at their conditional best fit to the data at mu_k
 * (dataset.h, DATA_TOY_SIGNAL), each is fitted like the data, and the critical value t_c(mu_k) is
 * the cl-quantile of their t(mu_k).  The cl region is {mu : t_obs(mu) <= t_c(mu)}; Wilks' theorem
 * replaces t_c by the chi^2_1 quantile (2.706 at 90%).
 *
 * MC error of t_c: the half-width of the distribution-free 68% interval of the quantile from the
 * order statistics (ranks N cl -/+ sqrt(N cl (1 - cl)), the binomial spread of the rank; bands.h),
 * not the asymptotic SE sqrt(cl (1 - cl) / N) / f(t_c), which needs the density f (for chi^2_1
 * draws the two agree within 25%, tests/unit/test_neyman.c).  Near t_c = 2.706 (chi^2_1 density
 * 0.063 there) the relative error is 1.8% at N = 10^4 and 1% at N = 32 000.
 *
 * This module is the statistics alone (the axis, the quantile, the limit from t_c and t_obs); the
 * toys and the fits are the analysis' (analysis_neyman in analysis.h).
 */
#ifndef DIPSCAN_NEYMAN_H
#define DIPSCAN_NEYMAN_H

#include <stddef.h>

#include "util/common.h"

/* Capacity of the Neyman mu axis (the cube's vector axis neyman_mu; unused slots are NaN). */
#define NEYMAN_MAX_POINTS 32

/* statistics.neyman: toys per point (0 = off) and the axis {from, to, points, spacing}. */
typedef struct neyman_spec {
  long n_toys;       /* default 0: no Neyman construction */
  double from, to;   /* [mu_B] */
  long points;       /* 2 .. NEYMAN_MAX_POINTS */
  int log_spacing;   /* 1: log (from > 0), 0: linear (from >= 0) */
} neyman_spec;

/* Defaults: off, 1e-11 .. 1e-9 mu_B, 12 points, log. */
void neyman_spec_default(neyman_spec *s);

/* The axis of a spec into mu[NEYMAN_MAX_POINTS] (*n points, strictly increasing).  DIP_EINVAL,
 * saying which bound, for from/to/points out of range. */
int neyman_axis(const neyman_spec *s, double *mu, size_t *n, dip_error *err);

/* The critical value from n >= 1 toy statistics t[n] (sorted in place; NaN refused): the
 * cl-quantile and its MC error (see above). */
int neyman_critical(double *t, size_t n, double cl, double *t_crit, double *t_crit_err,
                    dip_error *err);

/* The upper end of the cl region: t_c known at the Neyman points mu_n[k] (increasing, NaN = not
 * computed) and interpolated linearly in mu between them; t_obs known on a finer grid mu[i]
 * (increasing).  The grid points inside [mu_n[0], mu_n[K-1]] where t_obs <= t_c are accepted; the
 * limit is the crossing, linear in t_obs - t_c, between the largest accepted point and the next.
 * +inf when the largest point is accepted (no exclusion on the Neyman axis), NaN when no point is
 * (the region ends below the axis) or when no grid point has both numbers. */
double neyman_upper_limit(const double *mu_n, const double *t_crit, size_t n_neyman,
                          const double *mu, const double *t_obs, size_t n);

#endif /* DIPSCAN_NEYMAN_H */
