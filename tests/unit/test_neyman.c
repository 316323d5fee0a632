/*
 * test_neyman.c — the Neyman (Feldman-Cousins) construction (stats/neyman.h, analysis_neyman,
 * analysis_coverage; docs/physics.md §12).
 *
 * Pieces: the options (statistics.neyman through the setter and the YAML reader, rendered in the
 * canonical text only when on); the axis (ends exact, spacing, every refusal); the critical value of a sample of known
 * law (chi^2_1 draws: the 90% quantile is 2.706 within 3 MC errors, and the order-statistics MC
 * error agrees with the asymptotic SE sqrt(p (1 - p) / N) / f(t_c) within 25%); the limit from t_c
 * and t_obs (a constant t_c gives the Wilks crossing exactly for a t_obs linear between grid
 * points; +inf and NaN where the region reaches the top or ends below the axis); the signal toys
 * (the same key gives the same counts, the Neyman point is part of the key, the mean is the
 * model's sum_s (SM + mu^2 S) + sum_j (1 + beta_j) B with the free beta at its centre and the
 * constrained alphas drawn around 0 (dataset.h), 4-sigma sampling tolerance).
 * Physics (XENONnT SR0 card, m4 = 0.01 MeV, Asimov data, 1500 toys per point): at mu = 0 the test
 * statistic is 1/2 delta(0) + 1/2 chi^2_1 (Chernoff; the boundary), so t_c(0) = the chi^2_1
 * quantile at 0.8 = 1.642; far from the boundary (t_obs ~ 10: a ~3 sigma signal) t_c is Wilks'
 * 2.706; both within 3 MC errors.  The construction is bitwise reproducible (run twice).  The
 * coverage check (dipscan coverage) is in tests/integration/neyman_scan.sh: kept out of this
 * program, which valgrind also runs.
 */
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats/analysis.h"
#include "stats/dataset.h"
#include "stats/neyman.h"
#include "stats/options.h"
#include "test.h"

static void test_axis(void) {
  neyman_spec s;
  neyman_spec_default(&s);
  test_true(s.n_toys == 0, "default: off (no toys)");
  double mu[NEYMAN_MAX_POINTS];
  size_t n = 0;
  dip_error err;
  s = (neyman_spec){.n_toys = 10, .from = 1e-12, .to = 1e-10, .points = 3, .log_spacing = 1};
  test_true(neyman_axis(&s, mu, &n, &err) == DIP_SUCCESS && n == 3 && mu[0] == 1e-12 &&
                mu[2] == 1e-10 && fabs(mu[1] / 1e-11 - 1) < 1e-12,
            "log axis: ends as written, geometric middle");
  s.log_spacing = 0;
  s.from = 0;
  test_true(neyman_axis(&s, mu, &n, &err) == DIP_SUCCESS && mu[0] == 0 && mu[1] == 5e-11,
            "linear axis from 0");
  s.log_spacing = 1;
  test_true(neyman_axis(&s, mu, &n, &err) == DIP_EINVAL && strstr(err.msg, "from"),
            "log axis from 0 refused, naming 'from'");
  s = (neyman_spec){.n_toys = 10, .from = 1e-10, .to = 1e-12, .points = 3, .log_spacing = 1};
  test_true(neyman_axis(&s, mu, &n, &err) == DIP_EINVAL && strstr(err.msg, "to"),
            "to <= from refused");
  s.to = 1e-9;
  s.points = NEYMAN_MAX_POINTS + 1;
  test_true(neyman_axis(&s, mu, &n, &err) == DIP_EINVAL && strstr(err.msg, "points"),
            "more points than the cube's axis refused");
}

/* chi^2_1 draws: the 90% quantile and its MC error against the known law. */
static void test_critical_value(void) {
  enum { N = 20000 };
  static double t[N];
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 12345);
  for (int i = 0; i < N; i++)
    t[i] = gsl_ran_chisq(r, 1.0);
  gsl_rng_free(r);
  double tc, tc_err;
  dip_error err;
  int ok = neyman_critical(t, N, 0.90, &tc, &tc_err, &err) == DIP_SUCCESS;
  double want = gsl_cdf_chisq_Pinv(0.90, 1.0);
  test_true(ok && fabs(tc - want) <= 3 * tc_err, "chi^2_1 sample: t_c = 2.706 within 3 MC errors");
  double se = sqrt(0.9 * 0.1 / N) / gsl_ran_chisq_pdf(want, 1.0);
  test_rel(tc_err, se, 0.25, "order-statistics MC error ~ asymptotic SE of the quantile");
  double bad[2] = {1.0, NAN};
  test_true(neyman_critical(bad, 2, 0.9, &tc, &tc_err, &err) == DIP_EINVAL,
            "a toy without a statistic (NaN) is refused");
}

static void test_upper_limit(void) {
  const double mu_n[3] = {1.0, 2.0, 3.0}, flat[3] = {2.706, 2.706, 2.706};
  double mu[21], t_obs[21];
  for (int i = 0; i < 21; i++) { /* t_obs = 2 (mu - 0.5)^2 on a 0.1 grid from 1 */
    mu[i] = 1.0 + 0.1 * i;
    t_obs[i] = 2.0 * (mu[i] - 0.5) * (mu[i] - 0.5);
  }
  /* the Wilks crossing of the linear interpolation between grid points */
  double wilks = NAN;
  for (int i = 0; i + 1 < 21 && isnan(wilks); i++)
    if (t_obs[i] <= 2.706 && t_obs[i + 1] > 2.706)
      wilks = mu[i] + 0.1 * (2.706 - t_obs[i]) / (t_obs[i + 1] - t_obs[i]);
  test_rel(neyman_upper_limit(mu_n, flat, 3, mu, t_obs, 21), wilks, 1e-12,
           "constant t_c = 2.706: the Wilks crossing");
  const double high[3] = {100, 100, 100}, low[3] = {0.01, 0.01, 0.01};
  test_true(isinf(neyman_upper_limit(mu_n, high, 3, mu, t_obs, 21)),
            "region up to the axis' top: +inf");
  test_true(isnan(neyman_upper_limit(mu_n, low, 3, mu, t_obs, 21)),
            "region below the axis: NaN");
  /* t_c interpolated in mu: 2 mu - 1, which meets t_obs = 2 (mu - 0.5)^2 at the grid point 1.5 */
  const double rising[3] = {1.0, 3.0, 5.0};
  test_rel(neyman_upper_limit(mu_n, rising, 3, mu, t_obs, 21), 1.5, 1e-12,
           "rising t_c: the limit sits where t_obs meets the interpolated t_c");
}

/* Signal toys: keyed, and with the model's mean at the given centres. */
static void test_signal_toys(void) {
  static const double SM[4] = {40, 20, 10, 30}, BKG[2] = {50, 25}, SIG[4] = {1e23, 5e22, 0, 0};
  static const double SRC_SIGMA[2] = {0.05, 0.1}, BKG_SIGMA[1] = {INFINITY};
  dataset_card card = {.n_bins = 2, .n_src = 2, .n_bkg = 1, .observed = SM, .sm = SM, .bkg = BKG,
                       .src_sigma = SRC_SIGMA, .bkg_sigma = BKG_SIGMA};
  const double *sig[1] = {SIG};
  const double centre[3] = {0.1, -0.2, 0.3}, mu = 2e-11;
  dataset_spec spec = {.kind = DATA_TOY_SIGNAL, .seed = 7, .unit = 3, .point = 1, .toy = 0,
                       .mu = mu, .centre = centre, .sig = sig};
  double a[2], b[2], sum[2] = {0, 0};
  dip_error err;
  int ok = dataset_fill(&spec, &card, 1, a, &err) == DIP_SUCCESS &&
           dataset_fill(&spec, &card, 1, b, &err) == DIP_SUCCESS;
  test_true(ok && a[0] == b[0] && a[1] == b[1], "signal toy: same key, same counts");
  int differs = 0;
  for (uint64_t p = 0; p < 8; p++) {
    dataset_spec other = spec;
    other.point = p + 2;
    dataset_fill(&other, &card, 1, b, &err);
    differs += b[0] != a[0] || b[1] != a[1];
  }
  test_true(differs >= 6, "the Neyman point is part of the key");
  enum { N = 4000 };
  for (uint64_t k = 0; k < N; k++) {
    spec.toy = k;
    dataset_fill(&spec, &card, 1, a, &err);
    sum[0] += a[0];
    sum[1] += a[1];
  }
  for (int k = 0; k < 2; k++) {
    /* constrained alphas drawn around 0 whatever their centres; the free beta at its centre */
    double mean = (SM[k] + mu * mu * SIG[k]) + (SM[2 + k] + mu * mu * SIG[2 + k]) +
                  (1 + centre[2]) * BKG[k];
    /* variance: Poisson plus the alpha spreads (sigma * template)^2 */
    double var = mean + pow(0.05 * (SM[k] + mu * mu * SIG[k]), 2) + pow(0.1 * SM[2 + k], 2);
    char name[96];
    snprintf(name, sizeof name, "signal toy mean in bin %d: free nuisance at its centre, "
                                "constrained ones around 0 (4 sigma)", k);
    test_abs(sum[k] / N, mean, 4 * sqrt(var / N), name);
  }
  spec.sig = NULL;
  test_true(dataset_fill(&spec, &card, 1, a, &err) == DIP_EINVAL, "no signal templates refused");
}

/* statistics.neyman through the one setter and the YAML reader; the canonical text (hashed) says
 * it only when it is on, so every other scan keeps its hash. */
static void test_options(void) {
  analysis_options opt;
  analysis_options_default(&opt);
  dip_error err;
  test_true(analysis_option_set(&opt, "neyman.toys", "250", &err) == DIP_SUCCESS &&
                opt.neyman.n_toys == 250 &&
                analysis_option_set(&opt, "neyman.mu.spacing", "linear", &err) == DIP_SUCCESS &&
                opt.neyman.log_spacing == 0,
            "setter: neyman.toys, neyman.mu.spacing");
  test_true(analysis_option_set(&opt, "neyman.mu.spacing", "cubic", &err) == DIP_EINVAL &&
                strstr(err.msg, "linear, log") && opt.neyman.log_spacing == 0,
            "bad spacing: the allowed values listed, option unchanged");
  test_true(analysis_option_set(&opt, "neyman.mu.points", "1", &err) == DIP_EINVAL &&
                analysis_option_set(&opt, "neyman.toys", "-3", &err) == DIP_EINVAL &&
                analysis_option_set(&opt, "neyman.mu.from", "nan", &err) == DIP_EINVAL,
            "bad points, toys, from refused");
  config_model model;
  options_config_model(&model, &opt);
  static const char on[] = "experiments: [xenonnt_sr0]\nstatistics:\n  neyman: {toys: 300, mu: "
                           "{from: 1.0e-12, to: 1.0e-10, points: 5}}\n";
  static const char off[] = "experiments: [xenonnt_sr0]\nstatistics: {cl: 0.9}\n";
  scan_config cfg;
  int ok = config_load_string(&cfg, on, sizeof on - 1, "on.yaml", &model, &err) == DIP_SUCCESS;
  test_true(ok && opt.neyman.n_toys == 300 && opt.neyman.points == 5 &&
                strstr(cfg.canonical, "statistics.neyman.toys: 300\n") &&
                strstr(cfg.canonical, "statistics.neyman.mu.points: 5\n"),
            "YAML statistics.neyman read and rendered into the canonical text");
  config_free(&cfg);
  ok = config_load_string(&cfg, off, sizeof off - 1, "off.yaml", &model, &err) == DIP_SUCCESS;
  test_true(ok && opt.neyman.n_toys == 0 && !strstr(cfg.canonical, "neyman"),
            "without the section: off, and no neyman line in the canonical text");
  config_free(&cfg);
}

static analysis *open_xenonnt(const char *data_dir, long seed) {
  analysis_options opt;
  analysis_options_default(&opt);
  opt.data = DATA_ASIMOV;
  opt.seed = (uint64_t)seed;
  const char *cards[] = {"xenonnt_sr0"};
  analysis *an = NULL;
  dip_error err;
  size_t entry;
  if (analysis_init(&an, data_dir, &opt, cards, 1, &err) ||
      analysis_add_entry(an, (size_t[]){0}, 1, &entry, &err)) {
    printf("# analysis_init failed: %s\n", err.msg);
    analysis_free(an);
    return NULL;
  }
  return an;
}

/* The boundary and the asymptotic regime on the XENONnT card, with the Asimov dataset. */
static void test_physics(analysis *an) {
  const double m4 = 0.01;
  unit_summary s;
  dip_error err;
  if (analysis_eval_unit(an, 0, COUPLING_UNIVERSAL, m4, NULL, 0, NULL, &s, &err)) {
    test_true(0, err.msg);
    return;
  }
  /* mu = 0 (the boundary) and mu = 2 x the Wilks limit (t_obs ~ 30, a 5 sigma signal: the
   * boundary is far) */
  const double mu[2] = {0.0, 2.0 * s.mu_limit};
  neyman_point pt[2], again[2];
  long fits = 0;
  int ok = analysis_neyman(an, 0, COUPLING_UNIVERSAL, m4, mu, 2, 1500, pt, &fits, &err) ==
           DIP_SUCCESS;
  test_true(ok && fits == 3000 && pt[0].n_failed == 0 && pt[1].n_failed == 0,
            "2 x 1500 toys fitted, none failed");
  double boundary = gsl_cdf_chisq_Pinv(0.80, 1.0), wilks = gsl_cdf_chisq_Pinv(0.90, 1.0);
  printf("# t_c(0) = %.4f +- %.4f, t_c(2 mu_wilks) = %.4f +- %.4f, t_obs = %.3f\n", pt[0].t_crit,
         pt[0].t_crit_err, pt[1].t_crit, pt[1].t_crit_err, pt[1].t_obs);
  test_true(ok && fabs(pt[0].t_crit - boundary) <= 3 * pt[0].t_crit_err,
            "t_c(mu = 0) = 1.642 (1/2 delta + 1/2 chi^2_1 at the boundary) within 3 MC errors");
  test_true(ok && pt[1].t_obs > 8 && fabs(pt[1].t_crit - wilks) <= 3 * pt[1].t_crit_err,
            "t_c far from the boundary = 2.706 (Wilks) within 3 MC errors");
  test_true(ok && pt[0].t_obs == 0.0, "Asimov data: t_obs(0) = 0");
  ok = analysis_neyman(an, 0, COUPLING_UNIVERSAL, m4, mu, 1, 1500, again, &fits, &err) ==
       DIP_SUCCESS;
  test_true(ok && memcmp(&pt[0], &again[0], sizeof pt[0]) == 0,
            "the construction is bitwise reproducible (a point alone = the same point of a row)");
}

int main(void) {
  test_suite("neyman");
  dip_gsl_quiet();
  test_axis();
  test_critical_value();
  test_upper_limit();
  test_signal_toys();
  test_options();
  char data_dir[4096];
  dip_error err;
  if (dip_data_dir(data_dir, sizeof data_dir, &err)) {
    test_true(0, err.msg);
    return test_summary();
  }
  analysis *an = open_xenonnt(data_dir, 1);
  test_true(an != NULL, "XENONnT SR0 analysis");
  if (an)
    test_physics(an);
  analysis_free(an);
  return test_summary();
}
