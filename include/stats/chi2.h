/*
 * chi2.h — the Poisson chi^2 with Gaussian pulls, profiled over the nuisance parameters.
 *
 * For one or several experiments fitted jointly (docs/physics.md §6):
 *
 *   chi^2(mu; alpha, beta) = 2 sum_k [N_k - n_k + n_k ln(n_k / N_k)]
 *                            + sum_s (alpha_s / sigma_s)^2 + sum_j (beta_j / sigma_j)^2,
 *   N_k = sum_s (1 + alpha_s)(SM_s,k + mu^2 S_s,k) + sum_j (1 + beta_j) B_j,k.
 *
 * The solar-flux normalisations alpha_s are shared by all experiments; every experiment has its own
 * background normalisations beta_j.  A bin with n_k = 0 contributes exactly 2 N_k.  A relative
 * sigma of INFINITY means "free" (no pull term); sigma = 0 fixes the nuisance at its nominal value.
 *
 * chi2_profile minimises over the nuisances at fixed mu (mu >= 0, in mu_B): Newton's method with
 * the analytic gradient and Hessian (Cholesky solve), a line search that keeps every N_k > 0, and a
 * convergence test on the predicted chi^2 decrease.  It warm-starts from the nuisances of the
 * previous call, so walking a mu axis costs one to three Newton steps per point.  When the Hessian
 * is singular or Newton stalls, a Levenberg-Marquardt fallback takes over (counted).
 *
 * Data.  The problem holds the model (templates and pulls); the counts n_k it is fitted to are
 * bound separately with chi2_set_data, which every evaluation then uses.  One workspace thus
 * serves any number of datasets (observed counts, the Asimov expectation, Poisson toys) with one
 * allocation: set the data, then profile / root-find as often as needed.  A set rather than an
 * argument of every call because the workspace is stateful anyway (the warm start), and a warm
 * start found for other data must not leak into the next dataset's fit: chi2_set_data resets the
 * nuisances, so a dataset's results never depend on what the workspace evaluated before — two
 * datasets alternated on one workspace give bitwise the results of two separate workspaces.  It
 * costs one pass over the bins (validation), nothing next to a single profile.
 *
 * Ownership: the workspace keeps pointers into the caller's arrays: the problem's arrays must
 * outlive it, the counts must stay valid until the next chi2_set_data (or the free).  The signal
 * templates `sig` and the counts may be overwritten in place between calls (new m4, next toy) —
 * nothing derived from them is cached across calls.
 */
#ifndef DIPSCAN_CHI2_H
#define DIPSCAN_CHI2_H

#include <stddef.h>

#include "util/common.h"

typedef struct chi2_experiment {
  size_t n_bins;
  size_t n_bkg;
  const double *bkg;        /* [n_bkg][n_bins] B_j,k >= 0 */
  const double *bkg_sigma;  /* [n_bkg] relative 1 sigma of beta_j; INFINITY = free (no pull term) */
  const double *sm;         /* [n_src][n_bins] SM_s,k */
  const double *sig;        /* [n_src][n_bins] S_s,k (signal per mu_B^2, i.e. multiply by mu^2) */
} chi2_experiment;

typedef struct chi2_problem {
  size_t n_src;
  const double *src_sigma;  /* [n_src] relative 1 sigma of alpha_s (shared by all experiments) */
  size_t n_exp;
  const chi2_experiment *exp;
} chi2_problem;

/* Opaque: nuisances (warm start), scratch, counters. */
typedef struct chi2_workspace chi2_workspace;

/* pb and every array it points to must outlive ws; sig may be changed in place between calls. */
int chi2_workspace_alloc(chi2_workspace **ws, const chi2_problem *pb, dip_error *err);
void chi2_workspace_free(chi2_workspace *ws);

/* Nuisances back to nominal (all 0). */
void chi2_reset(chi2_workspace *ws);

/* Fit the following evaluations to counts: the n_k >= 0 (may be non-integer: digitised data) of
 * every experiment back to back, experiment 0's n_bins first.  Keeps the
 * pointer (see Ownership) and resets the nuisances.  DIP_EINVAL for a negative or non-finite count,
 * and the workspace is then left without data. */
int chi2_set_data(chi2_workspace *ws, const double *counts, dip_error *err);

/* Profiled chi^2 at mu >= 0 [mu_B], warm-started from the previous call.  Fails (DIP_EINVAL) without
 * data, for mu < 0, non-finite mu, mu > chi2_mu_max, negative templates, or counts in a bin the
 * model cannot populate; never stores NaN. */
int chi2_profile(chi2_workspace *ws, double mu, double *chi2, dip_error *err);

/* Same, and also d chi^2_profiled / d(mu^2) [per mu_B^2] at the profiled nuisances (envelope
 * theorem: the partial derivative at fixed nuisances). */
int chi2_profile_slope(chi2_workspace *ws, double mu, double *chi2, double *dchi2_dmu2,
                       dip_error *err);

/* Unprofiled chi^2 at the given nuisances [alpha_0..alpha_{n_src-1}, then each experiment's betas
 * in order] (NULL = nominal); +INFINITY where some N_k <= 0 (other than N_k = n_k = 0), mu is
 * invalid or no data are set. */
double chi2_fixed(const chi2_workspace *ws, double mu, const double *nuisances);

size_t chi2_n_nuisances(const chi2_workspace *ws);
const double *chi2_nuisances(const chi2_workspace *ws);  /* profiled values of the last call */
long chi2_n_profiles(const chi2_workspace *ws);
long chi2_n_fallbacks(const chi2_workspace *ws);

/* The natural scale of mu for this problem [mu_B]: the mu at which the summed signal equals the
 * square root of the summed null expectation (SM + background, at least 1 count).  +INFINITY when
 * the signal templates are all zero.  Recomputed from the current sig on every call. */
double chi2_mu_unit(const chi2_workspace *ws);

/* Largest mu [mu_B] chi2_profile accepts: mu^2 S_s,k <= CHI2_MAX_SIGNAL_COUNTS for every source
 * and bin.  +INFINITY when the signal templates are all zero. */
double chi2_mu_max(const chi2_workspace *ws);

/* Ceiling on the signal counts in one bin.  Far above the data the profile cancels huge columns
 * against each other (with collinear signal shapes the pulls decide how, at negative
 * normalisations), and the Hessian's condition number grows like the signal squared: at 1e10
 * counts per bin the profiled chi^2 still agrees between warm and cold starts to ~1e-7, at 1e12
 * only to ~1e-4.  A real limit sits at ~10 signal counts, so the ceiling is 1e9 times beyond it. */
#define CHI2_MAX_SIGNAL_COUNTS 1e10

#endif /* DIPSCAN_CHI2_H */
