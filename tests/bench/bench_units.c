/*
 * bench_units.c — single-core throughput of the real physics per work unit: for a scan
 * configuration, build the analysis once (cards, responses, SM templates), then evaluate units
 * exactly as the scan does (analysis_eval_unit: per-m4 signal templates, the profiled chi^2 along
 * the mu axis, the root-found 1-dof limit) in the scan's dispatch order (m4, entry, flavor).
 * No MPI, no HDF5: this is the compute a rank does between two cube writes.
 *
 * Usage: bench_units SCAN.yaml [m4 stride, default 1] [repeats, default 1]
 * (stride k: every k-th m4 value of the configuration, a sample of the whole mass range).
 * Prints one line per repeat:
 *   units N seconds S cpu C units/s U points/s P cpu_points/s Pc profiles/s Q profiles/point R
 *   fallbacks F checksum X
 * (cpu_points/s uses the process CPU time: on a loaded machine it is the rate of an idle core).
 * (points = units x n_mu, the chi^2 values a scan stores; profiles = every chi2_profile call
 * including the limit's root finding).  The checksum (sum of the finite limits) changes when
 * the numbers change, so before/after comparisons also show whether results moved.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "engine/config.h"
#include "stats/analysis.h"
#include "stats/options.h"

static double clock_seconds(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int build(const scan_config *cfg, const analysis_options *opt, analysis **an,
                 dip_error *err) {
  char data_dir[4096];
  DIP_TRY(dip_data_dir(data_dir, sizeof data_dir, err));
  DIP_TRY(analysis_init(an, data_dir, opt, (const char *const *)cfg->experiments,
                        cfg->n_experiments, err));
  size_t entry;
  for (size_t i = 0; i < cfg->n_experiments; i++)
    DIP_TRY(analysis_add_entry(*an, &i, 1, &entry, err));
  for (size_t j = 0; j < cfg->n_joint; j++)
    DIP_TRY(analysis_add_entry(*an, cfg->joint[j].cards, cfg->joint[j].n, &entry, err));
  return DIP_SUCCESS;
}

/* One pass over every stride-th mass value; fills the counters. */
static int run_pass(analysis *an, const scan_config *cfg, size_t stride, double *chi2,
                    long *units, long *profiles, long *fallbacks, double *checksum,
                    dip_error *err) {
  for (size_t m = 0; m < cfg->n_m4; m += stride)
    for (size_t e = 0; e < config_n_entries(cfg); e++)
      for (size_t f = 0; f < cfg->n_couplings; f++) {
        unit_summary s;
        DIP_TRY(analysis_eval_unit(an, e, (dip_coupling)cfg->couplings[f], cfg->m4[m], cfg->mu,
                                   cfg->n_mu, chi2, &s, err));
        (*units)++;
        *profiles += s.n_profiles;
        *fallbacks += s.n_fallbacks;
        if (isfinite(s.mu_limit))
          *checksum += s.mu_limit / cfg->mu[0];
      }
  return DIP_SUCCESS;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench_units SCAN.yaml [m4 stride] [repeats]\n");
    return 2;
  }
  dip_gsl_quiet();
  dip_error err;
  dip_error_clear(&err);
  analysis_options opt;
  config_model model;
  options_config_model(&model, &opt);
  scan_config cfg;
  analysis *an = NULL;
  int status = config_load_file(&cfg, argv[1], &model, &err);
  if (status == DIP_SUCCESS)
    status = build(&cfg, &opt, &an, &err);
  size_t stride = argc > 2 && atol(argv[2]) > 0 ? (size_t)atol(argv[2]) : 1;
  int repeats = argc > 3 && atoi(argv[3]) > 0 ? atoi(argv[3]) : 1;
  double *chi2 = status == DIP_SUCCESS ? dip_calloc(cfg.n_mu, sizeof *chi2, &err) : NULL;
  if (status == DIP_SUCCESS && !chi2)
    status = DIP_ENOMEM;
  for (int r = 0; status == DIP_SUCCESS && r < repeats; r++) {
    long units = 0, profiles = 0, fallbacks = 0;
    double checksum = 0.0, t0 = clock_seconds(CLOCK_MONOTONIC);
    double c0 = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
    status = run_pass(an, &cfg, stride, chi2, &units, &profiles, &fallbacks, &checksum, &err);
    double seconds = clock_seconds(CLOCK_MONOTONIC) - t0;
    double cpu = clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - c0;
    double points = (double)units * (double)cfg.n_mu;
    if (status == DIP_SUCCESS)
      printf("units %ld seconds %.4f cpu %.4f units/s %.1f points/s %.0f cpu_points/s %.0f "
             "profiles/s %.0f profiles/point %.3f fallbacks %ld checksum %.10g\n",
             units, seconds, cpu, units / seconds, points / seconds, points / cpu,
             profiles / seconds, profiles / points, fallbacks, checksum);
  }
  if (status != DIP_SUCCESS)
    fprintf(stderr, "bench_units: %s\n", err.msg);
  free(chi2);
  analysis_free(an);
  config_free(&cfg);
  return status == DIP_SUCCESS ? 0 : 1;
}
