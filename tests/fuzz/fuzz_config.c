/*
 * fuzz_config.c — libFuzzer harness for scan configurations (src/engine/config.c).
 *
 * The input is parsed with config_load_string(); a configuration that loads must describe a sane
 * grid: non-empty axes of finite, strictly increasing values (m4 >= 0, mu >= 0), joint fits naming
 * existing experiments, a unit count equal to entries x couplings x m4 whose index mapping is a
 * bijection (checked on the first and last units), a hash of its canonical text, and it must be
 * able to print its --dry-run plan.  A failed load must leave a one-line message.
 */
#include <math.h>
#include <stdlib.h>

#include "engine/config.h"
#include "fuzz.h"
#include "stats/options.h"

static int fuzz_config_axis_ok(const double *x, size_t n, double lo) {
  if (n == 0)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (!isfinite(x[i]) || x[i] < lo || (i > 0 && !(x[i] > x[i - 1])))
      return 0;
  return 1;
}

static void fuzz_config_check(const scan_config *cfg) {
  FUZZ_CHECK(cfg->name && cfg->output && cfg->canonical && cfg->hash[0], "resolved strings");
  FUZZ_CHECK(cfg->n_experiments > 0 && cfg->n_couplings > 0 &&
                 cfg->n_couplings <= cfg->model->n_couplings,
             "experiments and couplings present");
  for (size_t c = 0; c < cfg->n_couplings; c++)
    FUZZ_CHECK(cfg->couplings[c] < cfg->model->n_couplings, "coupling index of the model");
  FUZZ_CHECK(fuzz_config_axis_ok(cfg->m4, cfg->n_m4, 0.0), "m4 axis finite, >= 0, increasing");
  FUZZ_CHECK(fuzz_config_axis_ok(cfg->mu, cfg->n_mu, 0.0), "mu axis finite, >= 0, increasing");
  for (size_t j = 0; j < cfg->n_joint; j++)
    for (size_t k = 0; k < cfg->joint[j].n; k++)
      FUZZ_CHECK(cfg->joint[j].cards[k] < cfg->n_experiments, "joint fit names an experiment");
  size_t n_entries = config_n_entries(cfg), n_units = config_n_units(cfg);
  FUZZ_CHECK(n_entries == cfg->n_experiments + cfg->n_joint, "entries = experiments + joint");
  FUZZ_CHECK(n_units == n_entries * cfg->n_couplings * cfg->n_m4, "units = entries x couplings x m4");
  size_t probe[2] = {0, n_units - 1};
  for (int i = 0; i < 2; i++) {
    size_t e, c, m;
    config_unit_coords(cfg, probe[i], &e, &c, &m);
    FUZZ_CHECK(e < n_entries && c < cfg->n_couplings && m < cfg->n_m4 &&
                   config_unit_index(cfg, e, c, m) == probe[i],
               "unit index <-> coordinates");
  }
  char label[512], diff[512];
  config_entry_label(cfg, n_entries - 1, label, sizeof label);
  FUZZ_CHECK(label[0] != '\0', "entry label");
  FUZZ_CHECK(config_diff(cfg->canonical, cfg->canonical, diff, sizeof diff) == 0,
             "canonical text equals itself");
  FILE *sink = fopen("/dev/null", "w");
  if (sink) {
    config_print_plan(cfg, 2, sink);
    fclose(sink);
  }
}

FUZZ_TARGET(fuzz_config) {
  analysis_options opt;
  config_model model;
  options_config_model(&model, &opt);
  scan_config cfg;
  dip_error err;
  dip_error_clear(&err);
  int status = config_load_string(&cfg, (const char *)data, size, "fuzz.yaml", &model, &err);
  if (status != DIP_SUCCESS) {
    FUZZ_CHECK(fuzz_message_ok(status, &err), "config_load_string failure message");
  } else {
    fuzz_config_check(&cfg);
  }
  config_free(&cfg);
  return 0;
}
