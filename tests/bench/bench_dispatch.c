/*
 * bench_dispatch.c — the engine alone (scan_run: dispatch, batched writes, journal) with a synthetic
 * evaluator that spends a fixed time per unit, to measure what the physics hides: rank 0's service
 * time per request (the capacity model's t_s, docs/scaling.md), the workers' waits, the MPI and I/O
 * shares of the rank time, and the file-system writes and bytes per unit.
 *
 * Usage: mpirun -np N bench_dispatch DIR UNITS MU_PER_UNIT COST_US [BATCH]
 *   writes DIR/bench_dispatch.yaml and DIR/bench_dispatch.h5 (started over); 4 units per m4 value
 *   (2 entries x 2 couplings); each unit busy-waits COST_US microseconds; BATCH > 0 fixes the
 *   batch size (run.batch; 1 = one request per unit: rank 0's capacity), 0 = adaptive.
 * Prints one line (rank 0):
 *   ranks N units U mu M cost_us C batch B wall_s W requests R serve_us S wait_s X mpi_pct P
 *   io_pct I mean_batch A writes_per_unit Q bytes_per_unit Z
 */
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/config.h"
#include "engine/scan.h"
#include "stats/options.h"

static const result_field bench_fields[] = {
    {"chi2", RESULT_DOUBLE, RESULT_MU_ROW, 0, "1", "synthetic row", NAN,
     RESULT_JOURNAL_HASH},
    {"limits/mu_1dof", RESULT_DOUBLE, RESULT_SCALAR, 0, "mu_B", "synthetic scalar", NAN,
     RESULT_JOURNAL_VALUE},
};
static const result_schema bench_schema = {bench_fields, 2, NULL, 0};

static void busy_us(double us) {
  struct timespec t0, t;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  do
    clock_gettime(CLOCK_MONOTONIC, &t);
  while ((double)(t.tv_sec - t0.tv_sec) * 1e6 + (double)(t.tv_nsec - t0.tv_nsec) * 1e-3 < us);
}

static int bench_eval(void *ctx, size_t e, size_t c, double m4, const double *mu, size_t n,
                      unit_result *out, dip_error *err) {
  (void)err;
  busy_us(*(const double *)ctx);
  double *row = unit_result_doubles(out, 0);
  for (size_t i = 0; i < n; i++)
    row[i] = (double)e + 0.5 * (double)c + m4 * mu[i] * 1e10;
  unit_result_doubles(out, 1)[0] = m4;
  return DIP_SUCCESS;
}

static int write_config(const char *path, long units, long n_mu, long batch) {
  FILE *fp = fopen(path, "w");
  if (!fp)
    return -1;
  fprintf(fp, "name: bench_dispatch\nexperiments: [xenonnt_sr0, pandax4t_run1]\n"
              "flavors: [universal, e]\nm4: {from: 0.001, to: 1.0, points: %ld, spacing: log}\n"
              "mu: {from: 1.0e-12, to: 1.0e-9, points: %ld, spacing: log}\n"
              "run: {batch: %ld, progress_seconds: 1000}\n",
          (units + 3) / 4, n_mu, batch);
  return fclose(fp);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (argc < 5) {
    if (rank == 0)
      fprintf(stderr, "usage: mpirun -np N bench_dispatch DIR UNITS MU_PER_UNIT COST_US [BATCH]\n");
    MPI_Finalize();
    return 2;
  }
  long units = atol(argv[2]), n_mu = atol(argv[3]), batch = argc > 5 ? atol(argv[5]) : 0;
  double cost_us = atof(argv[4]);
  char cfg_path[4096], out_path[4096];
  snprintf(cfg_path, sizeof cfg_path, "%s/bench_dispatch.yaml", argv[1]);
  snprintf(out_path, sizeof out_path, "%s/bench_dispatch.h5", argv[1]);
  if (rank == 0 && write_config(cfg_path, units, n_mu, batch) != 0)
    fprintf(stderr, "bench_dispatch: cannot write %s\n", cfg_path);
  MPI_Barrier(MPI_COMM_WORLD);
  analysis_options opt;
  config_model model;
  options_config_model(&model, &opt);
  scan_config cfg;
  dip_error err;
  int status = config_load_file(&cfg, cfg_path, &model, &err);
  if (status == DIP_SUCCESS)
    status = config_set_output(&cfg, out_path, &err);
  scan_report rep;
  memset(&rep, 0, sizeof rep);
  if (status == DIP_SUCCESS) {
    const char *entries[2] = {"xenonnt_sr0", "pandax4t_run1"};
    scan_evaluator ev = {.eval = bench_eval, .ctx = &cost_us, .schema = &bench_schema,
                         .m4_unit = "MeV", .mu_unit = "mu_B", .entry_names = entries};
    cube_meta meta = {"bench", NULL, NULL, 0};
    double t0 = MPI_Wtime();
    status = scan_run(&cfg, &meta, 1, &ev, MPI_COMM_WORLD, NULL, &rep, &err);
    double wall = MPI_Wtime() - t0;
    const cube_io_count *io = &rep.io;
    if (status == DIP_SUCCESS && rank == 0)
      printf("ranks %d units %zu mu %ld cost_us %g batch %ld wall_s %.3f requests %zu serve_us %.3g "
             "wait_s %.3g mpi_pct %.2f io_pct %.2f mean_batch %.1f writes_per_unit %.3g "
             "bytes_per_unit %.0f\n",
             size, rep.units_computed, n_mu, cost_us, batch, wall, rep.requests,
             rep.requests ? 1e6 * rep.serve_seconds / (double)rep.requests : 0.0,
             rep.wait_seconds, 100.0 * rep.mpi_seconds / rep.rank_seconds,
             100.0 * rep.io_seconds / rep.rank_seconds,
             rep.batches ? (double)rep.batched_units / (double)rep.batches : 0.0,
             io->units ? (double)(io->data_writes + io->journal_writes + io->syncs) /
                             (double)io->units
                       : 0.0,
             io->units ? (double)(io->data_bytes + io->journal_bytes) / (double)io->units : 0.0);
    config_free(&cfg);
  }
  if (status != DIP_SUCCESS && (rank == 0 || rep.fatal))
    fprintf(stderr, "bench_dispatch: %s\n", err.msg);
  if (status != DIP_SUCCESS && rep.fatal)
    MPI_Abort(MPI_COMM_WORLD, 1);
  MPI_Finalize();
  return status == DIP_SUCCESS ? 0 : 1;
}
