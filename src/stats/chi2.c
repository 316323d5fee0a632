/*
 * chi2.c — profiled Poisson chi^2 (see chi2.h for the formula and the conventions).
 *
 * Variables.  Internally the nuisances are w_p = 1 + theta_p (the multiplier of column p), so an
 * expected count N_k = sum_p w_p A_k,p is a sum of non-negative products with no cancellation, even
 * when a fit drives a normalisation towards zero.  Every column A_.,p (SM + mu^2 S of a source, or
 * a background) is divided by a power of two c_p >= max_k A_k,p and the solver works in
 * z_p = c_p w_p: the scaled gradient and Hessian stay O(1) whatever the signal size, and the scaling
 * is exact, so nominal nuisances reproduce the caller's expected counts bit for bit.
 *
 * Data.  The counts are not part of the problem: chi2_set_data points the workspace at the
 * caller's array (all experiments back to back, bin_offset[e] marks experiment e) and resets the
 * warm start.  They enter only the Poisson sums, the empty-bin check and the self-concordance
 * factor, all of which are recomputed on every profile, so nothing derived from them is cached.
 *
 * Solver.  chi^2 is convex in w.  Newton: one pass over the bins gives chi^2, gradient and Hessian
 * (each bin touches only the shared solar columns and its own experiment's backgrounds); a Cholesky
 * solve gives the step; a step that would leave N_k > 0 is cut to 99% of the way to the boundary,
 * and any step is backtracked until chi^2 decreases (Armijo).  It stops when the predicted decrease
 * g.H^-1.g / 2 is below CHI2_TOL.  A singular Hessian (a free nuisance that only meets empty
 * bins, whose optimum lies on N_k -> 0) or a stalled line search hands over to a
 * Levenberg-Marquardt iteration, which is counted in n_fallbacks.
 */
#include "stats/chi2.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Convergence: predicted (Newton) or achieved (fallback) chi^2 decrease below
 * CHI2_TOL_ABS + CHI2_TOL_REL * chi^2.  The absolute part sits a few orders above the round-off
 * of a sum of O(100) Poisson terms; limits need chi^2 to ~1e-6. */
#define CHI2_TOL_ABS 1e-9
#define CHI2_TOL_REL 1e-12
/* Far from the optimum (huge mu) each step can at most move 99% of the way to N_k = 0, i.e. shrink
 * an overshooting N by 100: 100 steps cover 200 decades. */
#define NEWTON_MAX_ITER 100
#define LM_MAX_ITER 2000
#define LINE_SEARCH_MAX_HALVINGS 60
#define ARMIJO_SLOPE 1e-4
#define BOUNDARY_FRACTION 0.99
/* Cholesky pivots below this fraction of the diagonal mean a numerically singular Hessian. */
#define PIVOT_RELATIVE_FLOOR 1e-13
#define LM_LAMBDA_START 1e-3
#define LM_LAMBDA_MIN 1e-12
#define LM_LAMBDA_MAX 1e20
/* Largest scaled Newton decrement for which a full step may be the last one (final_step); the
 * self-concordance bounds used there need it below 0.68. */
#define FINAL_STEP_MAX_DECREMENT 0.1
/* The secant predictor extrapolates at most this many times the last step in mu^2. */
#define PREDICTOR_MAX_RATIO 2.0

struct chi2_workspace {
  chi2_experiment *exp; /* shallow copy of the caller's experiment descriptors */
  size_t n_exp, n_src, n_par, n_bins, max_local;
  const double *src_sigma;
  const double *data;   /* [n_bins] counts of the current dataset (caller's); NULL until set */
  size_t *bin_offset;   /* [n_exp] start of the experiment's bins in data and empty      */
  size_t *bkg_offset;   /* [n_exp] global index of the experiment's first beta            */
  size_t *coef_offset;  /* [n_exp] start of the experiment's block in coef                */
  size_t *local_to_par; /* [n_exp][max_local] local column -> global nuisance index       */
  double *inv_var;      /* [n_par] 1/sigma^2 (0 for free)                                 */
  unsigned char *fixed; /* [n_par] sigma == 0                                             */
  unsigned char *active;/* [n_par] varied in the current fit (not fixed, column not zero) */
  unsigned char *empty; /* [n_bins] bin with no expectation at all (all columns zero)     */
  double *scale;        /* [n_par] c_p (power of two)                                     */
  double *inv_scale;    /* [n_par] 1/c_p (exact), 0 for an empty column                   */
  double *coef;         /* per experiment [n_bins_e][n_src + n_bkg_e]: A_k,p / c_p        */
  double *w, *theta;    /* [n_par] current multipliers, and theta = w - 1 for the caller  */
  double *w_prev;       /* [n_par] multipliers of the solution before the last one        */
  double x_last, x_prev;/* mu^2 of the last two solutions                                 */
  int n_solutions;      /* solutions since chi2_reset (the predictor needs two)           */
  double concordance;   /* max(1, 1/smallest positive observed count): chi^2/2 times this is
                         * a standard self-concordant function of the nuisances           */
  double *z, *z_trial, *grad, *step; /* [n_par]                                           */
  double *hess, *chol;  /* [n_par * n_par]; hess holds its upper triangle                 */
  double *z_local, *g_local, *h_local; /* [max_local], [max_local], [max_local^2]: one
                         * experiment's nuisances, gradient and Hessian in its own columns  */
  long n_profiles, n_fallbacks;
};

/* ---------------------------------------------------------------- set-up and validation */

static int validate_problem(const chi2_problem *pb, dip_error *err) {
  if (!pb || pb->n_exp == 0 || !pb->exp)
    return dip_error_set(err, DIP_EINVAL, "chi2: the problem needs at least one experiment");
  if (pb->n_src > 0 && !pb->src_sigma)
    return dip_error_set(err, DIP_EINVAL, "chi2: src_sigma missing");
  for (size_t s = 0; s < pb->n_src; s++)
    if (!(pb->src_sigma[s] >= 0.0))
      return dip_error_set(err, DIP_EINVAL, "chi2: source %zu: sigma %g is not >= 0", s,
                           pb->src_sigma[s]);
  for (size_t e = 0; e < pb->n_exp; e++) {
    const chi2_experiment *x = &pb->exp[e];
    if (x->n_bins == 0)
      return dip_error_set(err, DIP_EINVAL, "chi2: experiment %zu has no bins", e);
    if ((pb->n_src > 0 && (!x->sm || !x->sig)) || (x->n_bkg > 0 && (!x->bkg || !x->bkg_sigma)))
      return dip_error_set(err, DIP_EINVAL, "chi2: experiment %zu: template array missing", e);
    for (size_t j = 0; j < x->n_bkg; j++)
      if (!(x->bkg_sigma[j] >= 0.0))
        return dip_error_set(err, DIP_EINVAL, "chi2: experiment %zu background %zu: sigma %g is not >= 0",
                             e, j, x->bkg_sigma[j]);
  }
  return DIP_SUCCESS;
}

static void set_pull(chi2_workspace *ws, size_t p, double sigma) {
  ws->fixed[p] = sigma == 0.0;
  ws->inv_var[p] = (sigma == 0.0 || isinf(sigma)) ? 0.0 : 1.0 / (sigma * sigma);
}

static int layout_nuisances(chi2_workspace *ws, dip_error *err) {
  size_t par = ws->n_src, coef = 0, bin = 0;
  for (size_t e = 0; e < ws->n_exp; e++) {
    size_t n_local = ws->n_src + ws->exp[e].n_bkg;
    ws->bkg_offset[e] = par;
    ws->coef_offset[e] = coef;
    ws->bin_offset[e] = bin;
    par += ws->exp[e].n_bkg;
    coef += ws->exp[e].n_bins * n_local;
    bin += ws->exp[e].n_bins;
  }
  ws->n_par = par;
  size_t P = par;
  ws->local_to_par = dip_calloc(ws->n_exp * ws->max_local, sizeof(size_t), err);
  ws->coef = dip_calloc(coef, sizeof(double), err);
  ws->empty = dip_calloc(ws->n_bins, 1, err);
  double **vec[] = {&ws->inv_var, &ws->scale, &ws->inv_scale, &ws->w, &ws->theta,
                    &ws->w_prev, &ws->z, &ws->z_trial, &ws->grad, &ws->step};
  for (size_t i = 0; i < sizeof vec / sizeof vec[0]; i++)
    *vec[i] = dip_calloc(P, sizeof(double), err);
  ws->fixed = dip_calloc(P, 1, err);
  ws->active = dip_calloc(P, 1, err);
  ws->hess = dip_calloc(P * P, sizeof(double), err);
  ws->chol = dip_calloc(P * P, sizeof(double), err);
  ws->z_local = dip_calloc(ws->max_local, sizeof(double), err);
  ws->g_local = dip_calloc(ws->max_local, sizeof(double), err);
  ws->h_local = dip_calloc(ws->max_local * ws->max_local, sizeof(double), err);
  if (!ws->local_to_par || !ws->coef || !ws->empty || !ws->inv_var || !ws->scale ||
      !ws->inv_scale || !ws->w || !ws->theta || !ws->w_prev || !ws->z || !ws->z_trial ||
      !ws->grad || !ws->step || !ws->fixed || !ws->active || !ws->hess || !ws->chol ||
      !ws->z_local || !ws->g_local || !ws->h_local)
    return DIP_ENOMEM;
  for (size_t e = 0; e < ws->n_exp; e++) {
    size_t *map = ws->local_to_par + e * ws->max_local;
    for (size_t s = 0; s < ws->n_src; s++)
      map[s] = s;
    for (size_t j = 0; j < ws->exp[e].n_bkg; j++) {
      map[ws->n_src + j] = ws->bkg_offset[e] + j;
      set_pull(ws, ws->bkg_offset[e] + j, ws->exp[e].bkg_sigma[j]);
    }
  }
  for (size_t s = 0; s < ws->n_src; s++)
    set_pull(ws, s, ws->src_sigma[s]);
  return DIP_SUCCESS;
}

int chi2_workspace_alloc(chi2_workspace **out, const chi2_problem *pb, dip_error *err) {
  *out = NULL;
  DIP_TRY(validate_problem(pb, err));
  chi2_workspace *ws = dip_calloc(1, sizeof *ws, err);
  if (!ws)
    return DIP_ENOMEM;
  ws->n_exp = pb->n_exp;
  ws->n_src = pb->n_src;
  ws->src_sigma = pb->src_sigma;
  ws->exp = dip_calloc(pb->n_exp, sizeof *ws->exp, err);
  ws->bkg_offset = dip_calloc(pb->n_exp, sizeof(size_t), err);
  ws->coef_offset = dip_calloc(pb->n_exp, sizeof(size_t), err);
  ws->bin_offset = dip_calloc(pb->n_exp, sizeof(size_t), err);
  int status =
      (ws->exp && ws->bkg_offset && ws->coef_offset && ws->bin_offset) ? DIP_SUCCESS : DIP_ENOMEM;
  if (status == DIP_SUCCESS) {
    memcpy(ws->exp, pb->exp, pb->n_exp * sizeof *ws->exp);
    for (size_t e = 0; e < pb->n_exp; e++) {
      ws->n_bins += pb->exp[e].n_bins;
      if (pb->n_src + pb->exp[e].n_bkg > ws->max_local)
        ws->max_local = pb->n_src + pb->exp[e].n_bkg;
    }
    status = layout_nuisances(ws, err);
  }
  if (status != DIP_SUCCESS) {
    chi2_workspace_free(ws);
    return status;
  }
  chi2_reset(ws);
  *out = ws;
  return DIP_SUCCESS;
}

void chi2_workspace_free(chi2_workspace *ws) {
  if (!ws)
    return;
  free(ws->exp);
  free(ws->bkg_offset);
  free(ws->coef_offset);
  free(ws->bin_offset);
  free(ws->local_to_par);
  free(ws->coef);
  free(ws->empty);
  free(ws->inv_var);
  free(ws->scale);
  free(ws->inv_scale);
  free(ws->w);
  free(ws->theta);
  free(ws->w_prev);
  free(ws->z);
  free(ws->z_trial);
  free(ws->grad);
  free(ws->step);
  free(ws->fixed);
  free(ws->active);
  free(ws->hess);
  free(ws->chol);
  free(ws->z_local);
  free(ws->g_local);
  free(ws->h_local);
  free(ws);
}

void chi2_reset(chi2_workspace *ws) {
  for (size_t p = 0; p < ws->n_par; p++) {
    ws->w[p] = 1.0;
    ws->theta[p] = 0.0;
  }
  ws->n_solutions = 0;
}

int chi2_set_data(chi2_workspace *ws, const double *counts, dip_error *err) {
  ws->data = NULL;
  chi2_reset(ws);
  for (size_t e = 0; e < ws->n_exp; e++)
    for (size_t k = 0; k < ws->exp[e].n_bins; k++) {
      double n = counts[ws->bin_offset[e] + k];
      if (!(n >= 0.0 && isfinite(n)))
        return dip_error_set(err, DIP_EINVAL, "chi2: experiment %zu bin %zu: count %g is not >= 0",
                             e, k, n);
    }
  ws->data = counts;
  return DIP_SUCCESS;
}

size_t chi2_n_nuisances(const chi2_workspace *ws) { return ws->n_par; }
const double *chi2_nuisances(const chi2_workspace *ws) { return ws->theta; }
long chi2_n_profiles(const chi2_workspace *ws) { return ws->n_profiles; }
long chi2_n_fallbacks(const chi2_workspace *ws) { return ws->n_fallbacks; }

/* ---------------------------------------------------------------- columns at fixed mu */

/* Smallest power of two >= x (x > 0). */
static double power_of_two_above(double x) {
  int e;
  double m = frexp(x, &e);
  return m == 0.5 ? x : ldexp(1.0, e);
}

static int check_template(double value, double max, size_t e, size_t k, const char *what,
                          dip_error *err) {
  if (value >= 0.0 && value <= max)
    return DIP_SUCCESS;
  return dip_error_set(err, DIP_EINVAL, "chi2: experiment %zu bin %zu: %s = %g is not in [0, %g] counts",
                       e, k, what, value, max);
}

/* The first template value out of range at mu^2, as an error (the slow path of
 * column_maxima, which only learns that something is out of range). */
static int explain_bad_template(const chi2_workspace *ws, double mu2, dip_error *err) {
  for (size_t e = 0; e < ws->n_exp; e++) {
    const chi2_experiment *x = &ws->exp[e];
    const size_t K = x->n_bins;
    for (size_t k = 0; k < K; k++) {
      for (size_t s = 0; s < ws->n_src; s++) {
        double signal = mu2 * x->sig[s * K + k];
        DIP_TRY(check_template(signal, CHI2_MAX_SIGNAL_COUNTS, e, k, "mu^2 * signal", err));
        DIP_TRY(check_template(x->sm[s * K + k] + signal, DBL_MAX, e, k, "SM + signal", err));
      }
      for (size_t j = 0; j < x->n_bkg; j++)
        DIP_TRY(check_template(x->bkg[j * K + k], DBL_MAX, e, k, "background", err));
    }
  }
  return dip_error_set(err, DIP_EINVAL, "chi2: template out of range");
}

/* Columns at fixed mu: two passes over the templates, both walking them contiguously.
 *   1. column_top: the maximum of each raw column A_.,p (SM + mu^2 S of a source, or a background)
 *      and whether all of them are in range, with branch-free reductions and no stores (gcc
 *      vectorises these loops at -O2); a failure is explained by explain_bad_template.
 *   2. after choosing the scales c_p (powers of two), store_scaled_column writes A_k,p / c_p into
 *      the row-major coef block and flags the bins that some column reaches (not empty).
 * Pass 2 recomputes SM + mu^2 S with the same operations as pass 1, so the stored values are
 * bitwise those whose maxima set the scales; nothing is written when a template is out of range. */

/* Maximum of sm[k] + mu2 * sig[k] over k < n into *top (sig == NULL: of sm[k]), and whether
 * every signal mu2 * sig[k] is in [0, CHI2_MAX_SIGNAL_COUNTS] and every value in [0, DBL_MAX].
 * Branch-free: minima and maxima in registers (each written `m = m < x ? m : x`, one minsd/maxsd),
 * and a probe sum of v * 0, which is 0 unless some v (hence some signal) is infinite or NaN. */
static int column_top(const double *sm, const double *sig, double mu2, size_t n, double *top) {
  double t = *top, v_min = 0.0, s_min = 0.0, s_max = 0.0, probe = 0.0;
  if (sig)
    for (size_t k = 0; k < n; k++) {
      double signal = mu2 * sig[k], v = sm[k] + signal;
      s_min = s_min < signal ? s_min : signal;
      s_max = s_max > signal ? s_max : signal;
      v_min = v_min < v ? v_min : v;
      t = t > v ? t : v;
      probe += v * 0.0;
    }
  else
    for (size_t k = 0; k < n; k++) {
      v_min = v_min < sm[k] ? v_min : sm[k];
      t = t > sm[k] ? t : sm[k];
      probe += sm[k] * 0.0;
    }
  *top = t;
  return probe == 0.0 && s_min >= 0.0 && s_max <= CHI2_MAX_SIGNAL_COUNTS && v_min >= 0.0;
}

/* Pass 1: raw column maxima into scale; 0 when some template value is out of range. */
static int column_maxima(chi2_workspace *ws, double mu2) {
  memset(ws->scale, 0, ws->n_par * sizeof(double));
  int in_range = 1;
  for (size_t e = 0; e < ws->n_exp; e++) {
    const chi2_experiment *x = &ws->exp[e];
    const size_t K = x->n_bins;
    for (size_t s = 0; s < ws->n_src; s++)
      in_range &= column_top(x->sm + s * K, x->sig + s * K, mu2, K, &ws->scale[s]);
    for (size_t j = 0; j < x->n_bkg; j++)
      in_range &= column_top(x->bkg + j * K, NULL, 0.0, K, &ws->scale[ws->bkg_offset[e] + j]);
  }
  return in_range;
}

/* Pass 2 for one column: A_k / c = v_k * (1/c) at stride L from col, where v_k = sm[k] + mu2 sig[k]
 * (a source) or sm[k] (a background: sig == NULL); reached[k] |= v_k > 0. */
static void store_scaled_column(double *col, size_t L, const double *sm, const double *sig,
                                double mu2, double inverse, size_t n, unsigned char *reached) {
  if (sig)
    for (size_t k = 0; k < n; k++, col += L) {
      double v = sm[k] + mu2 * sig[k];
      *col = v > 0.0 ? v * inverse : 0.0;
      reached[k] |= v > 0.0;
    }
  else
    for (size_t k = 0; k < n; k++, col += L) {
      *col = sm[k] > 0.0 ? sm[k] * inverse : 0.0;
      reached[k] |= sm[k] > 0.0;
    }
}

/* The scales c_p from the raw maxima, and which nuisances the fit varies. */
static void choose_scales(chi2_workspace *ws) {
  for (size_t p = 0; p < ws->n_par; p++) {
    if (ws->scale[p] > 0.0)
      ws->scale[p] = power_of_two_above(ws->scale[p]);
    ws->inv_scale[p] = ws->scale[p] > 0.0 ? 1.0 / ws->scale[p] : 0.0;
    ws->active[p] = !ws->fixed[p] && ws->scale[p] > 0.0;
    if (ws->scale[p] == 0.0 && !ws->fixed[p])
      ws->w[p] = 1.0; /* a column that predicts nothing: the pull keeps it nominal */
  }
}

/* Pass 2: scaled columns into coef, empty bins flagged (an error if they hold events), and the
 * self-concordance factor from the smallest positive count. */
static int store_scaled_columns(chi2_workspace *ws, double mu2, dip_error *err) {
  double smallest_count = 1.0;
  memset(ws->empty, 0, ws->n_bins);
  for (size_t e = 0; e < ws->n_exp; e++) {
    const chi2_experiment *x = &ws->exp[e];
    const size_t K = x->n_bins, L = ws->n_src + x->n_bkg;
    double *block = ws->coef + ws->coef_offset[e];
    unsigned char *reached = ws->empty + ws->bin_offset[e]; /* "reached" until inverted below */
    for (size_t s = 0; s < ws->n_src; s++)
      store_scaled_column(block + s, L, x->sm + s * K, x->sig + s * K, mu2, ws->inv_scale[s], K,
                          reached);
    for (size_t j = 0; j < x->n_bkg; j++)
      store_scaled_column(block + ws->n_src + j, L, x->bkg + j * K, NULL, 0.0,
                          ws->inv_scale[ws->bkg_offset[e] + j], K, reached);
    const double *data = ws->data + ws->bin_offset[e];
    for (size_t k = 0; k < K; k++) {
      reached[k] = !reached[k];
      if (data[k] > 0.0)
        smallest_count = fmin(smallest_count, data[k]);
      if (reached[k] && data[k] > 0.0)
        return dip_error_set(err, DIP_EINVAL,
                             "chi2: experiment %zu bin %zu: %g events observed where the model "
                             "predicts none", e, k, data[k]);
    }
  }
  ws->concordance = 1.0 / smallest_count;
  return DIP_SUCCESS;
}

static int fill_columns(chi2_workspace *ws, double mu, dip_error *err) {
  if (!(mu >= 0.0 && isfinite(mu)))
    return dip_error_set(err, DIP_EINVAL, "chi2: mu = %g is not a finite value >= 0", mu);
  double mu2 = mu * mu;
  if (!column_maxima(ws, mu2))
    return explain_bad_template(ws, mu2, err);
  choose_scales(ws);
  return store_scaled_columns(ws, mu2, err);
}

/* ---------------------------------------------------------------- chi^2, gradient, Hessian */

static void add_pulls(const chi2_workspace *ws, const double *z, double *chi2, double *grad,
                      double *hess) {
  const size_t P = ws->n_par;
  for (size_t p = 0; p < P; p++) {
    if (!ws->active[p]) {
      if (grad) { /* decoupled with a unit diagonal: the solve leaves it where it is */
        grad[p] = 0.0;
        for (size_t i = 0; i < P; i++)
          hess[i * P + p] = hess[p * P + i] = 0.0;
        hess[p * P + p] = 1.0;
      }
      continue;
    }
    double dw = z[p] / ws->scale[p] - 1.0;
    *chi2 += dw * dw * ws->inv_var[p];
    if (grad) {
      grad[p] += 2.0 * dw * ws->inv_var[p] / ws->scale[p];
      hess[p * P + p] += 2.0 * ws->inv_var[p] / (ws->scale[p] * ws->scale[p]);
    }
  }
}

/* Bins whose derivative terms are added to the gradient and Hessian together (see add_block). */
#define BIN_BLOCK 4

/* Two doubles operated on lane by lane (GCC/Clang vector extension; SSE2 on x86-64, NEON on
 * aarch64): each lane's product and sum is the IEEE operation of the scalar code, so the pairs
 * below give bitwise the scalar results, with half the instructions.  Loads and stores go through
 * memcpy: the rows and Hessian elements are only 8-byte aligned. */
typedef double pair __attribute__((vector_size(2 * sizeof(double))));

static inline pair load_pair(const double *p) {
  pair v;
  memcpy(&v, p, sizeof v);
  return v;
}

static inline void store_pair(double *p, pair v) { memcpy(p, &v, sizeof v); }

/* Derivative terms of a block of non-empty bins, in bin order: row[i] (scaled columns), slope[i]
 * = 1 - n/N and curvature[i] = n/N^2.  Each element of g and h receives the terms of the block's
 * bins one after the other, in bin order and with the same products as a bin-by-bin loop
 * (g_q += A_q (1 - n/N), h_qr += (A_q n/N^2) A_r), so the sums are bitwise those of that loop;
 * the block only saves the loads and stores of h between bins, which dominated the loop (perf:
 * the store-to-load chain through h was ~55% of evaluate).  A full block updates two adjacent
 * elements of a Hessian row at a time (pair), lane by lane the same operations. */
static void add_block(double *g, double *h, size_t L, const double *const *row,
                      const double *slope, const double *curvature, size_t n) {
  if (n < BIN_BLOCK) {
    for (size_t i = 0; i < n; i++)
      for (size_t q = 0; q < L; q++) {
        double aq = row[i][q] * curvature[i], *hq = h + q * L;
        g[q] += row[i][q] * slope[i];
        for (size_t r = q; r < L; r++)
          hq[r] += aq * row[i][r];
      }
    return;
  }
  const double *r0 = row[0], *r1 = row[1], *r2 = row[2], *r3 = row[3];
  const pair S0 = {slope[0], slope[0]}, S1 = {slope[1], slope[1]}, S2 = {slope[2], slope[2]},
             S3 = {slope[3], slope[3]};
  size_t q = 0;
  for (; q + 1 < L; q += 2)
    store_pair(g + q, (((load_pair(g + q) + load_pair(r0 + q) * S0) + load_pair(r1 + q) * S1) +
                       load_pair(r2 + q) * S2) + load_pair(r3 + q) * S3);
  if (q < L)
    g[q] = (((g[q] + r0[q] * slope[0]) + r1[q] * slope[1]) + r2[q] * slope[2]) + r3[q] * slope[3];
  for (q = 0; q < L; q++) {
    double a0 = r0[q] * curvature[0], a1 = r1[q] * curvature[1], a2 = r2[q] * curvature[2],
           a3 = r3[q] * curvature[3], *hq = h + q * L;
    size_t r = q;
    if (L - r >= 2) {
      const pair A0 = {a0, a0}, A1 = {a1, a1}, A2 = {a2, a2}, A3 = {a3, a3};
      for (; r + 1 < L; r += 2)
        store_pair(hq + r, (((load_pair(hq + r) + A0 * load_pair(r0 + r)) + A1 * load_pair(r1 + r)) +
                            A2 * load_pair(r2 + r)) + A3 * load_pair(r3 + r));
    }
    if (r < L)
      hq[r] = (((hq[r] + a0 * r0[r]) + a1 * r1[r]) + a2 * r2[r]) + a3 * r3[r];
  }
}

/* One experiment's Poisson sum  sum_k N_k - n_k + n_k ln(n_k / N_k)  at its local nuisances
 * ws->z_local (+INFINITY when some non-empty N_k <= 0); with want_derivatives, its gradient and
 * upper Hessian in local columns into g_local / h_local (half of the chi^2 ones).  This is the hot
 * loop of the whole scan: dense local columns, no index map, no branches on the templates; the
 * derivative terms go in blocks of BIN_BLOCK bins (add_block). */
static double experiment_sum(chi2_workspace *ws, size_t e, const unsigned char *empty,
                             int want_derivatives) {
  const size_t K = ws->exp[e].n_bins, L = ws->n_src + ws->exp[e].n_bkg;
  const double *row = ws->coef + ws->coef_offset[e], *observed = ws->data + ws->bin_offset[e];
  const double *zl = ws->z_local;
  double *g = ws->g_local, *h = ws->h_local, sum = 0.0;
  const double *block_row[BIN_BLOCK];
  double slope[BIN_BLOCK], curvature[BIN_BLOCK];
  size_t in_block = 0;
  if (want_derivatives) {
    memset(g, 0, L * sizeof(double));
    memset(h, 0, L * L * sizeof(double));
  }
  for (size_t k = 0; k < K; k++, row += L) {
    if (empty[k])
      continue;
    double N = 0.0, n = observed[k];
    for (size_t q = 0; q < L; q++)
      N += row[q] * zl[q];
    if (!(N > 0.0))
      return INFINITY;
    sum += n > 0.0 ? N - n + n * log(n / N) : N;
    if (!want_derivatives)
      continue;
    double ratio = n / N;
    block_row[in_block] = row;
    slope[in_block] = 1.0 - ratio;
    curvature[in_block] = ratio / N;
    if (++in_block == BIN_BLOCK) {
      add_block(g, h, L, block_row, slope, curvature, in_block);
      in_block = 0;
    }
  }
  if (want_derivatives)
    add_block(g, h, L, block_row, slope, curvature, in_block);
  return sum;
}

/* chi^2 at scaled nuisances z (+INFINITY outside N_k > 0); gradient and upper Hessian into
 * ws->grad / ws->hess when want_derivatives. */
static double evaluate(chi2_workspace *ws, const double *z, int want_derivatives) {
  const size_t P = ws->n_par;
  double *grad = want_derivatives ? ws->grad : NULL, *hess = ws->hess;
  if (grad) {
    memset(grad, 0, P * sizeof(double));
    memset(hess, 0, P * P * sizeof(double));
  }
  double sum = 0.0;
  const unsigned char *empty = ws->empty;
  for (size_t e = 0; e < ws->n_exp; e++) {
    const size_t L = ws->n_src + ws->exp[e].n_bkg;
    const size_t *map = ws->local_to_par + e * ws->max_local;
    for (size_t q = 0; q < L; q++)
      ws->z_local[q] = z[map[q]];
    double part = experiment_sum(ws, e, empty, want_derivatives);
    if (isinf(part))
      return INFINITY;
    sum += part;
    empty += ws->exp[e].n_bins;
    if (!grad)
      continue;
    for (size_t q = 0; q < L; q++) { /* map is increasing: the local upper triangle maps to the
                                      * global one */
      grad[map[q]] += 2.0 * ws->g_local[q];
      for (size_t r = q; r < L; r++)
        hess[map[q] * P + map[r]] += 2.0 * ws->h_local[q * L + r];
    }
  }
  double chi2 = 2.0 * sum;
  add_pulls(ws, z, &chi2, grad, hess);
  return chi2;
}

/* ---------------------------------------------------------------- linear algebra */

/* Cholesky factor (lower, into ws->chol) of the upper-stored hess + lambda * diag(D), where
 * D_pp = max(H_pp, floor) keeps the damping positive along flat directions.  Returns 0 when the
 * matrix is not numerically positive definite. */
static int cholesky(chi2_workspace *ws, double lambda) {
  const size_t P = ws->n_par;
  const double *H = ws->hess;
  double *C = ws->chol, max_diag = 0.0;
  for (size_t p = 0; p < P; p++)
    max_diag = fmax(max_diag, H[p * P + p]);
  double floor = fmax(PIVOT_RELATIVE_FLOOR * max_diag, DBL_MIN);
  for (size_t j = 0; j < P; j++) {
    double diag = H[j * P + j] + lambda * fmax(H[j * P + j], floor);
    double d = diag;
    for (size_t k = 0; k < j; k++)
      d -= C[j * P + k] * C[j * P + k];
    if (!(d > PIVOT_RELATIVE_FLOOR * diag) || !isfinite(d))
      return 0;
    double root = sqrt(d);
    C[j * P + j] = root;
    for (size_t i = j + 1; i < P; i++) {
      double v = H[j * P + i];
      for (size_t k = 0; k < j; k++)
        v -= C[i * P + k] * C[j * P + k];
      C[i * P + j] = v / root;
    }
  }
  return 1;
}

/* step = -(C C^T)^-1 grad; returns the predicted decrease measure g.H^-1.g (>= 0). */
static double solve_step(chi2_workspace *ws) {
  const size_t P = ws->n_par;
  const double *C = ws->chol;
  double *x = ws->step;
  for (size_t i = 0; i < P; i++) {
    double v = -ws->grad[i];
    for (size_t k = 0; k < i; k++)
      v -= C[i * P + k] * x[k];
    x[i] = v / C[i * P + i];
  }
  for (size_t i = P; i-- > 0;) {
    double v = x[i];
    for (size_t k = i + 1; k < P; k++)
      v -= C[k * P + i] * x[k];
    x[i] = v / C[i * P + i];
  }
  double decrease = 0.0;
  for (size_t p = 0; p < P; p++)
    decrease -= ws->grad[p] * x[p];
  return decrease;
}

/* Largest t <= 1 such that z + t*step keeps every non-empty N_k above (1 - BOUNDARY_FRACTION)
 * of the way to zero. */
static double boundary_step(const chi2_workspace *ws, const double *z) {
  double t_max = INFINITY;
  size_t bin = 0;
  for (size_t e = 0; e < ws->n_exp; e++) {
    const size_t K = ws->exp[e].n_bins, L = ws->n_src + ws->exp[e].n_bkg;
    const size_t *map = ws->local_to_par + e * ws->max_local;
    const double *row = ws->coef + ws->coef_offset[e];
    for (size_t k = 0; k < K; k++, bin++, row += L) {
      if (ws->empty[bin])
        continue;
      double N = 0.0, dN = 0.0;
      for (size_t q = 0; q < L; q++) {
        N += row[q] * z[map[q]];
        dN += row[q] * ws->step[map[q]];
      }
      if (dN < 0.0)
        t_max = fmin(t_max, -N / dN);
    }
  }
  return fmin(1.0, BOUNDARY_FRACTION * t_max);
}

static double tolerance(double chi2) { return CHI2_TOL_ABS + CHI2_TOL_REL * fabs(chi2); }

/* Try z + t*step, starting from the full step (or, when that leaves N_k > 0, from the boundary
 * cut), halving until chi^2 falls by at least armijo * t * decrease.  On success z_trial holds
 * the point and the derivatives are evaluated there. */
static int line_search(chi2_workspace *ws, double chi2, double decrease, double armijo,
                       double *chi2_new) {
  double t = 1.0;
  for (int h = 0; h < LINE_SEARCH_MAX_HALVINGS; h++, t *= 0.5) {
    for (size_t p = 0; p < ws->n_par; p++)
      ws->z_trial[p] = ws->z[p] + t * ws->step[p];
    double trial = evaluate(ws, ws->z_trial, 1);
    if (isinf(trial) && h == 0) { /* infeasible full step: restart from the boundary cut */
      t = 2.0 * boundary_step(ws, ws->z);
      continue;
    }
    if (trial <= chi2 - armijo * t * decrease) {
      *chi2_new = trial;
      return 1;
    }
  }
  return 0;
}

static void accept_trial(chi2_workspace *ws) {
  double *tmp = ws->z;
  ws->z = ws->z_trial;
  ws->z_trial = tmp;
}

/* ---------------------------------------------------------------- minimisers */

/* Is the full Newton step ws->step (predicted chi^2 decrease `decrease`) the last one needed?
 * f = chi^2/2 is a sum of -n_k ln N_k with N_k affine in the nuisances, plus linear and convex
 * quadratic terms, so g = concordance x f is self-concordant (-n ln N is for n >= 1; the factor
 * 1/min n covers digitised counts below 1).  Its Newton decrement is
 * lambda = sqrt(concordance x decrease / 2).  For lambda < 1 the full step stays feasible and
 * lambda+ <= (lambda / (1 - lambda))^2, and g - g_min <= lambda+^2 for lambda+ <= 0.68 (Boyd &
 * Vandenberghe, Convex Optimization, 2004, sec. 9.6.3-9.6.4), i.e. after the step
 * chi^2 - chi^2_min <= 2 lambda+^2 / concordance.  When that is below the tolerance the step is
 * taken and chi^2 is evaluated without derivatives, which saves the derivative pass and the
 * Cholesky factorisation of the convergence check that otherwise follows every step. */
static int final_step(chi2_workspace *ws, double decrease, double value, double *chi2) {
  double lambda = sqrt(0.5 * ws->concordance * decrease);
  if (!(lambda <= FINAL_STEP_MAX_DECREMENT))
    return 0;
  double after = (lambda / (1.0 - lambda)) * (lambda / (1.0 - lambda));
  if (!(2.0 * after * after / ws->concordance <= tolerance(value - 0.5 * decrease)))
    return 0;
  for (size_t p = 0; p < ws->n_par; p++)
    ws->z_trial[p] = ws->z[p] + ws->step[p];
  double trial = evaluate(ws, ws->z_trial, 0);
  if (!(trial <= value)) /* round-off at the minimum: let the line search decide */
    return 0;
  accept_trial(ws);
  *chi2 = trial;
  return 1;
}

/* Newton from ws->z, where chi^2 = value and the derivatives are already evaluated.  Returns 1
 * when converged (chi^2 in *chi2), 0 when it needs the fallback. */
static int newton(chi2_workspace *ws, double value, double *chi2) {
  for (int it = 0; it < NEWTON_MAX_ITER; it++) {
    if (!cholesky(ws, 0.0))
      return 0;
    double decrease = solve_step(ws);
    if (0.5 * decrease <= tolerance(value)) {
      *chi2 = value;
      return 1;
    }
    if (final_step(ws, decrease, value, chi2))
      return 1;
    if (!line_search(ws, value, decrease, ARMIJO_SLOPE, &value))
      return 0;
    accept_trial(ws);
  }
  return 0;
}

/* Levenberg-Marquardt from ws->z: damped Newton steps, accepted only when chi^2 falls; converged
 * when the predicted or (near-Newton) achieved decrease is below tolerance, or when no damping
 * finds a descent any more (the minimum is resolved to round-off). */
static int levenberg_marquardt(chi2_workspace *ws, double *chi2, dip_error *err) {
  double value = evaluate(ws, ws->z, 1), lambda = LM_LAMBDA_START;
  for (int it = 0; it < LM_MAX_ITER && lambda <= LM_LAMBDA_MAX; it++) {
    if (!cholesky(ws, lambda)) {
      lambda *= 10.0;
      continue;
    }
    double decrease = solve_step(ws);
    if (0.5 * decrease <= tolerance(value) && lambda <= 1.0)
      break;
    double trial;
    if (!line_search(ws, value, decrease, 0.0, &trial) || !(trial < value)) {
      evaluate(ws, ws->z, 1);
      lambda *= 10.0;
      continue;
    }
    double gain = value - trial;
    accept_trial(ws);
    value = trial;
    lambda = fmax(lambda / 10.0, LM_LAMBDA_MIN);
    if (gain <= tolerance(value) && lambda <= 1.0)
      break;
  }
  if (!isfinite(value))
    return dip_error_set(err, DIP_ENUMERIC, "chi2: fallback minimiser found no feasible point");
  *chi2 = value;
  return DIP_SUCCESS;
}

/* Secant predictor: the profiled multipliers are smooth functions of x = mu^2, so near the last
 * two solutions their linear extrapolation (or interpolation) in x is a much better start than
 * the last solution alone.  This matters far above the limit, where the profile cancels huge,
 * nearly collinear signal columns against each other: there a 6% step in x moves the optimum so
 * far that Newton from the last solution needs tens of iterations.  Fills ws->z; returns 0 when
 * there is no usable history. */
static int predict_start(chi2_workspace *ws, double x) {
  if (ws->n_solutions < 2 || ws->x_last == ws->x_prev)
    return 0;
  double r = (x - ws->x_last) / (ws->x_last - ws->x_prev);
  if (!(fabs(r) <= PREDICTOR_MAX_RATIO))
    return 0;
  for (size_t p = 0; p < ws->n_par; p++)
    ws->z[p] = ws->scale[p] * (ws->w[p] + r * (ws->w[p] - ws->w_prev[p]));
  return 1;
}

/* Scaled start point: the predictor, else the stored multipliers, else nominal (the first one
 * that is feasible at this mu); returns chi^2 there, with the derivatives evaluated. */
static double start_point(chi2_workspace *ws, double x) {
  if (predict_start(ws, x)) {
    double value = evaluate(ws, ws->z, 1);
    if (isfinite(value))
      return value;
  }
  for (size_t p = 0; p < ws->n_par; p++)
    ws->z[p] = ws->scale[p] * ws->w[p];
  double value = evaluate(ws, ws->z, 1);
  if (isfinite(value))
    return value;
  chi2_reset(ws);
  for (size_t p = 0; p < ws->n_par; p++)
    ws->z[p] = ws->scale[p];
  return evaluate(ws, ws->z, 1);
}

static void store_solution(chi2_workspace *ws, double x) {
  memcpy(ws->w_prev, ws->w, ws->n_par * sizeof(double));
  ws->x_prev = ws->x_last;
  ws->x_last = x;
  ws->n_solutions++;
  for (size_t p = 0; p < ws->n_par; p++) {
    if (ws->active[p])
      ws->w[p] = ws->z[p] / ws->scale[p];
    ws->theta[p] = ws->w[p] - 1.0;
  }
}

int chi2_profile(chi2_workspace *ws, double mu, double *chi2, dip_error *err) {
  if (!ws->data)
    return dip_error_set(err, DIP_EINVAL, "chi2: no data set (chi2_set_data)");
  DIP_TRY(fill_columns(ws, mu, err));
  double value = start_point(ws, mu * mu);
  ws->n_profiles++;
  if (!newton(ws, value, &value)) {
    ws->n_fallbacks++;
    DIP_TRY(levenberg_marquardt(ws, &value, err));
  }
  store_solution(ws, mu * mu);
  *chi2 = value;
  return DIP_SUCCESS;
}

int chi2_profile_slope(chi2_workspace *ws, double mu, double *chi2, double *dchi2_dmu2,
                       dip_error *err) {
  DIP_TRY(chi2_profile(ws, mu, chi2, err));
  double slope = 0.0;
  size_t bin = 0;
  for (size_t e = 0; e < ws->n_exp; e++) {
    const chi2_experiment *x = &ws->exp[e];
    const size_t K = x->n_bins, L = ws->n_src + x->n_bkg;
    const size_t *map = ws->local_to_par + e * ws->max_local;
    const double *row = ws->coef + ws->coef_offset[e];
    for (size_t k = 0; k < K; k++, bin++, row += L) {
      if (ws->empty[bin])
        continue;
      double N = 0.0, dN = 0.0;
      for (size_t q = 0; q < L; q++)
        N += row[q] * ws->z[map[q]];
      for (size_t s = 0; s < ws->n_src; s++)
        dN += ws->w[s] * x->sig[s * K + k];
      slope += dN * (1.0 - ws->data[bin] / N);
    }
  }
  *dchi2_dmu2 = 2.0 * slope;
  return DIP_SUCCESS;
}

/* ---------------------------------------------------------------- unprofiled evaluation */

/* N_k of experiment e at mu^2 and nuisances theta (NULL = nominal), summed in the same order as
 * the profiler (sources, then backgrounds). */
static double expected_bin(const chi2_workspace *ws, size_t e, size_t k, double mu2,
                           const double *theta) {
  const chi2_experiment *x = &ws->exp[e];
  const size_t K = x->n_bins;
  double N = 0.0;
  for (size_t s = 0; s < ws->n_src; s++)
    N += (theta ? 1.0 + theta[s] : 1.0) * (x->sm[s * K + k] + mu2 * x->sig[s * K + k]);
  for (size_t j = 0; j < x->n_bkg; j++) {
    size_t p = ws->bkg_offset[e] + j;
    N += (theta ? 1.0 + theta[p] : 1.0) * x->bkg[j * K + k];
  }
  return N;
}

double chi2_fixed(const chi2_workspace *ws, double mu, const double *nuisances) {
  if (!(mu >= 0.0 && isfinite(mu)) || !ws->data)
    return INFINITY;
  double sum = 0.0;
  for (size_t e = 0; e < ws->n_exp; e++)
    for (size_t k = 0; k < ws->exp[e].n_bins; k++) {
      double N = expected_bin(ws, e, k, mu * mu, nuisances);
      double n = ws->data[ws->bin_offset[e] + k];
      if (n == 0.0 && N == 0.0)
        continue;
      if (!(N > 0.0) || !isfinite(N))
        return INFINITY;
      sum += n > 0.0 ? N - n + n * log(n / N) : N;
    }
  double chi2 = 2.0 * sum;
  for (size_t p = 0; nuisances && p < ws->n_par; p++)
    if (ws->inv_var[p] > 0.0)
      chi2 += nuisances[p] * nuisances[p] * ws->inv_var[p];
  return chi2;
}

double chi2_mu_unit(const chi2_workspace *ws) {
  double null = 0.0, signal = 0.0;
  for (size_t e = 0; e < ws->n_exp; e++) {
    const chi2_experiment *x = &ws->exp[e];
    for (size_t k = 0; k < x->n_bins; k++) {
      null += expected_bin(ws, e, k, 0.0, NULL);
      for (size_t s = 0; s < ws->n_src; s++)
        signal += x->sig[s * x->n_bins + k];
    }
  }
  if (!(signal > 0.0))
    return INFINITY;
  return sqrt(sqrt(fmax(null, 1.0)) / signal);
}

double chi2_mu_max(const chi2_workspace *ws) {
  double largest = 0.0;
  for (size_t e = 0; e < ws->n_exp; e++)
    for (size_t i = 0; i < ws->n_src * ws->exp[e].n_bins; i++)
      largest = fmax(largest, ws->exp[e].sig[i]);
  if (!(largest > 0.0))
    return INFINITY;
  /* sqrt rounds to nearest: step down until mu^2 S (as column_top computes it) is inside */
  double mu = sqrt(CHI2_MAX_SIGNAL_COUNTS / largest);
  while ((mu * mu) * largest > CHI2_MAX_SIGNAL_COUNTS)
    mu = nextafter(mu, 0.0);
  return mu;
}
