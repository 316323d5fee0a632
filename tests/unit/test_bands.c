/*
 * test_bands.c — expected sensitivity, power constraint and local significance (stats/bands.h).
 *
 * Arithmetic: the asymptotic edges follow the Wald/CCGV mapping (median = the Asimov limit
 * bitwise, +N edges sigma (N + sqrt(t*)), -N edges the boundary's sigma (N + sqrt(N^2 + t*)));
 * toy quantiles and their MC errors on a known distribution (uniform: the p-quantile is p, its
 * standard error sqrt(p (1 - p) / n)); the PCL is never below the observed limit and equals it
 * above the edge at the power threshold; Z = sqrt(q0) only for a positive best fit.
 *
 * Physics (issue 14 checks) on XENONnT SR0 and PandaX-4T Run1 at m4 = 0.01 and 0.3 MeV: the
 * Asimov median equals the limit of `--data asimov` bitwise; 3000 background-only toys per unit,
 * fitted like the data, reproduce the asymptotic median within 3% and every edge within
 * 3 MC errors + 3% (the counts are large: the asymptotic regime holds; over 30 seeds of 1000
 * toys the XENONnT m4 = 0.01 median sat 0.8% +- 0.2% below the Asimov one, with a spread of 1.1%
 * equal to the order-statistics MC error, so 3000 toys put 3% at > 3 sigma); 15.9% of the toys
 * have q0 >= 1 (the one-sided q0's half chi^2_1 law), within 4 binomial sigma; a unit's band does
 * not depend on the toys fitted before it.
 *
 * The uniform check of the MC error allows 30%: the order-statistics half-width is itself a
 * sum of ~2 sqrt(n p (1 - p)) spacings, noisy by ~9% at p = 2.3% and n = 2e5.
 */
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats/analysis.h"
#include "stats/bands.h"
#include "stats/options.h"
#include "test.h"

static void test_asimov_edges(void) {
  const double t = 2.705543454095404, mu_a = 9.4e-12;
  bands_result b;
  bands_asimov(mu_a, t, 0.5, &b);
  test_true(b.edge[2] == mu_a && b.pcl_edge == mu_a && b.n_toys == 0 && isnan(b.p_local_toys),
            "asimov: median = the Asimov limit bitwise; at pi_crit = 0.5 the PCL edge is it too");
  double r = sqrt(t);
  test_rel(b.edge[3], mu_a * sqrt((1 + r) / r), 1e-14, "asimov: +1 sigma = sqrt(sigma (1 + sqrt t*))");
  test_rel(b.edge[4], mu_a * sqrt((2 + r) / r), 1e-14, "asimov: +2 sigma");
  test_rel(b.edge[1], mu_a * sqrt((-1 + sqrt(1 + t)) / r), 1e-14,
           "asimov: -1 sigma with mu_best held at 0 (boundary formula)");
  test_rel(b.edge[0], mu_a * sqrt((-2 + sqrt(4 + t)) / r), 1e-14, "asimov: -2 sigma, > 0");
  int increasing = 1;
  for (int i = 1; i < BANDS_N_EDGES; i++)
    increasing &= b.edge[i] > b.edge[i - 1];
  test_true(increasing && b.edge[0] > 0, "asimov: edges increase from -2 to +2 sigma, all > 0");
  bands_asimov(mu_a, t, BANDS_DEFAULT_POWER_THRESHOLD, &b);
  test_true(b.pcl_edge > b.edge[1] && b.pcl_edge < b.edge[2],
            "asimov: the PCL edge at pi_crit = 0.32 lies between -1 sigma and the median");
  bands_asimov(INFINITY, t, 0.32, &b);
  test_true(isinf(b.edge[0]) && isinf(b.edge[4]) && isinf(b.pcl_edge),
            "asimov: no sensitivity, an all-inf band");
}

static void test_toy_quantiles(void) {
  const size_t n = 200000;
  double *u = malloc(n * sizeof *u);
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  for (size_t i = 0; i < n; i++)
    u[i] = gsl_rng_uniform(r);
  bands_result b;
  dip_error err;
  int ok = bands_toys(u, n, 0.32, &b, &err) == DIP_SUCCESS;
  int quantiles = ok, errors = ok;
  for (int i = 0; i < BANDS_N_EDGES; i++) {
    double p = gsl_cdf_ugaussian_P(bands_sigma[i]), se = sqrt(p * (1 - p) / n);
    quantiles &= fabs(b.edge[i] - p) < 4 * se;
    errors &= fabs(b.edge_err[i] / se - 1) < 0.3;
    if (!(fabs(b.edge_err[i] / se - 1) < 0.3))
      printf("# edge %d: MC error %g, binomial %g\n", i, b.edge_err[i], se);
  }
  test_true(quantiles, "toys: the quantiles of U(0, 1) are Phi(N) within 4 standard errors");
  test_true(errors, "toys: the order-statistics MC error is sqrt(p (1 - p) / n) within 30%");
  test_true(ok && fabs(b.pcl_edge - 0.32) < 4 * sqrt(0.32 * 0.68 / n) && b.n_toys == n,
            "toys: the PCL edge is the pi_crit quantile");
  test_true(bands_toys(u, 0, 0.32, &b, &err) == DIP_EINVAL, "toys: none refused");
  /* Against GSL's sample quantile on finite data, bitwise. */
  int same_as_gsl = 1;
  for (int i = 0; i < BANDS_N_EDGES; i++)
    same_as_gsl &= b.edge[i] == gsl_stats_quantile_from_sorted_data(
                                   u, 1, n, gsl_cdf_ugaussian_P(bands_sigma[i]));
  bands_toys(u, n, 0.32, &b, &err);
  test_true(same_as_gsl, "toys: quantiles = gsl_stats_quantile_from_sorted_data on finite limits");
  /* Toys without sensitivity (+inf, e.g. beyond every kinematic endpoint): no NaN anywhere. */
  double inf4[4] = {INFINITY, INFINITY, INFINITY, INFINITY}, half[4] = {1, 2, INFINITY, INFINITY};
  bands_toys(inf4, 4, 0.32, &b, &err);
  bands_observed(&b, INFINITY, 0, 10, 10, NULL);
  int all_inf = isinf(b.pcl_edge) && isinf(b.mu_pcl);
  for (int i = 0; i < BANDS_N_EDGES; i++)
    all_inf &= isinf(b.edge[i]) && b.edge_err[i] == 0;
  test_true(all_inf, "toys, all without sensitivity: inf edges and PCL, MC errors 0, no NaN");
  bands_toys(half, 4, 0.32, &b, &err);
  test_true(b.edge[0] > 1 && b.edge[0] < 2 && isinf(b.edge[2]) && isinf(b.edge[4]) &&
                !isnan(b.edge_err[0]) && !isnan(b.edge_err[4]),
            "toys, half without sensitivity: finite low edges, inf median and above, no NaN");
  gsl_rng_free(r);
  free(u);
}

static void test_pcl_and_z(void) {
  bands_result b;
  bands_asimov(1e-11, 2.705543454095404, 0.32, &b);
  bands_observed(&b, 0.5e-11, 0.0, 30.0, 30.0, NULL);
  test_true(b.mu_pcl == b.pcl_edge && b.mu_pcl > 0.5e-11 && b.z_local == 0,
            "PCL: an observed limit below the edge is raised to it; no excess, Z = 0");
  bands_observed(&b, 2e-11, 1e-11, 34.0, 30.0, NULL);
  test_true(b.mu_pcl == 2e-11 && b.z_local == 2.0,
            "PCL: an observed limit above the edge is kept; Z = sqrt(chi2(0) - chi2_min)");
  double q0[4] = {0, 0, 5, 3.9};
  b.n_toys = 4;
  bands_observed(&b, 2e-11, 1e-11, 34.0, 30.0, q0);
  test_rel(b.p_local_toys, 2.0 / 5.0, 1e-15, "toys: local p = (1 + #{q0_toy >= q0}) / (1 + N)");
  test_true(bands_q0(0.0, 31, 30) == 0 && bands_q0(1e-12, 29, 30) == 0 && bands_q0(1e-12, 31, 30) == 1,
            "q0: 0 without a positive best fit, never negative");
}

/* The keys of the expected sensitivity go through the one setter (stats/options.h). */
static void test_option_keys(void) {
  analysis_options o;
  analysis_options_default(&o);
  dip_error err;
  test_true(o.expected == EXPECTED_ASIMOV && o.n_toys == 1000 &&
                o.power_threshold == BANDS_DEFAULT_POWER_THRESHOLD,
            "options: default expected asimov, 1000 toys, pi_crit 0.32");
  test_true(analysis_option_set(&o, "expected", "toys", &err) == DIP_SUCCESS &&
                o.expected == EXPECTED_TOYS && analysis_option_set(&o, "toys", "250", &err) == 0 &&
                o.n_toys == 250 &&
                analysis_option_set(&o, "seed", "18446744073709551615", &err) == 0 &&
                o.seed == UINT64_MAX && analysis_option_set(&o, "power_threshold", "0.16", &err) == 0 &&
                o.power_threshold == 0.16,
            "options: expected, toys, seed (full 64 bits), power_threshold set");
  analysis_options before = o;
  int refused = analysis_option_set(&o, "expected", "cls", &err) == DIP_EINVAL &&
                strstr(err.msg, "none, asimov, toys") != NULL;
  refused &= analysis_option_set(&o, "toys", "0", &err) == DIP_EINVAL;
  refused &= analysis_option_set(&o, "toys", "1e3", &err) == DIP_EINVAL;
  refused &= analysis_option_set(&o, "seed", "-1", &err) == DIP_EINVAL;
  refused &= analysis_option_set(&o, "seed", "18446744073709551616", &err) == DIP_EINVAL;
  refused &= analysis_option_set(&o, "power_threshold", "1", &err) == DIP_EINVAL;
  test_true(refused && before.expected == o.expected && before.n_toys == o.n_toys &&
                before.seed == o.seed && before.power_threshold == o.power_threshold,
            "options: bad words and numbers refused, the options untouched");
}

/* ---- physics on the shipped cards ---- */

typedef struct unit_check {
  const char *card;
  double m4;
} unit_check;

static int open_card(analysis **an, const char *data_dir, const char *card, data_mode data,
                     expected_mode expected, long n_toys) {
  analysis_options opt;
  analysis_options_default(&opt);
  opt.data = data;
  opt.expected = expected;
  opt.n_toys = n_toys;
  opt.seed = 20261130;
  size_t entry;
  dip_error err;
  const char *cards[] = {card};
  int status = analysis_init(an, data_dir, &opt, cards, 1, &err);
  if (status == DIP_SUCCESS)
    status = analysis_add_entry(*an, (size_t[]){0}, 1, &entry, &err);
  if (status != DIP_SUCCESS)
    printf("# %s: %s\n", card, err.msg);
  return status;
}

static int band_of(analysis *an, double m4, unit_summary *s, bands_result *b) {
  dip_error err;
  int status = analysis_eval_unit(an, 0, COUPLING_UNIVERSAL, m4, NULL, 0, NULL, s, &err);
  if (status == DIP_SUCCESS)
    status = analysis_expected(an, 0, COUPLING_UNIVERSAL, m4, s, b, &err);
  if (status != DIP_SUCCESS)
    printf("# %s\n", err.msg);
  return status;
}

static void check_unit(const char *data_dir, const unit_check *u) {
  analysis *asimov = NULL, *toys = NULL, *asimov_data = NULL;
  unit_summary s, s_asimov;
  bands_result ba, bt, bd;
  const long n = 3000;
  int ok = open_card(&asimov, data_dir, u->card, DATA_OBSERVED, EXPECTED_ASIMOV, 0) == 0 &&
           open_card(&toys, data_dir, u->card, DATA_OBSERVED, EXPECTED_TOYS, n) == 0 &&
           open_card(&asimov_data, data_dir, u->card, DATA_ASIMOV, EXPECTED_ASIMOV, 0) == 0 &&
           band_of(asimov, u->m4, &s, &ba) == 0 && band_of(toys, u->m4, &s, &bt) == 0 &&
           band_of(asimov_data, u->m4, &s_asimov, &bd) == 0;
  char name[160];
  snprintf(name, sizeof name, "%s m4 = %g: Asimov median == the limit of the Asimov dataset, bitwise",
           u->card, u->m4);
  test_true(ok && ba.edge[2] == s_asimov.mu_limit, name);
  int agree = ok;
  printf("# %s m4 = %g MeV: asymptotic vs %ld toys (MC error):", u->card, u->m4, n);
  for (int i = 0; ok && i < BANDS_N_EDGES; i++) {
    double diff = fabs(bt.edge[i] - ba.edge[i]);
    agree &= diff <= 3 * bt.edge_err[i] + 0.03 * ba.edge[i];
    printf(" %+.0f: %.3e / %.3e (%.1e, %+.1f%%)", bands_sigma[i], ba.edge[i], bt.edge[i],
           bt.edge_err[i], 100 * (bt.edge[i] / ba.edge[i] - 1));
  }
  printf("\n");
  snprintf(name, sizeof name, "%s m4 = %g: toy median within 3%% of the Asimov median", u->card,
           u->m4);
  test_true(ok && fabs(bt.edge[2] / ba.edge[2] - 1) < 0.03, name);
  snprintf(name, sizeof name, "%s m4 = %g: every toy edge within 3 MC errors + 3%% of asymptotics",
           u->card, u->m4);
  test_true(agree, name);
  snprintf(name, sizeof name, "%s m4 = %g: PCL >= observed limit (asimov and toys)", u->card, u->m4);
  test_true(ok && ba.mu_pcl >= s.mu_limit && bt.mu_pcl >= s.mu_limit &&
                (s.mu_limit < ba.pcl_edge || ba.mu_pcl == s.mu_limit),
            name);
  analysis_free(asimov);
  analysis_free(toys);
  analysis_free(asimov_data);
}

/* The q0 of background-only toys: all >= 0, P(q0 >= 1) = 1 - Phi(1); and order independence. */
static void check_q0_law(const char *data_dir) {
  analysis *an = NULL;
  const long n = 600;
  if (open_card(&an, data_dir, "xenonnt_sr0", DATA_OBSERVED, EXPECTED_TOYS, n)) {
    test_true(0, "q0 law: analysis");
    return;
  }
  unit_summary s;
  bands_result b1, b2, b3;
  /* The toys' empirical p-values of an observed q0 = 0 and q0 = 1 count the toys above them. */
  unit_summary zero = {0}, one = {0};
  one.mu_best = 1e-12;
  one.chi2_zero = 1.0;
  int ok = band_of(an, 0.01, &s, &b1) == 0;
  dip_error err;
  ok &= analysis_expected(an, 0, COUPLING_UNIVERSAL, 0.3, &s, &b3, &err) == 0;
  ok &= analysis_expected(an, 0, COUPLING_UNIVERSAL, 0.01, &zero, &b2, &err) == 0;
  double p_zero_or_more = b2.p_local_toys;
  ok &= analysis_expected(an, 0, COUPLING_UNIVERSAL, 0.01, &one, &b2, &err) == 0;
  double p_one = b2.p_local_toys, p1 = 1 - gsl_cdf_ugaussian_P(1);
  test_true(ok && memcmp(b1.edge, b2.edge, sizeof b1.edge) == 0,
            "toys: a unit's band is bitwise the same after another unit's toys were fitted");
  test_true(ok && p_zero_or_more == 1.0, "toys: every q0 >= 0");
  test_abs(p_one, p1, 4 * sqrt(p1 * (1 - p1) / n),
           "toys: P(q0 >= 1) = 1 - Phi(1) = 0.159 (one-sided q0: half chi^2_1)");
  analysis_free(an);
}

int main(void) {
  test_suite("bands");
  dip_gsl_quiet();
  test_asimov_edges();
  test_toy_quantiles();
  test_pcl_and_z();
  test_option_keys();
  char data_dir[4096];
  dip_error err;
  if (dip_data_dir(data_dir, sizeof data_dir, &err) != DIP_SUCCESS) {
    test_report(0, "data directory", "%s", err.msg);
    return test_summary();
  }
  const unit_check units[] = {{"xenonnt_sr0", 0.01}, {"xenonnt_sr0", 0.3},
                              {"pandax4t_run1", 0.01}, {"pandax4t_run1", 0.3}};
  for (size_t i = 0; i < 4; i++)
    check_unit(data_dir, &units[i]);
  check_q0_law(data_dir);
  return test_summary();
}
