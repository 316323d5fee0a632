/*
 * test_chi2.c — the profiled Poisson chi^2: exact values, agreement with a brute-force minimisation
 * over the nuisances, analytic profiles, empty bins, joint fits, scaling and robustness, and the
 * data bound per evaluation (chi2_set_data): alternating datasets on one workspace changes nothing.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats/chi2.h"
#include "stats/dataset.h"
#include "stats/limit.h"
#include "chi2_toy.h"
#include "test.h"

static chi2_problem single_problem(const chi2_experiment *e, size_t n_src) {
  chi2_problem pb = {n_src, toy_src_sigma, 1, e};
  return pb;
}

/* Asimov data of the background-only model: chi^2 = 0 exactly, unprofiled and profiled. */
static void test_asimov_zero(void) {
  toy t;
  toy_fill(&t, 30, 8, 2, 1.0);
  chi2_experiment e = toy_experiment(&t);
  chi2_problem pb = single_problem(&e, 8);
  chi2_workspace *ws;
  dip_error err;
  test_true(chi2_workspace_alloc(&ws, &pb, &err) == DIP_SUCCESS, "alloc");
  dataset_spec asimov = {.kind = DATA_ASIMOV};
  dataset_card card = {t.n_bins, t.n_src, t.n_bkg, t.observed, t.sm, t.bkg, NULL, NULL};
  test_true(dataset_fill(&asimov, &card, 1, t.observed, &err) == DIP_SUCCESS &&
                chi2_set_data(ws, t.observed, &err) == DIP_SUCCESS,
            "asimov data (stats/dataset)");
  test_true(chi2_fixed(ws, 0.0, NULL) == 0.0, "asimov: unprofiled chi2 == 0 exactly");
  double chi2 = -1.0;
  test_true(chi2_profile(ws, 0.0, &chi2, &err) == DIP_SUCCESS && chi2 == 0.0,
            "asimov: profiled chi2 == 0 exactly");
  int nominal = 1;
  for (size_t p = 0; p < chi2_n_nuisances(ws); p++)
    nominal &= chi2_nuisances(ws)[p] == 0.0;
  test_true(nominal && chi2_n_nuisances(ws) == 10, "asimov: nuisances stay at 0 (8 + 2 of them)");
  double at_signal;
  chi2_profile(ws, 1e-11, &at_signal, &err);
  test_true(at_signal > 0.0, "asimov: signal raises chi2");
  chi2_workspace_free(ws);
}

/* Brute force: nested grid refinement of chi2_fixed over a box (convex function, so keeping the
 * best point's neighbourhood at each zoom is safe). */
static double brute_force_min(const chi2_workspace *ws, double mu, size_t P, double *best) {
  enum { G = 21 };
  /* [-6, 6] per nuisance; points with some N_k <= 0 come back as +INFINITY */
  double centre[3] = {0, 0, 0}, half = 6.0, min = INFINITY;
  for (int round = 0; round < 40; round++) {
    double step = 2.0 * half / (G - 1), c0[3];
    memcpy(c0, centre, sizeof c0);
    for (int i = 0; i < G; i++)
      for (int j = 0; j < (P > 1 ? G : 1); j++)
        for (int l = 0; l < (P > 2 ? G : 1); l++) {
          double th[3] = {c0[0] - half + i * step, c0[1] - half + j * step, c0[2] - half + l * step};
          double v = chi2_fixed(ws, mu, th);
          if (v < min) {
            min = v;
            memcpy(centre, th, sizeof th);
          }
        }
    half = 2.0 * step;
  }
  memcpy(best, centre, P * sizeof(double));
  return min;
}

static void check_against_brute_force(const char *label, double *observed, size_t n_bins,
                                      double mu) {
  toy t;
  toy_fill(&t, n_bins, 1, 2, 1.0);
  memcpy(t.observed, observed, n_bins * sizeof(double));
  static const double src_sigma[1] = {0.1};
  chi2_experiment e = toy_experiment(&t);
  chi2_problem pb = {1, src_sigma, 1, &e};
  chi2_workspace *ws;
  dip_error err;
  chi2_workspace_alloc(&ws, &pb, &err);
  chi2_set_data(ws, t.observed, &err);
  double chi2, best[3];
  int ok = chi2_profile(ws, mu, &chi2, &err) == DIP_SUCCESS;
  double brute = brute_force_min(ws, mu, 3, best);
  char name[160];
  snprintf(name, sizeof name, "%s: profiled chi2 = brute-force grid minimum (3 nuisances, 1e-6)",
           label);
  test_abs(ok ? chi2 : NAN, brute, 1e-6, name);
  snprintf(name, sizeof name, "%s: profiled chi2 not above the grid minimum", label);
  test_true(chi2 <= brute + 1e-9, name);
  snprintf(name, sizeof name, "%s: chi2_fixed at the profiled nuisances reproduces it", label);
  test_rel(chi2_fixed(ws, mu, chi2_nuisances(ws)), chi2, 1e-12, name);
  int close = 1;
  for (int p = 0; p < 3; p++)
    close &= fabs(chi2_nuisances(ws)[p] - best[p]) < 1e-3;
  snprintf(name, sizeof name, "%s: nuisances agree with the grid minimiser to 1e-3", label);
  test_true(close, name);
  chi2_workspace_free(ws);
}

static void test_brute_force(void) {
  double observed[8] = {31, 22, 19, 25, 12, 14, 17, 9};
  check_against_brute_force("data", observed, 8, 1.2e-11);
  check_against_brute_force("data, mu = 0", observed, 8, 0.0);
  double with_zeros[8] = {0, 22, 0, 25, 0, 14, 0, 0};
  check_against_brute_force("n_k = 0 bins", with_zeros, 8, 1.2e-11);
  double all_high[8] = {60, 50, 40, 45, 38, 30, 33, 29};
  check_against_brute_force("excess", all_high, 8, 3e-11);
}

/* One free background, no sources: w = sum n / sum B and chi2 = 2 sum n ln(n / (w B)). */
static void test_free_background(void) {
  toy t;
  toy_fill(&t, 12, 0, 2, 1.0);
  t.n_bkg = 1;
  t.bkg_sigma[0] = INFINITY;
  double sum_n = 0.0, sum_b = 0.0;
  for (size_t k = 0; k < t.n_bins; k++) {
    t.observed[k] = (k % 3 == 0) ? 0.0 : 8.0 + (double)(k * 7 % 5);
    sum_n += t.observed[k];
    sum_b += t.bkg[k];
  }
  double w = sum_n / sum_b, want = 0.0;
  for (size_t k = 0; k < t.n_bins; k++)
    if (t.observed[k] > 0)
      want += 2.0 * t.observed[k] * log(t.observed[k] / (w * t.bkg[k]));
  chi2_experiment e = toy_experiment(&t);
  chi2_problem pb = {0, NULL, 1, &e};
  chi2_workspace *ws;
  dip_error err;
  chi2_workspace_alloc(&ws, &pb, &err);
  chi2_set_data(ws, t.observed, &err);
  double chi2;
  chi2_profile(ws, 0.0, &chi2, &err);
  test_rel(chi2, want, 1e-10, "free background: chi2 equals the analytic profile");
  test_rel(1.0 + chi2_nuisances(ws)[0], w, 1e-6, "free background: 1 + beta = sum n / sum B");
  chi2_workspace_free(ws);
}

/* All bins empty and a free background: the infimum chi2 = 0 sits on the boundary N -> 0; the
 * Hessian is zero, so this exercises the fallback. */
static void test_empty_data_boundary(void) {
  toy t;
  toy_fill(&t, 4, 0, 1, 1.0);
  t.bkg_sigma[0] = INFINITY;
  chi2_experiment e = toy_experiment(&t);
  chi2_problem pb = {0, NULL, 1, &e};
  chi2_workspace *ws;
  dip_error err;
  chi2_workspace_alloc(&ws, &pb, &err);
  chi2_set_data(ws, t.observed, &err);
  double chi2 = NAN;
  int status = chi2_profile(ws, 0.0, &chi2, &err);
  test_true(status == DIP_SUCCESS && chi2 >= 0.0 && chi2 < 1e-8,
            "all n_k = 0, free background: chi2 -> 0 on the boundary");
  test_true(chi2_n_fallbacks(ws) == 1 && chi2_n_profiles(ws) == 1,
            "all n_k = 0, free background: one profile, counted as a fallback");
  test_true(chi2_nuisances(ws)[0] > -1.0 && chi2_nuisances(ws)[0] < -0.999,
            "all n_k = 0, free background: beta -> -1 from above");
  chi2_workspace_free(ws);
}

/* An experiment fitted jointly with itself at half exposure each equals the single fit at full
 * exposure (Asimov).  The halves have separate background nuisances, so this holds for free
 * backgrounds, and for pulled ones when each half's sigma is sqrt(2) times the full one
 * (2 (beta/(sqrt2 sigma))^2 = (beta/sigma)^2 at the symmetric optimum). */
static void test_joint_halves(void) {
  toy full, half;
  toy_fill(&full, 30, 8, 2, 1.0);
  toy_fill(&half, 30, 8, 2, 0.5);
  toy_observe(&full, 0.0, 0.0, 0);
  toy_observe(&half, 0.0, 0.0, 0);
  for (int variant = 0; variant < 2; variant++) {
    full.bkg_sigma[0] = variant == 0 ? INFINITY : 0.1;
    half.bkg_sigma[0] = variant == 0 ? INFINITY : 0.1 * sqrt(2.0);
    chi2_experiment one = toy_experiment(&full);
    chi2_experiment two[2] = {toy_experiment(&half), toy_experiment(&half)};
    chi2_problem pb1 = single_problem(&one, 8), pb2 = {8, toy_src_sigma, 2, two};
    chi2_workspace *ws1, *ws2;
    dip_error err;
    chi2_workspace_alloc(&ws1, &pb1, &err);
    chi2_workspace_alloc(&ws2, &pb2, &err);
    double halves[60];
    toy_joint_counts((const toy *[]){&half, &half}, 2, halves);
    chi2_set_data(ws1, full.observed, &err);
    chi2_set_data(ws2, halves, &err);
    test_true(chi2_n_nuisances(ws2) == 12, "joint: 8 shared + 2 x 2 separate nuisances");
    double worst = 0.0;
    for (double mu = 0.0; mu <= 4e-11; mu += 2e-12) {
      double c1, c2;
      chi2_profile(ws1, mu, &c1, &err);
      chi2_profile(ws2, mu, &c2, &err);
      worst = fmax(worst, fabs(c1 - c2));
    }
    test_abs(worst, 0.0, 1e-6, variant == 0 ? "joint of two halves = full exposure (free backgrounds)"
                                           : "joint of two halves = full exposure (half sigma = sqrt2 sigma)");
    chi2_workspace_free(ws1);
    chi2_workspace_free(ws2);
  }
}

/* Multiplying the signal templates by f in place is the same as mu -> sqrt(f) mu. */
static void test_signal_rescaling(void) {
  toy t;
  toy_fill(&t, 30, 8, 2, 1.0);
  toy_observe(&t, 5e-12, 1.0, 1);
  chi2_experiment e = toy_experiment(&t);
  chi2_problem pb = single_problem(&e, 8);
  chi2_workspace *ws;
  dip_error err;
  chi2_workspace_alloc(&ws, &pb, &err);
  chi2_set_data(ws, t.observed, &err);
  double before[5], worst = 0.0;
  for (int i = 0; i < 5; i++)
    chi2_profile(ws, 2e-12 * (i + 1) * 2.0, &before[i], &err);
  for (size_t i = 0; i < 8 * 30; i++)
    t.sig[i] *= 4.0;
  for (int i = 0; i < 5; i++) {
    double after;
    chi2_profile(ws, 2e-12 * (i + 1), &after, &err);
    worst = fmax(worst, fabs(after - before[i]));
  }
  test_abs(worst, 0.0, 1e-8, "signal x4 in place == mu x2");
  chi2_workspace_free(ws);
}

/* Warm starts do not change the answer; the Newton path needs no fallback on a regular walk. */
static void test_warm_start(void) {
  toy t;
  toy_fill(&t, 30, 8, 2, 1.0);
  toy_observe(&t, 0.0, 1.0, 1);
  chi2_experiment e = toy_experiment(&t);
  chi2_problem pb = single_problem(&e, 8);
  chi2_workspace *ws;
  dip_error err;
  chi2_workspace_alloc(&ws, &pb, &err);
  chi2_set_data(ws, t.observed, &err);
  double worst = 0.0;
  for (int i = 0; i <= 200; i++) {
    double mu = 1e-13 * i * i / 4.0, warm, cold;
    chi2_profile(ws, mu, &warm, &err);
    chi2_reset(ws);
    chi2_profile(ws, mu, &cold, &err);
    worst = fmax(worst, fabs(warm - cold));
  }
  test_abs(worst, 0.0, 1e-8, "warm-started chi2 = cold-started chi2 along a mu walk");
  test_true(chi2_n_fallbacks(ws) == 0, "regular mu walk: no fallback needed");
  test_true(chi2_n_profiles(ws) == 402, "profile counter counts every call");
  chi2_workspace_free(ws);
}

/* Extreme and invalid mu: a finite chi2 or an error, never NaN. */
static void test_extreme_mu(void) {
  toy t;
  toy_fill(&t, 30, 8, 2, 1.0);
  toy_observe(&t, 0.0, 1.0, 1);
  t.observed[3] = 0.0;
  chi2_experiment e = toy_experiment(&t);
  chi2_problem pb = single_problem(&e, 8);
  chi2_workspace *ws;
  dip_error err;
  chi2_workspace_alloc(&ws, &pb, &err);
  chi2_set_data(ws, t.observed, &err);
  const double mus[] = {0.0, 1e-300, 1e-30, 1e-15, 1e-11, 1e-8, 1e-7, 1e-6, 1e-5, 1.0, 1e10,
                        1e38, 1e60, 1e200, INFINITY, NAN, -1e-11, 1e-11};
  double mu_max = chi2_mu_max(ws);
  int no_nan = 1, finite_ok = 1, errors_where_expected = 1;
  double chi2_zero;
  chi2_profile(ws, 0.0, &chi2_zero, &err);
  for (size_t i = 0; i < sizeof mus / sizeof mus[0]; i++) {
    double chi2 = 0.0;
    int status = chi2_profile(ws, mus[i], &chi2, &err);
    for (size_t p = 0; p < chi2_n_nuisances(ws); p++)
      no_nan &= !isnan(chi2_nuisances(ws)[p]);
    no_nan &= !isnan(chi2);
    if (status == DIP_SUCCESS)
      finite_ok &= isfinite(chi2) && chi2 >= 0.0;
    if (getenv("CHI2_VERBOSE"))
      printf("# mu %g status %d chi2 %.10g (chi2(0) %.10g) fallbacks %ld\n", mus[i], status, chi2,
             chi2_zero, chi2_n_fallbacks(ws));
    int must_fail = !(mus[i] >= 0.0) || !isfinite(mus[i]) || mus[i] > mu_max;
    errors_where_expected &= must_fail ? status == DIP_EINVAL : status == DIP_SUCCESS;
    no_nan &= !isnan(chi2_fixed(ws, mus[i], NULL));
  }
  test_true(no_nan, "extreme mu: no NaN in chi2, chi2_fixed or nuisances");
  test_true(finite_ok, "extreme mu: successful profiles are finite and >= 0");
  test_true(errors_where_expected, "extreme mu: success up to chi2_mu_max, EINVAL for < 0, inf, NaN and above");
  test_rel(mu_max, sqrt(CHI2_MAX_SIGNAL_COUNTS / 1e22), 1e-12, "mu_max: signal ceiling / largest template");
  chi2_workspace_free(ws);
}

static void test_invalid_input(void) {
  toy t;
  toy_fill(&t, 5, 1, 1, 1.0);
  toy_observe(&t, 0.0, 0.0, 0);
  chi2_experiment e = toy_experiment(&t);
  double bad_sigma[1] = {NAN};
  chi2_problem pb = {1, bad_sigma, 1, &e};
  chi2_workspace *ws = NULL;
  dip_error err;
  test_true(chi2_workspace_alloc(&ws, &pb, &err) == DIP_EINVAL && ws == NULL, "NaN sigma rejected");
  chi2_problem pb2 = {1, toy_src_sigma, 1, &e};
  chi2_workspace_alloc(&ws, &pb2, &err);
  double chi2 = 0.0;
  test_true(chi2_profile(ws, 0.0, &chi2, &err) == DIP_EINVAL && isinf(chi2_fixed(ws, 0.0, NULL)),
            "no data set: chi2_profile EINVAL, chi2_fixed +inf");
  t.observed[2] = -1.0;
  test_true(chi2_set_data(ws, t.observed, &err) == DIP_EINVAL, "negative count rejected");
  test_true(chi2_profile(ws, 0.0, &chi2, &err) == DIP_EINVAL, "rejected counts leave no data set");
  t.observed[2] = NAN;
  test_true(chi2_set_data(ws, t.observed, &err) == DIP_EINVAL, "NaN count rejected");
  t.observed[2] = 3.0;
  t.sm[2] = 0.0;
  t.bkg[2] = 0.0;
  t.sig[2] = 0.0;
  chi2_set_data(ws, t.observed, &err);
  test_true(chi2_profile(ws, 0.0, &chi2, &err) == DIP_EINVAL,
            "events in a bin the model cannot populate: EINVAL");
  t.observed[2] = 0.0;
  test_true(chi2_profile(ws, 0.0, &chi2, &err) == DIP_SUCCESS && isfinite(chi2),
            "empty bin with n = 0 is skipped exactly");
  chi2_workspace_free(ws);
}

/* sigma = 0 fixes a nuisance at 0. */
static void test_fixed_nuisance(void) {
  toy t;
  toy_fill(&t, 30, 8, 2, 1.0);
  toy_observe(&t, 0.0, 2.0, 1);
  double sigma[8];
  memcpy(sigma, toy_src_sigma, sizeof sigma);
  sigma[3] = 0.0;
  chi2_experiment e = toy_experiment(&t);
  chi2_problem pb = {8, sigma, 1, &e};
  chi2_workspace *ws;
  dip_error err;
  chi2_workspace_alloc(&ws, &pb, &err);
  chi2_set_data(ws, t.observed, &err);
  double chi2;
  chi2_profile(ws, 1e-11, &chi2, &err);
  test_true(chi2_nuisances(ws)[3] == 0.0 && chi2_nuisances(ws)[0] != 0.0,
            "sigma = 0 keeps its nuisance at 0, the others move");
  chi2_workspace_free(ws);
}

/* A mu walk and the 1-dof limit on a workspace just given its data (chi2_set_data). */
typedef struct walk {
  double chi2[40], nuisances[10];
  limit_result lim;
} walk;

static int walk_dataset(chi2_workspace *ws, const double *counts, walk *w) {
  dip_error err;
  int status = chi2_set_data(ws, counts, &err);
  for (int i = 0; status == DIP_SUCCESS && i < 40; i++)
    status = chi2_profile(ws, 1e-12 * i, &w->chi2[i], &err);
  memcpy(w->nuisances, chi2_nuisances(ws), sizeof w->nuisances);
  if (status == DIP_SUCCESS)
    status = limit_1dof(ws, limit_threshold(0.90, 1, THRESHOLD_TWO_SIDED), &w->lim, &err);
  return status;
}

/* Two datasets alternated on one workspace give bitwise the results of a workspace per dataset:
 * chi2_set_data drops the warm start of the other data, so a buffer refilled per dataset (as toys
 * will be) behaves like a fresh workspace. */
static void test_datasets_alternated(void) {
  toy t;
  toy_fill(&t, 30, 8, 2, 1.0);
  double excess[30], deficit[30];
  toy_observe(&t, 6e-12, 1.0, 1);
  memcpy(excess, t.observed, sizeof excess);
  toy_observe(&t, 0.0, -1.5, 1);
  memcpy(deficit, t.observed, sizeof deficit);
  chi2_experiment e = toy_experiment(&t);
  chi2_problem pb = single_problem(&e, 8);
  chi2_workspace *shared, *only_excess, *only_deficit;
  dip_error err;
  chi2_workspace_alloc(&shared, &pb, &err);
  chi2_workspace_alloc(&only_excess, &pb, &err);
  chi2_workspace_alloc(&only_deficit, &pb, &err);
  static walk alone[2], mixed[3][2];
  int ok = walk_dataset(only_excess, excess, &alone[0]) == DIP_SUCCESS &&
           walk_dataset(only_deficit, deficit, &alone[1]) == DIP_SUCCESS;
  for (int round = 0; ok && round < 3; round++)
    ok = walk_dataset(shared, excess, &mixed[round][0]) == DIP_SUCCESS &&
         walk_dataset(shared, deficit, &mixed[round][1]) == DIP_SUCCESS;
  int same = ok;
  for (int round = 0; round < 3; round++)
    same &= memcmp(&mixed[round][0], &alone[0], sizeof(walk)) == 0 &&
            memcmp(&mixed[round][1], &alone[1], sizeof(walk)) == 0;
  test_true(ok && alone[0].lim.mu_best > 0.0 && alone[1].lim.mu_best == 0.0,
            "datasets: an excess fits mu > 0, a deficit mu = 0");
  test_true(same, "datasets alternated on one workspace: chi2 walk, nuisances and limit bitwise "
                  "equal to one workspace per dataset");
  walk again;
  memcpy(excess, deficit, sizeof excess);
  ok = walk_dataset(shared, excess, &again) == DIP_SUCCESS;
  test_true(ok && memcmp(&again, &alone[1], sizeof again) == 0,
            "datasets: a count buffer refilled with other data gives that data's results");
  chi2_workspace_free(shared);
  chi2_workspace_free(only_excess);
  chi2_workspace_free(only_deficit);
}

int main(void) {
  dip_gsl_quiet();
  test_suite("chi2");
  test_asimov_zero();
  test_brute_force();
  test_free_background();
  test_empty_data_boundary();
  test_joint_halves();
  test_signal_rescaling();
  test_warm_start();
  test_extreme_mu();
  test_invalid_input();
  test_fixed_nuisance();
  test_datasets_alternated();
  return test_summary();
}
