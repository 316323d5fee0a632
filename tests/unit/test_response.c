/*
 * test_response.c — the true-recoil grid and the response matrices.
 *
 * Checks: the grid covers every window +- 6 sigma with T > 0 and panels that end exactly on the
 * xenon shell edges; a Gaussian row sums to one (efficiency 1) and matches an independent erf
 * formula; the closed-form efficiency x Gaussian integral matches brute-force quadrature; a flat
 * spectrum reproduces exposure x int eps(E) (1 + sigma'^2 + sigma sigma'') dE (the
 * varying-width correction of int dT G(E; T, sigma(T)), see flat_density); refining the grid
 * changes folded counts by < 1e-4 (smooth spectra and spectra with steps at the shell edges);
 * spectra with steps at positions only known at run time are folded accurately by
 * response_fold_steps (and exactly like response_fold without steps); responses and counts are
 * non-negative.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detector/card.h"
#include "physics/constants.h"
#include "detector/response.h"
#include "test.h"

#define N_SHIPPED 4
static const char *const SHIPPED[N_SHIPPED] = {"xenonnt_sr0", "pandax4t_run1", "lz_ws2022",
                                               "lz_ws2024"};
static card cards[N_SHIPPED];
static const card *card_ptrs[N_SHIPPED];
static char root[2048];

/* ---------------------------------------------------------------- test spectra [1/(t yr keV)] */

typedef double (*spectrum_fn)(double T);

static double spec_inverse(double T) { return 1.0 / T; }          /* magnetic-moment-like */
static double spec_flat(double T) { return 1.0 + 0.01 * T; }      /* SM-like, gently rising */
static double spec_exp(double T) { return exp(-T / 5.0); }
/* Free electrons counted only above each shell edge (stepping approximation), times 1/T. */
static double spec_steps(double T) {
  double edge[ELECTRONS_MAX_EDGES];
  size_t n = electrons_xenon_edges(edge, ELECTRONS_MAX_EDGES);
  double active = 0.0;
  for (size_t i = 0; i < n; i++)
    active += T > edge[i] ? 1.0 : 0.0;
  return active / T;
}

static const spectrum_fn SPECTRA[] = {spec_inverse, spec_flat, spec_exp, spec_steps};
static const char *const SPECTRUM_NAMES[] = {"1/T", "flat", "exp", "steps"};
#define N_SPECTRA (sizeof SPECTRA / sizeof SPECTRA[0])

static void fold(const response *r, const tgrid *g, spectrum_fn f, double *counts) {
  double *dRdT = calloc(g->n, sizeof *dRdT);
  for (size_t j = 0; j < g->n; j++)
    dRdT[j] = f(g->T[j]);
  response_fold(r, dRdT, counts);
  free(dRdT);
}

/* ---------------------------------------------------------------- grid */

static void test_grid(const tgrid *g) {
  printf("# grid for the four shipped cards: n_T = %zu, %zu panels, T in [%.4f, %.4f] keV\n", g->n,
         g->n_panels, g->T_lo, g->T_hi);
  test_true(g->n >= 150 && g->n <= 400, "n_T is modest (150-400)");
  int increasing = g->T[0] > 0.0, positive = 1;
  double wsum = 0.0;
  for (size_t j = 0; j < g->n; j++) {
    wsum += g->w[j];
    positive &= g->w[j] > 0.0;
    if (j)
      increasing &= g->T[j] > g->T[j - 1];
  }
  test_true(increasing && positive, "nodes increasing from T > 0, weights positive");
  test_rel(wsum, g->T_hi - g->T_lo, 1e-12, "weights sum to the span");
  /* Coverage: the lowest window edge (1 keV) is 6 sigma above T_lo; the top (30 keV) 6 sigma below
   * T_hi (XENONnT has the widest sigma at 30 keV). */
  const card *x = card_ptrs[0];
  test_rel(g->T_lo + 6.0 * card_resolution_sigma(&cards[2], g->T_lo), 1.0, 1e-6,
           "T_lo reaches 1 keV at 6 sigma (smallest sigma: LZ)");
  test_rel(g->T_hi - 6.0 * card_resolution_sigma(x, g->T_hi), 30.0, 1e-6,
           "T_hi reaches 30 keV at 6 sigma");
  /* Panels end on every shell edge inside the span: the weights below an edge add up to exactly
   * edge - T_lo (a panel straddling the edge would split its weight). */
  double edge[ELECTRONS_MAX_EDGES];
  size_t n_edges = electrons_xenon_edges(edge, ELECTRONS_MAX_EDGES);
  double worst = 0.0;
  for (size_t i = 0; i < n_edges; i++) {
    if (edge[i] <= g->T_lo || edge[i] >= g->T_hi)
      continue;
    double below = 0.0;
    for (size_t j = 0; j < g->n && g->T[j] < edge[i]; j++)
      below += g->w[j];
    worst = fmax(worst, fabs(below - (edge[i] - g->T_lo)));
  }
  test_abs(worst, 0.0, 1e-12, "no panel straddles a xenon shell edge");

  tgrid bad;
  dip_error err;
  test_true(tgrid_init(&bad, card_ptrs, 0, &err) == DIP_EINVAL, "grid without cards is refused");
  /* A polynomial resolution that turns negative inside the grid's span is refused. */
  card poly;
  char path[4096];
  snprintf(path, sizeof path, "%s/tests/data/cards/poly_unit.yaml", root);
  if (card_load(&poly, path, NULL, &err) != DIP_SUCCESS) {
    test_report(0, "polynomial fixture loads", "%s", err.msg);
    return;
  }
  const card *one = &poly;
  test_rel(card_resolution_sigma(&poly, 2.0), 0.24, 1e-12, "polynomial sigma(2 keV)");
  int status = tgrid_init(&bad, &one, 1, &err);
  test_report(status == DIP_EINVAL && strstr(err.msg, "not positive"), "sigma <= 0 inside the span is refused",
              "status %d, '%s'", status, err.msg);
  card_free(&poly);
}

/* ---------------------------------------------------------------- Gaussian and efficiency */

static double Phi(double z) { return 0.5 * erfc(-z / sqrt(2.0)); }

static void test_gaussian_normalisation(void) {
  card flat;
  dip_error err;
  char path[4096];
  snprintf(path, sizeof path, "%s/tests/data/cards/flat_unit.yaml", root);
  if (card_load(&flat, path, NULL, &err) != DIP_SUCCESS) {
    test_report(0, "fixture loads", "%s", err.msg);
    return;
  }
  const card *one = &flat;
  tgrid g;
  response r;
  if (tgrid_init(&g, &one, 1, &err) || response_init(&r, &flat, &g, &err)) {
    test_report(0, "fixture response", "%s", err.msg);
    card_free(&flat);
    return;
  }
  /* Efficiency 1, bins 1-60 keV: nodes at 10-40 keV lie > 9 sigma inside, so each row of R sums
   * to exposure x weight; each entry is the erf difference. */
  double worst_sum = 0.0, worst_entry = 0.0;
  for (size_t j = 0; j < g.n; j++) {
    if (g.T[j] < 10.0 || g.T[j] > 40.0)
      continue;
    double scale = flat.exposure_t_yr * g.w[j], sum = 0.0;
    double sigma = card_resolution_sigma(&flat, g.T[j]);
    for (size_t k = 0; k < r.n_bins; k++) {
      double want = Phi((flat.edges[k + 1] - g.T[j]) / sigma) - Phi((flat.edges[k] - g.T[j]) / sigma);
      sum += r.R[k * r.n_T + j] / scale;
      worst_entry = fmax(worst_entry, fabs(r.R[k * r.n_T + j] / scale - want));
    }
    worst_sum = fmax(worst_sum, fabs(sum - 1.0));
  }
  test_abs(worst_sum, 0.0, 1e-12, "Gaussian rows sum to exposure x weight");
  test_abs(worst_entry, 0.0, 1e-12, "entries equal the erf difference");
  response_free(&r);
  tgrid_free(&g);
  card_free(&flat);
}

/* Brute force: midpoint rule of eps(E) G(E; T, sigma) over one bin. */
static double brute_bin(const card *c, size_t k, double T) {
  const size_t n = 200000;
  double lo = c->edges[k], h = (c->edges[k + 1] - lo) / n, sigma = card_resolution_sigma(c, T);
  double s = 0.0;
  for (size_t i = 0; i < n; i++) {
    double E = lo + (i + 0.5) * h, z = (E - T) / sigma;
    s += card_efficiency(c, E) * exp(-0.5 * z * z);
  }
  return s * h / (sigma * sqrt(2.0 * DIP_PI));
}

static void test_efficiency_integral(const tgrid *g) {
  /* XENONnT bin 0 (1-2 keV, where eps rises steeply) and bin 9 (10-11 keV, efficiency step). */
  const card *c = card_ptrs[0];
  response r;
  dip_error err;
  if (response_init(&r, c, g, &err)) {
    test_report(0, "XENONnT response", "%s", err.msg);
    return;
  }
  double worst = 0.0;
  const size_t bins[] = {0, 9};
  for (size_t b = 0; b < 2; b++)
    for (size_t j = 0; j < g->n; j += 7) {
      double want = brute_bin(c, bins[b], g->T[j]);
      double got = r.R[bins[b] * r.n_T + j] / (c->exposure_t_yr * g->w[j]);
      worst = fmax(worst, fabs(got - want));
    }
  test_abs(worst, 0.0, 1e-8, "closed-form eps x Gaussian matches brute force");
  response_free(&r);
}

/* ---------------------------------------------------------------- flat spectrum */

/* int dT G(E; T, sigma(T)) for dR/dT = 1 equals 1 + sigma'^2 + sigma sigma'' + O(sigma^4 terms)
 * (expansion in the variation of sigma over a width; checked numerically: the remainder is < 2%
 * of the correction, itself < 2.1e-4 above 3 keV).  For sigma = a sqrt(E) + b E. */
static double flat_density(const card *c, double E) {
  double a = c->res_coef[0], b = c->res_coef[1];
  double s = a * sqrt(E) + b * E, s1 = 0.5 * a / sqrt(E) + b, s2 = -0.25 * a / (E * sqrt(E));
  return 1.0 + s1 * s1 + s * s2;
}

static void test_flat_spectrum(const tgrid *g) {
  const card *c = card_ptrs[0];
  response r;
  dip_error err;
  if (response_init(&r, c, g, &err))
    return;
  double *counts = calloc(r.n_bins, sizeof *counts), worst = 0.0;
  double *one = calloc(g->n, sizeof *one);
  for (size_t j = 0; j < g->n; j++)
    one[j] = 1.0;
  response_fold(&r, one, counts);
  for (size_t k = 2; k < 27; k++) { /* 3-28 keV: away from the 1 keV threshold region */
    const size_t n = 20000;
    double lo = c->edges[k], h = (c->edges[k + 1] - lo) / n, want = 0.0;
    for (size_t i = 0; i < n; i++) {
      double E = lo + (i + 0.5) * h;
      want += card_efficiency(c, E) * flat_density(c, E) * h;
    }
    want *= c->exposure_t_yr;
    worst = fmax(worst, fabs(counts[k] / want - 1.0));
  }
  printf("# flat spectrum, XENONnT 3-28 keV: max |counts / (exposure int eps (1 + s'^2 + s s'')) - 1| = %.2e\n",
         worst);
  test_abs(worst, 0.0, 2e-5, "flat spectrum gives exposure x int eps dE (+ width correction)");
  free(counts);
  free(one);
  response_free(&r);
}

/* ---------------------------------------------------------------- convergence */

/* Largest relative change of folded counts between grid g and a finer grid, over all cards,
 * spectra and bins. */
static double grid_change(const tgrid *g, const tgrid_options *finer_opt, int *nonneg) {
  tgrid fine;
  dip_error err;
  if (tgrid_init_opts(&fine, card_ptrs, N_SHIPPED, finer_opt, &err))
    return INFINITY;
  double worst = 0.0;
  for (size_t i = 0; i < N_SHIPPED; i++) {
    response r, rf;
    if (response_init(&r, card_ptrs[i], g, &err) || response_init(&rf, card_ptrs[i], &fine, &err))
      return INFINITY;
    for (size_t k = 0; k < r.n_bins * r.n_T; k++)
      *nonneg &= r.R[k] >= 0.0;
    double a[64], b[64];
    for (size_t s = 0; s < N_SPECTRA; s++) {
      fold(&r, g, SPECTRA[s], a);
      fold(&rf, &fine, SPECTRA[s], b);
      double w = 0.0;
      for (size_t k = 0; k < r.n_bins; k++) {
        *nonneg &= a[k] >= 0.0;
        w = fmax(w, fabs(a[k] / b[k] - 1.0));
      }
      printf("#   %-14s %-6s max rel change %.2e\n", cards[i].name, SPECTRUM_NAMES[s], w);
      worst = fmax(worst, w);
    }
    response_free(&r);
    response_free(&rf);
  }
  tgrid_free(&fine);
  return worst;
}

static void test_convergence(const tgrid *g) {
  tgrid_options opt, finer;
  tgrid_options_default(&opt);
  finer = opt;
  finer.panel_sigma = opt.panel_sigma / 2.0;
  finer.n_gl = opt.n_gl + 2;
  int nonneg = 1;
  printf("# default grid vs panels halved and n_gl + 2:\n");
  double halved = grid_change(g, &finer, &nonneg);
  test_abs(halved, 0.0, 1e-4, "refining the grid (panels / 2, n_gl + 2) changes counts < 1e-4");
  finer.panel_sigma = 0.25;
  finer.n_gl = 10;
  printf("# default grid vs panel_sigma 0.25, n_gl 10:\n");
  double fine = grid_change(g, &finer, &nonneg);
  test_abs(fine, 0.0, 1e-4, "default grid within 1e-4 of a 6x finer grid");
  printf("# convergence: %.2e (halved), %.2e (fine)\n", halved, fine);
  test_true(nonneg, "responses and folded counts are non-negative");
}

/* Spectra with steps at positions the grid does not know (a line's kinematic edges move with m4):
 * response_fold_steps converges like a smooth spectrum, while the plain fold on the grid nodes does
 * not (reported, not asserted).  Two components with different steps, given unsorted. */
static double step_at_7_3(double T) { return T < 7.3 ? 1.0 / T : 0.0; }
static double window_2_45_to_11_1(double T) { return T > 2.45 && T < 11.1 ? exp(-T / 5.0) : 0.0; }
static const double STEPS[] = {11.1, 7.3, 2.45};

static int two_components(void *ctx, double T, double *values, dip_error *err) {
  (void)ctx;
  (void)err;
  values[0] = step_at_7_3(T);
  values[1] = window_2_45_to_11_1(T);
  return DIP_SUCCESS;
}

static int failing_spectrum(void *ctx, double T, double *values, dip_error *err) {
  (void)ctx;
  (void)values;
  return dip_error_set(err, DIP_ENUMERIC, "spectrum fails at %g keV", T);
}

/* Both components on the nodes of g into dRdT[2][g->n], folded with `steps` into counts[2][64]. */
static int fold_two(const tgrid *g, const response *r, const double *steps, size_t n_steps,
                    response_spectrum_fn fn, double *counts, dip_error *err) {
  double *dRdT = calloc(2 * g->n, sizeof *dRdT);
  for (size_t j = 0; j < g->n; j++) {
    dRdT[j] = step_at_7_3(g->T[j]);
    dRdT[g->n + j] = window_2_45_to_11_1(g->T[j]);
  }
  int status = response_fold_steps(r, g, 2, dRdT, steps, n_steps, fn, NULL, counts, err);
  free(dRdT);
  return status;
}

static void test_moving_step(const tgrid *g) {
  tgrid_options fine_opt;
  tgrid_options_default(&fine_opt);
  fine_opt.panel_sigma = 0.25;
  fine_opt.n_gl = 10;
  tgrid fine;
  response r, rf;
  dip_error err;
  if (tgrid_init_opts(&fine, card_ptrs, N_SHIPPED, &fine_opt, &err) ||
      response_init(&r, card_ptrs[0], g, &err) || response_init(&rf, card_ptrs[0], &fine, &err)) {
    test_report(0, "moving-step setup", "%s", err.msg);
    return;
  }
  const size_t nb = r.n_bins;
  double a[128], b[128], plain[128];
  int ok = fold_two(g, &r, STEPS, 3, two_components, a, &err) == DIP_SUCCESS &&
           fold_two(&fine, &rf, STEPS, 3, two_components, b, &err) == DIP_SUCCESS;
  test_report(ok, "response_fold_steps folds two components across three steps", "%s", err.msg);
  for (int c = 0; c < 2; c++) {
    fold(&r, g, c == 0 ? step_at_7_3 : window_2_45_to_11_1, plain);
    double worst_steps = 0.0, worst_plain = 0.0, total = 0.0;
    for (size_t k = 0; k < nb; k++)
      total += b[c * nb + k];
    for (size_t k = 0; k < nb; k++) {
      worst_steps = fmax(worst_steps, fabs(a[c * nb + k] - b[c * nb + k]) / total);
      worst_plain = fmax(worst_plain, fabs(plain[k] - b[c * nb + k]) / total);
    }
    printf("# component %d (XENONnT): max bin error / total = %.2e across the steps, %.2e plain "
           "fold\n", c, worst_steps, worst_plain);
    test_abs(worst_steps, 0.0, 1e-6,
             c == 0 ? "step at 7.3 keV: folded across it, converges"
                    : "window 2.45-11.1 keV: folded across both edges, converges");
  }
  /* Without steps inside the grid it is response_fold, bit for bit. */
  double none[128], outside[128], beyond = 2.0 * g->T_hi;
  fold_two(g, &r, NULL, 0, failing_spectrum, none, &err);
  fold_two(g, &r, &beyond, 1, failing_spectrum, outside, &err);
  fold(&r, g, step_at_7_3, plain);
  test_true(memcmp(none, plain, nb * sizeof *plain) == 0 &&
                memcmp(outside, plain, nb * sizeof *plain) == 0,
            "no step (or one beyond the grid): response_fold bit for bit, spectrum never asked");
  test_true(fold_two(g, &r, STEPS, 3, failing_spectrum, a, &err) == DIP_ENUMERIC,
            "the spectrum's failure is passed on");
  test_true(fold_two(&fine, &r, STEPS, 3, two_components, a, &err) == DIP_EINVAL,
            "a grid other than the response's is refused");
  response_free(&r);
  response_free(&rf);
  tgrid_free(&fine);
}

int main(void) {
  test_suite("response");
  dip_gsl_quiet();
  const char *env = getenv("DIPSCAN_ROOT");
  snprintf(root, sizeof root, "%s", env ? env : ".");
  char data_dir[2300];
  snprintf(data_dir, sizeof data_dir, "%s/data", root);
  dip_error err;
  for (size_t i = 0; i < N_SHIPPED; i++) {
    if (card_load(&cards[i], SHIPPED[i], data_dir, &err) != DIP_SUCCESS) {
      test_report(0, "shipped cards load", "%s", err.msg);
      return test_summary();
    }
    card_ptrs[i] = &cards[i];
  }
  tgrid g;
  if (tgrid_init(&g, card_ptrs, N_SHIPPED, &err) != DIP_SUCCESS) {
    test_report(0, "grid", "%s", err.msg);
    return test_summary();
  }
  test_grid(&g);
  test_gaussian_normalisation();
  test_efficiency_integral(&g);
  test_flat_spectrum(&g);
  test_convergence(&g);
  test_moving_step(&g);
  tgrid_free(&g);
  for (size_t i = 0; i < N_SHIPPED; i++)
    card_free(&cards[i]);
  return test_summary();
}
