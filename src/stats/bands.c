/*
 * bands.c — expected bands, power-constrained limit and local significance (see bands.h).
 *
 * Pure arithmetic on limits and chi^2 values: the fits that produce them (Asimov dataset, toys,
 * observed data) are the analysis' (analysis_expected in stats/analysis.h).
 */
#include "stats/bands.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sort.h>
#include <math.h>

static const char *const expected_words[] = {"none", "asimov", "toys"};
const dip_names expected_mode_names = DIP_NAMES("expected sensitivity", expected_words);
const char *expected_mode_name(expected_mode m) { return dip_names_get(&expected_mode_names, m); }

const double bands_sigma[BANDS_N_EDGES] = {-2, -1, 0, 1, 2};

/* The N-sigma edge relative to the Asimov limit, in s = mu^2: s_N / s_A (bands.h). */
static double asimov_ratio(double n_sigma, double threshold) {
  double root = sqrt(threshold);
  return n_sigma >= 0 ? (n_sigma + root) / root
                      : (n_sigma + sqrt(n_sigma * n_sigma + threshold)) / root;
}

static double asimov_edge(double mu_asimov, double n_sigma, double threshold) {
  if (n_sigma == 0 || isinf(mu_asimov))
    return mu_asimov; /* the median is the Asimov limit, bitwise */
  return mu_asimov * sqrt(asimov_ratio(n_sigma, threshold));
}

void bands_asimov(double mu_asimov, double threshold, double power_threshold, bands_result *b) {
  for (int i = 0; i < BANDS_N_EDGES; i++) {
    b->edge[i] = asimov_edge(mu_asimov, bands_sigma[i], threshold);
    b->edge_err[i] = 0;
  }
  b->pcl_edge = asimov_edge(mu_asimov, gsl_cdf_ugaussian_Pinv(power_threshold), threshold);
  b->n_toys = 0;
  b->p_local_toys = NAN;
}

/* Half-width of the distribution-free 68% interval of the p-quantile of sorted[n]: the order
 * statistics at ranks n p -/+ sqrt(n p (1 - p)); +inf when the upper one is a toy without
 * sensitivity, 0 when both are. */
double bands_quantile_error(const double *sorted, size_t n, double p) {
  double centre = n * p, spread = sqrt(n * p * (1 - p));
  double lo = floor(centre - spread), hi = ceil(centre + spread);
  size_t i_lo = lo < 1 ? 0 : (size_t)lo - 1, i_hi = hi > n ? n - 1 : (size_t)hi - 1;
  if (sorted[i_hi] == sorted[i_lo])
    return 0;
  return 0.5 * (sorted[i_hi] - sorted[i_lo]);
}

/* The sample p-quantile of sorted[n], interpolated between order statistics as
 * gsl_stats_quantile_from_sorted_data ((n - 1) p), but never 0 * inf: a quantile that touches a toy
 * without sensitivity (+inf) is +inf unless it falls exactly on a finite order statistic. */
double bands_quantile(const double *sorted, size_t n, double p) {
  double h = (double)(n - 1) * p;
  size_t i = (size_t)floor(h);
  double d = h - (double)i;
  if (i + 1 >= n || d == 0 || sorted[i + 1] == sorted[i])
    return sorted[i];
  if (isinf(sorted[i + 1]))
    return INFINITY;
  return (1 - d) * sorted[i] + d * sorted[i + 1];
}

int bands_toys(double *limits, size_t n, double power_threshold, bands_result *b,
               dip_error *err) {
  if (n == 0)
    return dip_error_set(err, DIP_EINVAL, "bands: no toys");
  gsl_sort(limits, 1, n);
  for (int i = 0; i < BANDS_N_EDGES; i++) {
    double p = gsl_cdf_ugaussian_P(bands_sigma[i]);
    b->edge[i] = bands_quantile(limits, n, p);
    b->edge_err[i] = bands_quantile_error(limits, n, p);
  }
  b->pcl_edge = bands_quantile(limits, n, power_threshold);
  b->n_toys = n;
  b->p_local_toys = NAN;
  return DIP_SUCCESS;
}

double bands_q0(double mu_best, double chi2_zero, double chi2_min) {
  double q0 = chi2_zero - chi2_min;
  return mu_best > 0 && q0 > 0 ? q0 : 0;
}

void bands_observed(bands_result *b, double mu_limit, double mu_best, double chi2_zero,
                    double chi2_min, const double *q0_toys) {
  b->mu_pcl = mu_limit >= b->pcl_edge ? mu_limit : b->pcl_edge;
  double q0 = bands_q0(mu_best, chi2_zero, chi2_min);
  b->z_local = sqrt(q0);
  if (!q0_toys || b->n_toys == 0)
    return;
  size_t above = 0;
  for (size_t k = 0; k < b->n_toys; k++)
    above += q0_toys[k] >= q0;
  b->p_local_toys = (1.0 + above) / (1.0 + b->n_toys);
}
