/*
 * limit.c — best fit, Delta chi^2 crossings and thresholds (see limit.h).
 *
 * Everything runs in x = (mu / mu_unit)^2, where mu_unit (chi2_mu_unit) is the mu whose summed
 * signal equals the square root of the summed null expectation: the chi^2 is a smooth function of
 * x (the signal is linear in it), a limit sits at x = O(1..10) for a background-dominated
 * problem, and every bracket starts from that scale instead of a hard-coded mu.  Brackets grow
 * geometrically (factor BRACKET_GROWTH) and are then closed by GSL's Brent solver:
 *   - best fit: root of the envelope slope d chi^2/dx (chi2_profile_slope) when it is negative at
 *     x = 0 (a data excess), else x = 0;
 *   - crossing: root of chi^2(x) - (chi2_ref + threshold) above x_from.
 */
#include "stats/limit.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>
#include <math.h>
#include <string.h>

#define BRACKET_GROWTH 4.0
#define ROOT_REL_TOL 1e-10
/* Absolute floor in x, for a bracket that touches x = 0: 1e-14 natural units of mu^2 is a signal of
 * 1e-14 x sqrt(background) counts, i.e. nothing. */
#define ROOT_ABS_TOL 1e-14
#define ROOT_MAX_ITER 200

double limit_threshold(double cl, int dof, threshold_kind kind) {
  if (!(cl > 0.0 && cl < 1.0) || dof < 1)
    return NAN;
  if (kind == THRESHOLD_TWO_SIDED || dof >= 2) /* the one-sided rule is a 1-dof convention */
    return gsl_cdf_chisq_Pinv(cl, dof);
  if (kind == THRESHOLD_ONE_SIDED && cl >= 0.5)
    return gsl_cdf_chisq_Pinv(2.0 * cl - 1.0, 1.0);
  return NAN;
}

static const char *const threshold_words[] = {"two-sided", "one-sided"};
const dip_names threshold_names = DIP_NAMES("threshold", threshold_words);

int threshold_from_name(const char *name, threshold_kind *out, dip_error *err) {
  int t = 0;
  DIP_TRY(dip_names_find(&threshold_names, name, &t, err));
  *out = (threshold_kind)t;
  return DIP_SUCCESS;
}

const char *threshold_name(threshold_kind t) { return dip_names_get(&threshold_names, t); }

/* ---------------------------------------------------------------- chi^2 in natural units */

typedef struct scan_context {
  chi2_workspace *ws;
  double mu_unit; /* [mu_B] */
  double x_max;   /* (chi2_mu_max / mu_unit)^2: brackets end there */
  double mu_max;  /* chi2_mu_max: mu_of(x_max) may round above it, so mu_of clamps */
  double target;  /* chi^2 level of a crossing */
  int status;     /* first failure inside a GSL callback */
  dip_error *err;
} scan_context;

static scan_context context(chi2_workspace *ws, double target, dip_error *err) {
  double unit = chi2_mu_unit(ws), mu_max = chi2_mu_max(ws), ratio = mu_max / unit;
  scan_context c = {ws, unit, ratio * ratio, mu_max, target, DIP_SUCCESS, err};
  return c;
}

static double mu_of(const scan_context *c, double x) {
  double mu = c->mu_unit * sqrt(x);
  return isinf(x) ? mu : fmin(mu, c->mu_max); /* x = +inf: no crossing, the limit is +inf */
}

static int chi2_at(scan_context *c, double x, double *chi2) {
  return chi2_profile(c->ws, mu_of(c, x), chi2, c->err);
}

/* d chi^2 / dx at x. */
static int slope_at(scan_context *c, double x, double *slope) {
  double chi2, per_mu2;
  DIP_TRY(chi2_profile_slope(c->ws, mu_of(c, x), &chi2, &per_mu2, c->err));
  *slope = per_mu2 * c->mu_unit * c->mu_unit;
  return DIP_SUCCESS;
}

/* GSL callbacks: a failure is kept in the context and reported as NaN, which stops the solver. */
static double gsl_slope(double x, void *params) {
  scan_context *c = params;
  double slope;
  int status = slope_at(c, x, &slope);
  if (status != DIP_SUCCESS) {
    c->status = c->status ? c->status : status;
    return NAN;
  }
  return slope;
}

static double gsl_excess(double x, void *params) {
  scan_context *c = params;
  double chi2;
  int status = chi2_at(c, x, &chi2);
  if (status != DIP_SUCCESS) {
    c->status = c->status ? c->status : status;
    return NAN;
  }
  return chi2 - c->target;
}

static int converged(double lo, double hi) {
  return gsl_root_test_interval(lo, hi, ROOT_ABS_TOL, ROOT_REL_TOL) == GSL_SUCCESS;
}

/* Root of f in [lo, hi] (sign change assumed) by Brent, to ROOT_REL_TOL in x. */
static int brent(scan_context *c, double (*f)(double, void *), double lo, double hi, double *root,
                 const char *what) {
  gsl_root_fsolver *solver = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
  if (!solver)
    return dip_error_set(c->err, DIP_ENOMEM, "limit: cannot allocate the root finder");
  gsl_function fn = {f, c};
  int gsl_status = gsl_root_fsolver_set(solver, &fn, lo, hi);
  for (int it = 0; gsl_status == GSL_SUCCESS && it < ROOT_MAX_ITER; it++) {
    gsl_status = gsl_root_fsolver_iterate(solver);
    lo = gsl_root_fsolver_x_lower(solver);
    hi = gsl_root_fsolver_x_upper(solver);
    if (gsl_status == GSL_SUCCESS && converged(lo, hi))
      break;
  }
  *root = gsl_root_fsolver_root(solver);
  gsl_root_fsolver_free(solver);
  if (c->status)
    return dip_error_prefix(c->err, "limit: %s", what);
  if (gsl_status != GSL_SUCCESS || !converged(lo, hi))
    return dip_error_set(c->err, DIP_ENUMERIC, "limit: %s: root finder failed (%s) in [%g, %g]",
                         what, gsl_strerror(gsl_status), lo, hi);
  return DIP_SUCCESS;
}

/* ---------------------------------------------------------------- best fit and crossings */

/* x of the minimum along mu >= 0 and chi^2 there; chi2_zero is chi^2 at x = 0. */
static int best_fit(scan_context *c, double chi2_zero, double *x_best, double *chi2_min) {
  double slope;
  DIP_TRY(slope_at(c, 0.0, &slope));
  *x_best = 0.0;
  *chi2_min = chi2_zero;
  if (slope >= 0.0)
    return DIP_SUCCESS;
  double lo = 0.0, hi = fmin(1.0, c->x_max);
  for (;;) {
    DIP_TRY(slope_at(c, hi, &slope));
    if (slope >= 0.0)
      break;
    if (hi == c->x_max) /* chi^2 still falling at the largest mu: report that end */
      return chi2_at(c, *x_best = hi, chi2_min);
    lo = hi;
    hi = fmin(hi * BRACKET_GROWTH, c->x_max);
  }
  DIP_TRY(brent(c, gsl_slope, lo, hi, x_best, "best fit"));
  DIP_TRY(chi2_at(c, *x_best, chi2_min));
  if (*chi2_min > chi2_zero) { /* the slope root was not below mu = 0 after all */
    *x_best = 0.0;
    *chi2_min = chi2_zero;
  }
  return DIP_SUCCESS;
}

/* First x > x_from with chi^2(x) = c->target (x_from itself if already above; INFINITY if none
 * up to x_max). */
static int crossing(scan_context *c, double x_from, double *x_cross) {
  double chi2;
  DIP_TRY(chi2_at(c, x_from, &chi2));
  *x_cross = x_from;
  if (chi2 >= c->target)
    return DIP_SUCCESS;
  double lo = x_from, hi = x_from, width = 1.0;
  for (;; width *= BRACKET_GROWTH) {
    if (hi >= c->x_max) {
      *x_cross = INFINITY;
      return DIP_SUCCESS;
    }
    hi = fmin(x_from + width, c->x_max);
    DIP_TRY(chi2_at(c, hi, &chi2));
    if (chi2 >= c->target)
      break;
    lo = hi;
  }
  return brent(c, gsl_excess, lo, hi, x_cross, "Delta chi^2 crossing");
}

int limit_crossing(chi2_workspace *ws, double chi2_ref, double threshold, double mu_from,
                   double *mu_cross, dip_error *err) {
  if (!(mu_from >= 0.0 && isfinite(mu_from)) || !isfinite(chi2_ref) || !(threshold > 0.0))
    return dip_error_set(err, DIP_EINVAL,
                         "limit: need mu_from >= 0, finite chi2_ref and threshold > 0 (got %g, %g, %g)",
                         mu_from, chi2_ref, threshold);
  scan_context c = context(ws, chi2_ref + threshold, err);
  if (isinf(c.mu_unit)) { /* no signal: chi^2 does not depend on mu */
    double chi2;
    DIP_TRY(chi2_profile(ws, mu_from, &chi2, err));
    *mu_cross = chi2 >= c.target ? mu_from : INFINITY;
    return DIP_SUCCESS;
  }
  double x_from = (mu_from / c.mu_unit) * (mu_from / c.mu_unit), x_cross;
  DIP_TRY(crossing(&c, x_from, &x_cross));
  *mu_cross = x_cross == x_from ? mu_from : mu_of(&c, x_cross);
  return DIP_SUCCESS;
}

/* Best fit along mu >= 0 from cold nuisances; *x_best in natural units (0 without signal). */
static int best_fit_cold(chi2_workspace *ws, scan_context *c, limit_result *res, double *x_best) {
  chi2_reset(ws);
  DIP_TRY(chi2_profile(ws, 0.0, &res->chi2_zero, c->err));
  res->mu_best = 0.0;
  res->chi2_min = res->chi2_zero;
  res->mu_limit = INFINITY;
  *x_best = 0.0;
  if (isinf(c->mu_unit))
    return DIP_SUCCESS;
  DIP_TRY(best_fit(c, res->chi2_zero, x_best, &res->chi2_min));
  res->mu_best = mu_of(c, *x_best);
  return DIP_SUCCESS;
}

int limit_best_fit(chi2_workspace *ws, limit_result *res, dip_error *err) {
  scan_context c = context(ws, 0.0, err);
  double x_best;
  DIP_TRY(best_fit_cold(ws, &c, res, &x_best));
  res->mu_limit = NAN;
  return DIP_SUCCESS;
}

int limit_1dof(chi2_workspace *ws, double threshold, limit_result *res, dip_error *err) {
  if (!(threshold > 0.0) || !isfinite(threshold))
    return dip_error_set(err, DIP_EINVAL, "limit: threshold %g is not a positive number", threshold);
  scan_context c = context(ws, 0.0, err);
  double x_best, x_limit;
  DIP_TRY(best_fit_cold(ws, &c, res, &x_best));
  if (isinf(c.mu_unit))
    return DIP_SUCCESS;
  c.target = res->chi2_min + threshold;
  DIP_TRY(crossing(&c, x_best, &x_limit));
  res->mu_limit = mu_of(&c, x_limit);
  return DIP_SUCCESS;
}
