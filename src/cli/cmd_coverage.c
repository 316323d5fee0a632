/*
 * cmd_coverage.c — `dipscan coverage`: how often the 90% regions contain the true mu.
 *
 * For one entry (a card, or cards joined with '+'), one coupling and one m4, at each true mu of
 * --mu: --pseudo pseudo-experiments drawn with the signal at mu and the nuisances at their
 * conditional best fit to the data (--data), each fitted; the Wilks region contains mu when
 * t(mu) <= the 1-dof threshold, the Neyman region when t(mu) <= the t_c of its own construction
 * (--toys toys centred on its own conditional fit).  analysis_coverage, docs/physics.md §12.4.
 * CSV on stdout:
 * experiment,coupling,m4_MeV,data,cl,mu_true_muB,pseudo_experiments,toys,coverage_wilks,
 * coverage_wilks_err,coverage_neyman,coverage_neyman_err,failed
 * with binomial errors sqrt(p (1 - p) / n).  Cost: mu values x pseudo x (toys + 1) fits.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "stats/analysis.h"
#include "stats/options.h"

static const char *const coverage_help =
    "usage: dipscan coverage --experiment NAME[+NAME...] --m4 MEV --mu MU[,MU...]\n"
    "                        [--coupling universal|e|mu|tau] [--pseudo 200] [--toys 500]\n"
    "                        [--seed 1] [--data observed|asimov] [--cl 0.90] [physics flags]\n\n"
    "Coverage of the 1-dof regions (Wilks: t(mu) <= 2.706 at 90%; Neyman/Feldman-Cousins: t(mu) <=\n"
    "t_c(mu) from --toys toys) at each true mu (mu_B), from --pseudo pseudo-experiments drawn at mu\n"
    "with the nuisances at their conditional best fit to the data.  CSV on stdout:\n"
    "experiment,coupling,m4_MeV,data,cl,mu_true_muB,pseudo_experiments,toys,coverage_wilks,\n"
    "coverage_wilks_err,coverage_neyman,coverage_neyman_err,failed (binomial errors).\n";

typedef struct coverage_args {
  const char *experiment, *m4, *mu, *coupling, *pseudo, *toys, *seed;
  cli_physics physics;
} coverage_args;

typedef struct coverage_plan {
  analysis_options opt;
  const char *experiment; /* argv's */
  double m4;
  double *mu;
  int n_mu;
  long n_pseudo;
  dip_coupling coupling;
} coverage_plan;

static int parse_count(const char *flag, const char *text, long fallback, long *out) {
  if (!text) {
    *out = fallback;
    return DIP_EXIT_OK;
  }
  char *end = NULL;
  long n = strtol(text, &end, 10);
  if (end == text || *end || n < 1 || n > 100000000) {
    fprintf(stderr, "dipscan coverage: --%s must be a whole number in [1, 1e8], got '%s'\n", flag,
            text);
    return DIP_EXIT_USAGE;
  }
  *out = n;
  return DIP_EXIT_OK;
}

static int parse_mu(const char *text, coverage_plan *p) {
  char **items;
  if (cli_list(text, &items, &p->n_mu))
    return DIP_EXIT_ERROR;
  p->mu = calloc((size_t)p->n_mu, sizeof *p->mu);
  int rc = p->mu ? DIP_EXIT_OK : DIP_EXIT_ERROR;
  for (int i = 0; rc == DIP_EXIT_OK && i < p->n_mu; i++) {
    rc = cli_double("coverage", "mu", items[i], &p->mu[i]);
    if (rc == DIP_EXIT_OK && !(p->mu[i] >= 0)) {
      fprintf(stderr, "dipscan coverage: --mu values must be >= 0 mu_B, got %s\n", items[i]);
      rc = DIP_EXIT_USAGE;
    }
  }
  cli_list_free(items, p->n_mu);
  return rc;
}

static int parse_options(const coverage_args *a, coverage_plan *p) {
  dip_error err;
  long toys = 0;
  if (cli_physics_apply(&a->physics, &p->opt, &err) ||
      coupling_from_name(a->coupling ? a->coupling : "universal", &p->coupling, &err) ||
      (a->seed && analysis_option_set(&p->opt, "seed", a->seed, &err))) {
    fprintf(stderr, "dipscan coverage: %s\n", err.msg);
    return DIP_EXIT_USAGE;
  }
  int rc = cli_double("coverage", "m4", a->m4, &p->m4);
  if (rc == DIP_EXIT_OK && !(p->m4 >= 0)) {
    fprintf(stderr, "dipscan coverage: --m4 must be >= 0 MeV, got %s\n", a->m4);
    rc = DIP_EXIT_USAGE;
  }
  if (rc == DIP_EXIT_OK)
    rc = parse_count("pseudo", a->pseudo, 200, &p->n_pseudo);
  if (rc == DIP_EXIT_OK)
    rc = parse_count("toys", a->toys, 500, &toys);
  p->opt.neyman.n_toys = toys;
  return rc == DIP_EXIT_OK ? parse_mu(a->mu, p) : rc;
}

static int parse_coverage(int argc, char **argv, coverage_plan *p) {
  coverage_args a = {0};
  cli_option opts[7 + CLI_N_PHYSICS] = {
      {"experiment", &a.experiment, NULL}, {"m4", &a.m4, NULL},       {"mu", &a.mu, NULL},
      {"coupling", &a.coupling, NULL},     {"pseudo", &a.pseudo, NULL}, {"toys", &a.toys, NULL},
      {"seed", &a.seed, NULL}};
  int n_opts = 7 + cli_physics_options(&a.physics, 1, opts + 7);
  int help = 0;
  int rc = cli_parse("coverage", argc, argv, opts, n_opts, NULL, 0, NULL, &help);
  if (rc != DIP_EXIT_OK || help) {
    if (help)
      fputs(coverage_help, stdout);
    return help ? -1 : rc;
  }
  if (!a.experiment || !a.m4 || !a.mu) {
    fprintf(stderr, "dipscan coverage: --experiment, --m4 and --mu are required (try --help)\n");
    return DIP_EXIT_USAGE;
  }
  p->experiment = a.experiment;
  return parse_options(&a, p);
}

/* The analysis of the entry's cards ('+'-joined) with the entry added. */
static int build_entry(const coverage_plan *p, const char *data_dir, analysis **an,
                       dip_error *err) {
  char work[1024];
  const char *cards[64];
  size_t idx[64], n = 0;
  snprintf(work, sizeof work, "%s", p->experiment);
  for (char *save = NULL, *w = strtok_r(work, "+", &save); w && n < 64;
       w = strtok_r(NULL, "+", &save)) {
    cards[n] = w;
    idx[n] = n;
    n++;
  }
  if (n == 0)
    return dip_error_set(err, DIP_EINVAL, "empty experiment entry '%s'", p->experiment);
  DIP_TRY(analysis_init(an, data_dir, &p->opt, cards, n, err));
  cli_card_warnings("coverage", *an, stderr);
  size_t entry;
  return analysis_add_entry(*an, idx, n, &entry, err);
}

static double binomial_error(long k, long n) {
  double p = n > 0 ? (double)k / (double)n : NAN;
  return sqrt(p * (1 - p) / (double)n);
}

static int run_coverage(analysis *an, const coverage_plan *p, dip_error *err) {
  printf("experiment,coupling,m4_MeV,data,cl,mu_true_muB,pseudo_experiments,toys,coverage_wilks,"
         "coverage_wilks_err,coverage_neyman,coverage_neyman_err,failed\n");
  for (int i = 0; i < p->n_mu; i++) {
    coverage_result r;
    DIP_TRY(analysis_coverage(an, 0, p->coupling, p->m4, p->mu[i], p->n_pseudo,
                              p->opt.neyman.n_toys, &r, err));
    double n = (double)r.n_pseudo;
    printf("%s,%s,%.10g,%s,%g,%.6e,%ld,%ld,%.4f,%.4f,%.4f,%.4f,%ld\n", analysis_entry_name(an, 0),
           coupling_name(p->coupling), p->m4, data_mode_name(p->opt.data), p->opt.cl, p->mu[i],
           r.n_pseudo, p->opt.neyman.n_toys, r.covered_wilks / n,
           binomial_error(r.covered_wilks, r.n_pseudo), r.covered_neyman / n,
           binomial_error(r.covered_neyman, r.n_pseudo), r.n_failed);
    fflush(stdout);
  }
  return DIP_SUCCESS;
}

int cmd_coverage(int argc, char **argv) {
  coverage_plan p;
  memset(&p, 0, sizeof p);
  analysis_options_default(&p.opt);
  int rc = parse_coverage(argc, argv, &p);
  if (rc == DIP_EXIT_OK) {
    dip_error err;
    char data_dir[4096];
    analysis *an = NULL;
    int status = dip_data_dir(data_dir, sizeof data_dir, &err);
    if (status == DIP_SUCCESS)
      status = build_entry(&p, data_dir, &an, &err);
    if (status == DIP_SUCCESS)
      status = run_coverage(an, &p, &err);
    analysis_free(an);
    if (status != DIP_SUCCESS) {
      fflush(stdout);
      fprintf(stderr, "dipscan coverage: %s\n", err.msg);
      rc = DIP_EXIT_ERROR;
    }
  }
  free(p.mu);
  return rc < 0 ? DIP_EXIT_OK : rc;
}
