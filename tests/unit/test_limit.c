/*
 * test_limit.c — thresholds, best fits and Delta chi^2 crossings: analytic one-bin toys (Lambert W),
 * scaling with the signal, monotonicity above the best fit, joint versus single fits, zero signal.
 */
#include <gsl/gsl_sf_lambert.h>
#include <math.h>
#include <string.h>

#include "chi2_toy.h"
#include "stats/limit.h"
#include "test.h"

static void test_thresholds(void) {
  test_rel(limit_threshold(0.90, 1, THRESHOLD_TWO_SIDED), 2.705543454, 1e-8, "90% 1 dof two-sided");
  test_rel(limit_threshold(0.90, 1, THRESHOLD_ONE_SIDED), 1.642374415, 1e-8, "90% 1 dof one-sided");
  test_rel(limit_threshold(0.90, 2, THRESHOLD_TWO_SIDED), 4.605170186, 1e-8, "90% 2 dof");
  test_rel(limit_threshold(0.95, 1, THRESHOLD_TWO_SIDED), 1.959963985 * 1.959963985, 1e-8,
           "95% 1 dof two-sided = 1.96^2");
  test_true(isnan(limit_threshold(1.0, 1, THRESHOLD_TWO_SIDED)) &&
                isnan(limit_threshold(0.9, 0, THRESHOLD_TWO_SIDED)) &&
                isnan(limit_threshold(0.4, 1, THRESHOLD_ONE_SIDED)),
            "invalid threshold arguments give NAN");
  test_true(limit_threshold(0.9, 2, THRESHOLD_ONE_SIDED) == limit_threshold(0.9, 2, THRESHOLD_TWO_SIDED),
            "2 dof: one chi^2_2 convention whatever the 1-dof threshold (4.605 at 90%)");
  threshold_kind k;
  dip_error err;
  test_true(threshold_from_name("one-sided", &k, &err) == DIP_SUCCESS && k == THRESHOLD_ONE_SIDED &&
                strcmp(threshold_name(THRESHOLD_TWO_SIDED), "two-sided") == 0 &&
                threshold_from_name("both", &k, &err) == DIP_EINVAL,
            "threshold names round-trip, unknown name rejected");
}

/* One bin, no nuisances: chi2(N) = 2 (N - n + n ln(n/N)), N = b + mu^2 s.  With y = N/n the
 * crossing solves y - 1 - ln y = c, c = thr/(2n) + (excess: 0; deficit: b/n - 1 - ln(b/n)), so
 * y = -W_{-1}(-exp(-1 - c)); for n = 0, chi2 = 2N and mu = sqrt(thr / (2 s)). */
static void check_one_bin(double n, double b, double s, const char *label) {
  double observed[1] = {n}, bkg[1] = {b}, bkg_sigma[1] = {0.0}, sm[1] = {0.0}, sig[1] = {s};
  chi2_experiment e = {1, 1, bkg, bkg_sigma, sm, sig};
  double src_sigma[1] = {0.0};
  chi2_problem pb = {1, src_sigma, 1, &e};
  chi2_workspace *ws;
  dip_error err;
  chi2_workspace_alloc(&ws, &pb, &err);
  chi2_set_data(ws, observed, &err);
  double thr = limit_threshold(0.90, 1, THRESHOLD_TWO_SIDED), want_limit, want_best;
  if (n == 0.0) {
    want_best = 0.0;
    want_limit = sqrt(thr / (2.0 * s));
  } else {
    double c = thr / (2.0 * n) + (b > n ? b / n - 1.0 - log(b / n) : 0.0);
    double y = -gsl_sf_lambert_Wm1(-exp(-1.0 - c));
    want_best = n > b ? sqrt((n - b) / s) : 0.0;
    want_limit = sqrt((y * n - b) / s);
  }
  limit_result r;
  char name[160];
  int status = limit_1dof(ws, thr, &r, &err);
  snprintf(name, sizeof name, "one bin, %s: limit = Lambert-W solution (1e-6)", label);
  test_rel(status == DIP_SUCCESS ? r.mu_limit : NAN, want_limit, 1e-6, name);
  snprintf(name, sizeof name, "one bin, %s: best fit", label);
  if (want_best == 0.0)
    test_true(r.mu_best == 0.0 && r.chi2_min == r.chi2_zero, name);
  else
    test_rel(r.mu_best, want_best, 1e-6, name);
  chi2_workspace_free(ws);
}

static void test_one_bin(void) {
  check_one_bin(50.0, 50.0, 1e23, "n = b");
  check_one_bin(70.0, 50.0, 1e23, "excess n > b");
  check_one_bin(30.0, 50.0, 1e23, "deficit n < b");
  check_one_bin(0.0, 3.0, 1e23, "n = 0");
  check_one_bin(2.5, 0.7, 4e21, "non-integer n, small b");
}

static chi2_workspace *toy_workspace(toy *t, chi2_experiment *e, chi2_problem *pb) {
  *e = toy_experiment(t);
  chi2_problem p = {t->n_src, toy_src_sigma, 1, e};
  *pb = p;
  chi2_workspace *ws;
  dip_error err;
  if (chi2_workspace_alloc(&ws, pb, &err) != DIP_SUCCESS)
    return NULL;
  chi2_set_data(ws, t->observed, &err);
  return ws;
}

/* Realistic toy with an excess: consistency of best fit and limit, monotone Delta chi^2 above it,
 * 1/sqrt(signal fraction) scaling, and the one-sided limit below the two-sided one. */
static void test_realistic(void) {
  toy t;
  toy_fill(&t, 30, 8, 2, 1.0);
  toy_observe(&t, 8e-12, 0.5, 1);
  chi2_experiment e;
  chi2_problem pb;
  chi2_workspace *ws = toy_workspace(&t, &e, &pb);
  dip_error err;
  double thr = limit_threshold(0.90, 1, THRESHOLD_TWO_SIDED);
  limit_result r;
  test_true(limit_1dof(ws, thr, &r, &err) == DIP_SUCCESS && r.mu_best > 0.0 &&
                r.mu_limit > r.mu_best && isfinite(r.mu_limit),
            "excess: 0 < mu_best < mu_limit < inf");
  double at_limit, near[2];
  chi2_profile(ws, r.mu_limit, &at_limit, &err);
  test_abs(at_limit - r.chi2_min, thr, 1e-6, "Delta chi2 at the limit = threshold");
  chi2_profile(ws, r.mu_best * (1.0 - 1e-3), &near[0], &err);
  chi2_profile(ws, r.mu_best * (1.0 + 1e-3), &near[1], &err);
  test_true(near[0] >= r.chi2_min - 1e-9 && near[1] >= r.chi2_min - 1e-9 && r.chi2_min < r.chi2_zero,
            "best fit is a minimum below chi2(0)");
  int monotone = 1;
  double previous = r.chi2_min;
  for (int i = 1; i <= 300; i++) {
    double mu = r.mu_best + (3.0 * r.mu_limit - r.mu_best) * i / 300.0, chi2;
    chi2_profile(ws, mu, &chi2, &err);
    monotone &= chi2 >= previous - 1e-9 && chi2 - r.chi2_min >= 0.0;
    previous = chi2;
  }
  test_true(monotone, "Delta chi2 >= 0 and non-decreasing above the best fit");

  limit_result one;
  limit_1dof(ws, limit_threshold(0.90, 1, THRESHOLD_ONE_SIDED), &one, &err);
  test_true(one.mu_limit < r.mu_limit && one.mu_best == r.mu_best, "one-sided limit below two-sided");

  const double fraction = 0.3;
  for (size_t i = 0; i < 8 * 30; i++)
    t.sig[i] *= fraction;
  limit_result scaled;
  limit_1dof(ws, thr, &scaled, &err);
  test_rel(scaled.mu_limit, r.mu_limit / sqrt(fraction), 1e-6, "limit scales as 1/sqrt(signal fraction)");
  test_rel(scaled.chi2_min, r.chi2_min, 1e-9, "chi2_min unchanged by the signal normalisation");
  test_true(chi2_n_fallbacks(ws) == 0, "realistic toy: no fallback needed");
  chi2_workspace_free(ws);
}

/* Joint fit (shared solar nuisances) never weaker than the best single one (Asimov data). */
static void test_joint(void) {
  toy a, b;
  toy_fill(&a, 30, 8, 2, 1.0);
  toy_fill(&b, 20, 8, 1, 3.0);
  for (size_t i = 0; i < 8 * 20; i++)
    b.sig[i] *= 0.2 + 0.1 * sin((double)i);
  toy_observe(&a, 0.0, 0.0, 0);
  toy_observe(&b, 0.0, 0.0, 0);
  chi2_experiment ea, eb, both[2];
  chi2_problem pa, pbb;
  chi2_workspace *wa = toy_workspace(&a, &ea, &pa), *wb = toy_workspace(&b, &eb, &pbb), *wj;
  both[0] = ea;
  both[1] = eb;
  chi2_problem pj = {8, toy_src_sigma, 2, both};
  dip_error err;
  chi2_workspace_alloc(&wj, &pj, &err);
  double joint_counts[50];
  toy_joint_counts((const toy *[]){&a, &b}, 2, joint_counts);
  chi2_set_data(wj, joint_counts, &err);
  double thr = limit_threshold(0.90, 1, THRESHOLD_TWO_SIDED);
  limit_result ra, rb, rj;
  limit_1dof(wa, thr, &ra, &err);
  limit_1dof(wb, thr, &rb, &err);
  limit_1dof(wj, thr, &rj, &err);
  test_true(rj.chi2_min == 0.0 && ra.chi2_min == 0.0 && rb.chi2_min == 0.0,
            "Asimov: chi2_min = 0 for single and joint fits");
  test_true(rj.mu_limit <= fmin(ra.mu_limit, rb.mu_limit) * (1.0 + 1e-9),
            "joint limit never weaker than the best single one");
  chi2_workspace_free(wa);
  chi2_workspace_free(wb);
  chi2_workspace_free(wj);
}

/* 2 dof: crossing relative to an external reference minimum. */
static void test_crossing(void) {
  toy t;
  toy_fill(&t, 30, 8, 2, 1.0);
  toy_observe(&t, 0.0, 1.0, 1);
  chi2_experiment e;
  chi2_problem pb;
  chi2_workspace *ws = toy_workspace(&t, &e, &pb);
  dip_error err;
  limit_result r;
  limit_1dof(ws, 2.705543454, &r, &err);
  double thr2 = limit_threshold(0.90, 2, THRESHOLD_TWO_SIDED), reference = r.chi2_min - 1.3, mu, chi2;
  test_true(limit_crossing(ws, reference, thr2, r.mu_best, &mu, &err) == DIP_SUCCESS && mu > r.mu_best,
            "2-dof crossing found above the best fit");
  chi2_profile(ws, mu, &chi2, &err);
  test_abs(chi2 - reference, thr2, 1e-6, "2-dof: chi2(mu_cross) - chi2_global = 4.605");
  test_true(limit_crossing(ws, r.chi2_min - 10.0, thr2, r.mu_best, &mu, &err) == DIP_SUCCESS &&
                mu == r.mu_best,
            "already above the level at mu_from: mu_cross = mu_from");
  test_true(limit_crossing(ws, r.chi2_min, -1.0, 0.0, &mu, &err) == DIP_EINVAL,
            "negative threshold rejected");
  chi2_workspace_free(ws);
}

/* Zero signal (or a signal absorbed completely): mu_limit = +INFINITY, no NaN. */
static void test_no_signal(void) {
  toy t;
  toy_fill(&t, 30, 8, 2, 1.0);
  toy_observe(&t, 0.0, 1.0, 1);
  memset(t.sig, 0, sizeof t.sig);
  chi2_experiment e;
  chi2_problem pb;
  chi2_workspace *ws = toy_workspace(&t, &e, &pb);
  dip_error err;
  limit_result r;
  test_true(limit_1dof(ws, 2.705543454, &r, &err) == DIP_SUCCESS && isinf(r.mu_limit) &&
                r.mu_limit > 0 && r.mu_best == 0.0 && r.chi2_min == r.chi2_zero && isfinite(r.chi2_min),
            "zero signal: mu_limit = +inf, mu_best = 0, chi2 finite");
  double mu;
  test_true(limit_crossing(ws, r.chi2_min, 4.6, 0.0, &mu, &err) == DIP_SUCCESS && isinf(mu),
            "zero signal: 2-dof crossing = +inf");
  chi2_workspace_free(ws);

  /* Free solar normalisation and a signal with exactly the SM shape: absorbed at any mu. */
  double observed[3] = {10, 20, 30}, sm[3] = {10, 20, 30}, sig[3] = {1e22, 2e22, 3e22};
  double free_sigma[1] = {INFINITY};
  chi2_experiment e1 = {3, 0, NULL, NULL, sm, sig};
  chi2_problem p1 = {1, free_sigma, 1, &e1};
  chi2_workspace_alloc(&ws, &p1, &err);
  chi2_set_data(ws, observed, &err);
  int status = limit_1dof(ws, 2.705543454, &r, &err);
  test_true(status == DIP_SUCCESS && isinf(r.mu_limit) && !isnan(r.mu_best),
            "signal absorbed by a free normalisation: mu_limit = +inf up to chi2_mu_max");
  chi2_workspace_free(ws);
}

int main(void) {
  dip_gsl_quiet();
  test_suite("limit");
  test_thresholds();
  test_one_bin();
  test_realistic();
  test_joint();
  test_crossing();
  test_no_signal();
  return test_summary();
}
