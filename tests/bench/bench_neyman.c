/*
 * bench_neyman.c — single-core cost of the Neyman construction (docs/physics.md §12) and the
 * core-hours of a Neyman scan: every stride-th m4 of the scan configuration, every entry and
 * coupling, analysis_neyman with `toys` toys per point on the configuration's Neyman axis (fewer
 * than the configuration asks: the rate of a toy fit does not depend on their number).  The
 * configuration's cost is then units x points x its toys / the measured rate.  No MPI, no HDF5.
 *
 * Usage: bench_neyman SCAN.yaml [m4 stride, default 10] [toys per point, default 50]
 * Prints one line per entry (toy fits/s/core, CPU time of the process: on a loaded machine the
 * rate of an idle core) and the extrapolation:
 *   ENTRY units U toy_fits F cpu C toy_fits/s/core R
 *   config NAME: units U x points K x toys N = F toy fits; at R fits/s/core: H core-hours
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "engine/config.h"
#include "stats/analysis.h"
#include "stats/options.h"

static double cpu_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int build(analysis **an, const scan_config *cfg, const analysis_options *opt,
                 const char *data_dir, dip_error *err) {
  const char *cards[64];
  char paths[64][1024];
  if (cfg->n_experiments > 64)
    return dip_error_set(err, DIP_EINVAL, "at most 64 cards");
  for (size_t i = 0; i < cfg->n_experiments; i++) {
    config_experiment_path(cfg, i, paths[i], sizeof paths[i]);
    cards[i] = paths[i];
  }
  DIP_TRY(analysis_init(an, data_dir, opt, cards, cfg->n_experiments, err));
  size_t entry;
  for (size_t i = 0; i < cfg->n_experiments; i++)
    DIP_TRY(analysis_add_entry(*an, &i, 1, &entry, err));
  for (size_t j = 0; j < cfg->n_joint; j++)
    DIP_TRY(analysis_add_entry(*an, cfg->joint[j].cards, cfg->joint[j].n, &entry, err));
  return DIP_SUCCESS;
}

/* One entry: every stride-th m4, every coupling; total fits and CPU seconds. */
static int bench_entry(analysis *an, const scan_config *cfg, size_t e, size_t stride, long toys,
                       const double *mu, size_t n_mu, long *fits, double *cpu, dip_error *err) {
  neyman_point pts[NEYMAN_MAX_POINTS];
  double t0 = cpu_seconds();
  *fits = 0;
  for (size_t m = 0; m < cfg->n_m4; m += stride)
    for (size_t f = 0; f < cfg->n_couplings; f++) {
      long n = 0;
      DIP_TRY(analysis_neyman(an, e, (dip_coupling)cfg->couplings[f], cfg->m4[m], mu, n_mu, toys,
                              pts, &n, err));
      *fits += n;
    }
  *cpu = cpu_seconds() - t0;
  return DIP_SUCCESS;
}

static int run(const scan_config *cfg, const analysis_options *opt, size_t stride, long toys,
               dip_error *err) {
  char data_dir[4096];
  DIP_TRY(dip_data_dir(data_dir, sizeof data_dir, err));
  double mu[NEYMAN_MAX_POINTS];
  size_t n_mu;
  if (opt->neyman.n_toys < 1)
    return dip_error_set(err, DIP_EINVAL, "%s has no statistics.neyman section", cfg->name);
  DIP_TRY(neyman_axis(&opt->neyman, mu, &n_mu, err));
  analysis *an = NULL;
  int status = build(&an, cfg, opt, data_dir, err);
  long all_fits = 0;
  double all_cpu = 0;
  for (size_t e = 0; status == DIP_SUCCESS && e < config_n_entries(cfg); e++) {
    long fits;
    double cpu;
    char label[256];
    config_entry_label(cfg, e, label, sizeof label);
    status = bench_entry(an, cfg, e, stride, toys, mu, n_mu, &fits, &cpu, err);
    if (status == DIP_SUCCESS)
      printf("%-28s units %zu toy_fits %ld cpu %.2f s toy_fits/s/core %.0f\n", label,
             ((cfg->n_m4 + stride - 1) / stride) * cfg->n_couplings, fits, cpu, fits / cpu);
    all_fits += fits;
    all_cpu += cpu;
  }
  analysis_free(an);
  if (status != DIP_SUCCESS)
    return status;
  double rate = all_fits / all_cpu;
  double total = (double)config_n_units(cfg) * (double)n_mu * (double)opt->neyman.n_toys;
  printf("config %s: units %zu x points %zu x toys %ld = %.3g toy fits; at %.0f fits/s/core "
         "(all entries): %.1f core-hours\n",
         cfg->name, config_n_units(cfg), n_mu, opt->neyman.n_toys, total, rate,
         total / rate / 3600.0);
  return DIP_SUCCESS;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench_neyman SCAN.yaml [m4 stride] [toys per point]\n");
    return 2;
  }
  dip_gsl_quiet();
  dip_error err;
  dip_error_clear(&err);
  analysis_options opt;
  config_model model;
  options_config_model(&model, &opt);
  scan_config cfg;
  size_t stride = argc > 2 ? (size_t)atol(argv[2]) : 10;
  long toys = argc > 3 ? atol(argv[3]) : 50;
  if (stride < 1 || toys < 1) {
    fprintf(stderr, "bench_neyman: stride and toys must be >= 1\n");
    return 2;
  }
  int status = config_load_file(&cfg, argv[1], &model, &err);
  if (status == DIP_SUCCESS)
    status = run(&cfg, &opt, stride, toys, &err);
  config_free(&cfg);
  if (status != DIP_SUCCESS) {
    fprintf(stderr, "bench_neyman: %s\n", err.msg);
    return 1;
  }
  return 0;
}
