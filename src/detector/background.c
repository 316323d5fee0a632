/*
 * background.c — background components with the SM solar-nu part removed (see background.h).
 */
#include "detector/background.h"

#include <stdio.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Component j of the card into out[n_bins], minus sm where `remove_sm`, clamped at zero. */
static void component_counts(background *b, const card_background *src, const double *sm,
                             int remove_sm, double *out) {
  for (size_t k = 0; k < b->n_bins; k++) {
    double n = src->counts[k];
    if (remove_sm) {
      n -= sm[k];
      b->sm_removed += sm[k];
      if (n < 0) {
        b->sm_shortfall -= n;
        b->clamped_lo_keV = fmin(b->clamped_lo_keV, b->edges[k]);
        b->clamped_hi_keV = fmax(b->clamped_hi_keV, b->edges[k + 1]);
        n = 0;
        b->n_sm_clamped++;
      }
    }
    out[k] = n;
  }
}

int background_init(background *b, const card *c, const double *sm, dip_error *err) {
  memset(b, 0, sizeof *b);
  b->n_bkg = c->n_bkg;
  b->n_bins = c->n_bins;
  b->edges = c->edges;
  b->clamped_lo_keV = INFINITY;
  b->clamped_hi_keV = -INFINITY;
  b->counts = dip_calloc(c->n_bkg * c->n_bins, sizeof *b->counts, err);
  b->sigma = dip_calloc(c->n_bkg, sizeof *b->sigma, err);
  if (!b->counts || !b->sigma) {
    background_free(b);
    return DIP_ENOMEM;
  }
  int removed = 0;
  for (size_t j = 0; j < c->n_bkg; j++) {
    int remove_sm = c->bkg[j].includes_sm && !removed;
    component_counts(b, &c->bkg[j], sm, remove_sm, b->counts + j * c->n_bins);
    b->sigma[j] = c->bkg[j].sigma_rel;
    removed |= remove_sm;
  }
  return DIP_SUCCESS;
}

int background_report(const background *b, const card *c, char *out, size_t n) {
  out[0] = '\0';
  if (b->n_sm_clamped == 0)
    return DIP_SUCCESS;
  double fraction = b->sm_removed > 0 ? b->sm_shortfall / b->sm_removed : 1.0;
  snprintf(out, n,
           "card %s: its background holds fewer SM solar-nu events than the model predicts in %zu "
           "bins (%g-%g keV): %.4g of the %.4g predicted events could not be removed (%.2g%%) and "
           "those bins were clamped at zero, which makes the limit too strong",
           c->name, b->n_sm_clamped, b->clamped_lo_keV, b->clamped_hi_keV, b->sm_shortfall,
           b->sm_removed, 100.0 * fraction);
  return fraction > BACKGROUND_MAX_SHORTFALL ? DIP_EINVAL : DIP_SUCCESS;
}

void background_free(background *b) {
  if (!b)
    return;
  free(b->counts);
  free(b->sigma);
  memset(b, 0, sizeof *b);
}
