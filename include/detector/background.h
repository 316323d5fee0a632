/*
 * background.h — a card's background components as a fit that models the SM solar-neutrino events
 * itself needs them.
 *
 * A card may flag a background component as already containing the SM solar-nu electron recoils
 * (includes_sm: the collaboration's background model had them in).  The fit predicts those events
 * explicitly, with their own flux nuisances, so they must not be counted twice: the SM counts the
 * model predicts in each bin are subtracted from the first component that declares them (once — a
 * second declaring component is kept as published).  A bin that would go negative (the card's
 * component holds fewer SM events there than the model predicts) is clamped at zero and counted in
 * n_sm_clamped; the events that could not be removed add up to sm_shortfall.  A shortfall means the
 * card is inconsistent with the model (e.g. a projection whose exposure was scaled but not its
 * background): the background the fit sees is then too low and the limit too strong, so the
 * commands report it loudly (background_report).  Components without the flag, and the pulls, are
 * the card's.
 *
 * Ownership: background_init allocates counts and sigma; background_free releases them and zeroes
 * the struct (safe on a zeroed or partially built one).
 */
#ifndef DIPSCAN_BACKGROUND_H
#define DIPSCAN_BACKGROUND_H

#include <stddef.h>

#include "detector/card.h"
#include "util/common.h"

typedef struct background {
  size_t n_bkg, n_bins;
  double *counts;      /* [n_bkg][n_bins] the card's components, SM removed where declared */
  double *sigma;       /* [n_bkg] relative 1 sigma of each normalisation; INFINITY = free */
  size_t n_sm_clamped; /* bins the SM removal clamped at zero */
  double sm_removed;   /* SM events the model predicts in the declaring component's bins */
  double sm_shortfall; /* of those, the events the component did not hold (lost to clamping) */
  double clamped_lo_keV, clamped_hi_keV; /* span of the clamped bins (+inf/-inf: none) */
  const double *edges; /* the card's bin edges [keV] (not owned) */
} background;

/* The components of card c with sm[k] (the SM solar-nu counts the model predicts in bin k, over
 * the card's selected bins) removed as described above. */
int background_init(background *b, const card *c, const double *sm, dip_error *err);
void background_free(background *b);

/* Fractional shortfall above which a clamped card is refused rather than warned about. */
#define BACKGROUND_MAX_SHORTFALL 0.05

/* One line on the SM removal of card c (into out[n]), or "" when nothing was clamped; returns
 * DIP_EINVAL when the shortfall exceeds BACKGROUND_MAX_SHORTFALL of the SM events removed (the
 * card's background cannot hold the model's SM prediction: fix the card or its sm_solar_nu). */
int background_report(const background *b, const card *c, char *out, size_t n);

#endif /* DIPSCAN_BACKGROUND_H */
