/*
 * cmd_limits.c — `dipscan limits CUBE.h5 [options]`: reduce a scan cube to a CSV of limits, write
 * them back into the cube (/limits_reduced) and draw the plots.
 *
 * Order: read the cube (read-only), reduce, print conventions and anything missing to stderr,
 * write the CSV, then open the cube read-write (unless the scan is still marked running or
 * --no-write), then plot.  Serial: no MPI.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "common.h"
#include "plot.h"
#include "reduce.h"
#include "version.h"

#define MAX_PROFILES 16

typedef struct limits_args {
  const char *cube, *csv, *plot_dir;
  double cl;             /* NaN: the cube's */
  int dof_mask;          /* CSV rows: bit 0 = 1 dof, bit 1 = 2 dof */
  int kind;              /* -1: the cube's */
  double profile_m4[MAX_PROFILES];
  size_t n_profiles;
  int no_write;
} limits_args;

static void usage(FILE *out) {
  fprintf(out,
          "usage: dipscan limits CUBE.h5 [--csv FILE] [--plot DIR] [--cl CL] [--dof 1|2]\n"
          "                      [--threshold two-sided|one-sided] [--profile-m4 LIST] [--no-write]\n"
          "\n"
          "Reduce a scan cube to upper limits on the transition moment mu [mu_B] vs m4 [MeV].\n"
          "  1 dof: Delta chi^2 w.r.t. the minimum over mu at fixed m4 crosses the threshold\n"
          "         (interpolated in log mu; the engine's root-found value when it agrees).\n"
          "  2 dof: contour Delta chi^2 = chi^2_2 quantile (4.605 at 90%%) w.r.t. the global\n"
          "         minimum of each (experiment, flavor) plane: upper edge (and a lower edge in the\n"
          "         cube when mu = 0 is excluded).\n"
          "Unfinished units are skipped and listed on stderr.\n"
          "\n"
          "options:\n"
          "  --csv FILE        CSV output (default: CUBE without .h5 + _limits.csv; '-' = stdout);\n"
          "                    header experiment,flavor,m4_MeV,data,cl,dof,mu_limit_muB, inf = no\n"
          "                    sensitivity inside the mu grid\n"
          "  --plot DIR        write exclusion.{png,pdf}, profile_m4_X.{png,pdf} (Delta chi^2 vs mu)\n"
          "                    and kinematics.{png,pdf} (E_min(T) for several m4) into DIR, with\n"
          "                    the .dat data and .gp gnuplot scripts next to them\n"
          "  --cl CL           confidence level in (0,1) (default: the cube's, else 0.90)\n"
          "  --dof 1|2         CSV rows for this dof only (default: both)\n"
          "  --threshold T     1-dof convention: two-sided (chi^2_1 quantile, 2.706 at 90%%) or\n"
          "                    one-sided ((Phi^-1(CL))^2, 1.642 at 90%%) (default: the cube's)\n"
          "  --profile-m4 LIST comma-separated m4 values [MeV] for the profile plots\n"
          "                    (default 0.01,0.3; the nearest grid values are used)\n"
          "  --no-write        do not write /limits_reduced into the cube\n"
          "  -h, --help        this text\n");
}

static int parse_number(const char *text, double *out) {
  char *end;
  *out = strtod(text, &end);
  return end != text && *end == '\0' && isfinite(*out);
}

static int parse_profiles(const char *list, limits_args *a) {
  char buf[1024];
  snprintf(buf, sizeof buf, "%s", list);
  a->n_profiles = 0;
  for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    if (a->n_profiles == MAX_PROFILES || !parse_number(tok, &a->profile_m4[a->n_profiles]) ||
        !(a->profile_m4[a->n_profiles] > 0.0))
      return 0;
    a->n_profiles++;
  }
  return a->n_profiles > 0;
}

/* Parse one option with its value; returns 0 on success, else prints the problem. */
static int parse_option(const char *opt, const char *val, limits_args *a) {
  static const char *const known[] = {"--csv", "--plot", "--cl", "--dof", "--threshold",
                                      "--profile-m4"};
  int is_known = 0;
  for (size_t k = 0; k < sizeof known / sizeof *known; k++)
    is_known |= !strcmp(opt, known[k]);
  if (!is_known) {
    fprintf(stderr, "dipscan limits: unknown option '%s' (try 'dipscan limits --help')\n", opt);
    return -1;
  }
  if (!val) {
    fprintf(stderr, "dipscan limits: option %s needs a value\n", opt);
    return -1;
  }
  int ok = 1;
  if (!strcmp(opt, "--csv"))
    a->csv = val;
  else if (!strcmp(opt, "--plot"))
    a->plot_dir = val;
  else if (!strcmp(opt, "--cl"))
    ok = parse_number(val, &a->cl) && a->cl > 0.0 && a->cl < 1.0;
  else if (!strcmp(opt, "--dof")) {
    ok = !strcmp(val, "1") || !strcmp(val, "2");
    a->dof_mask = !strcmp(val, "2") ? 2 : 1;
  } else if (!strcmp(opt, "--threshold")) {
    ok = !strcmp(val, "two-sided") || !strcmp(val, "one-sided");
    a->kind = !strcmp(val, "one-sided") ? THRESHOLD_ONE_SIDED : THRESHOLD_TWO_SIDED;
  }
  else
    ok = parse_profiles(val, a);
  if (!ok)
    fprintf(stderr, "dipscan limits: bad value '%s' for %s (try 'dipscan limits --help')\n", val,
            opt);
  return ok ? 0 : -1;
}

/* Returns -1 (usage error), 1 (--help printed) or 0. */
static int parse_args(int argc, char **argv, limits_args *a) {
  *a = (limits_args){.cl = NAN, .dof_mask = 3, .kind = -1, .profile_m4 = {0.01, 0.3},
                     .n_profiles = 2};
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
      usage(stdout);
      return 1;
    }
    if (!strcmp(arg, "--no-write"))
      a->no_write = 1;
    else if (arg[0] == '-' && arg[1] != '\0') {
      if (parse_option(arg, i + 1 < argc ? argv[i + 1] : NULL, a) != 0)
        return -1;
      i++;
    } else if (!a->cube)
      a->cube = arg;
    else {
      fprintf(stderr, "dipscan limits: unexpected argument '%s' (one cube at a time)\n", arg);
      return -1;
    }
  }
  if (!a->cube) {
    usage(stderr);
    return -1;
  }
  return 0;
}

static void default_csv_path(const char *cube, char *out, size_t n) {
  size_t len = strlen(cube);
  if (len > 3 && !strcmp(cube + len - 3, ".h5"))
    len -= 3;
  snprintf(out, n, "%.*s_limits.csv", (int)len, cube);
}

static void print_conventions(const reduce_result *r, const reduce_cube *c, const char *path) {
  fprintf(stderr,
          "limits: %s (status %s): %zu entries x %zu flavors x %zu m4 x %zu mu; data %s; mu in "
          "mu_B (XENONnT normalisation), m4 in MeV\n"
          "limits: cl %g; 1 dof %s, Delta chi^2 = %.4f w.r.t. the minimum over mu at fixed m4; "
          "2 dof Delta chi^2 = %.4f w.r.t. each plane's global minimum; inf = no sensitivity "
          "inside the mu grid\n",
          path, c->status[0] ? c->status : "unknown", c->n_entries, c->n_flavors, c->n_m4, c->n_mu,
          c->data[0] ? c->data : "unknown", r->cl,
          r->kind == THRESHOLD_ONE_SIDED ? "one-sided" : "two-sided", r->delta_chi2_1dof,
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

static int write_outputs(const limits_args *a, const reduce_result *r, const reduce_cube *c,
                         dip_error *err) {
  char csv[4096];
  if (a->csv)
    snprintf(csv, sizeof csv, "%s", !strcmp(a->csv, "-") ? "/dev/stdout" : a->csv);
  else
    default_csv_path(a->cube, csv, sizeof csv);
  DIP_TRY(reduce_write_csv(r, c, csv, a->dof_mask, err));
  if (strcmp(csv, "/dev/stdout"))
    fprintf(stderr, "limits: wrote %s\n", csv);
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
  if (!a->plot_dir)
    return DIP_SUCCESS;
  DIP_TRY(plot_exclusion(c, r, a->plot_dir, err));
  DIP_TRY(plot_profiles(c, r, a->profile_m4, a->n_profiles, a->plot_dir, err));
  DIP_TRY(plot_kinematics(a->plot_dir, err));
  fprintf(stderr, "limits: plots in %s/: exclusion.png, profile_m4_*.png, kinematics.png "
                  "(+ .pdf, .dat, .gp)\n",
          a->plot_dir);
  return DIP_SUCCESS;
}

int cmd_limits(int argc, char **argv) {
  limits_args a;
  int parsed = parse_args(argc, argv, &a);
  if (parsed != 0)
    return parsed > 0 ? DIP_EXIT_OK : DIP_EXIT_USAGE;
  dip_error err;
  dip_error_clear(&err);
  reduce_cube c;
  if (reduce_cube_read(&c, a.cube, &err) != DIP_SUCCESS) {
    fprintf(stderr, "dipscan limits: %s\n", err.msg);
    return DIP_EXIT_ERROR;
  }
  reduce_options o = {
      .cl = isnan(a.cl) ? (c.engine_cl > 0.0 && c.engine_cl < 1.0 ? c.engine_cl : 0.90) : a.cl,
      .kind = a.kind >= 0 ? (threshold_kind)a.kind
              : !strcmp(c.threshold_name, "one-sided") ? THRESHOLD_ONE_SIDED
                                                       : THRESHOLD_TWO_SIDED};
  reduce_result r;
  int status = reduce_run(&r, &c, &o, &err);
  if (status == DIP_SUCCESS) {
    print_conventions(&r, &c, a.cube);
    reduce_report_missing(&r, &c, stderr);
    status = write_outputs(&a, &r, &c, &err);
    reduce_result_free(&r);
  }
  reduce_cube_free(&c);
  if (status != DIP_SUCCESS) {
    fprintf(stderr, "dipscan limits: %s\n", err.msg);
    return DIP_EXIT_ERROR;
  }
  return DIP_EXIT_OK;
}
