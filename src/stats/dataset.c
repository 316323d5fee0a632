/*
 * dataset.c — observed and Asimov datasets of an entry (see dataset.h).
 */
#include "stats/dataset.h"

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

int dataset_fill(const dataset_spec *spec, const dataset_card *cards, size_t n_cards,
                 double *counts, dip_error *err) {
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
