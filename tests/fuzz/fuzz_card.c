/*
 * fuzz_card.c — libFuzzer harness for experiment cards (src/detector/card.c).
 *
 * card_load() reads from a path, so each input is written to one scratch file (in a private
 * directory made once per process) and loaded from there.  A card that loads must be usable by the
 * response stage: edges strictly increasing, counts finite and >= 0, efficiency finite in [0, 1] and
 * resolution sigma > 0 at every bin edge, totals finite, and
 * card_select_range() on the outer edges is accepted and changes nothing.  The card is then handed
 * to the response stage (tgrid_init + response_init + response_fold of a flat spectrum), which must
 * either refuse it with a one-line message or give finite, non-negative folded counts.
 */
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "detector/card.h"
#include "fuzz.h"
#include "detector/response.h"

static char fuzz_card_path[64];

static void fuzz_card_cleanup(void) {
  unlink(fuzz_card_path);
  char *slash = strrchr(fuzz_card_path, '/');
  if (slash) {
    *slash = '\0';
    rmdir(fuzz_card_path);
  }
}

/* Write the input to the scratch card file; returns 0 on success. */
static int fuzz_card_write(const uint8_t *data, size_t size) {
  if (!fuzz_card_path[0]) {
    char dir[] = "/tmp/dipscan-fuzz-card-XXXXXX";
    if (!mkdtemp(dir))
      return -1;
    snprintf(fuzz_card_path, sizeof fuzz_card_path, "%s/card.yaml", dir);
    atexit(fuzz_card_cleanup);
  }
  int fd = open(fuzz_card_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0)
    return -1;
  size_t done = 0;
  while (done < size) {
    ssize_t n = write(fd, data + done, size - done);
    if (n <= 0)
      break;
    done += (size_t)n;
  }
  close(fd);
  return done == size ? 0 : -1;
}

static int fuzz_card_all_finite_nonneg(const double *x, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!isfinite(x[i]) || x[i] < 0.0)
      return 0;
  return 1;
}

static void fuzz_card_check(card *c) {
  FUZZ_CHECK(c->name && c->citation && c->path && c->n_bins >= 1 && c->n_bkg >= 1, "card shape");
  FUZZ_CHECK(isfinite(c->exposure_t_yr) && c->exposure_t_yr > 0.0, "exposure finite and > 0");
  for (size_t i = 0; i < c->n_bins; i++)
    FUZZ_CHECK(isfinite(c->edges[i]) && c->edges[i + 1] > c->edges[i], "edges increase");
  FUZZ_CHECK(fuzz_card_all_finite_nonneg(c->observed, c->n_bins), "observed counts");
  for (size_t b = 0; b < c->n_bkg; b++)
    FUZZ_CHECK(c->bkg[b].name && fuzz_card_all_finite_nonneg(c->bkg[b].counts, c->n_bins) &&
                   c->bkg[b].sigma_rel >= 0.0,
               "background component");
  /* The efficiency across the window (edges, 1/8ths of each bin); the resolution at the edges,
   * where card.c promises sigma > 0 (inside, a polynomial may still dip: tgrid_init refuses that). */
  double lo = c->edges[0], hi = c->edges[c->n_bins];
  for (size_t i = 0; i <= 8 * c->n_bins && i <= 4096; i++) {
    size_t bin = i / 8 < c->n_bins ? i / 8 : c->n_bins - 1;
    double frac = i == 8 * c->n_bins ? 1.0 : (double)(i % 8) / 8.0;
    double eff = card_efficiency(c, c->edges[bin] + (c->edges[bin + 1] - c->edges[bin]) * frac);
    FUZZ_CHECK(isfinite(eff) && eff >= 0.0 && eff <= 1.0, "efficiency in [0, 1]");
  }
  for (size_t i = 0; i <= c->n_bins; i++)
    if (c->edges[i] > 0.0)
      FUZZ_CHECK(card_resolution_sigma(c, c->edges[i]) > 0.0, "resolution sigma > 0 at the edges");
  FUZZ_CHECK(isfinite(card_total_observed(c)) && isfinite(card_total_background(c)), "totals finite");
  dip_error err;
  size_t n_bins = c->n_bins;
  int status = card_select_range(c, lo, hi, &err);
  FUZZ_CHECK(status == DIP_SUCCESS && c->n_bins == n_bins, "selecting the full range is a no-op");
}

/* The response stage on this one card: refuse cleanly, or give finite non-negative counts. */
static void fuzz_card_response(const card *c) {
  const card *cards[1] = {c};
  tgrid g;
  response r;
  dip_error err;
  int status = tgrid_init(&g, cards, 1, &err);
  if (status != DIP_SUCCESS) {
    FUZZ_CHECK(fuzz_message_ok(status, &err), "tgrid_init failure message");
    return;
  }
  FUZZ_CHECK(g.n > 0 && isfinite(g.T_lo) && isfinite(g.T_hi) && g.T_lo > 0.0, "grid span finite");
  for (size_t j = 0; j < g.n; j++)
    FUZZ_CHECK(isfinite(g.T[j]) && isfinite(g.w[j]) && g.w[j] > 0.0 && (j == 0 || g.T[j] > g.T[j - 1]),
               "grid nodes finite and increasing, weights > 0");
  status = response_init(&r, c, &g, &err);
  if (status != DIP_SUCCESS) {
    FUZZ_CHECK(fuzz_message_ok(status, &err), "response_init failure message");
  } else {
    double *flat = calloc(g.n, sizeof *flat), *counts = calloc(c->n_bins, sizeof *counts);
    if (flat && counts) {
      for (size_t j = 0; j < g.n; j++)
        flat[j] = 1.0;
      response_fold(&r, flat, counts);
      FUZZ_CHECK(fuzz_card_all_finite_nonneg(counts, c->n_bins), "folded counts finite and >= 0");
    }
    free(flat);
    free(counts);
    response_free(&r);
  }
  tgrid_free(&g);
}

FUZZ_TARGET(fuzz_card) {
  if (fuzz_card_write(data, size) != 0)
    return 0;
  card c;
  dip_error err;
  dip_error_clear(&err);
  int status = card_load(&c, fuzz_card_path, NULL, &err);
  if (status != DIP_SUCCESS) {
    FUZZ_CHECK(fuzz_message_ok(status, &err), "card_load failure message");
    FUZZ_CHECK(c.name == NULL && c.edges == NULL && c.bkg == NULL, "failed load frees all");
    return 0;
  }
  fuzz_card_check(&c);
  fuzz_card_response(&c);
  card_free(&c);
  return 0;
}
