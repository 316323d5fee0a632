/*
 * cmd_scan.c — `dipscan scan CONFIG.yaml [--restart] [--dry-run] [--output FILE]`.
 *
 * Reads the scan configuration on every rank, logs the resolved configuration (rank 0), builds
 * the analysis once per rank (cards, responses, SM templates), adds the entries (one per
 * experiment, then the joint fits), and runs the scan engine with analysis_eval_unit as the
 * evaluator.  Errors agreed on by all ranks are printed once by rank 0 and end with exit 1; an
 * error inside the work loop is printed by the failing rank and ends the job with MPI_Abort.
 * A stop on request (signal) ends with exit 0 and says how to resume.
 */
#include <mpi.h>
#include <stdio.h>
#include <string.h>

#include "stats/analysis.h"
#include "cli/cmd.h"
#include "util/common.h"
#include "engine/config.h"
#include "engine/cube.h"
#include "engine/scan.h"
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
          "  --restart      delete an existing output (and its journal) and start over\n"
          "  --dry-run      print the resolved configuration and the work plan, then exit\n"
          "  --output FILE  write to FILE instead of the configuration's 'output'\n\n"
          "An existing output with the same configuration is resumed (finished units are kept);\n"
          "one written by a different configuration is refused.  SIGTERM, SIGUSR1 or SIGINT stop\n"
          "the scan gracefully (exit 0, resumable); a second signal aborts at once.\n");
}

static int parse_args(int argc, char **argv, scan_args *a) {
  memset(a, 0, sizeof *a);
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--restart"))
      a->restart = 1;
    else if (!strcmp(argv[i], "--dry-run"))
      a->dry_run = 1;
    else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
      a->help = 1;
    else if (!strcmp(argv[i], "--output") && i + 1 < argc)
      a->output = argv[++i];
    else if (argv[i][0] == '-' || a->config) {
      fprintf(stderr, "dipscan scan: unexpected argument '%s' (try 'dipscan scan --help')\n",
              argv[i]);
      return DIP_EXIT_USAGE;
    } else
      a->config = argv[i];
  }
  if (!a->config && !a->help) {
    fprintf(stderr, "dipscan scan: missing CONFIG.yaml (try 'dipscan scan --help')\n");
    return DIP_EXIT_USAGE;
  }
  return DIP_EXIT_OK;
}

static int eval_with_analysis(void *ctx, size_t entry, dip_coupling coupling, double m4,
                              const double *mu, size_t n_mu, double *chi2, unit_summary *s,
                              dip_error *err) {
  return analysis_eval_unit(ctx, entry, coupling, m4, mu, n_mu, chi2, s, err);
}

/* Build the analysis and its entries (every rank), then the cube metadata from it. */
static int build_analysis(const scan_config *cfg, analysis **an, dip_error *err) {
  char data_dir[4096];
  DIP_TRY(dip_data_dir(data_dir, sizeof data_dir, err));
  DIP_TRY(analysis_init(an, data_dir, &cfg->options, (const char *const *)cfg->experiments,
                        cfg->n_experiments, err));
  size_t entry = 0;
  for (size_t i = 0; i < cfg->n_experiments; i++)
    DIP_TRY(analysis_add_entry(*an, &i, 1, &entry, err));
  for (size_t j = 0; j < cfg->n_joint; j++)
    DIP_TRY(analysis_add_entry(*an, cfg->joint[j].cards, cfg->joint[j].n, &entry, err));
  return DIP_SUCCESS;
}

typedef struct meta_store {
  const char *card_names[64], *card_checksums[64], *entry_names[128];
  char nuisance_text[128 * ANALYSIS_MAX_NUISANCES][64];
  const char *nuisance_names[128 * ANALYSIS_MAX_NUISANCES];
} meta_store;

/* Names of every entry's nuisances, "" for unused slots. */
static int fill_nuisance_names(const analysis *an, meta_store *ms, dip_error *err) {
  for (size_t e = 0; e < analysis_n_entries(an); e++)
    for (size_t p = 0; p < ANALYSIS_MAX_NUISANCES; p++) {
      size_t slot = e * ANALYSIS_MAX_NUISANCES + p;
      char *name = ms->nuisance_text[slot];
      name[0] = '\0';
      if (p < analysis_n_nuisances(an, e) &&
          analysis_nuisance_name(an, e, p, name, sizeof ms->nuisance_text[slot]) != DIP_SUCCESS)
        return dip_error_set(err, DIP_EINVAL, "entry %s: nuisance %zu has no name that fits",
                             analysis_entry_name(an, e), p);
      ms->nuisance_names[slot] = name;
    }
  return DIP_SUCCESS;
}

static int fill_meta(const analysis *an, cube_meta *meta, meta_store *ms, dip_error *err) {
  size_t n_cards = analysis_n_cards(an), n_entries = analysis_n_entries(an);
  if (n_cards > 64 || n_entries > 128)
    return dip_error_set(err, DIP_EINVAL, "at most 64 cards and 128 entries per scan");
  for (size_t i = 0; i < n_cards; i++) {
    ms->card_names[i] = analysis_card_name(an, i);
    ms->card_checksums[i] = analysis_card_checksum(an, i);
  }
  for (size_t e = 0; e < n_entries; e++)
    ms->entry_names[e] = analysis_entry_name(an, e);
  meta->version = DIPSCAN_VERSION;
  meta->card_names = ms->card_names;
  meta->card_checksums = ms->card_checksums;
  meta->n_cards = n_cards;
  meta->entry_names = ms->entry_names;
  meta->nuisance_names = ms->nuisance_names;
  DIP_TRY(fill_nuisance_names(an, ms, err));
  meta->threshold_delta_chi2 = analysis_threshold_1dof(an);
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

static int run(const scan_args *a, int rank, int size) {
  dip_error err;
  dip_error_clear(&err);
  scan_config cfg;
  analysis *an = NULL;
  int status = config_load_file(&cfg, a->config, &err);
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
  if (status == DIP_SUCCESS)
    status = build_analysis(&cfg, &an, &err);
  cube_meta meta;
  meta_store store;
  if (status == DIP_SUCCESS)
    status = fill_meta(an, &meta, &store, &err);
  status = scan_agree(status, &err, MPI_COMM_WORLD);
  scan_report rep;
  memset(&rep, 0, sizeof rep);
  if (status == DIP_SUCCESS) {
    scan_evaluator ev = {eval_with_analysis, an};
    status = scan_run(&cfg, &meta, a->restart, &ev, MPI_COMM_WORLD, stderr, &rep, &err);
  }
  if (status != DIP_SUCCESS && rep.fatal) {
    fprintf(stderr, "dipscan scan: error (%s): %s\n", dip_status_name(status), err.msg);
    fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, DIP_EXIT_ERROR);
  }
  if (status != DIP_SUCCESS && rank == 0)
    fprintf(stderr, "dipscan scan: error (%s): %s\n", dip_status_name(status), err.msg);
  if (status == DIP_SUCCESS && rank == 0)
    report_result(&cfg, &rep);
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
