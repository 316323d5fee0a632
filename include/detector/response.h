/*
 * response.h — detector response: true electron-recoil spectrum dR/dT -> expected counts per bin.
 *
 * Two objects, both built once per run (never per mu, never per m4):
 *
 * tgrid — one quadrature grid in true recoil energy T shared by all cards of a run.  It spans every
 *   card's window widened by n_sigma (default 6) resolution widths on both sides (T > 0), and is made
 *   of Gauss-Legendre panels whose width follows the smallest card resolution sigma(T).  Breakpoints
 *   sit at the xenon shell binding energies, so a spectrum with steps there (the stepping
 *   approximation) is integrated without a panel straddling a step.  Spectra are evaluated at the
 *   nodes T[j]; integrals over T are sums with the weights w[j].
 *
 * response — per card, the matrix R[k][j] = exposure * w_j * int_{bin k} dE eps(E) G(E; T_j, sigma(T_j)):
 *   expected events in reconstructed-energy bin k per unit dR/dT [events/(t yr keV)] at node j.
 *   The efficiency eps (vs reconstructed energy) is piecewise linear, so the E integral is done in
 *   closed form (erf and Gaussian terms on each linear piece) — exact, no E quadrature.
 *   Folding is then a matrix-vector product: counts_k = sum_j R[k][j] dRdT[j].
 *
 * Spectra with steps whose position is only known at run time (a monochromatic solar line gives a
 * recoil spectrum that is smooth between its kinematic edges T_min(E, m4), T_max(E, m4) and zero
 * outside; the edges move with m4) are folded by response_fold_steps: a grid panel holding a step
 * would integrate it badly, so its node contribution is replaced by Gauss-Legendre rules on the
 * sub-intervals between the steps, with the spectrum evaluated there by the caller and the kernel
 * in closed form.  Only the panels that hold a step pay the extra cost.
 */
#ifndef DIPSCAN_RESPONSE_H
#define DIPSCAN_RESPONSE_H

#include <stddef.h>

#include "detector/card.h"
#include "physics/electrons.h"
#include "util/common.h"

typedef struct tgrid {
  size_t n;
  double *T;          /* [n] true recoil nodes [keV], increasing */
  double *w;          /* [n] quadrature weights [keV] */
  double T_lo, T_hi;  /* the span covered [keV] */
  double n_sigma, T_floor; /* the span rule the grid was built with (tgrid_options) */
  size_t n_panels, n_gl;
  double *panel_edges;/* [n_panels + 1]; nodes n_gl*p .. n_gl*(p+1)-1 lie in panel p */
  double *gl_x, *gl_w;/* [n_gl] the Gauss-Legendre rule on [-1, 1] */
} tgrid;

#define TGRID_MAX_BREAKS ELECTRONS_MAX_EDGES
typedef struct tgrid_options {
  double n_sigma;      /* coverage beyond each card's window in resolution widths (default 6) */
  double panel_sigma;  /* panel width in units of the smallest card sigma(T) (default 1.5) */
  size_t n_gl;         /* Gauss-Legendre nodes per panel (default 6) */
  double T_floor;      /* smallest T covered [keV] (default 0.01; T must stay > 0) */
  double breaks[TGRID_MAX_BREAKS]; /* breakpoints [keV]; default: electrons_xenon_edges */
  size_t n_breaks;
} tgrid_options;

void tgrid_options_default(tgrid_options *opt);


/* One grid for all cards of a run (default options). */
int tgrid_init(tgrid *g, const card *const *cards, size_t n_cards, dip_error *err);
int tgrid_init_opts(tgrid *g, const card *const *cards, size_t n_cards, const tgrid_options *opt,
                    dip_error *err);
void tgrid_free(tgrid *g);

struct response_piece; /* private: one linear piece of the efficiency inside one bin */

typedef struct response {
  size_t n_bins, n_T;
  double *R; /* [n_bins][n_T] row-major: events in bin k per unit dR/dT at node j, including the
                quadrature weight, efficiency AND exposure */
  double T_lo, T_hi; /* the card's own span [keV]: true energies within n_sigma of its window; the
                        kernel is zero outside, so a card's counts do not depend on the other cards
                        sharing the grid */
  /* The kernel off the grid nodes needs these (copied from the card; the card need not outlive
   * the response). */
  double exposure_t_yr;
  card resolution;             /* only res_model, n_res_coef, res_coef are set */
  size_t n_pieces;
  struct response_piece *pieces;
} response;

int response_init(response *r, const card *c, const tgrid *g, dip_error *err);
void response_free(response *r);

/* counts[k] = sum_j R[k][j] dRdT[j]; dRdT in events/(t yr keV) at the grid nodes. */
void response_fold(const response *r, const double *dRdT, double *counts);

/* A spectrum the caller evaluates anywhere: its n_comp components dR/dT [events/(t yr keV)] at true
 * energy T [keV] into values[n_comp] (n_comp as passed to response_fold_steps). */
typedef int (*response_spectrum_fn)(void *ctx, double T_keV, double *values, dip_error *err);

/* Fold n_comp spectra that share steps at the true energies steps[0..n_steps) [keV, any order]:
 * counts[c][k] = response_fold of dRdT[c] (each [r->n_T], at the nodes of g, the grid r was built
 * on), then in every panel of g with a step strictly inside, the nodes' terms are replaced by the
 * grid's n_gl-point rule on each sub-interval between the panel edges and the steps, at whose
 * nodes fn gives the spectrum and the kernel exposure * int_{bin k} eps(E) G(E; T, sigma(T)) dE is
 * evaluated in closed form.  counts is [n_comp][r->n_bins].  fn's status is passed on; DIP_EINVAL
 * when g has not r's node count, DIP_ENOMEM. */
int response_fold_steps(const response *r, const tgrid *g, size_t n_comp, const double *dRdT,
                        const double *steps, size_t n_steps, response_spectrum_fn fn, void *ctx,
                        double *counts, dip_error *err);

#endif /* DIPSCAN_RESPONSE_H */
