/*
 * cmd_scan.c — `dipscan scan CONFIG.yaml [--restart] [--dry-run] [--output FILE]`.
 *
 * Reads the scan configuration on every rank (the dipole analysis' sections through its
 * config_model, stats/options.h), logs the resolved configuration (rank 0), builds the analysis
 * once per rank (cards, responses, SM templates), adds the entries (one per experiment, then the
 * joint fits), and runs the scan engine with the dipole evaluator (stats/evaluator.h).  Errors
 * agreed on by all ranks are printed once by rank 0 and end with exit 1; an error inside the work
 * loop is printed by the failing rank and ends the job with MPI_Abort.
 * A stop on request (signal) ends with exit 0 and says how to resume.
 */
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
  int restart, dry_run, help;
} scan_args;

static void usage(FILE *out) {
  fprintf(out,
          "usage: dipscan scan CONFIG.yaml [--restart] [--dry-run] [--output FILE]\n\n"
          "Run (or resume) the scan described by CONFIG.yaml under MPI, e.g.\n"
          "  mpirun -np 4 dipscan scan scans/demo.yaml\n\n"
          "  --restart      delete an existing dipscan output (and its journal) and start over;\n"
          "                 anything else at the output path is refused, never deleted\n"
          "  --dry-run      print the resolved configuration and the work plan, then exit\n"
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
                             {"output", &a->output, NULL}};
  int n_pos = 0;
  int rc = cli_parse("scan", argc, argv, opts, (int)(sizeof opts / sizeof *opts), &a->config, 1,
                     &n_pos, &a->help);
  if (rc == DIP_EXIT_OK && !a->config && !a->help) {
    fprintf(stderr, "dipscan scan: missing CONFIG.yaml (try 'dipscan scan --help')\n");
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
    if (rank == 0)
      config_print_plan(&cfg, size, stdout);
    config_free(&cfg);
    return DIP_EXIT_OK;
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
  free(store.card_names);
  free(store.card_checksums);
  free(store.card_titles);
  free(store.card_flags);
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
