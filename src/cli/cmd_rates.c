/*
 * cmd_rates.c — `dipscan rates`: expected counts per analysis bin for one experiment.
 *
 * Prints CSV on stdout (header bin_lo_keV,bin_hi_keV,observed,background,sm_solar_nu,signal; one row
 * per bin; nothing else).  `background` is the card's published total (which may already contain
 * the SM solar-nu part, see the card), `sm_solar_nu` the SM counts computed here, `signal` the dipole
 * signal at the given mu.  Totals go to stderr, with the card's flags (exposure to check,
 * digitised tables) and, when the card quotes the collaboration's own SM solar-nu count, that count
 * next to ours over the same bins.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "stats/analysis.h"
#include "detector/card.h"
#include "cli/cmd.h"

static const char *const rates_help =
    "usage: dipscan rates --experiment NAME [--m4 MEV] [--coupling e|mu|tau|universal]\n"
    "                     [--mu MU_B] [--electrons free|stepping] [--split simple|full]\n"
    "                     [--solar-model b16-gs98|b16-agss09met] [--sources all|pp,7Be,...]\n"
    "                     [--day-night on|off]\n\n"
    "Expected counts per analysis bin of one experiment (card name in data/experiments/ or a path).\n"
    "CSV on stdout: bin_lo_keV,bin_hi_keV,observed,background,sm_solar_nu,signal\n"
    "  background   the card's background model as published (may contain SM solar nu)\n"
    "  sm_solar_nu  SM nu-e scattering of all solar sources, computed here\n"
    "  signal       dipole-portal signal at the given mu (default 1e-11 mu_B),\n"
    "               m4 (default 0.01 MeV) and coupling (default universal)\n";

typedef struct rates_args {
  const char *experiment, *m4, *coupling, *mu;
  cli_physics physics;
} rates_args;

static int parse_rates(int argc, char **argv, rates_args *a, analysis_options *opt, double *m4,
                       double *mu, dip_coupling *coupling) {
  cli_option opts[4 + CLI_N_PHYSICS] = {{"experiment", &a->experiment, NULL},
                                        {"m4", &a->m4, NULL},
                                        {"coupling", &a->coupling, NULL},
                                        {"mu", &a->mu, NULL}};
  int n_opts = 4 + cli_physics_options(&a->physics, 0, opts + 4);
  int help = 0;
  int rc = cli_parse("rates", argc, argv, opts, n_opts, NULL, 0, NULL, &help);
  if (rc != DIP_EXIT_OK || help) {
    if (help)
      fputs(rates_help, stdout);
    return help ? -1 : rc;
  }
  if (!a->experiment) {
    fprintf(stderr, "dipscan rates: --experiment is required (try 'dipscan rates --help')\n");
    return DIP_EXIT_USAGE;
  }
  dip_error err;
  if ((a->m4 && cli_double("rates", "m4", a->m4, m4)) ||
      (a->mu && cli_double("rates", "mu", a->mu, mu)))
    return DIP_EXIT_USAGE;
  if ((a->coupling && coupling_from_name(a->coupling, coupling, &err)) ||
      cli_physics_apply(&a->physics, opt, &err)) {
    fprintf(stderr, "dipscan rates: %s\n", err.msg);
    return DIP_EXIT_USAGE;
  }
  if (*m4 < 0 || *mu < 0) {
    fprintf(stderr, "dipscan rates: --m4 and --mu must be >= 0\n");
    return DIP_EXIT_USAGE;
  }
  return DIP_EXIT_OK;
}

static void print_rates(const card *c, const double *sm, const double *sig, const double *bkg,
                        double mu) {
  double sm_total = 0, signal_total = 0;
  printf("bin_lo_keV,bin_hi_keV,observed,background,sm_solar_nu,signal\n");
  for (size_t k = 0; k < c->n_bins; k++) {
    double s = mu * mu * sig[k];
    printf("%g,%g,%.10g,%.10g,%.10g,%.10g\n", c->edges[k], c->edges[k + 1], c->observed[k],
           bkg[k], sm[k], s);
    sm_total += sm[k];
    signal_total += s;
  }
  fprintf(stderr,
          "# %s, %g-%g keV, %g t*yr: observed %.6g, background %.6g, SM solar nu %.6g, "
          "signal %.6g\n",
          c->name, c->edges[0], c->edges[c->n_bins], c->exposure_t_yr, card_total_observed(c),
          card_total_background(c), sm_total, signal_total);
}

/* The card's flags and the collaboration's SM count against ours (bins inside its quoted window). */
static void print_card_checks(const card *c, const double *sm) {
  fprintf(stderr, "# %s: %s; %s\n", c->name, c->title ? c->title : "(no title)", c->citation);
  if (c->exposure_to_check || c->has_digitised)
    fprintf(stderr, "# %s: %s%s%s\n", c->name, c->exposure_to_check ? "exposure marked 'to check'" : "",
            c->exposure_to_check && c->has_digitised ? "; " : "",
            c->has_digitised ? "some tables digitised from figures" : "");
  if (isnan(c->sm_quoted_events))
    return;
  double ours = 0, lo = INFINITY, hi = -INFINITY;
  for (size_t k = 0; k < c->n_bins; k++)
    if (c->edges[k] >= c->sm_quoted_window[0] && c->edges[k + 1] <= c->sm_quoted_window[1]) {
      ours += sm[k];
      lo = fmin(lo, c->edges[k]);
      hi = fmax(hi, c->edges[k + 1]);
    }
  if (!(lo < hi)) {
    fprintf(stderr, "# %s: quoted SM solar nu %.6g in %g-%g keV: no analysis bin inside that window\n",
            c->name, c->sm_quoted_events, c->sm_quoted_window[0], c->sm_quoted_window[1]);
    return;
  }
  char ratio[80] = "; the bins stop below the window's top: not comparable";
  if (hi >= c->sm_quoted_window[1]) /* below the first bin the efficiency is ~0 */
    snprintf(ratio, sizeof ratio, " (ratio %.3f)", ours / c->sm_quoted_events);
  fprintf(stderr, "# %s: SM solar nu in %g-%g keV: computed here %.6g, quoted by the collaboration "
                  "%.6g +- %.3g for %g-%g keV%s\n",
          c->name, lo, hi, ours, c->sm_quoted_events, c->sm_quoted_sigma, c->sm_quoted_window[0],
          c->sm_quoted_window[1], ratio);
}

int cmd_rates(int argc, char **argv) {
  rates_args a = {0};
  analysis_options opt;
  analysis_options_default(&opt);
  double m4 = 0.01, mu = 1e-11;
  dip_coupling coupling = COUPLING_UNIVERSAL;
  int rc = parse_rates(argc, argv, &a, &opt, &m4, &mu, &coupling);
  if (rc != DIP_EXIT_OK)
    return rc < 0 ? DIP_EXIT_OK : rc;
  dip_error err;
  char data_dir[4096];
  analysis *an = NULL;
  const char *cards[1] = {a.experiment};
  int status = dip_data_dir(data_dir, sizeof data_dir, &err);
  if (status == DIP_SUCCESS)
    status = analysis_init(&an, data_dir, &opt, cards, 1, &err);
  double *buf = NULL;
  if (status == DIP_SUCCESS) {
    size_t nb = analysis_card(an, 0)->n_bins;
    buf = dip_calloc(3 * nb, sizeof *buf, &err);
    status = buf ? analysis_card_rates(an, 0, coupling, m4, buf, buf + nb, buf + 2 * nb, &err)
                 : DIP_ENOMEM;
    if (status == DIP_SUCCESS) {
      cli_card_warnings("rates", an, stderr);
      print_rates(analysis_card(an, 0), buf, buf + nb, buf + 2 * nb, mu);
      print_card_checks(analysis_card(an, 0), buf);
    }
  }
  free(buf);
  analysis_free(an);
  if (status != DIP_SUCCESS) {
    fprintf(stderr, "dipscan rates: %s\n", err.msg);
    return DIP_EXIT_ERROR;
  }
  return DIP_EXIT_OK;
}
