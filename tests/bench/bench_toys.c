/*
 * bench_toys.c — single-core cost of the expected band from toys (issue 14): for XENONnT SR0 and
 * PandaX-4T Run1 at m4 = 0.01 and 0.3 MeV, the observed unit is evaluated, then analysis_expected
 * fits N background-only toys exactly like the data (toy draw, chi2_set_data, the 1-dof limit
 * with its best fit) and takes their quantiles.  No MPI, no HDF5.
 *
 * Usage: bench_toys [toys per unit, default 1000]
 * Prints one line per unit:
 *   CARD m4 M toys N cpu C toy_fits/s/core R median MED +-ERR
 * (CPU time of the process: on a loaded machine the rate of an idle core.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "stats/analysis.h"

static double cpu_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int bench_card(const char *data_dir, const char *card, long n_toys, dip_error *err) {
  analysis_options opt;
  analysis_options_default(&opt);
  opt.expected = EXPECTED_TOYS;
  opt.n_toys = n_toys;
  analysis *an = NULL;
  size_t entry;
  const char *cards[] = {card};
  int status = analysis_init(&an, data_dir, &opt, cards, 1, err);
  if (status == DIP_SUCCESS)
    status = analysis_add_entry(an, (size_t[]){0}, 1, &entry, err);
  const double m4[2] = {0.01, 0.3};
  for (int i = 0; status == DIP_SUCCESS && i < 2; i++) {
    unit_summary s;
    bands_result b;
    status = analysis_eval_unit(an, entry, COUPLING_UNIVERSAL, m4[i], NULL, 0, NULL, &s, err);
    double t0 = cpu_seconds();
    if (status == DIP_SUCCESS)
      status = analysis_expected(an, entry, COUPLING_UNIVERSAL, m4[i], &s, &b, err);
    double cpu = cpu_seconds() - t0;
    if (status == DIP_SUCCESS)
      printf("%s m4 %g toys %ld cpu %.3f toy_fits/s/core %.0f median %.4e +- %.1e\n", card, m4[i],
             n_toys, cpu, n_toys / cpu, b.edge[2], b.edge_err[2]);
  }
  analysis_free(an);
  return status;
}

int main(int argc, char **argv) {
  long n_toys = argc > 1 ? atol(argv[1]) : 1000;
  char data_dir[4096];
  dip_error err;
  dip_gsl_quiet();
  int status = dip_data_dir(data_dir, sizeof data_dir, &err);
  if (status == DIP_SUCCESS)
    status = bench_card(data_dir, "xenonnt_sr0", n_toys, &err);
  if (status == DIP_SUCCESS)
    status = bench_card(data_dir, "pandax4t_run1", n_toys, &err);
  if (status != DIP_SUCCESS)
    fprintf(stderr, "bench_toys: %s\n", err.msg);
  return status == DIP_SUCCESS ? 0 : 1;
}
