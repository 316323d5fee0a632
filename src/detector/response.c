/*
 * response.c — the true-recoil quadrature grid and the per-card response matrices (see response.h).
 *
 * Grid.  For each card the covered span is [T_lo, T_hi] with T_lo + n_sigma sigma(T_lo) = E_low
 * and T_hi - n_sigma sigma(T_hi) = E_high (bisection; T_lo >= T_floor > 0); the run's span is the
 * union; a card's kernel is zero outside its own span, so its counts do not depend on which
 * other cards share the grid (beyond the placement of the nodes).  The span is cut at the breakpoints (xenon shell edges by default), and each piece is
 * divided into panels about panel_sigma * min_cards sigma(T) wide: we march with that step and
 * then stretch the marks uniformly so the last one lands on the piece's end.  Each panel carries
 * an n_gl-point Gauss-Legendre rule (GSL glfixed).
 *
 * Response.  eps(E) is linear on each piece between consecutive efficiency knots / bin edges, so
 *   int_u^v (eps_u + s (E - u)) G(E; T, sigma) dE = eps_u dPhi + s ((T - u) dPhi - sigma dphi),
 * with dPhi = Phi(z_v) - Phi(z_u), dphi = phi(z_v) - phi(z_u), z = (E - T)/sigma.  Tail
 * probabilities use erfc to avoid cancellation.  Pieces more than 9 sigma from a node are skipped
 * (they contribute < 1e-18 of the node's weight).  The pieces and the resolution are kept in the
 * response so kernel_column can evaluate the kernel at any T: spectra with steps whose position
 * is only known at run time (kinematic edges of line sources, moving with m4) are folded with the
 * grid's Gauss-Legendre rule on the pieces of each panel between the steps (response_fold_steps),
 * which keeps them as accurate as smooth spectra.
 */
#include "detector/response.h"

#include <gsl/gsl_integration.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "physics/constants.h"

#define CUTOFF_SIGMAS 9.0
/* Smallest resolution accepted on the grid [keV] (1 eV: far below any xenon detector's). */
#define MIN_SIGMA_KEV 1e-3
/* Most panels a grid may have (6 nodes each): realistic cards need a few dozen; more means a window
 * absurdly wide for its resolution, refused instead of looping for ever. */
#define MAX_PANELS 100000

void tgrid_options_default(tgrid_options *opt) {
  opt->n_sigma = 6.0;
  opt->panel_sigma = 1.5;
  opt->n_gl = 6;
  opt->T_floor = 0.01;
  opt->n_breaks = electrons_xenon_edges(opt->breaks, TGRID_MAX_BREAKS);
}

/* ---------------------------------------------------------------- grid */

/* Smallest resolution of all cards at T. */
static double min_sigma(const card *const *cards, size_t n_cards, double T) {
  double s = INFINITY;
  for (size_t i = 0; i < n_cards; i++)
    s = fmin(s, card_resolution_sigma(cards[i], T));
  return s;
}

/* Root of f(T) = T + sign * n_sigma * sigma(T) - target on [a, b] by bisection (f increasing). */
static double solve_reach(const card *c, double n_sigma, double sign, double target, double a,
                          double b) {
  for (int it = 0; it < 200 && b - a > 1e-12 * b; it++) {
    double m = 0.5 * (a + b);
    if (m + sign * n_sigma * card_resolution_sigma(c, m) < target)
      a = m;
    else
      b = m;
  }
  return 0.5 * (a + b);
}

/* Span [lo, hi] of true T that can reach card c's window within n_sigma. */
static void card_span(const card *c, double n_sigma, double T_floor, double *lo, double *hi) {
  double E_lo = c->edges[0], E_hi = c->edges[c->n_bins];
  if (T_floor + n_sigma * card_resolution_sigma(c, T_floor) >= E_lo)
    *lo = T_floor;
  else
    *lo = solve_reach(c, n_sigma, +1.0, E_lo, T_floor, E_lo);
  double b = 2.0 * E_hi + 1.0;
  while (b - n_sigma * card_resolution_sigma(c, b) < E_hi)
    b *= 2.0;
  *hi = solve_reach(c, n_sigma, -1.0, E_hi, E_hi, b);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Sorted, de-duplicated piece boundaries: lo, hi and the breakpoints strictly inside. */
static double *piece_bounds(double lo, double hi, const tgrid_options *opt, size_t *n,
                            dip_error *err) {
  double *x = dip_calloc(opt->n_breaks + 2, sizeof *x, err);
  if (!x)
    return NULL;
  size_t m = 0;
  x[m++] = lo;
  for (size_t i = 0; i < opt->n_breaks; i++)
    if (opt->breaks[i] > lo && opt->breaks[i] < hi)
      x[m++] = opt->breaks[i];
  x[m++] = hi;
  qsort(x, m, sizeof *x, cmp_double);
  size_t k = 1;
  for (size_t i = 1; i < m; i++)
    if (x[i] - x[k - 1] > 1e-9)
      x[k++] = x[i];
  x[k - 1] = hi;
  *n = k;
  return x;
}

/* Number of panels in [a, b] and, if marks != NULL, their boundaries (n + 1 values).
 * Returns 0 if some card's sigma drops below MIN_SIGMA_KEV on the way (a bad polynomial), and stops
 * counting at MAX_PANELS + 1. */
static size_t panel_marks(const card *const *cards, size_t n_cards, const tgrid_options *opt,
                          double a, double b, double *marks) {
  size_t n = 0;
  double t = a;
  while (t < b) {
    double sigma = min_sigma(cards, n_cards, t);
    if (!(sigma >= MIN_SIGMA_KEV) || !isfinite(sigma))
      return 0;
    t += opt->panel_sigma * sigma;
    if (++n > MAX_PANELS)
      return n;
    if (marks)
      marks[n] = t;
  }
  if (marks) {
    double stretch = (b - a) / (marks[n] - a);
    marks[0] = a;
    for (size_t i = 1; i < n; i++)
      marks[i] = a + (marks[i] - a) * stretch;
    marks[n] = b;
  }
  return n;
}

static int check_grid_options(const card *const *cards, size_t n_cards, const tgrid_options *opt,
                              dip_error *err) {
  if (n_cards == 0)
    return dip_error_set(err, DIP_EINVAL, "tgrid: no cards");
  if (!(opt->n_sigma > 0.0) || !(opt->panel_sigma > 0.0) || opt->n_gl < 1 || !(opt->T_floor > 0.0))
    return dip_error_set(err, DIP_EINVAL,
                         "tgrid: options need n_sigma > 0, panel_sigma > 0, n_gl >= 1, T_floor > 0");
  for (size_t i = 0; i < n_cards; i++)
    if (!(card_resolution_sigma(cards[i], opt->T_floor) > 0.0))
      return dip_error_set(err, DIP_EINVAL, "tgrid: card '%s' has sigma <= 0 at T = %g keV",
                           cards[i]->name, opt->T_floor);
  return DIP_SUCCESS;
}

/* Node i of the reference rule mapped to the panel [a, b]. */
static void panel_node(const tgrid *g, double a, double b, size_t i, double *T, double *w) {
  *T = 0.5 * (a + b) + 0.5 * (b - a) * g->gl_x[i];
  *w = 0.5 * (b - a) * g->gl_w[i];
}

/* Panel edges of every piece, the reference Gauss-Legendre rule, and the nodes T, w. */
static int fill_nodes(tgrid *g, const card *const *cards, size_t n_cards, const tgrid_options *opt,
                      const double *bounds, size_t n_bounds, dip_error *err) {
  size_t n_panels = 0;
  for (size_t p = 0; p + 1 < n_bounds; p++) {
    size_t np = panel_marks(cards, n_cards, opt, bounds[p], bounds[p + 1], NULL);
    if (np == 0)
      return dip_error_set(err, DIP_EINVAL,
                           "tgrid: a card's resolution sigma is not positive (below %g keV) in [%g, %g] keV",
                           MIN_SIGMA_KEV, bounds[p], bounds[p + 1]);
    n_panels += np;
    if (n_panels > MAX_PANELS)
      return dip_error_set(err, DIP_EINVAL,
                           "tgrid: covering [%g, %g] keV would need more than %d panels of %g sigma "
                           "(window too wide for the resolution)",
                           bounds[0], bounds[n_bounds - 1], MAX_PANELS, opt->panel_sigma);
  }
  g->n_gl = opt->n_gl;
  g->n_panels = n_panels;
  g->n = n_panels * opt->n_gl;
  gsl_integration_glfixed_table *gl = gsl_integration_glfixed_table_alloc(opt->n_gl);
  if (!gl)
    return dip_error_set(err, DIP_ENOMEM, "tgrid: cannot allocate a %zu-point Gauss-Legendre table",
                         opt->n_gl);
  g->gl_x = dip_calloc(opt->n_gl, sizeof *g->gl_x, err);
  g->gl_w = dip_calloc(opt->n_gl, sizeof *g->gl_w, err);
  g->panel_edges = dip_calloc(n_panels + 1, sizeof *g->panel_edges, err);
  g->T = dip_calloc(g->n, sizeof *g->T, err);
  g->w = dip_calloc(g->n, sizeof *g->w, err);
  if (!g->gl_x || !g->gl_w || !g->panel_edges || !g->T || !g->w) {
    gsl_integration_glfixed_table_free(gl);
    return DIP_ENOMEM;
  }
  for (size_t i = 0; i < opt->n_gl; i++)
    gsl_integration_glfixed_point(-1.0, 1.0, i, &g->gl_x[i], &g->gl_w[i], gl);
  gsl_integration_glfixed_table_free(gl);
  size_t q = 0;
  for (size_t p = 0; p + 1 < n_bounds; p++)
    q += panel_marks(cards, n_cards, opt, bounds[p], bounds[p + 1], g->panel_edges + q);
  for (size_t j = 0; j < g->n; j++)
    panel_node(g, g->panel_edges[j / g->n_gl], g->panel_edges[j / g->n_gl + 1], j % g->n_gl,
               &g->T[j], &g->w[j]);
  return DIP_SUCCESS;
}

/* sigma >= MIN_SIGMA_KEV at 1000 evenly spaced points of the card's window (used only to name the
 * first problem of a card whose span is also unbounded). */
static int window_sigma_positive(const card *c) {
  double a = c->edges[0], b = c->edges[c->n_bins];
  for (int k = 0; k <= 1000; k++)
    if (!(card_resolution_sigma(c, a + (b - a) * k / 1000.0) >= MIN_SIGMA_KEV))
      return 0;
  return 1;
}

int tgrid_init_opts(tgrid *g, const card *const *cards, size_t n_cards, const tgrid_options *opt,
                    dip_error *err) {
  memset(g, 0, sizeof *g);
  DIP_TRY(check_grid_options(cards, n_cards, opt, err));
  g->T_lo = INFINITY;
  g->T_hi = 0.0;
  g->n_sigma = opt->n_sigma;
  g->T_floor = opt->T_floor;
  for (size_t i = 0; i < n_cards; i++) {
    double lo, hi;
    card_span(cards[i], opt->n_sigma, opt->T_floor, &lo, &hi);
    if ((!isfinite(lo) || !isfinite(hi)) && !window_sigma_positive(cards[i]))
      return dip_error_set(err, DIP_EINVAL,
                           "tgrid: card '%s': resolution sigma is not positive (below %g keV) inside its window",
                           cards[i]->name, MIN_SIGMA_KEV);
    if (!isfinite(lo) || !isfinite(hi))
      return dip_error_set(err, DIP_EINVAL,
                           "tgrid: card '%s': resolution sigma(T) grows faster than T/%g, so the "
                           "true energies reaching its window cannot be bounded",
                           cards[i]->name, opt->n_sigma);
    g->T_lo = fmin(g->T_lo, lo);
    g->T_hi = fmax(g->T_hi, hi);
  }
  size_t n_bounds;
  double *bounds = piece_bounds(g->T_lo, g->T_hi, opt, &n_bounds, err);
  if (!bounds)
    return DIP_ENOMEM;
  int status = fill_nodes(g, cards, n_cards, opt, bounds, n_bounds, err);
  free(bounds);
  if (status != DIP_SUCCESS)
    tgrid_free(g);
  return status;
}

int tgrid_init(tgrid *g, const card *const *cards, size_t n_cards, dip_error *err) {
  tgrid_options opt;
  tgrid_options_default(&opt);
  return tgrid_init_opts(g, cards, n_cards, &opt, err);
}

void tgrid_free(tgrid *g) {
  if (!g)
    return;
  free(g->T);
  free(g->w);
  free(g->panel_edges);
  free(g->gl_x);
  free(g->gl_w);
  memset(g, 0, sizeof *g);
}

/* ---------------------------------------------------------------- response */

/* One linear piece of eps(E) inside bin k: eps(E) = eps_u + slope (E - u) on [u, v]. */
typedef struct response_piece {
  double u, v, eps_u, slope;
  size_t bin;
} eff_piece;

/* Split every bin at the efficiency knots inside it.  *n receives the number of pieces. */
static eff_piece *eff_pieces(const card *c, size_t *n, dip_error *err) {
  eff_piece *pc = dip_calloc(c->n_bins + c->n_eff, sizeof *pc, err);
  if (!pc)
    return NULL;
  size_t m = 0;
  for (size_t k = 0; k < c->n_bins; k++) {
    double u = c->edges[k];
    for (size_t i = 0; i <= c->n_eff; i++) {
      double knot = i < c->n_eff ? c->eff_E[i] : c->edges[k + 1];
      if (knot <= u)
        continue;
      double v = fmin(knot, c->edges[k + 1]);
      double eu = card_efficiency(c, u), ev = card_efficiency(c, v);
      pc[m++] = (eff_piece){u, v, eu, (ev - eu) / (v - u), k};
      u = v;
      if (u >= c->edges[k + 1])
        break;
    }
  }
  *n = m;
  return pc;
}

/* Standard normal: P(z_a < Z < z_b) without cancellation in the tails, and the density. */
static double normal_prob(double za, double zb) {
  if (za > 0.0)
    return 0.5 * (erfc(za / sqrt(2.0)) - erfc(zb / sqrt(2.0)));
  return 0.5 * (erfc(-zb / sqrt(2.0)) - erfc(-za / sqrt(2.0)));
}

static double normal_pdf(double z) { return exp(-0.5 * z * z) / sqrt(2.0 * DIP_PI); }

/* int_u^v eps(E) G(E; T, sigma) dE on one linear piece. */
static double piece_integral(const eff_piece *p, double T, double sigma) {
  double za = (p->u - T) / sigma, zb = (p->v - T) / sigma;
  if (za > CUTOFF_SIGMAS || zb < -CUTOFF_SIGMAS)
    return 0.0;
  double dPhi = normal_prob(za, zb), dphi = normal_pdf(zb) - normal_pdf(za);
  /* >= 0 mathematically (eps >= 0); clamp rounding noise in the far tails */
  return fmax(0.0, p->eps_u * dPhi + p->slope * ((T - p->u) * dPhi - sigma * dphi));
}

/* Copy what kernel_column needs from the card. */
static int keep_card_model(response *r, const card *c, dip_error *err) {
  r->exposure_t_yr = c->exposure_t_yr;
  r->resolution.res_model = c->res_model;
  r->resolution.n_res_coef = c->n_res_coef;
  r->resolution.res_coef = dip_calloc(c->n_res_coef, sizeof *c->res_coef, err);
  if (!r->resolution.res_coef)
    return DIP_ENOMEM;
  memcpy(r->resolution.res_coef, c->res_coef, c->n_res_coef * sizeof *c->res_coef);
  r->pieces = eff_pieces(c, &r->n_pieces, err);
  return r->pieces ? DIP_SUCCESS : DIP_ENOMEM;
}

/* The kernel at any true energy T [keV]: col[k] = exposure * int_{bin k} eps(E) G(E; T, sigma(T)) dE
 * (so R[k][j] = w_j col[k] at T = T_j). */
static void kernel_column(const response *r, double T, double *col) {
  double sigma = card_resolution_sigma(&r->resolution, T);
  for (size_t k = 0; k < r->n_bins; k++)
    col[k] = 0.0;
  if (T < r->T_lo || T > r->T_hi)
    return; /* outside the card's own span (another card's part of the grid) */
  for (size_t p = 0; p < r->n_pieces; p++)
    col[r->pieces[p].bin] += r->exposure_t_yr * piece_integral(&r->pieces[p], T, sigma);
}

int response_init(response *r, const card *c, const tgrid *g, dip_error *err) {
  memset(r, 0, sizeof *r);
  r->n_bins = c->n_bins;
  r->n_T = g->n;
  card_span(c, g->n_sigma, g->T_floor, &r->T_lo, &r->T_hi);
  int status = keep_card_model(r, c, err);
  double *col = status ? NULL : dip_calloc(c->n_bins, sizeof *col, err);
  r->R = col ? dip_calloc(c->n_bins * g->n, sizeof *r->R, err) : NULL;
  if (!r->R) {
    free(col);
    response_free(r);
    return DIP_ENOMEM;
  }
  for (size_t j = 0; j < g->n; j++) {
    double sigma = card_resolution_sigma(c, g->T[j]);
    if (!(sigma > 0.0) || !isfinite(sigma)) {
      free(col);
      response_free(r);
      return dip_error_set(err, DIP_EINVAL, "response: card '%s' has sigma = %g at T = %g keV",
                           c->name, sigma, g->T[j]);
    }
    kernel_column(r, g->T[j], col);
    for (size_t k = 0; k < c->n_bins; k++)
      r->R[k * g->n + j] = g->w[j] * col[k];
  }
  free(col);
  return DIP_SUCCESS;
}

void response_free(response *r) {
  if (!r)
    return;
  free(r->R);
  free(r->pieces);
  free(r->resolution.res_coef);
  memset(r, 0, sizeof *r);
}

void response_fold(const response *r, const double *dRdT, double *counts) {
  for (size_t k = 0; k < r->n_bins; k++) {
    const double *row = r->R + k * r->n_T;
    double s = 0.0;
    for (size_t j = 0; j < r->n_T; j++)
      s += row[j] * dRdT[j];
    counts[k] = s;
  }
}

/* ---------------------------------------------------------------- spectra with steps */

/* Scratch of response_fold_steps: the kernel column, the spectrum at one T, a panel's cut points. */
typedef struct step_fold {
  const response *r;
  const tgrid *g;
  size_t n_comp;
  double *col, *values, *cuts;
} step_fold;

/* Cut points of panel p: its edges and the steps strictly inside, sorted; 1 when no step is. */
static size_t panel_cuts(const step_fold *f, size_t p, const double *steps, size_t n_steps) {
  double a = f->g->panel_edges[p], b = f->g->panel_edges[p + 1], *cuts = f->cuts;
  size_t n_cuts = 0;
  cuts[n_cuts++] = a;
  for (size_t q = 0; q < n_steps; q++)
    if (steps[q] > a && steps[q] < b)
      cuts[n_cuts++] = steps[q];
  if (n_cuts == 1)
    return 1;
  cuts[n_cuts++] = b;
  for (size_t u = 1; u < n_cuts; u++) /* insertion sort of a handful of cut points */
    for (size_t v = u; v > 0 && cuts[v] < cuts[v - 1]; v--) {
      double t = cuts[v];
      cuts[v] = cuts[v - 1];
      cuts[v - 1] = t;
    }
  return n_cuts;
}

/* Take the grid nodes' terms of panel p out of counts. */
static void panel_nodes_remove(const step_fold *f, size_t p, const double *dRdT, double *counts) {
  const size_t n_T = f->r->n_T, nb = f->r->n_bins;
  for (size_t j = p * f->g->n_gl; j < (p + 1) * f->g->n_gl; j++)
    for (size_t c = 0; c < f->n_comp; c++)
      for (size_t k = 0; k < nb; k++)
        counts[c * nb + k] -= f->r->R[k * n_T + j] * dRdT[c * n_T + j];
}

/* Add the n_gl-point rule on [x0, x1] with the spectrum from fn. */
static int subinterval_add(const step_fold *f, double x0, double x1, response_spectrum_fn fn,
                           void *ctx, double *counts, dip_error *err) {
  const size_t nb = f->r->n_bins;
  for (size_t q = 0; q < f->g->n_gl; q++) {
    double T, w;
    panel_node(f->g, x0, x1, q, &T, &w);
    DIP_TRY(fn(ctx, T, f->values, err));
    kernel_column(f->r, T, f->col);
    for (size_t c = 0; c < f->n_comp; c++)
      for (size_t k = 0; k < nb; k++)
        counts[c * nb + k] += w * f->values[c] * f->col[k];
  }
  return DIP_SUCCESS;
}

int response_fold_steps(const response *r, const tgrid *g, size_t n_comp, const double *dRdT,
                        const double *steps, size_t n_steps, response_spectrum_fn fn, void *ctx,
                        double *counts, dip_error *err) {
  if (r->n_T != g->n)
    return dip_error_set(err, DIP_EINVAL, "response: grid of %zu nodes, response built on %zu",
                         g->n, r->n_T);
  for (size_t c = 0; c < n_comp; c++)
    response_fold(r, dRdT + c * r->n_T, counts + c * r->n_bins);
  if (n_steps == 0)
    return DIP_SUCCESS;
  double *scratch = dip_calloc(r->n_bins + n_comp + n_steps + 2, sizeof *scratch, err);
  if (!scratch)
    return DIP_ENOMEM;
  step_fold f = {r, g, n_comp, scratch, scratch + r->n_bins, scratch + r->n_bins + n_comp};
  int status = DIP_SUCCESS;
  for (size_t p = 0; status == DIP_SUCCESS && p < g->n_panels; p++) {
    size_t n_cuts = panel_cuts(&f, p, steps, n_steps);
    if (n_cuts == 1)
      continue;
    panel_nodes_remove(&f, p, dRdT, counts);
    for (size_t u = 0; status == DIP_SUCCESS && u + 1 < n_cuts; u++)
      status = subinterval_add(&f, f.cuts[u], f.cuts[u + 1], fn, ctx, counts, err);
  }
  free(scratch);
  return status;
}
