/*
 * test_background.c — a card's background components with the SM solar-nu part removed: only the
 * first component that declares it loses it, bins that would go negative are clamped at zero and
 * counted, everything else (other components, pulls) is the card's; on the shipped XENONnT card
 * removing nothing reproduces the published components.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detector/background.h"
#include "detector/card.h"
#include "test.h"

static void test_removal(void) {
  double flat[4] = {5, 1, 3, 0.5}, er[4] = {10, 2, 7, 4}, er_again[4] = {1, 1, 1, 1};
  card_background comps[3] = {{"flat", flat, 0.1, 0}, {"er", er, INFINITY, 1},
                              {"er_again", er_again, 0.2, 1}};
  double edges[5] = {1, 2, 3, 4, 5};
  card c = {.name = "synthetic", .n_bins = 4, .n_bkg = 3, .bkg = comps, .edges = edges};
  double sm[4] = {3, 2.5, 7, 1};
  background b;
  dip_error err;
  int status = background_init(&b, &c, sm, &err);
  test_true(status == DIP_SUCCESS && b.n_bkg == 3 && b.n_bins == 4, "synthetic card: built");
  if (status != DIP_SUCCESS)
    return;
  test_true(memcmp(b.counts, flat, sizeof flat) == 0, "component without SM: as published");
  const double want_er[4] = {7, 0, 0, 3};
  test_true(memcmp(b.counts + 4, want_er, sizeof want_er) == 0,
            "first SM-including component: SM subtracted, negative bin clamped at 0");
  test_true(memcmp(b.counts + 8, er_again, sizeof er_again) == 0,
            "second SM-including component: left as published (SM removed once)");
  test_true(b.n_sm_clamped == 1, "one bin clamped (an exact zero is not a clamp)");
  test_true(b.sm_removed == 13.5 && b.sm_shortfall == 0.5 && b.clamped_lo_keV == 2 &&
                b.clamped_hi_keV == 3,
            "13.5 SM events removed, 0.5 of them missing, in the 2-3 keV bin");
  char line[512];
  test_true(background_report(&b, &c, line, sizeof line) == DIP_SUCCESS &&
                strstr(line, "1 bins (2-3 keV)") && strstr(line, "0.5 of the 13.5"),
            "a 3.7% shortfall is reported with its numbers, not refused");
  test_true(b.sigma[0] == 0.1 && isinf(b.sigma[1]) && b.sigma[2] == 0.2, "pulls are the card's");
  background_free(&b);
  test_true(b.counts == NULL && b.sigma == NULL && b.n_bkg == 0, "background_free zeroes");
  double sm_scaled[4] = {30, 25, 70, 10}; /* a card whose exposure grew tenfold, its background not */
  test_true(background_init(&b, &c, sm_scaled, &err) == DIP_SUCCESS &&
                background_report(&b, &c, line, sizeof line) == DIP_EINVAL &&
                strstr(line, "4 bins (1-5 keV)"),
            "a shortfall above 5% is refused, naming the bins");
  background_free(&b);
  test_true(background_init(&b, &c, (double[4]){0, 0, 0, 0}, &err) == DIP_SUCCESS &&
                background_report(&b, &c, line, sizeof line) == DIP_SUCCESS && line[0] == '\0',
            "nothing clamped: no report");
  background_free(&b);
  background_free(&b);
}

static void test_shipped_card(const char *data_dir) {
  card c;
  dip_error err;
  if (card_load(&c, "xenonnt_sr0", data_dir, &err) != DIP_SUCCESS) {
    test_report(0, "xenonnt_sr0 loads", "%s", err.msg);
    return;
  }
  double *zero = calloc(c.n_bins, sizeof *zero), *sm = calloc(c.n_bins, sizeof *sm);
  background none, some;
  int ok = background_init(&none, &c, zero, &err) == DIP_SUCCESS;
  int same = ok;
  for (size_t j = 0; ok && j < c.n_bkg; j++)
    same &= memcmp(none.counts + j * c.n_bins, c.bkg[j].counts, c.n_bins * sizeof *zero) == 0;
  test_true(same && none.n_sm_clamped == 0, "XENONnT: removing no SM leaves the card's components");
  for (size_t k = 0; k < c.n_bins; k++)
    sm[k] = 1e6;
  ok = ok && background_init(&some, &c, sm, &err) == DIP_SUCCESS;
  int declares_sm = 0;
  for (size_t j = 0; j < c.n_bkg; j++)
    declares_sm |= c.bkg[j].includes_sm;
  test_true(ok && declares_sm && some.n_sm_clamped == c.n_bins,
            "XENONnT: an SM larger than the background clamps every bin of its component");
  background_free(&none);
  background_free(&some);
  free(zero);
  free(sm);
  card_free(&c);
}

int main(void) {
  test_suite("background");
  char data_dir[4096];
  dip_error err;
  test_removal();
  if (dip_data_dir(data_dir, sizeof data_dir, &err) != DIP_SUCCESS) {
    test_report(0, "data directory", "%s", err.msg);
    return test_summary();
  }
  test_shipped_card(data_dir);
  return test_summary();
}
