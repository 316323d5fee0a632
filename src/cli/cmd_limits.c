/*
 * cmd_limits.c — `dipscan limits CUBE.h5 [options]`: reduce a scan cube to a CSV of limits, write
 * them back into the cube (/limits_reduced) and draw the plots.
 *
 * Order: load the --overlay files (a bad one stops everything before any output), read the cube
 * (read-only), reduce, print conventions, anything missing and the grid warnings to stderr, write
 * the CSV with its provenance sidecar (and the HEPData submission), then open the cube read-write
 * (unless the scan is still marked running or --no-write), then plot.  Serial: no MPI.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "util/common.h"
#include "cli/figure_physics.h"
#include "output/hepdata.h"
#include "output/plot.h"
#include "output/provenance.h"
#include "output/reduce.h"
#include "version.h"

#define MAX_PROFILES 16

typedef struct limits_args {
  const char *cube, *csv, *plot_dir, *hepdata_dir;
  double cl;             /* NaN: the cube's */
  int dof_mask;          /* CSV rows: bit 0 = 1 dof, bit 1 = 2 dof */
  int kind;              /* -1: the cube's */
  double profile_m4[MAX_PROFILES];
  size_t n_profiles;
  int no_write;
  const char *overlay[PLOT_MAX_OVERLAYS]; /* --overlay specs, in order (repeatable) */
  size_t n_overlays;
} limits_args;

static void usage(FILE *out) {
  fprintf(out,
          "usage: dipscan limits CUBE.h5 [--csv FILE] [--plot DIR] [--hepdata DIR] [--cl CL]\n"
          "                      [--dof 1|2] [--threshold two-sided|one-sided] [--profile-m4 LIST]\n"
          "                      [--no-write]\n"
          "\n"
          "Reduce a scan cube to upper limits on the transition moment mu [mu_B] vs m4 [MeV].\n"
          "  1 dof: Delta chi^2 w.r.t. the minimum over mu at fixed m4 crosses the threshold\n"
          "         (interpolated in log mu; the engine's root-found value when it agrees).\n"
          "  2 dof: contour Delta chi^2 = chi^2_2 quantile (4.605 at 90%%) w.r.t. the global\n"
          "         minimum of each (experiment, coupling) plane: upper edge (and a lower edge in the\n"
          "         cube when mu = 0 is excluded).\n"
          "Unfinished units are skipped and listed on stderr.\n"
          "\n"
          "options:\n"
          "  --csv FILE        CSV output (default: CUBE without .h5 + _limits.csv; '-' = stdout);\n"
          "                    header experiment,coupling,m4_MeV,data,cl,dof,mu_limit_muB,...,status;\n"
          "                    status: ok | above_grid (1 dof: the engine's root-found value above\n"
          "                    the mu grid; 2 dof: inf) | below_grid | no_sensitivity (inf) |\n"
          "                    all_excluded (2 dof: 0, every mu excluded at that m4) | failed (nan)\n"
          "                    next to it FILE.json: the conventions and provenance (CL, dof,\n"
          "                    threshold, data, physics choices, versions, config hash, cards)\n"
          "  --hepdata DIR     write a HEPData submission: DIR/submission.yaml and one\n"
          "                    DIR/table_N.yaml per experiment entry and coupling\n"
          "  --plot DIR        write exclusion.{png,pdf}, profile_m4_X.{png,pdf} (Delta chi^2 vs mu)\n"
          "                    and kinematics.{png,pdf} (E_min(T) for several m4) into DIR, with\n"
          "                    the .dat data and .gp gnuplot scripts next to them\n"
          "  --cl CL           confidence level in (0,1) (default: the cube's, else 0.90)\n"
          "  --dof 1|2         CSV rows for this dof only (default: both)\n"
          "  --threshold T     1-dof convention: two-sided (chi^2_1 quantile, 2.706 at 90%%) or\n"
          "                    one-sided ((Phi^-1(CL))^2, 1.642 at 90%%) (default: the cube's)\n"
          "  --profile-m4 LIST comma-separated m4 values [MeV] for the profile plots\n"
          "                    (default 0.01,0.3; the nearest grid values are used)\n"
          "  --overlay FILE:LABEL[:COUPLING]\n"
          "                    draw a published limit next to ours in the exclusion plots (every\n"
          "                    panel, or only COUPLING's); FILE: m4 [MeV] and mu [mu_B] per line,\n"
          "                    '#' comments and one header line allowed; repeatable (up to 8)\n"
          "  --no-write        do not write /limits_reduced into the cube\n"
          "  -h, --help        this text\n"
          "A cube scanned with statistics.neyman also gets the CSV column mu_limit_neyman_muB\n"
          "(1 dof; +inf: past the Neyman axis, nan: below it) and the plots neyman_limits\n"
          "(Neyman vs Wilks) and neyman_tcrit_m4_X (t_c(mu) vs 2.706 at the --profile-m4 values).\n");
}

static int parse_profiles(const char *list, limits_args *a) {
  char **items;
  int n;
  if (cli_list(list, &items, &n) != DIP_SUCCESS)
    return DIP_EXIT_ERROR;
  int rc = n > MAX_PROFILES ? DIP_EXIT_USAGE : DIP_EXIT_OK;
  for (int k = 0; rc == DIP_EXIT_OK && k < n; k++) {
    rc = cli_double("limits", "profile-m4", items[k], &a->profile_m4[k]);
    if (rc == DIP_EXIT_OK && !(a->profile_m4[k] > 0.0))
      rc = DIP_EXIT_USAGE;
  }
  cli_list_free(items, n);
  a->n_profiles = (size_t)n;
  if (rc != DIP_EXIT_OK)
    fprintf(stderr, "dipscan limits: --profile-m4 expects up to %d positive masses [MeV], got '%s'\n",
            MAX_PROFILES, list);
  return rc;
}

static int bad_value(const char *opt, const char *val) {
  fprintf(stderr, "dipscan limits: bad value '%s' for --%s (try 'dipscan limits --help')\n", val,
          opt);
  return DIP_EXIT_USAGE;
}

/* --overlay may be given several times (cli_parse keeps the last): collect every value first. */
static int collect_overlays(int argc, char **argv, limits_args *a) {
  for (int i = 1; i < argc; i++) {
    const char *v = !strncmp(argv[i], "--overlay=", 10) ? argv[i] + 10
                    : !strcmp(argv[i], "--overlay") && i + 1 < argc ? argv[++i]
                                                                    : NULL;
    if (!v)
      continue;
    if (a->n_overlays == PLOT_MAX_OVERLAYS) {
      fprintf(stderr, "dipscan limits: at most %d --overlay options\n", PLOT_MAX_OVERLAYS);
      return DIP_EXIT_USAGE;
    }
    a->overlay[a->n_overlays++] = v;
  }
  return DIP_EXIT_OK;
}

/* Returns DIP_EXIT_OK to go on, DIP_EXIT_USAGE on a usage error, or -1 after printing --help. */
static int parse_args(int argc, char **argv, limits_args *a) {
  *a = (limits_args){.cl = NAN, .dof_mask = 3, .kind = -1, .profile_m4 = {0.01, 0.3},
                     .n_profiles = 2};
  const char *cl = NULL, *dof = NULL, *threshold = NULL, *profiles = NULL, *overlay = NULL;
  const cli_option opts[] = {{"csv", &a->csv, NULL},          {"plot", &a->plot_dir, NULL},
                             {"cl", &cl, NULL},               {"dof", &dof, NULL},
                             {"threshold", &threshold, NULL}, {"profile-m4", &profiles, NULL},
                             {"hepdata", &a->hepdata_dir, NULL},
                             {"overlay", &overlay, NULL},
                             {"no-write", NULL, &a->no_write}};
  int n_pos = 0, help = 0;
  int rc = cli_parse("limits", argc, argv, opts, (int)(sizeof opts / sizeof *opts), &a->cube, 1,
                     &n_pos, &help);
  if (rc != DIP_EXIT_OK)
    return rc;
  if (help) {
    usage(stdout);
    return -1;
  }
  if (overlay && !a->plot_dir) {
    fprintf(stderr, "dipscan limits: --overlay draws into the plots: give --plot DIR too\n");
    return DIP_EXIT_USAGE;
  }
  if ((rc = collect_overlays(argc, argv, a)) != DIP_EXIT_OK)
    return rc;
  if (!a->cube) {
    usage(stderr);
    return DIP_EXIT_USAGE;
  }
  if (cl && (cli_double("limits", "cl", cl, &a->cl) != DIP_EXIT_OK || !(a->cl > 0 && a->cl < 1)))
    return bad_value("cl", cl);
  if (dof && strcmp(dof, "1") && strcmp(dof, "2"))
    return bad_value("dof", dof);
  if (dof)
    a->dof_mask = !strcmp(dof, "2") ? 2 : 1;
  threshold_kind kind;
  if (threshold && threshold_from_name(threshold, &kind, NULL) != DIP_SUCCESS)
    return bad_value("threshold", threshold);
  if (threshold)
    a->kind = (int)kind;
  return profiles ? parse_profiles(profiles, a) : DIP_EXIT_OK;
}

static void default_csv_path(const char *cube, char *out, size_t n) {
  size_t len = strlen(cube);
  if (len > 3 && !strcmp(cube + len - 3, ".h5"))
    len -= 3;
  snprintf(out, n, "%.*s_limits.csv", (int)len, cube);
}

static void print_conventions(const reduce_result *r, const reduce_cube *c, const char *path) {
  fprintf(stderr,
          "limits: %s (status %s): %zu entries x %zu couplings x %zu m4 x %zu mu; data %s; mu in "
          "mu_B (XENONnT normalisation), m4 in MeV\n"
          "limits: cl %g; 1 dof %s, Delta chi^2 = %.4f w.r.t. the minimum over mu at fixed m4; "
          "2 dof Delta chi^2 = %.4f w.r.t. each plane's global minimum; the CSV's status column "
          "says what each limit is (ok, above_grid, below_grid, no_sensitivity, all_excluded, "
          "failed)\n",
          path, c->status[0] ? c->status : "unknown", c->n_entries, c->n_couplings, c->n_m4, c->n_mu,
          c->data[0] ? c->data : "unknown", r->cl,
          threshold_name(r->kind), r->delta_chi2_1dof,
          r->delta_chi2_2dof);
  if (r->engine_comparable && r->n_engine_checked)
    fprintf(stderr, "limits: grid 1-dof crossings agree with the engine's root-found limits "
                    "within the grid spacing for %zu of %zu units\n",
            r->n_engine_checked - r->n_engine_disagree, r->n_engine_checked);
  else if (c->engine_mu_1dof)
    fprintf(stderr, "limits: the cube's own 1-dof limits use Delta chi^2 = %.4f, not ours: "
                    "grid interpolation only\n",
            c->engine_threshold);
}

/* The CSV, its provenance sidecar and, with --hepdata, the HEPData submission. */
static int write_tables(const limits_args *a, const reduce_result *r, const reduce_cube *c,
                        dip_error *err) {
  char csv[4096];
  if (a->csv)
    snprintf(csv, sizeof csv, "%s", !strcmp(a->csv, "-") ? "/dev/stdout" : a->csv);
  else
    default_csv_path(a->cube, csv, sizeof csv);
  DIP_TRY(reduce_write_csv(r, c, csv, a->dof_mask, err));
  provenance p;
  DIP_TRY(provenance_init(&p, r, c, a->cube, "dipscan " DIPSCAN_VERSION, err));
  int status = strcmp(csv, "/dev/stdout") ? provenance_write_json(&p, csv, err) : DIP_SUCCESS;
  if (status == DIP_SUCCESS && strcmp(csv, "/dev/stdout"))
    fprintf(stderr, "limits: wrote %s and its provenance %s.json\n", csv, csv);
  if (status == DIP_SUCCESS && a->hepdata_dir &&
      (status = hepdata_write(r, c, &p, a->hepdata_dir, err)) == DIP_SUCCESS)
    fprintf(stderr, "limits: wrote the HEPData submission %s/submission.yaml\n", a->hepdata_dir);
  provenance_free(&p);
  return status;
}

/* /limits_reduced, unless --no-write or the scan is still marked running. */
static int write_cube(const limits_args *a, const reduce_result *r, const reduce_cube *c,
                      dip_error *err) {
  if (a->no_write)
    fprintf(stderr, "limits: --no-write: the cube is left unchanged\n");
  else if (!strcmp(c->status, "running"))
    fprintf(stderr, "limits: the cube is marked 'running' (scan in progress, or killed before "
                    "it could record its end): /limits_reduced not written; resume the scan or "
                    "pass --no-write\n");
  else {
    DIP_TRY(reduce_write_cube(r, c, a->cube, "dipscan " DIPSCAN_VERSION, err));
    fprintf(stderr, "limits: wrote /limits_reduced into %s\n", a->cube);
  }
  return DIP_SUCCESS;
}

static int write_plots(const limits_args *a, const reduce_result *r, const reduce_cube *c,
                       const plot_overlay *overlays, dip_error *err) {
  plot_physics ph;
  figure_physics_fill(&ph, (const char *const *)c->entries, c->n_entries, stderr);
  DIP_TRY(plot_exclusion(c, r, &ph, overlays, a->n_overlays, a->plot_dir, err));
  DIP_TRY(plot_profiles(c, r, &ph, a->profile_m4, a->n_profiles, a->plot_dir, err));
  DIP_TRY(plot_kinematics(&ph, a->plot_dir, err));
  DIP_TRY(plot_brazil(c, r, &ph, a->plot_dir, err));
  DIP_TRY(plot_neyman(c, r, &ph, a->profile_m4, a->n_profiles, a->plot_dir, err));
  fprintf(stderr, "limits: plots in %s/: exclusion.png, profile_m4_*.png, kinematics.png%s%s "
                  "(+ .pdf, .dat, .gp; single-column *_column.pdf)\n",
          a->plot_dir, reduce_expected_band(c) ? ", brazil*.png" : "",
          reduce_has_neyman(c) ? ", neyman_limits.png, neyman_tcrit_m4_*.png" : "");
  return DIP_SUCCESS;
}

/* Every --overlay file, loaded (and checked) before anything is written. */
static int load_overlays(const limits_args *a, plot_overlay *overlays, dip_error *err) {
  for (size_t k = 0; k < a->n_overlays; k++)
    if (plot_overlay_load(&overlays[k], a->overlay[k], err) != DIP_SUCCESS) {
      while (k > 0)
        plot_overlay_free(&overlays[--k]);
      return err->status;
    }
  return DIP_SUCCESS;
}

static int reduce_and_write(const limits_args *a, const plot_overlay *overlays, dip_error *err) {
  reduce_cube c;
  DIP_TRY(reduce_cube_read(&c, a->cube, err));
  if (plot_overlay_check(overlays, a->n_overlays, &c, err) != DIP_SUCCESS) {
    reduce_cube_free(&c);
    return err->status;
  }
  reduce_options o = {
      .cl = isnan(a->cl) ? (c.engine_cl > 0.0 && c.engine_cl < 1.0 ? c.engine_cl : 0.90) : a->cl,
      .kind = a->kind >= 0 ? (threshold_kind)a->kind : THRESHOLD_TWO_SIDED};
  if (a->kind < 0 && c.threshold_name[0])
    threshold_from_name(c.threshold_name, &o.kind, NULL); /* the cube's convention if it names one */
  reduce_result r;
  int status = reduce_run(&r, &c, &o, err);
  if (status == DIP_SUCCESS) {
    print_conventions(&r, &c, a->cube);
    reduce_report_missing(&r, &c, stderr);
    reduce_report_status(&c, stderr);
    reduce_report_grid(&r, &c, stderr);
    status = write_tables(a, &r, &c, err);
    if (status == DIP_SUCCESS)
      status = write_cube(a, &r, &c, err);
    if (status == DIP_SUCCESS && a->plot_dir)
      status = write_plots(a, &r, &c, overlays, err);
    reduce_result_free(&r);
  }
  reduce_cube_free(&c);
  return status;
}

int cmd_limits(int argc, char **argv) {
  limits_args a;
  int parsed = parse_args(argc, argv, &a);
  if (parsed != DIP_EXIT_OK)
    return parsed < 0 ? DIP_EXIT_OK : parsed;
  dip_error err;
  dip_error_clear(&err);
  plot_overlay overlays[PLOT_MAX_OVERLAYS];
  int status = load_overlays(&a, overlays, &err);
  if (status == DIP_SUCCESS) {
    status = reduce_and_write(&a, overlays, &err);
    for (size_t k = 0; k < a.n_overlays; k++)
      plot_overlay_free(&overlays[k]);
  }
  if (status != DIP_SUCCESS) {
    fprintf(stderr, "dipscan limits: %s\n", err.msg);
    return DIP_EXIT_ERROR;
  }
  return DIP_EXIT_OK;
}
