/*
 * cmd_scan.c — `dipscan scan CONFIG.yaml [--restart] [--dry-run [--ranks N] [--calibrate S]]
 *                [--output FILE]`.
 *
 * Reads the scan configuration on every rank (the dipole analysis' sections through its
 * config_model, stats/options.h), logs the resolved configuration (rank 0), builds the analysis
 * once per rank (cards, responses, SM templates), adds the entries (one per experiment, then the
 * joint fits), and runs the scan engine with the dipole evaluator (stats/evaluator.h).  Errors
 * agreed on by all ranks are printed once by rank 0 and end with exit 1; an error inside the work
 * loop is printed by the failing rank and ends the job with MPI_Abort.
 * A stop on request (signal) ends with exit 0 and says how to resume.
 * --dry-run prints the plan and the resolved names as `dry_run.KEY: value` lines, and, from a
 * calibration (rank 0 times whole units of a few m4 values spread over the axis, for at most
 * --calibrate seconds), the cost at --ranks ranks as `estimate.KEY: value` lines (scan.h's
 * model); slurm/submit reads those lines.
 */
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "detector/card.h"
#include "engine/config.h"
#include "engine/cube.h"
#include "engine/scan.h"
#include "stats/analysis.h"
#include "stats/evaluator.h"
#include "stats/options.h"
#include "util/common.h"
#include "version.h"

typedef struct scan_args {
  const char *config;
  const char *output;
  const char *ranks_text, *calibrate_text;
  int restart, dry_run, help;
  int ranks;               /* --ranks (dry run), 0 = the MPI size */
  double calibrate;        /* --calibrate seconds (dry run) */
} scan_args;

#define CALIBRATE_SECONDS 2.0 /* default time budget of the dry run's calibration */
#define CALIBRATE_M4 4        /* m4 values sampled (all entries and couplings of each) */

static void usage(FILE *out) {
  fprintf(out,
          "usage: dipscan scan CONFIG.yaml [--restart] [--dry-run [--ranks N] [--calibrate S]]\n"
          "                    [--output FILE]\n\n"
          "Run (or resume) the scan described by CONFIG.yaml under MPI, e.g.\n"
          "  mpirun -np 4 dipscan scan scans/demo.yaml\n\n"
          "  --restart      delete an existing dipscan output (and its journal) and start over;\n"
          "                 anything else at the output path is refused, never deleted\n"
          "  --dry-run      print the resolved configuration and the work plan, then exit;\n"
          "                 also times a few units and prints the cost (estimate.* lines)\n"
          "  --ranks N      (dry run) the rank count of the estimate (default: this run's)\n"
          "  --calibrate S  (dry run) seconds spent timing units (default 2; 0 = no estimate)\n"
          "  --output FILE  write to FILE instead of the configuration's 'output'\n\n"
          "An existing output with the same configuration is resumed (finished units are kept);\n"
          "one written by a different configuration is refused, and so is an output another scan\n"
          "is writing (OUTPUT.lock).  Relative paths in CONFIG.yaml are relative to its folder.\n"
          "SIGTERM, SIGUSR1 or SIGINT to the ranks stop the scan gracefully (exit 0, resumable); a\n"
          "second signal aborts at once.  Under plain mpirun send SIGUSR1 to mpirun (README).\n");
}

/* Returns DIP_EXIT_OK to go on (a->help set for --help) or DIP_EXIT_USAGE after printing why. */
static int parse_args(int argc, char **argv, scan_args *a) {
  memset(a, 0, sizeof *a);
  const cli_option opts[] = {{"restart", NULL, &a->restart},
                             {"dry-run", NULL, &a->dry_run},
                             {"output", &a->output, NULL},
                             {"ranks", &a->ranks_text, NULL},
                             {"calibrate", &a->calibrate_text, NULL}};
  int n_pos = 0;
  int rc = cli_parse("scan", argc, argv, opts, (int)(sizeof opts / sizeof *opts), &a->config, 1,
                     &n_pos, &a->help);
  if (rc == DIP_EXIT_OK && !a->config && !a->help) {
    fprintf(stderr, "dipscan scan: missing CONFIG.yaml (try 'dipscan scan --help')\n");
    return DIP_EXIT_USAGE;
  }
  double ranks = 0.0;
  a->calibrate = CALIBRATE_SECONDS;
  if (rc == DIP_EXIT_OK && a->ranks_text) {
    if (cli_double("scan", "ranks", a->ranks_text, &ranks) != 0)
      return DIP_EXIT_USAGE;
    if (ranks < 1 || ranks != floor(ranks) || ranks > 1e7) {
      fprintf(stderr, "dipscan scan: --ranks must be a whole number >= 1 (got '%s')\n",
              a->ranks_text);
      return DIP_EXIT_USAGE;
    }
  }
  a->ranks = (int)ranks;
  if (rc == DIP_EXIT_OK && a->calibrate_text) {
    if (cli_double("scan", "calibrate", a->calibrate_text, &a->calibrate) != 0)
      return DIP_EXIT_USAGE;
    if (!(a->calibrate >= 0.0)) {
      fprintf(stderr, "dipscan scan: --calibrate must be a number of seconds >= 0 (got '%s')\n",
              a->calibrate_text);
      return DIP_EXIT_USAGE;
    }
  }
  if (rc == DIP_EXIT_OK && !a->dry_run && (a->ranks_text || a->calibrate_text)) {
    fprintf(stderr, "dipscan scan: --ranks and --calibrate go with --dry-run\n");
    return DIP_EXIT_USAGE;
  }
  return rc;
}

/* The configuration's cards as the analysis reads them (config_experiment_path: relative files
 * against the configuration's folder); caller frees the array and its strings. */
static int card_paths(const scan_config *cfg, char ***out, dip_error *err) {
  char **paths = dip_calloc(cfg->n_experiments, sizeof *paths, err);
  if (!(*out = paths))
    return DIP_ENOMEM;
  for (size_t i = 0; i < cfg->n_experiments; i++) {
    char path[8192];
    if (config_experiment_path(cfg, i, path, sizeof path) != 0)
      return dip_error_set(err, DIP_EINVAL, "card path too long: %s", cfg->experiments[i]);
    if (!(paths[i] = dip_strdup(path, err)))
      return DIP_ENOMEM;
  }
  return DIP_SUCCESS;
}

/* Build the analysis and its entries (every rank), then the cube metadata from it. */
static int build_analysis(const scan_config *cfg, const analysis_options *opt, analysis **an,
                          dip_error *err) {
  char data_dir[4096], **cards = NULL;
  DIP_TRY(dip_data_dir(data_dir, sizeof data_dir, err));
  int status = card_paths(cfg, &cards, err);
  if (status == DIP_SUCCESS)
    status = analysis_init(an, data_dir, opt, (const char *const *)cards, cfg->n_experiments,
                           err);
  for (size_t i = 0; cards && i < cfg->n_experiments; i++)
    free(cards[i]);
  free(cards);
  DIP_TRY(status);
  size_t entry = 0;
  for (size_t i = 0; i < cfg->n_experiments; i++)
    DIP_TRY(analysis_add_entry(*an, &i, 1, &entry, err));
  for (size_t j = 0; j < cfg->n_joint; j++)
    DIP_TRY(analysis_add_entry(*an, cfg->joint[j].cards, cfg->joint[j].n, &entry, err));
  return DIP_SUCCESS;
}

typedef struct meta_store {
  const char **card_names, **card_checksums, **card_titles; /* [n_cards], owned by the analysis */
  const char **card_flags;                                  /* [n_cards], static strings */
} meta_store;

static void meta_store_free(meta_store *ms) {
  free(ms->card_names);
  free(ms->card_checksums);
  free(ms->card_titles);
  free(ms->card_flags);
}

/* The flags a card raises about its own numbers (card.h), as the cube's card_flags words. */
static const char *card_flag_words(const card *c) {
  static const char *const words[4] = {"none", "digitised", "exposure_to_check",
                                       "digitised exposure_to_check"};
  return words[(c->has_digitised ? 1 : 0) + (c->exposure_to_check ? 2 : 0)];
}

/* Provenance of the cube: version, card names, checksums, titles and flags. */
static int fill_meta(const analysis *an, cube_meta *meta, meta_store *ms, dip_error *err) {
  size_t n_cards = analysis_n_cards(an);
  if (!(ms->card_names = dip_calloc(n_cards, sizeof *ms->card_names, err)) ||
      !(ms->card_checksums = dip_calloc(n_cards, sizeof *ms->card_checksums, err)) ||
      !(ms->card_titles = dip_calloc(n_cards, sizeof *ms->card_titles, err)) ||
      !(ms->card_flags = dip_calloc(n_cards, sizeof *ms->card_flags, err)))
    return DIP_ENOMEM;
  for (size_t i = 0; i < n_cards; i++) {
    const card *c = analysis_card(an, i);
    ms->card_names[i] = analysis_card_name(an, i);
    ms->card_checksums[i] = analysis_card_checksum(an, i);
    ms->card_titles[i] = c->title ? c->title : c->name;
    ms->card_flags[i] = card_flag_words(c);
  }
  meta->card_titles = ms->card_titles;
  meta->card_flags = ms->card_flags;
  meta->version = DIPSCAN_VERSION;
  meta->card_names = ms->card_names;
  meta->card_checksums = ms->card_checksums;
  meta->n_cards = n_cards;
  return DIP_SUCCESS;
}

static void report_result(const scan_config *cfg, const scan_report *rep) {
  const cube_resume_info *r = &rep->resume;
  if (r->existed)
    fprintf(stderr,
            "dipscan scan: resumed %s: %zu units already done, %zu half-written units reset, "
            "%zu journal records dropped\n",
            cfg->output, r->units_done, r->units_reset, r->records_dropped);
  fprintf(stderr, "dipscan scan: %zu units computed in %.2f s (%.0f points/s); %zu/%zu done\n",
          rep->units_computed, rep->seconds, rep->points_per_second,
          rep->units_before + rep->units_computed, rep->units_total);
  if (rep->rank_seconds > 0)
    fprintf(stderr, "dipscan scan: rank time %.2f s: HDF5 I/O %.1f%%, MPI %.1f%%, on CPU %.1f%%; "
            "peak RSS per rank %ld KiB\n", rep->rank_seconds,
            100.0 * rep->io_seconds / rep->rank_seconds,
            100.0 * rep->mpi_seconds / rep->rank_seconds,
            100.0 * rep->cpu_seconds / rep->rank_seconds, rep->peak_rss_kb);
  const cube_io_count *io = &rep->io;
  if (rep->requests > 0 || rep->batches > 0)
    fprintf(stderr, "dipscan scan: dispatch: %zu batches (mean %.1f units), mean unit %.3g ms; "
            "rank 0 answered %zu requests in %.3g us each; workers waited %.3g s in all\n",
            rep->batches, rep->batches ? (double)rep->batched_units / (double)rep->batches : 0.0,
            1e3 * rep->unit_seconds, rep->requests,
            rep->requests ? 1e6 * rep->serve_seconds / (double)rep->requests : 0.0,
            rep->wait_seconds);
  if (io->units > 0)
    fprintf(stderr, "dipscan scan: writes: %zu units in %zu flushes: %.3g file-system writes "
            "per unit (%zu dataset writes, %zu journal appends, %zu syncs), %.0f bytes per unit\n",
            io->units, io->flushes,
            (double)(io->data_writes + io->journal_writes + io->syncs) / (double)io->units,
            io->data_writes, io->journal_writes, io->syncs,
            (double)(io->data_bytes + io->journal_bytes) / (double)io->units);
  if (rep->stopped)
    fprintf(stderr,
            "dipscan scan: stopped on request; %s is consistent and resumable: rerun the same "
            "command to continue\n",
            cfg->output);
  else
    fprintf(stderr, "dipscan scan: complete: %s\n", cfg->output);
}

/* Build the analysis, the evaluator and the provenance (every rank); agreed on by all ranks. */
static int build_model(const scan_config *cfg, const analysis_options *opt, analysis **an,
                       dipole_evaluator *dev, cube_meta *meta, meta_store *store,
                       dip_error *err) {
  int status = build_analysis(cfg, opt, an, err);
  if (status == DIP_SUCCESS)
    status = dipole_evaluator_init(dev, *an, opt, err);
  if (status == DIP_SUCCESS)
    status = fill_meta(*an, meta, store, err);
  return scan_agree(status, err, MPI_COMM_WORLD);
}

/* Rank 0: time whole units of CALIBRATE_M4 m4 values spread over the axis (every entry and
 * coupling of each, as the scan groups them), until budget seconds are spent (at least one unit);
 * *unit_seconds = their mean evaluator time. */
static int calibrate(const scan_config *cfg, const scan_evaluator *ev, double budget,
                     size_t *n_units, double *unit_seconds, dip_error *err) {
  unit_result r;
  DIP_TRY(unit_result_init(&r, ev->schema, cfg->n_mu, err));
  size_t samples = cfg->n_m4 < CALIBRATE_M4 ? cfg->n_m4 : CALIBRATE_M4, n = 0;
  double t0 = MPI_Wtime(), spent = 0.0;
  int status = DIP_SUCCESS;
  for (size_t i = 0; i < samples && status == DIP_SUCCESS && (n == 0 || spent < budget); i++) {
    size_t m = (2 * i + 1) * cfg->n_m4 / (2 * samples);
    for (size_t e = 0; e < config_n_entries(cfg) && status == DIP_SUCCESS; e++)
      for (size_t f = 0; f < cfg->n_couplings && status == DIP_SUCCESS; f++) {
        if (n > 0 && spent >= budget)
          break;
        unit_result_reset(&r);
        status = ev->eval(ev->ctx, e, cfg->couplings[f], cfg->m4[m], cfg->mu, cfg->n_mu, &r, err);
        n++;
        spent = MPI_Wtime() - t0;
      }
  }
  unit_result_free(&r);
  *n_units = n;
  *unit_seconds = n > 0 ? spent / (double)n : 0.0;
  return status;
}

/* The dry run's machine-readable lines (rank 0): names, then the estimate when calibrated. */
static void print_dry_run(const scan_config *cfg, const scan_estimate *est, size_t calibrated) {
  printf("dry_run.name: %s\ndry_run.output: %s\ndry_run.journal: %s.journal\n"
         "dry_run.units: %zu\ndry_run.points: %zu\ndry_run.mu_per_unit: %zu\n",
         cfg->name, cfg->output, cfg->output, config_n_units(cfg),
         config_n_units(cfg) * cfg->n_mu, cfg->n_mu);
  if (!est) {
    printf("# estimate: not calibrated (--calibrate 0)\n");
    return;
  }
  printf("# estimate (this machine's core; scale unit_seconds by the speed of the cluster's cores):"
         "\n#   %.3g core-seconds (%.3g core-hours); %.3g s wall on %d ranks (%d computing), "
         "efficiency %.0f%%\n",
         est->core_seconds, est->core_seconds / 3600.0, est->wall_seconds, est->ranks,
         est->computing_ranks, 100.0 * est->efficiency);
  printf("estimate.ranks: %d\nestimate.calibration_units: %zu\nestimate.unit_seconds: %.6g\n"
         "estimate.setup_seconds: %.6g\nestimate.core_seconds: %.6g\n"
         "estimate.wall_seconds: %.6g\nestimate.efficiency: %.4f\n",
         est->ranks, calibrated, est->unit_seconds, est->setup_seconds, est->core_seconds,
         est->wall_seconds, est->efficiency);
}

/* --dry-run: the plan and names; with a calibration budget, build the model (every rank: the
 * same collective set-up as a scan), time units on rank 0 and print the estimate. */
static int dry_run(const scan_args *a, const scan_config *cfg, const analysis_options *opt,
                   int rank, int size) {
  if (rank == 0)
    config_print_plan(cfg, a->ranks > 0 ? a->ranks : size, stdout);
  if (a->calibrate <= 0.0) {
    if (rank == 0)
      print_dry_run(cfg, NULL, 0);
    return DIP_SUCCESS;
  }
  dip_error err;
  dip_error_clear(&err);
  analysis *an = NULL;
  dipole_evaluator dev;
  memset(&dev, 0, sizeof dev);
  cube_meta meta;
  meta_store store = {NULL, NULL, NULL, NULL};
  double t0 = MPI_Wtime();
  int status = build_model(cfg, opt, &an, &dev, &meta, &store, &err);
  double setup = MPI_Wtime() - t0, unit_seconds = 0.0;
  size_t n = 0;
  if (status == DIP_SUCCESS && rank == 0)
    status = calibrate(cfg, &dev.ev, a->calibrate, &n, &unit_seconds, &err);
  status = scan_agree(status, &err, MPI_COMM_WORLD);
  if (status == DIP_SUCCESS && rank == 0) {
    scan_estimate est;
    scan_estimate_cost(config_n_units(cfg), unit_seconds, setup, a->ranks > 0 ? a->ranks : size,
                       &est);
    print_dry_run(cfg, &est, n);
  } else if (rank == 0) {
    fprintf(stderr, "dipscan scan: error (%s): %s\n", dip_status_name(status), err.msg);
  }
  meta_store_free(&store);
  dipole_evaluator_free(&dev);
  analysis_free(an);
  return status;
}

static int run(const scan_args *a, int rank, int size) {
  dip_error err;
  dip_error_clear(&err);
  analysis_options opt;
  config_model model;
  options_config_model(&model, &opt);
  scan_config cfg;
  analysis *an = NULL;
  int status = config_load_file(&cfg, a->config, &model, &err);
  if (status == DIP_SUCCESS && a->output)
    status = config_set_output(&cfg, a->output, &err);
  if (status == DIP_SUCCESS && a->dry_run) {
    status = dry_run(a, &cfg, &opt, rank, size);
    config_free(&cfg);
    return status == DIP_SUCCESS ? DIP_EXIT_OK : DIP_EXIT_ERROR;
  }
  if (status == DIP_SUCCESS && rank == 0)
    fprintf(stderr, "dipscan scan: %s, %d ranks, config hash %s\n%s%s", DIPSCAN_VERSION, size,
            cfg.hash, cfg.canonical, cfg.run_text);
  dipole_evaluator dev;
  memset(&dev, 0, sizeof dev);
  cube_meta meta;
  meta_store store = {NULL, NULL, NULL, NULL};
  if (status == DIP_SUCCESS)
    status = build_model(&cfg, &opt, &an, &dev, &meta, &store, &err);
  else
    status = scan_agree(status, &err, MPI_COMM_WORLD);
  if (status == DIP_SUCCESS && rank == 0)
    cli_card_warnings("scan", an, stderr);
  scan_report rep;
  memset(&rep, 0, sizeof rep);
  if (status == DIP_SUCCESS)
    status = scan_run(&cfg, &meta, a->restart, &dev.ev, MPI_COMM_WORLD, stderr, &rep, &err);
  if (status != DIP_SUCCESS && rep.fatal) {
    fprintf(stderr, "dipscan scan: error (%s): %s\n", dip_status_name(status), err.msg);
    fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, DIP_EXIT_ERROR);
  }
  if (status != DIP_SUCCESS && rank == 0)
    fprintf(stderr, "dipscan scan: error (%s): %s\n", dip_status_name(status), err.msg);
  if (status == DIP_SUCCESS && rank == 0)
    report_result(&cfg, &rep);
  meta_store_free(&store);
  dipole_evaluator_free(&dev);
  analysis_free(an);
  config_free(&cfg);
  return status == DIP_SUCCESS ? DIP_EXIT_OK : DIP_EXIT_ERROR;
}

int cmd_scan(int argc, char **argv) {
  scan_args a;
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int rc = parse_args(argc, argv, &a);
  if (rc == DIP_EXIT_OK && a.help && rank == 0)
    usage(stdout);
  /* Stop signals are caught from here to the end of the process: one arriving while the analysis
   * is being built stops the scan before its first unit, one arriving after the last unit is
   * harmless (a default action would kill a job that has completed). */
  scan_signals_install();
  if (rc == DIP_EXIT_OK && !a.help)
    rc = run(&a, rank, size);
  MPI_Finalize();
  scan_signals_restore();
  return rc;
}
