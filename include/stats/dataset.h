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
 * What to make is a dataset_spec.  It is the extension point for data drawn at random: a toy kind
 * (Poisson draws around the asimov expectation, from a generator seeded by a key the spec carries,
 * e.g. (base seed, unit, toy), so a draw never depends on the rank that makes it) adds a kind and
 * its key here and a case in dataset_fill; the fit and the engine only ever see counts.
 */
#ifndef DIPSCAN_DATASET_H
#define DIPSCAN_DATASET_H

#include <stddef.h>

#include "util/common.h"

typedef enum { DATA_OBSERVED = 0, DATA_ASIMOV = 1 } data_mode;

typedef struct dataset_spec {
  data_mode kind;
} dataset_spec;

/* One card's ingredients (views into the caller's arrays, in the chi2_experiment layout). */
typedef struct dataset_card {
  size_t n_bins, n_src, n_bkg;
  const double *observed; /* [n_bins] published counts */
  const double *sm;       /* [n_src][n_bins] SM solar-nu counts of the included sources */
  const double *bkg;      /* [n_bkg][n_bins] background components, SM removed where declared */
} dataset_card;

/* The dataset `spec` of the entry made of cards[0..n_cards) into counts: the cards' bins back to
 * back, cards[0]'s first (the chi2_set_data layout; caller-owned, sum of n_bins values). */
int dataset_fill(const dataset_spec *spec, const dataset_card *cards, size_t n_cards,
                 double *counts, dip_error *err);

/* "observed" / "asimov" (words are looked up in data_mode_names). */
extern const dip_names data_mode_names; /* "observed", "asimov" */
const char *data_mode_name(data_mode d);

#endif /* DIPSCAN_DATASET_H */
