/*
 * dataset.h — the counts a fit sees, made on request.
 *
 * A fit is a model (chi2.h: templates and pulls, fixed per entry and m4) plus a dataset bound per
 * evaluation (chi2_set_data).  This module makes the datasets of an entry — one card, or several
 * cards fitted jointly — from what the analysis holds for each card (dataset_card, borrowed views):
 *
 *   observed  the card's published counts;
 *   asimov    the background-only expectation at nominal nuisances,
 *             n_k = sum_s SM_s,k + sum_j B_j,k,
 *             summed from 0 over the included solar sources, then over the background components
 *             with the SM part removed (background.h) — the order in which the chi^2 sums N_k, so
 *             the Asimov chi^2 at mu = 0 is exactly 0.
 *
 *   toy       a background-only pseudo-experiment (docs/physics.md §11.2): the constrained
 *             nuisances are drawn from their Gaussian constraints, alpha_s ~ N(0, sigma_s) once
 *             per entry (shared by its cards, as in the chi^2) and beta_j ~ N(0, sigma_j) per
 *             card, each redrawn until 1 + x >= 0; free (sigma = INFINITY) and fixed (sigma = 0)
 *             nuisances stay at 0.  Then n_k ~ Poisson(N_k) with
 *             N_k = sum_s (1 + alpha_s) SM_s,k + sum_j (1 + beta_j) B_j,k.
 *             Drawing the nuisances with the pull centres fixed at 0 is, to first order (a model
 *             linear in the nuisances), the same ensemble as fixing the nuisances and drawing the
 *             auxiliary measurements — the unconditional ensemble whose spread the Asimov
 *             dataset's profiled chi^2 describes — so toys and the asymptotic bands estimate the
 *             same distribution.
 *
 *   signal toy  a pseudo-experiment of the Neyman construction (stats/neyman.h, docs/physics.md
 *             §12): the signal at strength mu, the free nuisances at given centres theta (the
 *             conditional best fit to the data at that mu, in chi2.h order: alpha_s, then each
 *             card's beta_j), the constrained ones drawn from their constraints N(0, sigma) as in
 *             a background toy, then
 *             n_k ~ Poisson(sum_s (1 + alpha_s)(SM_s,k + mu^2 S_s,k) + sum_j (1 + beta_j) B_j,k).
 *             Why not N(theta, sigma): the profile construction fixes a constrained nuisance at
 *             theta and draws its auxiliary measurement a ~ N(theta, sigma); the fit then pulls
 *             towards a.  Our pulls are centred at the observed a = 0.  In a model linear in the
 *             nuisance, shifting the truth and the auxiliary measurement together changes no
 *             fit, so (truth theta, a = theta + e) is the ensemble (truth -e, a = 0): the truth
 *             drawn from N(0, sigma).  Drawing it around theta with the pull at 0 would put the
 *             auxiliary measurement theta/sigma standard deviations away from the truth in every
 *             toy, inflating t and under-covering (measured: 0.83 instead of 0.90).
 *             Keyed by (seed, unit, point, toy): `point` is the index of mu on the Neyman axis.
 *
 * What to make is a dataset_spec.  A toy is keyed by (seed, unit, toy) and nothing else: its
 * generator (GSL mt19937) is seeded from a splitmix64 mix of the three, so a toy never depends on
 * the rank, batch or order that makes it.  mt19937 takes a 32-bit seed (GSL keeps the low 32
 * bits of the unsigned long), so the 64-bit mix is folded to 32 bits: two toys of one band share
 * a stream with probability ~ N^2 / 2^33 (1.2e-4 for N = 1000; a duplicated toy is one repeated
 * limit among N, far below the band's MC error).  The fit and the engine only ever see counts.
 */
#ifndef DIPSCAN_DATASET_H
#define DIPSCAN_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "util/common.h"

/* DATA_TOY is made by the expected-sensitivity code (stats/bands.h), never selected by a user:
 * data_mode_names lists the two words of `statistics.data` / --data only. */
typedef enum { DATA_OBSERVED = 0, DATA_ASIMOV = 1, DATA_TOY = 2, DATA_TOY_SIGNAL = 3 } data_mode;

typedef struct dataset_spec {
  data_mode kind;
  uint64_t seed, unit, toy; /* DATA_TOY, DATA_TOY_SIGNAL: the key of the draw (ignored otherwise) */
  uint64_t point;           /* DATA_TOY_SIGNAL: index of mu on the Neyman axis (part of the key) */
  double mu;                /* DATA_TOY_SIGNAL: signal strength [mu_B] */
  const double *centre;     /* DATA_TOY_SIGNAL: nuisance centres, chi2.h order (NULL: all 0) */
  const double *const *sig; /* DATA_TOY_SIGNAL: [n_cards] -> each card's unit signal S_s,k
                               [n_src][n_bins] (per mu_B^2, the chi2_experiment layout) */
} dataset_spec;

/* One card's ingredients (views into the caller's arrays, in the chi2_experiment layout). */
typedef struct dataset_card {
  size_t n_bins, n_src, n_bkg;
  const double *observed;  /* [n_bins] published counts */
  const double *sm;        /* [n_src][n_bins] SM solar-nu counts of the included sources */
  const double *bkg;       /* [n_bkg][n_bins] background components, SM removed where declared */
  const double *src_sigma; /* [n_src] relative 1 sigma of alpha_s (the same array on every card) */
  const double *bkg_sigma; /* [n_bkg] relative 1 sigma of beta_j (INFINITY: free) */
} dataset_card;


/* The dataset `spec` of the entry made of cards[0..n_cards) into counts: the cards' bins back to
 * back, cards[0]'s first (the chi2_set_data layout; caller-owned, sum of n_bins values).  All
 * cards of an entry share n_src and src_sigma (one alpha_s per source for the entry). */
int dataset_fill(const dataset_spec *spec, const dataset_card *cards, size_t n_cards,
                 double *counts, dip_error *err);

/* "observed" / "asimov" (words are looked up in data_mode_names). */
extern const dip_names data_mode_names; /* "observed", "asimov" */
const char *data_mode_name(data_mode d);

#endif /* DIPSCAN_DATASET_H */
