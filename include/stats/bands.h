/*
 * bands.h — expected sensitivity, the power-constrained limit and the local significance of one
 * (entry, coupling, m4) (docs/physics.md §11).
 *
 * The test statistic is the one the limits use (limit.h): t(mu) = chi^2(mu) - chi^2(mu_best) with
 * mu_best >= 0, the limit where t crosses the threshold t* (2.706 at 90% two-sided).  The signal
 * strength s = mu^2 is what the counts are linear in, so the asymptotic (Wald) statements are made
 * in s and mapped back with mu = sqrt(s).
 *
 * Expected band: the distribution of the limit over background-only experiments, summarised by its
 * quantiles at Phi(N), N = -2, -1, 0, +1, +2 (2.275, 15.87, 50, 84.13, 97.725%).
 *   asimov  (Cowan, Cranmer, Gross, Vitells, EPJC 71 (2011) 1554): under s = 0 the unconstrained
 *           estimate s_hat ~ N(0, sigma^2) with sigma from the Asimov dataset, whose limit s_A obeys
 *           s_A^2 / sigma^2 = t*, i.e. sigma = s_A / sqrt(t*).  The limit is monotone in s_hat:
 *           s_up = s_hat + sigma sqrt(t*) for s_hat >= 0 and, where mu_best is held at 0,
 *           s_up = s_hat + sqrt(s_hat^2 + t* sigma^2) for s_hat < 0; so the N-sigma edge is
 *           s_N = sigma (N + sqrt(t*)) for N >= 0 — CCGV's sigma (Phi^-1(1 - alpha) + N) with
 *           Phi^-1(1 - alpha) = sqrt(t*) — and s_N = sigma (N + sqrt(N^2 + t*)) for N < 0, the
 *           boundary's version (always > 0).  The median is s_A itself, bitwise.
 *   toys    N background-only toys (dataset.h), each fitted like the data; the quantiles of their
 *           limits (the interpolated sample quantile at (N - 1) p, as GSL's, +inf where it
 *           touches a toy without sensitivity), each with the half-width of the
 *           distribution-free 68% interval of that quantile from the order statistics
 *           (ranks N p -/+ sqrt(N p (1 - p)), the binomial spread of the rank).
 * Power constraint (Cowan, Cranmer, Gross, Vitells, arXiv:1105.3166; Baxter et al., EPJC 81 (2021)
 * 907): a value is excluded only where the test has power >= pi_crit against s = 0, i.e. the
 * limit is max(observed, the band's quantile at pi_crit).  Default pi_crit = 0.32 (Baxter et al.).
 * Local significance: q0 = chi^2(0) - chi^2(mu_best), Z = sqrt(q0) when mu_best > 0, else 0
 * (one-sided; under s = 0 asymptotically q0 ~ 1/2 delta(0) + 1/2 chi^2_1, as CCGV derive it),
 * and with toys the empirical p-value (1 + #{q0_toy >= q0}) / (1 + N).
 */
#ifndef DIPSCAN_BANDS_H
#define DIPSCAN_BANDS_H

#include <stddef.h>

#include "util/common.h"

typedef enum { EXPECTED_NONE = 0, EXPECTED_ASIMOV = 1, EXPECTED_TOYS = 2 } expected_mode;
extern const dip_names expected_mode_names; /* "none", "asimov", "toys" */
const char *expected_mode_name(expected_mode m);

#define BANDS_N_EDGES 5
/* N of the edges, -2 .. +2 (the quantiles are Phi(N)). */
extern const double bands_sigma[BANDS_N_EDGES];

/* Power threshold recommended by Baxter et al. (2021), §2.2.1 (see docs/physics.md §11.4). */
#define BANDS_DEFAULT_POWER_THRESHOLD 0.32

typedef struct bands_result {
  double edge[BANDS_N_EDGES];     /* expected limit at Phi(-2..+2) [mu_B] */
  double edge_err[BANDS_N_EDGES]; /* MC error of each edge [mu_B] (0 for asimov) */
  double pcl_edge;                /* expected limit at the power threshold [mu_B] */
  double mu_pcl;                  /* power-constrained limit [mu_B] */
  double z_local;                 /* local significance of the best fit (asymptotic) */
  double p_local_toys;            /* empirical local p-value (NaN without toys) */
  size_t n_toys;                  /* 0 for asimov */
} bands_result;

/* Asymptotic band from the Asimov dataset's limit mu_asimov at threshold t* (> 0); pcl_edge at
 * power_threshold in (0, 1).  mu_asimov = +inf gives an all-inf band. */
void bands_asimov(double mu_asimov, double threshold, double power_threshold, bands_result *b);

/* Band from n >= 1 toy limits (sorted in place; +inf allowed).  DIP_EINVAL for n == 0. */
int bands_toys(double *limits, size_t n, double power_threshold, bands_result *b, dip_error *err);

/* The observed fit's PCL and Z into b (after bands_asimov/bands_toys); q0_toys[n_toys] (may be
 * NULL when b->n_toys == 0) gives the empirical p-value. */
void bands_observed(bands_result *b, double mu_limit, double mu_best, double chi2_zero,
                    double chi2_min, const double *q0_toys);

/* The sample p-quantile of sorted[n] (n >= 1, ascending, +inf allowed) interpolated at rank
 * (n - 1) p, and the half-width of its distribution-free 68% interval (order statistics at ranks
 * n p -/+ sqrt(n p (1 - p))).  Shared with the Neyman construction (stats/neyman.h). */
double bands_quantile(const double *sorted, size_t n, double p);
double bands_quantile_error(const double *sorted, size_t n, double p);

/* One-sided q0 of a fit: chi2_zero - chi2_min when mu_best > 0, else 0 (never negative). */
double bands_q0(double mu_best, double chi2_zero, double chi2_min);

#endif /* DIPSCAN_BANDS_H */
