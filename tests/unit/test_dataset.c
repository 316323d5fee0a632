/*
 * test_dataset.c — the dataset provider: observed counts are the cards' own, the Asimov dataset is
 * SM + SM-removed background summed in the chi^2's order (so its chi^2 at mu = 0 is exactly 0 at
 * nominal nuisances), a joint entry's counts lie back to back in the chi2_set_data layout, the
 * kinds' names round-trip; and through the analysis, the fitted datasets are the provider's
 * (observed: the card's counts; Asimov: chi^2 = 0 exactly at mu = 0 on every shipped card).
 * Toys: reproducible from (seed, unit, toy) and from nothing else, different for any other key,
 * integer counts, and with the right moments: Poisson mean and variance with fixed nuisances,
 * variance lambda + (sigma B)^2 with a constrained one, and a shared alpha that correlates the
 * cards of a joint entry (4-sigma tolerances from the sampling distributions of mean, variance
 * and covariance; the draws are seeded, so the test is deterministic).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "detector/card.h"
#include "stats/analysis.h"
#include "stats/chi2.h"
#include "stats/dataset.h"
#include "test.h"

/* Two synthetic cards: 3 bins x 2 sources x 1 background, 2 bins x 2 sources x 2 backgrounds. */
static const double OBS_A[3] = {4, 0, 7.5}, SM_A[6] = {1, 2, 3, 0.25, 0.5, 0.125};
static const double BKG_A[3] = {3, 1, 0};
static const double OBS_B[2] = {9, 1}, SM_B[4] = {0.1, 0.2, 0.3, 0.4}, BKG_B[4] = {5, 6, 0.7, 0.8};

static void synthetic_cards(dataset_card cards[2]) {
  cards[0] = (dataset_card){.n_bins = 3, .n_src = 2, .n_bkg = 1, .observed = OBS_A, .sm = SM_A,
                            .bkg = BKG_A};
  cards[1] = (dataset_card){.n_bins = 2, .n_src = 2, .n_bkg = 2, .observed = OBS_B, .sm = SM_B,
                            .bkg = BKG_B};
}

static void test_kinds(void) {
  dataset_card cards[2];
  synthetic_cards(cards);
  double counts[5];
  dip_error err;
  dataset_spec observed = {.kind = DATA_OBSERVED}, asimov = {.kind = DATA_ASIMOV};
  int ok = dataset_fill(&observed, cards, 2, counts, &err) == DIP_SUCCESS;
  test_true(ok && memcmp(counts, OBS_A, sizeof OBS_A) == 0 &&
                memcmp(counts + 3, OBS_B, sizeof OBS_B) == 0,
            "observed: the cards' counts, back to back");
  ok = dataset_fill(&asimov, cards, 2, counts, &err) == DIP_SUCCESS;
  const double want[5] = {0.0 + 1 + 0.25 + 3, 0.0 + 2 + 0.5 + 1, 0.0 + 3 + 0.125 + 0,
                          0.0 + 0.1 + 0.3 + 5 + 0.7, 0.0 + 0.2 + 0.4 + 6 + 0.8};
  test_true(ok && memcmp(counts, want, sizeof want) == 0,
            "asimov: sum of the SM sources, then the backgrounds, bit for bit");
  ok = dataset_fill(&asimov, cards + 1, 1, counts, &err) == DIP_SUCCESS;
  test_true(ok && memcmp(counts, want + 3, 2 * sizeof *want) == 0,
            "a card's dataset does not depend on the other cards of an entry");
  dataset_spec bad = {.kind = (data_mode)7};
  test_true(dataset_fill(&bad, cards, 2, counts, &err) == DIP_EINVAL, "unknown kind refused");
}

/* The Asimov dataset is the model's own expectation: chi^2 = 0 exactly at mu = 0, nominal. */
static void test_asimov_is_the_model(void) {
  dataset_card cards[2];
  synthetic_cards(cards);
  double sig[10] = {0}, sigma_src[2] = {0.1, 0.2}, sigma_a[1] = {0.3}, sigma_b[2] = {INFINITY, 0.5};
  chi2_experiment exp[2] = {{3, 1, BKG_A, sigma_a, SM_A, sig}, {2, 2, BKG_B, sigma_b, SM_B, sig}};
  chi2_problem pb = {2, sigma_src, 2, exp};
  chi2_workspace *ws;
  dip_error err;
  double counts[5], chi2 = -1;
  dataset_spec asimov = {.kind = DATA_ASIMOV};
  int ok = chi2_workspace_alloc(&ws, &pb, &err) == DIP_SUCCESS &&
           dataset_fill(&asimov, cards, 2, counts, &err) == DIP_SUCCESS &&
           chi2_set_data(ws, counts, &err) == DIP_SUCCESS &&
           chi2_profile(ws, 0.0, &chi2, &err) == DIP_SUCCESS;
  test_true(ok && chi2 == 0.0 && chi2_fixed(ws, 0.0, NULL) == 0.0,
            "asimov: chi^2 = 0 exactly at mu = 0 (profiled and at nominal nuisances)");
  chi2_workspace_free(ws);
}

static void test_names(void) {
  int d = DATA_OBSERVED;
  dip_error err;
  test_true(dip_names_find(&data_mode_names, "asimov", &d, &err) == DIP_SUCCESS && d == DATA_ASIMOV &&
                !strcmp(data_mode_name(DATA_OBSERVED), "observed") &&
                !strcmp(data_mode_name((data_mode)9), "?"),
            "data kinds: names round-trip");
  test_true(dip_names_find(&data_mode_names, "toys", &d, &err) == DIP_EINVAL &&
                strstr(err.msg, "allowed: observed, asimov") != NULL,
            "unknown data kind refused, the message lists the allowed names");
}

/* Through the analysis: every shipped card fitted alone, observed and Asimov. */
static void test_analysis_datasets(const char *data_dir) {
  static const char *const names[] = {"xenonnt_sr0", "pandax4t_run1", "lz_ws2022", "lz_ws2024"};
  int asimov_zero = 1, observed_ok = 1, built = 1;
  for (int kind = DATA_OBSERVED; kind <= DATA_ASIMOV; kind++) {
    analysis_options opt;
    analysis_options_default(&opt);
    opt.data = (data_mode)kind;
    analysis *an = NULL;
    dip_error err;
    built &= analysis_init(&an, data_dir, &opt, names, 4, &err) == DIP_SUCCESS;
    for (size_t c = 0; built && c < 4; c++) {
      size_t entry;
      unit_summary s;
      built &= analysis_add_entry(an, &c, 1, &entry, &err) == DIP_SUCCESS &&
               analysis_eval_unit(an, entry, COUPLING_UNIVERSAL, 0.01, NULL, 0, NULL, &s, &err) ==
                   DIP_SUCCESS;
      if (kind == DATA_ASIMOV)
        asimov_zero &= s.chi2_zero == 0.0 && s.mu_best == 0.0;
      else /* the observed counts give a non-trivial fit */
        observed_ok &= s.chi2_zero > 0.0 && isfinite(s.mu_limit);
    }
    if (!built)
      printf("# %s\n", err.msg);
    analysis_free(an);
  }
  test_true(built, "4 shipped cards build and evaluate, observed and Asimov");
  test_true(asimov_zero,
            "analysis, Asimov: chi^2(mu = 0) = 0 exactly on every card, best fit mu = 0");
  test_true(observed_ok, "analysis, observed: chi^2(mu = 0) > 0 on every card, finite limit");
}

/* Toys: the key decides the draw, bitwise, and nothing else does. */
static void test_toy_keys(void) {
  dataset_card cards[2];
  synthetic_cards(cards);
  const double src_sigma[2] = {0.1, 0.2}, sig_a[1] = {0.3}, sig_b[2] = {INFINITY, 0.5};
  cards[0].src_sigma = cards[1].src_sigma = src_sigma;
  cards[0].bkg_sigma = sig_a;
  cards[1].bkg_sigma = sig_b;
  double a[5], b[5], c[5], d[5], e[5], f[5];
  dip_error err;
  dataset_spec k = {.kind = DATA_TOY, .seed = 42, .unit = 7, .toy = 3};
  dataset_spec next_toy = k, other_unit = k, other_seed = k, swapped = k;
  next_toy.toy = 4;
  other_unit.unit = 8;
  other_seed.seed = 43;
  swapped.unit = 3;
  swapped.toy = 7;
  int ok = dataset_fill(&k, cards, 2, a, &err) == DIP_SUCCESS &&
           dataset_fill(&next_toy, cards, 2, c, &err) == DIP_SUCCESS &&
           dataset_fill(&k, cards, 2, b, &err) == DIP_SUCCESS &&
           dataset_fill(&other_unit, cards, 2, d, &err) == DIP_SUCCESS &&
           dataset_fill(&other_seed, cards, 2, e, &err) == DIP_SUCCESS &&
           dataset_fill(&swapped, cards, 2, f, &err) == DIP_SUCCESS;
  test_true(ok && memcmp(a, b, sizeof a) == 0,
            "toy: the same (seed, unit, toy) gives bitwise the same counts, whatever came before");
  test_true(ok && memcmp(a, c, sizeof a) && memcmp(a, d, sizeof a) && memcmp(a, e, sizeof a),
            "toy: another toy, unit or seed gives other counts");
  int integer = 1;
  for (int i = 0; i < 5; i++)
    integer &= a[i] >= 0 && a[i] == floor(a[i]);
  test_true(integer, "toy: counts are non-negative integers");
  test_true(ok && memcmp(a, f, sizeof a) != 0,
            "toy: the key is not symmetric (unit 7, toy 3 differs from unit 3, toy 7)");
}

/* Sample moments of n toys of a 2-card entry (one bin each): mean, variance, covariance. */
typedef struct moments {
  double mean[2], var[2], cov;
} moments;

static moments toy_moments(const dataset_card *cards, int n) {
  double s[2] = {0}, ss[2] = {0}, sab = 0, x[2];
  dip_error err;
  for (int t = 0; t < n; t++) {
    dataset_spec k = {.kind = DATA_TOY, .seed = 2026, .unit = 1, .toy = (uint64_t)t};
    dataset_fill(&k, cards, 2, x, &err);
    for (int i = 0; i < 2; i++) {
      s[i] += x[i];
      ss[i] += x[i] * x[i];
    }
    sab += x[0] * x[1];
  }
  moments m;
  for (int i = 0; i < 2; i++) {
    m.mean[i] = s[i] / n;
    m.var[i] = (ss[i] - n * m.mean[i] * m.mean[i]) / (n - 1);
  }
  m.cov = (sab - n * m.mean[0] * m.mean[1]) / (n - 1);
  return m;
}

/* Two one-bin cards: SM 30 (+ 20 on card b) from one source, background 20 (a), 100 (b). */
static void test_toy_moments(void) {
  static const double sm_a[1] = {30}, bkg_a[1] = {20}, sm_b[1] = {20}, bkg_b[1] = {100};
  const int n = 4000;
  double src_sigma[1] = {0}, sig_a[1] = {INFINITY}, sig_b[1] = {0};
  dataset_card cards[2] = {{1, 1, 1, NULL, sm_a, bkg_a, src_sigma, sig_a},
                           {1, 1, 1, NULL, sm_b, bkg_b, src_sigma, sig_b}};
  moments m = toy_moments(cards, n);
  /* Poisson(l): sd(mean) = sqrt(l/n), sd(var) ~ sqrt((l + 2 l^2)/n), sd(cov) ~ sqrt(l_a l_b/n). */
  test_abs(m.mean[0], 50, 4 * sqrt(50.0 / n), "toy, fixed/free nuisances: mean = 50 (Poisson)");
  test_abs(m.var[0], 50, 4 * sqrt((50 + 2 * 50.0 * 50) / n), "toy: variance = mean (Poisson)");
  test_abs(m.cov, 0, 4 * sqrt(50.0 * 120 / n), "toy: no shared nuisance, no covariance");
  /* Card b's background at sigma 0.2: var = 120 + (0.2 * 100)^2 = 520.  A shared alpha at 0.3 on
   * the SM (30 and 20 counts): cov = 0.09 * 30 * 20 = 54, var_a = 50 + 0.09 * 900 = 131. */
  src_sigma[0] = 0.3;
  sig_b[0] = 0.2;
  m = toy_moments(cards, n);
  test_abs(m.mean[1], 120, 4 * sqrt(520.0 / n), "toy, constrained nuisances: mean unchanged");
  test_abs(m.var[1], 520 + 0.09 * 400, 4 * sqrt(2 * 556.0 * 556 / n),
           "toy: variance = Poisson + (sigma_alpha SM)^2 + (sigma_beta B)^2");
  test_abs(m.var[0], 131, 4 * sqrt(2 * 131.0 * 131 / n), "toy: alpha's spread on card a");
  test_abs(m.cov, 54, 4 * sqrt((131.0 * 556 + 54 * 54) / n),
           "toy: the shared alpha correlates the cards of a joint entry (cov = 54)");
}

int main(void) {
  test_suite("dataset");
  dip_gsl_quiet();
  test_kinds();
  test_asimov_is_the_model();
  test_names();
  test_toy_keys();
  test_toy_moments();
  char data_dir[4096];
  dip_error err;
  if (dip_data_dir(data_dir, sizeof data_dir, &err) != DIP_SUCCESS) {
    test_report(0, "data directory", "%s", err.msg);
    return test_summary();
  }
  test_analysis_datasets(data_dir);
  return test_summary();
}
