/*
 * dataset.c — observed, Asimov and toy datasets of an entry (see dataset.h).
 */
#include "stats/dataset.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <string.h>

static const char *const data_mode_words[] = {"observed", "asimov"};
const dip_names data_mode_names = DIP_NAMES("data mode", data_mode_words);

/* Background-only expectation at nominal nuisances, bin by bin. */
static void asimov_counts(const dataset_card *c, double *out) {
  for (size_t k = 0; k < c->n_bins; k++) {
    double expected = 0;
    for (size_t i = 0; i < c->n_src; i++)
      expected += c->sm[i * c->n_bins + k];
    for (size_t j = 0; j < c->n_bkg; j++)
      expected += c->bkg[j * c->n_bins + k];
    out[k] = expected;
  }
}

/* splitmix64 (Steele, Lea, Flood 2014): a bijective 64-bit finaliser with full avalanche. */
static uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/* The 32-bit generator seed of toy (seed, unit, toy): splitmix64 chained over the three words,
 * folded (high ^ low) to what GSL's mt19937 keeps.  A signal toy mixes its Neyman point in after
 * the unit (offset by a constant, so point 0 is not the background toys' stream). */
static uint32_t toy_seed(const dataset_spec *spec) {
  uint64_t h = splitmix64(spec->seed) ^ spec->unit;
  if (spec->kind == DATA_TOY_SIGNAL)
    h = splitmix64(h) ^ (spec->point + 0x6e65796d616e0000ULL); /* "neyman" */
  h = splitmix64(splitmix64(h) ^ spec->toy);
  return (uint32_t)(h ^ (h >> 32));
}

/* A relative normalisation: `centre` when free or fixed (the profile construction's value), else
 * drawn from its constraint N(0, sigma) — the pull's centre, the observed auxiliary measurement —
 * redrawn until 1 + x >= 0 (a negative expectation is no model).  See dataset.h for why a
 * constrained nuisance is not drawn around the centre. */
static double draw_nuisance(gsl_rng *r, double centre, double sigma) {
  if (!(sigma > 0) || isinf(sigma))
    return centre;
  double x;
  do
    x = gsl_ran_gaussian(r, sigma);
  while (1 + x < 0);
  return x;
}

/* What one card's toy is drawn around: the signal (NULL for background-only toys) at mu^2 and the
 * centres of its betas (NULL: 0). */
typedef struct toy_model {
  const double *sig;
  double mu2;
  const double *beta_centre;
} toy_model;

/* One card's toy: its betas drawn, then Poisson counts around the shifted expectation. */
static void toy_counts(gsl_rng *r, const dataset_card *c, const double *alpha, const toy_model *m,
                       double *out) {
  double beta[64];
  for (size_t j = 0; j < c->n_bkg && j < 64; j++)
    beta[j] = draw_nuisance(r, m->beta_centre ? m->beta_centre[j] : 0.0, c->bkg_sigma[j]);
  for (size_t k = 0; k < c->n_bins; k++) {
    double expected = 0;
    for (size_t i = 0; i < c->n_src; i++)
      expected += (1 + alpha[i]) * (m->sig ? c->sm[i * c->n_bins + k] + m->mu2 * m->sig[i * c->n_bins + k]
                                           : c->sm[i * c->n_bins + k]);
    for (size_t j = 0; j < c->n_bkg; j++)
      expected += (1 + beta[j]) * c->bkg[j * c->n_bins + k];
    out[k] = gsl_ran_poisson(r, expected);
  }
}

static int check_toy_spec(const dataset_spec *spec, const dataset_card *cards, size_t n_cards,
                          dip_error *err) {
  size_t n_src = n_cards ? cards[0].n_src : 0;
  for (size_t i = 0; i < n_cards; i++) {
    if (cards[i].n_src != n_src || cards[i].n_src > 64 || cards[i].n_bkg > 64)
      return dip_error_set(err, DIP_EINVAL,
                           "dataset: toy cards need the same sources and at most 64 components");
    if (spec->kind == DATA_TOY_SIGNAL && !(spec->sig && spec->sig[i]))
      return dip_error_set(err, DIP_EINVAL, "dataset: a signal toy needs the signal templates");
  }
  if (spec->kind == DATA_TOY_SIGNAL && !(spec->mu >= 0 && isfinite(spec->mu)))
    return dip_error_set(err, DIP_EINVAL, "dataset: signal toy at mu = %g (need a finite mu >= 0)",
                         spec->mu);
  return DIP_SUCCESS;
}

static int toy_fill(const dataset_spec *spec, const dataset_card *cards, size_t n_cards,
                    double *counts, dip_error *err) {
  DIP_TRY(check_toy_spec(spec, cards, n_cards, err));
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  if (!r)
    return dip_error_set(err, DIP_ENOMEM, "dataset: out of memory for a toy generator");
  gsl_rng_set(r, toy_seed(spec));
  int signal = spec->kind == DATA_TOY_SIGNAL;
  const double *centre = signal ? spec->centre : NULL;
  size_t n_src = n_cards ? cards[0].n_src : 0, p = n_src;
  double alpha[64];
  for (size_t i = 0; i < n_src; i++)
    alpha[i] = draw_nuisance(r, centre ? centre[i] : 0.0, cards[0].src_sigma[i]);
  for (size_t i = 0; i < n_cards; i++) {
    toy_model m = {signal ? spec->sig[i] : NULL, spec->mu * spec->mu, centre ? centre + p : NULL};
    toy_counts(r, &cards[i], alpha, &m, counts);
    counts += cards[i].n_bins;
    p += cards[i].n_bkg;
  }
  gsl_rng_free(r);
  return DIP_SUCCESS;
}

int dataset_fill(const dataset_spec *spec, const dataset_card *cards, size_t n_cards,
                 double *counts, dip_error *err) {
  if (spec->kind == DATA_TOY || spec->kind == DATA_TOY_SIGNAL)
    return toy_fill(spec, cards, n_cards, counts, err);
  if ((size_t)spec->kind >= data_mode_names.n)
    return dip_error_set(err, DIP_EINVAL, "dataset: unknown kind %d", (int)spec->kind);
  for (size_t i = 0; i < n_cards; i++) {
    if (spec->kind == DATA_ASIMOV)
      asimov_counts(&cards[i], counts);
    else
      memcpy(counts, cards[i].observed, cards[i].n_bins * sizeof *counts);
    counts += cards[i].n_bins;
  }
  return DIP_SUCCESS;
}

const char *data_mode_name(data_mode d) { return dip_names_get(&data_mode_names, d); }
