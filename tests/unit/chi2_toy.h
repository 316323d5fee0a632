/*
 * chi2_toy.h — synthetic chi^2 problems for the chi2/limit tests and the benchmark.
 *
 * A "toy" has the shape of the real problem (docs/physics.md §5-6) without its physics: up to 64
 * one-keV-like bins, up to 8 solar sources with the B16 relative flux uncertainties, up to 3
 * background components, SM templates of a few counts per bin, and signal templates of ~1e22
 * counts per mu_B^2 falling like 1/bin (so a limit lands near mu ~ 1e-11 mu_B).  The numbers are
 * made up; only their scales and the structure matter.  Everything scales with `exposure`.
 * A toy's `observed` array is its data set: bind it with chi2_set_data (toy_joint_counts lays out
 * the counts of a joint fit).
 */
#ifndef DIPSCAN_CHI2_TOY_H
#define DIPSCAN_CHI2_TOY_H

#include <math.h>
#include <stddef.h>
#include <string.h>

#include "stats/chi2.h"

#define TOY_MAX_BINS 64
#define TOY_MAX_SRC 8
#define TOY_MAX_BKG 3

typedef struct toy {
  size_t n_bins, n_src, n_bkg;
  double observed[TOY_MAX_BINS];
  double bkg[TOY_MAX_BKG * TOY_MAX_BINS];
  double bkg_sigma[TOY_MAX_BKG];
  double sm[TOY_MAX_SRC * TOY_MAX_BINS];
  double sig[TOY_MAX_SRC * TOY_MAX_BINS];
} toy;

/* B16-GS98 relative flux uncertainties (docs/physics.md §2): pp, pep, hep, 7Be, 8B, 13N, 15O, 17F. */
static const double toy_src_sigma[TOY_MAX_SRC] = {0.006, 0.01, 0.30, 0.06, 0.12, 0.15, 0.17, 0.20};
/* SM counts per source over all bins, and the signal weight per source (per unit exposure). */
static const double toy_sm_total[TOY_MAX_SRC] = {60.0, 2.0, 0.01, 20.0, 0.5, 1.0, 1.2, 0.03};
static const double toy_sig_weight[TOY_MAX_SRC] = {1.0, 0.03, 1e-4, 0.3, 0.01, 0.02, 0.02, 1e-3};

/* Templates for n_bins x n_src x n_bkg; background 0 has a 10% pull, background 1 is free,
 * background 2 a 30% pull.  observed is left at zero. */
static inline void toy_fill(toy *t, size_t n_bins, size_t n_src, size_t n_bkg, double exposure) {
  t->n_bins = n_bins;
  t->n_src = n_src;
  t->n_bkg = n_bkg;
  static const double sigmas[TOY_MAX_BKG] = {0.10, INFINITY, 0.30};
  for (size_t k = 0; k < n_bins; k++) {
    t->observed[k] = 0.0;
    for (size_t s = 0; s < n_src; s++) {
      t->sm[s * n_bins + k] =
          exposure * toy_sm_total[s] / (double)n_bins * (1.0 + 0.3 * sin(0.2 * (double)k + (double)s));
      t->sig[s * n_bins + k] = exposure * toy_sig_weight[s] * 1e22 / (double)(k + 1);
    }
    for (size_t j = 0; j < n_bkg; j++)
      t->bkg[j * n_bins + k] = exposure * (j == 0   ? 10.0
                                           : j == 1 ? 5.0 * exp(-(double)k / 10.0)
                                                    : 2.0 + sin((double)k));
  }
  for (size_t j = 0; j < n_bkg; j++)
    t->bkg_sigma[j] = sigmas[j];
}

/* Expected counts at mu [mu_B] with nominal nuisances. */
static inline double toy_expected(const toy *t, size_t k, double mu) {
  double N = 0.0;
  for (size_t s = 0; s < t->n_src; s++)
    N += t->sm[s * t->n_bins + k] + mu * mu * t->sig[s * t->n_bins + k];
  for (size_t j = 0; j < t->n_bkg; j++)
    N += t->bkg[j * t->n_bins + k];
  return N;
}

/* observed = expectation at mu_true plus a fixed fluctuation pattern of `fluct` standard
 * deviations, rounded to whole events when `integer` (clamped at 0). */
static inline void toy_observe(toy *t, double mu_true, double fluct, int integer) {
  for (size_t k = 0; k < t->n_bins; k++) {
    double N = toy_expected(t, k, mu_true);
    double n = N + fluct * sqrt(N) * sin(1.7 * (double)k + 0.4);
    n = n > 0.0 ? n : 0.0;
    t->observed[k] = integer ? floor(n + 0.5) : n;
  }
}

static inline chi2_experiment toy_experiment(const toy *t) {
  chi2_experiment e = {t->n_bins, t->n_bkg, t->bkg, t->bkg_sigma, t->sm, t->sig};
  return e;
}

/* The observed counts of toys[0..n) back to back into out (the chi2_set_data layout of a joint
 * fit of those toys); returns the number of counts written. */
static inline size_t toy_joint_counts(const toy *const *toys, size_t n, double *out) {
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    memcpy(out + m, toys[i]->observed, toys[i]->n_bins * sizeof *out);
    m += toys[i]->n_bins;
  }
  return m;
}

#endif /* DIPSCAN_CHI2_TOY_H */
