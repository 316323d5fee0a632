/*
 * test_joint.c — the joint-fit machinery of analysis.c on the shipped cards.
 *
 * 1. Splitting an experiment in two.  The test writes two copies of a shipped card to a temporary
 *    directory with exposure, observed counts and background counts halved.  The Poisson deviance
 *    2 [N - n + n ln(n/N)] is homogeneous of degree one in (n, N), the halves' SM and signal
 *    templates are half of the full card's (they scale with exposure), the solar-flux nuisances are
 *    shared, and the background normalisations are free (no pull), so by symmetry both halves
 *    profile to the same beta and the joint chi^2 of the two halves equals the chi^2 of the full
 *    card at every mu.  (With a finite background sigma each half would need sigma sqrt(2): two
 *    pulls (beta/sigma)^2 replace one.)  Checked for Asimov data to 1e-6 and, because
 *    the identity does not need Asimov data, for the observed counts too.
 * 2. Adding data never weakens an Asimov limit.  With Asimov data every chi^2 is 0 at mu = 0, and
 *    for each mu the joint chi^2 is a sum of non-negative deviances over experiments plus one
 *    shared pull term, so it is at least the chi^2 of any single experiment.  Hence the
 *    all-xenon limit is at most the strongest single-experiment limit, for every m4 and coupling.
 *
 * Cards come from $DIPSCAN_ROOT/data (tests/run.sh sets it; default: the current directory).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stats/analysis.h"
#include "detector/card.h"
#include "test.h"

static char data_dir[2300];

static void write_array(FILE *f, const char *key, const double *x, size_t n, double scale,
                        const char *indent) {
  fprintf(f, "%s%s: [", indent, key);
  for (size_t i = 0; i < n; i++)
    fprintf(f, "%s%.17g", i ? ", " : "", scale * x[i]);
  fprintf(f, "]\n");
}

static void write_provenance(FILE *f, const char *indent) {
  fprintf(f, "%sprovenance: {source: \"test_joint\", derivation: \"scaled copy\", digitised: false}\n",
          indent);
}

static const char *resolution_model_name(card_resolution_model m) {
  return m == CARD_RES_SQRT_LINEAR ? "sqrt_linear"
         : m == CARD_RES_FRACTIONAL ? "fractional"
                                    : "polynomial";
}

/* Write card c (its selected bins) to path under a new name, with exposure, observed and
 * background counts multiplied by scale.  Everything else (efficiency, resolution) is unchanged. */
static int write_scaled_card(const card *c, const char *path, const char *name, double scale) {
  FILE *f = fopen(path, "w");
  if (!f)
    return -1;
  fprintf(f, "name: %s\ncitation: \"scaled copy of %s\"\ntarget: xenon\n", name, c->name);
  if (c->site_name) /* the same laboratory: the same day-night average */
    fprintf(f, "site: {name: %s, latitude_deg: %.17g}\n", c->site_name, c->site_latitude_deg);
  fprintf(f, "exposure:\n  t_yr: %.17g\n", scale * c->exposure_t_yr);
  write_provenance(f, "  ");
  fprintf(f, "bins:\n");
  write_array(f, "edges_keV", c->edges, c->n_bins + 1, 1.0, "  ");
  fprintf(f, "observed:\n");
  write_array(f, "counts", c->observed, c->n_bins, scale, "  ");
  write_provenance(f, "  ");
  fprintf(f, "backgrounds:\n");
  for (size_t j = 0; j < c->n_bkg; j++) {
    fprintf(f, "  - name: %s\n", c->bkg[j].name);
    write_array(f, "counts", c->bkg[j].counts, c->n_bins, scale, "    ");
    if (isinf(c->bkg[j].sigma_rel))
      fprintf(f, "    sigma_rel: free\n");
    else
      fprintf(f, "    sigma_rel: %.17g\n", c->bkg[j].sigma_rel);
    fprintf(f, "    includes_sm: %s\n", c->bkg[j].includes_sm ? "true" : "false");
    write_provenance(f, "    ");
  }
  fprintf(f, "efficiency:\n  interpolation: linear\n");
  write_array(f, "energy_keV", c->eff_E, c->n_eff, 1.0, "  ");
  write_array(f, "value", c->eff, c->n_eff, 1.0, "  ");
  write_provenance(f, "  ");
  fprintf(f, "resolution:\n  model: %s\n", resolution_model_name(c->res_model));
  if (c->res_model == CARD_RES_POLYNOMIAL)
    write_array(f, "coefficients", c->res_coef, c->n_res_coef, 1.0, "  ");
  else
    fprintf(f, "  a: %.17g\n  b: %.17g\n", c->res_coef[0], c->n_res_coef > 1 ? c->res_coef[1] : 0.0);
  write_provenance(f, "  ");
  return fclose(f) == 0 ? 0 : -1;
}

/* Single fit of `name` at full exposure vs the joint fit of its two halves, for one data mode. */
static void check_halves(const char *name, const char *dir, data_mode mode) {
  char label[256], half_a[2400], half_b[2400], full_path[2400], name_a[128], name_b[128];
  dip_error err = {0};
  card full;
  snprintf(full_path, sizeof full_path, "%s/experiments/%s.yaml", data_dir, name);
  snprintf(name_a, sizeof name_a, "%s_half_a", name);
  snprintf(name_b, sizeof name_b, "%s_half_b", name);
  snprintf(half_a, sizeof half_a, "%s/%s.yaml", dir, name_a);
  snprintf(half_b, sizeof half_b, "%s/%s.yaml", dir, name_b);
  int ok = card_load(&full, name, data_dir, &err) == DIP_SUCCESS;
  ok = ok && write_scaled_card(&full, half_a, name_a, 0.5) == 0 &&
       write_scaled_card(&full, half_b, name_b, 0.5) == 0;
  card_free(&full);
  snprintf(label, sizeof label, "%s, %s: half-exposure cards written and loaded", name,
           data_mode_name(mode));
  analysis_options opt;
  analysis_options_default(&opt);
  opt.data = mode;
  const char *cards[] = {full_path, half_a, half_b};
  analysis *an = NULL;
  ok = ok && analysis_init(&an, data_dir, &opt, cards, 3, &err) == DIP_SUCCESS;
  size_t idx_full = 0, idx_halves[] = {1, 2}, e_full = 0, e_joint = 0;
  ok = ok && analysis_add_entry(an, &idx_full, 1, &e_full, &err) == DIP_SUCCESS &&
       analysis_add_entry(an, idx_halves, 2, &e_joint, &err) == DIP_SUCCESS;
  test_report(ok, label, "%s", err.msg);
  if (!ok) {
    analysis_free(an);
    return;
  }
  static const double m4s[] = {0.01, 0.3};
  static const dip_coupling couplings[] = {COUPLING_UNIVERSAL, COUPLING_TAU};
  double worst_limit = 0, worst_chi2 = 0;
  int all_ok = 1;
  for (size_t m = 0; m < 2; m++)
    for (size_t k = 0; k < 2; k++) {
      unit_summary s_full, s_joint;
      double mu[6], chi2_full[6], chi2_joint[6];
      all_ok &= analysis_eval_unit(an, e_full, couplings[k], m4s[m], NULL, 0, NULL, &s_full,
                                   &err) == DIP_SUCCESS;
      for (size_t i = 0; i < 6; i++) /* around the limit, where the comparison matters */
        mu[i] = s_full.mu_limit * (0.25 + 0.35 * (double)i);
      all_ok &= analysis_eval_unit(an, e_full, couplings[k], m4s[m], mu, 6, chi2_full, &s_full,
                                   &err) == DIP_SUCCESS;
      all_ok &= analysis_eval_unit(an, e_joint, couplings[k], m4s[m], mu, 6, chi2_joint,
                                   &s_joint, &err) == DIP_SUCCESS;
      all_ok &= isfinite(s_full.mu_limit) && s_full.mu_limit > 0;
      worst_limit = fmax(worst_limit, fabs(s_joint.mu_limit / s_full.mu_limit - 1.0));
      worst_chi2 = fmax(worst_chi2, fabs(s_joint.chi2_min - s_full.chi2_min));
      for (size_t i = 0; i < 6; i++)
        worst_chi2 = fmax(worst_chi2, fabs(chi2_joint[i] - chi2_full[i]));
    }
  analysis_free(an);
  printf("# %s, %s: max |limit ratio - 1| = %.2e, max |chi2 difference| = %.2e\n", name,
         data_mode_name(mode), worst_limit, worst_chi2);
  snprintf(label, sizeof label, "%s, %s: two half-exposure halves evaluate", name,
           data_mode_name(mode));
  test_report(all_ok, label, "%s", err.msg);
  snprintf(label, sizeof label, "%s, %s: joint(halves) limit = full-exposure limit (1e-6)", name,
           data_mode_name(mode));
  test_abs(worst_limit, 0.0, 1e-6, label);
  snprintf(label, sizeof label, "%s, %s: joint(halves) chi^2 = full chi^2 along mu (1e-6)", name,
           data_mode_name(mode));
  test_abs(worst_chi2, 0.0, 1e-6, label);
}

/* Control: a split that is NOT exact (one half with 0.7 of the exposure but the other half's data)
 * must be caught by the same comparison, so the check above can fail. */
static void check_unequal_split_differs(const char *name, const char *dir) {
  char a[2400], b[2400], full_path[2400];
  dip_error err = {0};
  card full;
  snprintf(full_path, sizeof full_path, "%s/experiments/%s.yaml", data_dir, name);
  snprintf(a, sizeof a, "%s/%s_part_a.yaml", dir, name);
  snprintf(b, sizeof b, "%s/%s_part_b.yaml", dir, name);
  int ok = card_load(&full, name, data_dir, &err) == DIP_SUCCESS &&
           write_scaled_card(&full, a, "part_a", 0.5) == 0 &&
           write_scaled_card(&full, b, "part_b", 0.6) == 0;
  card_free(&full);
  analysis_options opt;
  analysis_options_default(&opt);
  opt.data = DATA_ASIMOV;
  const char *cards[] = {full_path, a, b};
  analysis *an = NULL;
  size_t i0 = 0, i12[] = {1, 2}, e0 = 0, e12 = 0;
  unit_summary s0, s12;
  ok = ok && analysis_init(&an, data_dir, &opt, cards, 3, &err) == DIP_SUCCESS &&
       analysis_add_entry(an, &i0, 1, &e0, &err) == DIP_SUCCESS &&
       analysis_add_entry(an, i12, 2, &e12, &err) == DIP_SUCCESS &&
       analysis_eval_unit(an, e0, COUPLING_UNIVERSAL, 0.01, NULL, 0, NULL, &s0, &err) == DIP_SUCCESS &&
       analysis_eval_unit(an, e12, COUPLING_UNIVERSAL, 0.01, NULL, 0, NULL, &s12, &err) == DIP_SUCCESS;
  analysis_free(an);
  test_report(ok && s12.mu_limit < s0.mu_limit * (1.0 - 1e-3), "control: 0.5 + 0.6 of the exposure beats the full card",
              "%s; limits %g vs %g", ok ? "" : err.msg, ok ? s12.mu_limit : NAN, ok ? s0.mu_limit : NAN);
}

/* Asimov: the all-xenon limit is never weaker than the strongest single-card limit. */
static void check_joint_never_weaker(void) {
  static const char *const names[] = {"xenonnt_sr0", "pandax4t_run1", "lz_ws2022", "lz_ws2024"};
  enum { N_CARDS = 4 };
  analysis_options opt;
  analysis_options_default(&opt);
  opt.data = DATA_ASIMOV;
  analysis *an = NULL;
  dip_error err = {0};
  size_t entries[N_CARDS + 1], all[N_CARDS] = {0, 1, 2, 3};
  int ok = analysis_init(&an, data_dir, &opt, names, N_CARDS, &err) == DIP_SUCCESS;
  for (size_t i = 0; ok && i < N_CARDS; i++)
    ok = analysis_add_entry(an, &all[i], 1, &entries[i], &err) == DIP_SUCCESS;
  ok = ok && analysis_add_entry(an, all, N_CARDS, &entries[N_CARDS], &err) == DIP_SUCCESS;
  test_report(ok, "all-xenon analysis builds (4 cards + joint entry)", "%s", err.msg);
  static const double m4s[] = {0.0, 0.01, 0.1, 0.3, 0.45, 0.6, 1.0};
  int n_checked = 0, n_fail = 0, eval_ok = ok;
  double worst = -INFINITY; /* max over points of joint / best single - 1 (must be <= 0) */
  for (size_t m = 0; ok && m < sizeof m4s / sizeof *m4s; m++)
    for (int k = 0; k < N_COUPLINGS; k++) {
      unit_summary s;
      double best_single = INFINITY;
      for (size_t i = 0; i < N_CARDS; i++) {
        eval_ok &= analysis_eval_unit(an, entries[i], (dip_coupling)k, m4s[m], NULL, 0, NULL, &s,
                                      &err) == DIP_SUCCESS;
        best_single = fmin(best_single, s.mu_limit);
      }
      eval_ok &= analysis_eval_unit(an, entries[N_CARDS], (dip_coupling)k, m4s[m], NULL, 0, NULL,
                                    &s, &err) == DIP_SUCCESS;
      if (!isfinite(best_single))
        continue;
      n_checked++;
      double excess = s.mu_limit / best_single - 1.0;
      worst = fmax(worst, excess);
      if (!(excess <= 1e-9)) { /* root-finding noise only */
        n_fail++;
        printf("# m4 = %g, %s: joint %.6e > best single %.6e\n", m4s[m], coupling_name((dip_coupling)k),
               s.mu_limit, best_single);
      }
    }
  analysis_free(an);
  printf("# all-xenon vs best single card: max (joint / best - 1) = %.3f over %d points\n", worst,
         n_checked);
  test_report(eval_ok, "all 5 entries evaluate at 7 m4 x 4 couplings", "%s", err.msg);
  test_report(n_checked > 20 && n_fail == 0, "all-xenon Asimov limit <= best single-card limit",
              "%d of %d points violate; worst joint/best - 1 = %.3e", n_fail, n_checked, worst);
  /* the combination must actually help somewhere, or the comparison is vacuous */
  test_true(worst < -0.01, "all-xenon is > 1% stronger than the best single card at every point");
}

int main(void) {
  test_suite("joint");
  const char *env = getenv("DIPSCAN_ROOT");
  snprintf(data_dir, sizeof data_dir, "%s/data", env ? env : ".");
  char dir[] = "/tmp/dipscan_test_joint_XXXXXX";
  if (!mkdtemp(dir)) {
    test_report(0, "temporary directory", "mkdtemp failed");
    return test_summary();
  }
  static const char *const names[] = {"lz_ws2024", "xenonnt_sr0"};
  for (size_t i = 0; i < 2; i++) {
    check_halves(names[i], dir, DATA_ASIMOV);
    check_halves(names[i], dir, DATA_OBSERVED);
  }
  check_unequal_split_differs("lz_ws2022", dir);
  check_joint_never_weaker();
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    printf("# could not remove %s\n", dir);
  return test_summary();
}
