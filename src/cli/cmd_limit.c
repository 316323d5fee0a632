/*
 * cmd_limit.c — `dipscan limit`: profiled-chi^2 limits on mu at fixed m4 values, no scan needed.
 *
 * --experiment takes a comma-separated list of entries; an entry joins card names with '+' for a
 * joint fit (shared solar-flux nuisances, separate background nuisances).  --dof 1 gives the
 * crossing of chi^2(mu) - chi^2_min(m4) with the 1-dof threshold; --dof 2 the crossing of
 * chi^2(m4, mu) - chi^2_global with the 2-dof threshold, the global minimum taken over the m4
 * values given.  CSV on stdout:
 * experiment,coupling,m4_MeV,data,cl,dof,mu_limit_muB,chi2_min,mu_best_muB  (inf = no sensitivity),
 * and at 1 dof, unless --expected none, the expected band, the power-constrained limit and the
 * local significance (stats/bands.h):
 * ...,expected_m2_muB,expected_m1_muB,expected_median_muB,expected_p1_muB,expected_p2_muB,
 * mu_limit_pcl_muB,z_local.  With toys, every row's MC errors of the edges and the empirical local
 * p-value go to stderr.  The toys of a row are keyed by (--seed, entry index, coupling, m4)
 * (analysis_unit_key), as in a scan with the same entries.
 *
 * --method neyman (1 dof only) adds the Neyman construction (stats/neyman.h, docs/physics.md
 * §12): --toys N toys per point (default 1000) on the axis --neyman-mu FROM:TO:POINTS[:SPACING]
 * (default: 12 log points from 0.3 to 3 times the row's Wilks limit), the column
 * mu_limit_neyman_muB (the upper end of {t_obs <= t_c}, t_c interpolated linearly in mu, t_obs
 * profiled on 8 sub-points per interval) and, on stderr, t_c(mu) with its MC error and t_obs.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats/analysis.h"
#include "stats/dipole_result.h"
#include "cli/cmd.h"
#include "stats/bands.h"
#include "stats/limit.h"
#include "stats/options.h"

static const char *const limit_help =
    "usage: dipscan limit --experiment NAME[,NAME...] --m4 MEV[,MEV...]\n"
    "                     [--coupling universal|e|mu|tau|all] [--data observed|asimov]\n"
    "                     [--split simple|full] [--cl 0.90] [--dof 1|2]\n"
    "                     [--threshold two-sided|one-sided] [--electrons free|stepping]\n"
    "                     [--solar-model b16-gs98|b16-agss09met] [--sources all|pp,7Be,...]\n"
    "                     [--day-night on|off] [--background free|card]\n"
    "                     [--expected none|asimov|toys] [--toys 1000] [--seed 1]\n"
    "                     [--power-threshold 0.32] [--method wilks|neyman]\n"
    "                     [--neyman-mu FROM:TO:POINTS[:log|linear]]\n\n"
    "Profiled Poisson chi^2 limits on the transition magnetic moment (mu_B) at fixed m4 (MeV).\n"
    "An experiment entry joins card names with '+' for a joint fit, e.g. xenonnt_sr0+pandax4t_run1.\n"
    "1 dof: Delta chi^2 w.r.t. the minimum over mu >= 0 at each m4 (90% two-sided: 2.706).\n"
    "2 dof: Delta chi^2 w.r.t. the global minimum over the given m4 values and mu (90%: 4.605).\n"
    "CSV on stdout: experiment,coupling,m4_MeV,data,cl,dof,mu_limit_muB,chi2_min,mu_best_muB\n"
    "1 dof, unless --expected none (default asimov; toys: N background-only toys): appended\n"
    "expected_m2_muB,expected_m1_muB,expected_median_muB,expected_p1_muB,expected_p2_muB,\n"
    "mu_limit_pcl_muB,z_local (band edges at -2..+2 sigma, power-constrained limit, local Z).\n"
    "--method neyman (1 dof; --toys N per mu point, default 1000; --expected none|asimov): the\n"
    "Feldman-Cousins limit from toys, column mu_limit_neyman_muB; t_c(mu) on stderr.\n"
    "--neyman-mu: its mu axis (default 12 log points over 0.3..3 x the row's Wilks limit).\n";

typedef struct limit_args {
  const char *experiment, *m4, *coupling, *dof, *method, *neyman_mu;
  const char *expected[4]; /* --expected --toys --seed --power-threshold */
  cli_physics physics;
} limit_args;

static const char *const expected_flags[4] = {"expected", "toys", "seed", "power-threshold"};
static const char *const expected_keys[4] = {"expected", "toys", "seed", "power_threshold"};

typedef struct limit_plan {
  analysis_options opt;
  char **entries;
  int n_entries;
  double *m4;
  int n_m4;
  dip_coupling couplings[N_COUPLINGS];
  int n_couplings;
  int dof;
  int neyman;      /* --method neyman */
  int neyman_auto; /* no --neyman-mu: the axis follows each row's Wilks limit */
} limit_plan;

static const char *const method_words[] = {"wilks", "neyman"};
static const dip_names method_names = DIP_NAMES("method", method_words);

/* --neyman-mu FROM:TO:POINTS[:SPACING] through the option setter (neyman.mu.*). */
static int parse_neyman_mu(const char *text, analysis_options *opt, dip_error *err) {
  static const char *const keys[] = {"neyman.mu.from", "neyman.mu.to", "neyman.mu.points",
                                     "neyman.mu.spacing"};
  char work[256];
  snprintf(work, sizeof work, "%s", text);
  size_t n = 0;
  for (char *save = NULL, *w = strtok_r(work, ":", &save); w; w = strtok_r(NULL, ":", &save)) {
    if (n == 4)
      return dip_error_set(err, DIP_EINVAL, "expected FROM:TO:POINTS[:SPACING], got '%s'", text);
    DIP_TRY(analysis_option_set(opt, keys[n++], w, err));
  }
  if (n < 3)
    return dip_error_set(err, DIP_EINVAL, "expected FROM:TO:POINTS[:SPACING], got '%s'", text);
  double axis[NEYMAN_MAX_POINTS];
  size_t points;
  return neyman_axis(&opt->neyman, axis, &points, err);
}

/* --method: neyman takes --toys for itself (1000 by default) and refuses --expected toys. */
static int parse_method(const limit_args *a, limit_plan *p, dip_error *err) {
  int method = 0;
  if (a->method && dip_names_find(&method_names, a->method, &method, err))
    return dip_error_prefix(err, "--method");
  p->neyman = method == 1;
  if (!p->neyman)
    return a->neyman_mu ? dip_error_set(err, DIP_EINVAL, "--neyman-mu needs --method neyman")
                        : DIP_SUCCESS;
  if (p->opt.expected == EXPECTED_TOYS)
    return dip_error_set(err, DIP_EINVAL, "--method neyman: --toys counts the Neyman toys; "
                                          "use --expected none or asimov");
  DIP_TRY(analysis_option_set(&p->opt, "neyman.toys", a->expected[1] ? a->expected[1] : "1000",
                              err));
  p->neyman_auto = !a->neyman_mu;
  if (a->neyman_mu && parse_neyman_mu(a->neyman_mu, &p->opt, err))
    return dip_error_prefix(err, "--neyman-mu");
  return DIP_SUCCESS;
}

static int parse_enums(const limit_args *a, limit_plan *p, dip_error *err) {
  DIP_TRY(cli_physics_apply(&a->physics, &p->opt, err));
  for (int i = 0; i < 4; i++)
    if (a->expected[i] && analysis_option_set(&p->opt, expected_keys[i], a->expected[i], err))
      return dip_error_prefix(err, "--%s", expected_flags[i]);
  DIP_TRY(parse_method(a, p, err));
  const char *c = a->coupling ? a->coupling : "universal";
  if (!strcmp(c, "all")) {
    for (int k = 0; k < N_COUPLINGS; k++)
      p->couplings[k] = (dip_coupling)k;
    p->n_couplings = N_COUPLINGS;
    return DIP_SUCCESS;
  }
  p->n_couplings = 1;
  if (coupling_from_name(c, &p->couplings[0], err))
    return dip_error_prefix(err, "--coupling (or 'all')");
  return DIP_SUCCESS;
}

static int parse_numbers(const limit_args *a, limit_plan *p) {
  char **items;
  if (cli_list(a->m4, &items, &p->n_m4))
    return DIP_EXIT_ERROR;
  p->m4 = calloc((size_t)p->n_m4, sizeof *p->m4);
  int rc = p->m4 ? DIP_EXIT_OK : DIP_EXIT_ERROR;
  for (int i = 0; rc == DIP_EXIT_OK && i < p->n_m4; i++) {
    rc = cli_double("limit", "m4", items[i], &p->m4[i]);
    if (rc == DIP_EXIT_OK && p->m4[i] < 0) {
      fprintf(stderr, "dipscan limit: --m4 values must be >= 0 MeV, got %s\n", items[i]);
      rc = DIP_EXIT_USAGE;
    }
    for (int j = 0; rc == DIP_EXIT_OK && j < i; j++)
      if (p->m4[j] == p->m4[i]) {
        fprintf(stderr, "dipscan limit: --m4 lists the value %s twice\n", items[i]);
        rc = DIP_EXIT_USAGE;
      }
  }
  cli_list_free(items, p->n_m4);
  p->dof = 1;
  if (rc == DIP_EXIT_OK && a->dof) {
    if (strcmp(a->dof, "1") && strcmp(a->dof, "2")) {
      fprintf(stderr, "dipscan limit: --dof must be 1 or 2, got '%s'\n", a->dof);
      rc = DIP_EXIT_USAGE;
    }
    p->dof = a->dof[0] - '0';
  }
  if (rc == DIP_EXIT_OK && p->dof == 2 && p->neyman) {
    fprintf(stderr, "dipscan limit: --method neyman needs --dof 1\n");
    rc = DIP_EXIT_USAGE;
  }
  if (rc == DIP_EXIT_OK && p->dof == 2) { /* the bands are the 1-dof limit's */
    if (a->expected[0] && p->opt.expected != EXPECTED_NONE) {
      fprintf(stderr, "dipscan limit: --expected %s needs --dof 1 (the bands are of the 1-dof "
                      "limit)\n", a->expected[0]);
      rc = DIP_EXIT_USAGE;
    }
    p->opt.expected = EXPECTED_NONE;
  }
  return rc;
}

static int parse_limit(int argc, char **argv, limit_plan *p) {
  limit_args a = {0};
  cli_option opts[10 + CLI_N_PHYSICS] = {{"experiment", &a.experiment, NULL},
                                         {"m4", &a.m4, NULL},
                                         {"coupling", &a.coupling, NULL},
                                         {"dof", &a.dof, NULL},
                                         {"method", &a.method, NULL},
                                         {"neyman-mu", &a.neyman_mu, NULL}};
  for (int i = 0; i < 4; i++)
    opts[6 + i] = (cli_option){expected_flags[i], &a.expected[i], NULL};
  int n_opts = 10 + cli_physics_options(&a.physics, 1, opts + 10);
  int help = 0;
  int rc = cli_parse("limit", argc, argv, opts, n_opts, NULL, 0, NULL, &help);
  if (rc != DIP_EXIT_OK || help) {
    if (help)
      fputs(limit_help, stdout);
    return help ? -1 : rc;
  }
  if (!a.experiment || !a.m4) {
    fprintf(stderr, "dipscan limit: --experiment and --m4 are required (try --help)\n");
    return DIP_EXIT_USAGE;
  }
  dip_error err;
  if (parse_enums(&a, p, &err)) {
    fprintf(stderr, "dipscan limit: %s\n", err.msg);
    return DIP_EXIT_USAGE;
  }
  rc = parse_numbers(&a, p);
  if (rc == DIP_EXIT_OK && cli_list(a.experiment, &p->entries, &p->n_entries))
    rc = DIP_EXIT_ERROR;
  for (int e = 0; rc == DIP_EXIT_OK && e < p->n_entries; e++) {
    const char *entry = p->entries[e];
    size_t len = strlen(entry);
    if (len > 0 && (entry[0] == '+' || entry[len - 1] == '+' || strstr(entry, "++"))) {
      fprintf(stderr, "dipscan limit: experiment entry '%s' has an empty card name next to '+'\n",
              entry);
      rc = DIP_EXIT_USAGE;
    }
  }
  return rc;
}

/* Cards named in the entries (deduplicated), and each entry's card indices. */
static int build_entries(const limit_plan *p, const char *data_dir, analysis **an,
                         dip_error *err) {
  const char *cards[64];
  size_t n_cards = 0, idx[64][64], n_idx[64];
  if (p->n_entries > 64)
    return dip_error_set(err, DIP_EINVAL, "at most 64 experiment entries");
  char *copies[64];
  int status = DIP_SUCCESS;
  for (int e = 0; e < p->n_entries; e++) {
    n_idx[e] = 0;
    char *work = dip_strdup(p->entries[e], err);
    copies[e] = work;
    for (char *tok = work ? strtok(work, "+") : NULL; tok && status == DIP_SUCCESS;
         tok = strtok(NULL, "+")) {
      size_t c = 0;
      while (c < n_cards && strcmp(cards[c], tok))
        c++;
      if (c == n_cards && n_cards < 64)
        cards[n_cards++] = tok;
      if (n_idx[e] < 64)
        idx[e][n_idx[e]++] = c;
    }
    if (n_idx[e] == 0)
      status = dip_error_set(err, DIP_EINVAL, "empty experiment entry '%s'", p->entries[e]);
  }
  if (status == DIP_SUCCESS)
    status = analysis_init(an, data_dir, &p->opt, cards, n_cards, err);
  if (status == DIP_SUCCESS)
    cli_card_warnings("limit", *an, stderr);
  for (int e = 0; status == DIP_SUCCESS && e < p->n_entries; e++) {
    size_t out;
    status = analysis_add_entry(*an, idx[e], n_idx[e], &out, err);
  }
  for (int e = 0; e < p->n_entries; e++)
    free(copies[e]);
  return status;
}

/* A unit that is not "ok" is said on stderr (stdout keeps the CSV). */
static void print_row(const analysis *an, const limit_plan *p, int e, dip_coupling c, double m4,
                      double mu_limit, const unit_summary *s) {
  if (s->status != DIPOLE_UNIT_OK)
    fprintf(stderr, "dipscan limit: %s/%s at m4 = %g MeV: %s%s%s\n",
            analysis_entry_name(an, (size_t)e), coupling_name(c), m4,
            dipole_unit_status_name(s->status),
            s->status == DIPOLE_UNIT_NO_SENSITIVITY ? " (limit +inf)" : ": ", s->reason);
  printf("%s,%s,%.10g,%s,%g,%d,%.6e,%.6f,%.6e", analysis_entry_name(an, (size_t)e),
         coupling_name(c), m4, data_mode_name(p->opt.data), p->opt.cl, p->dof, mu_limit,
         s->chi2_min, s->mu_best);
}

static void print_bands(const analysis *an, int e, dip_coupling c, double m4,
                        const bands_result *b) {
  for (int i = 0; i < BANDS_N_EDGES; i++)
    printf(",%.6e", b->edge[i]);
  printf(",%.6e,%.4f", b->mu_pcl, b->z_local);
  if (b->n_toys == 0)
    return;
  fprintf(stderr, "dipscan limit: %s/%s m4 = %g MeV: %zu toys; MC errors of the edges",
          analysis_entry_name(an, (size_t)e), coupling_name(c), m4, b->n_toys);
  for (int i = 0; i < BANDS_N_EDGES; i++)
    fprintf(stderr, " %.2e", b->edge_err[i]);
  fprintf(stderr, " mu_B; local p-value from the toys %.4g\n", b->p_local_toys);
}

/* The row's Neyman axis: --neyman-mu, or 12 log points over 0.3..3 x its Wilks limit. */
static int row_neyman_axis(const limit_plan *p, const unit_summary *s, double *mu, size_t *n,
                           dip_error *err) {
  neyman_spec spec = p->opt.neyman;
  if (p->neyman_auto) {
    if (!(isfinite(s->mu_limit) && s->mu_limit > 0))
      return dip_error_set(err, DIP_ENUMERIC, "no finite Wilks limit to centre the Neyman axis on "
                                              "(give --neyman-mu)");
    spec.from = 0.3 * s->mu_limit;
    spec.to = 3.0 * s->mu_limit;
    spec.points = 12;
    spec.log_spacing = 1;
  }
  return neyman_axis(&spec, mu, n, err);
}

/* t_obs on 8 sub-points per interval of the Neyman axis (the chi^2 row of the configured data). */
#define NEYMAN_SUBPOINTS 8
static int neyman_t_obs(analysis *an, int e, dip_coupling c, double m4, const double *mu_n,
                        size_t n_n, double *mu, double *t_obs, size_t *n, dip_error *err) {
  *n = 0;
  for (size_t k = 0; k + 1 < n_n; k++)
    for (int j = 0; j < NEYMAN_SUBPOINTS; j++)
      mu[(*n)++] = mu_n[k] + (mu_n[k + 1] - mu_n[k]) * j / NEYMAN_SUBPOINTS;
  mu[(*n)++] = mu_n[n_n - 1];
  unit_summary s;
  DIP_TRY(analysis_eval_unit(an, (size_t)e, c, m4, mu, *n, t_obs, &s, err));
  for (size_t i = 0; i < *n; i++)
    t_obs[i] = fmax(0.0, t_obs[i] - s.chi2_min);
  return DIP_SUCCESS;
}

/* The Neyman column of a row, and its t_c(mu) table on stderr. */
static int row_neyman(analysis *an, const limit_plan *p, int e, dip_coupling c, double m4,
                      const unit_summary *s, dip_error *err) {
  double mu_n[NEYMAN_MAX_POINTS], t_crit[NEYMAN_MAX_POINTS];
  double mu[NEYMAN_MAX_POINTS * NEYMAN_SUBPOINTS + 1], t_obs[NEYMAN_MAX_POINTS * NEYMAN_SUBPOINTS + 1];
  neyman_point pts[NEYMAN_MAX_POINTS];
  size_t n_n, n;
  long n_fits;
  DIP_TRY(row_neyman_axis(p, s, mu_n, &n_n, err));
  DIP_TRY(analysis_neyman(an, (size_t)e, c, m4, mu_n, n_n, p->opt.neyman.n_toys, pts, &n_fits,
                          err));
  fprintf(stderr, "dipscan limit: %s/%s m4 = %g MeV: Neyman construction, %ld toys per point\n"
                  "  mu_muB        t_obs       t_crit      t_crit_mc_error  failed_toys\n",
          analysis_entry_name(an, (size_t)e), coupling_name(c), m4, p->opt.neyman.n_toys);
  for (size_t k = 0; k < n_n; k++) {
    t_crit[k] = pts[k].t_crit;
    fprintf(stderr, "  %.5e  %10.4f  %10.4f  %10.4f  %ld\n", mu_n[k], pts[k].t_obs,
            pts[k].t_crit, pts[k].t_crit_err, pts[k].n_failed);
  }
  DIP_TRY(neyman_t_obs(an, e, c, m4, mu_n, n_n, mu, t_obs, &n, err));
  printf(",%.6e", neyman_upper_limit(mu_n, t_crit, n_n, mu, t_obs, n));
  return DIP_SUCCESS;
}

/* One 1-dof row: the observed fit, then (unless --expected none) its band, PCL and Z, then (with
 * --method neyman) the Neyman limit. */
static int row_1dof(analysis *an, const limit_plan *p, int e, int k, int i, unit_summary *s,
                    dip_error *err) {
  dip_coupling c = p->couplings[k];
  print_row(an, p, e, c, p->m4[i], s->mu_limit, s);
  if (p->opt.expected != EXPECTED_NONE) {
    bands_result b;
    DIP_TRY(analysis_expected(an, (size_t)e, c, p->m4[i], s, &b, err));
    print_bands(an, e, c, p->m4[i], &b);
  }
  if (p->neyman)
    DIP_TRY(row_neyman(an, p, e, c, p->m4[i], s, err));
  printf("\n");
  return DIP_SUCCESS;
}

/* 2 dof: crossing of chi2(m4, mu) = chi2_global + threshold above the best fit at each m4. */
static int limits_2dof(analysis *an, const limit_plan *p, int e, dip_coupling c,
                       unit_summary *sum, dip_error *err) {
  double global = INFINITY;
  for (int i = 0; i < p->n_m4; i++)
    if (sum[i].chi2_min < global)
      global = sum[i].chi2_min;
  double thr = limit_threshold(p->opt.cl, 2, p->opt.threshold);
  for (int i = 0; i < p->n_m4; i++) {
    double mu_cross = 0;
    if (isnan(sum[i].chi2_min)) /* a failed unit: print_row says why */
      mu_cross = NAN;
    else if (sum[i].chi2_min <= global + thr)
      DIP_TRY(analysis_crossing(an, (size_t)e, c, p->m4[i], global, thr, sum[i].mu_best,
                                &mu_cross, err));
    else
      fprintf(stderr, "dipscan limit: at m4 = %g MeV every mu is excluded at 2 dof\n", p->m4[i]);
    print_row(an, p, e, c, p->m4[i], mu_cross, &sum[i]);
    printf("\n");
  }
  return DIP_SUCCESS;
}

static int run_limits(analysis *an, const limit_plan *p, dip_error *err) {
  unit_summary *sum = dip_calloc((size_t)p->n_m4, sizeof *sum, err);
  if (!sum)
    return DIP_ENOMEM;
  int status = DIP_SUCCESS;
  printf("experiment,coupling,m4_MeV,data,cl,dof,mu_limit_muB,chi2_min,mu_best_muB%s%s\n",
         p->opt.expected == EXPECTED_NONE
             ? ""
             : ",expected_m2_muB,expected_m1_muB,expected_median_muB,expected_p1_muB,"
               "expected_p2_muB,mu_limit_pcl_muB,z_local",
         p->neyman ? ",mu_limit_neyman_muB" : "");
  for (int e = 0; status == DIP_SUCCESS && e < p->n_entries; e++)
    for (int k = 0; status == DIP_SUCCESS && k < p->n_couplings; k++) {
      for (int i = 0; status == DIP_SUCCESS && i < p->n_m4; i++) {
        status = analysis_eval_unit(an, (size_t)e, p->couplings[k], p->m4[i], NULL, 0, NULL,
                                    &sum[i], err);
        if (status == DIP_SUCCESS && p->dof == 1)
          status = row_1dof(an, p, e, k, i, &sum[i], err);
      }
      if (status == DIP_SUCCESS && p->dof == 2)
        status = limits_2dof(an, p, e, p->couplings[k], sum, err);
    }
  free(sum);
  return status;
}

int cmd_limit(int argc, char **argv) {
  limit_plan p;
  memset(&p, 0, sizeof p);
  analysis_options_default(&p.opt);
  int rc = parse_limit(argc, argv, &p);
  if (rc == DIP_EXIT_OK) {
    dip_error err;
    char data_dir[4096];
    analysis *an = NULL;
    int status = dip_data_dir(data_dir, sizeof data_dir, &err);
    if (status == DIP_SUCCESS)
      status = build_entries(&p, data_dir, &an, &err);
    if (status == DIP_SUCCESS)
      status = run_limits(an, &p, &err);
    analysis_free(an);
    if (status != DIP_SUCCESS) {
      fflush(stdout);
      fprintf(stderr, "dipscan limit: %s\n", err.msg);
      rc = DIP_EXIT_ERROR;
    }
  }
  cli_list_free(p.entries, p.n_entries);
  free(p.m4);
  return rc < 0 ? DIP_EXIT_OK : rc;
}
