/*
 * evaluator.c — the dipole analysis behind the scan engine (stats/evaluator.h).
 *
 * The schema table below is the single description of what a dipole unit stores; eval_unit is its
 * computation (analysis_eval_unit's unit_summary copied into the fields).  The root attributes
 * and the names of entries and nuisances are gathered once from the analysis and its options.
 */
#include "stats/evaluator.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "physics/oscillation.h"
#include "physics/solar.h"
#include "physics/xsec.h"

#define NUISANCE_NAME_LEN 64

static const char mu_unit[] = "mu_B", m4_unit[] = "MeV";

static const result_axis axes[DIPOLE_N_AXES_NEYMAN] = {
    [DIPOLE_AXIS_NUISANCE] = {"nuisance", ANALYSIS_MAX_NUISANCES},
    [DIPOLE_AXIS_BAND] = {"band", BANDS_N_EDGES},
    [DIPOLE_AXIS_NEYMAN_MU] = {"neyman_mu", NEYMAN_MAX_POINTS}};
static const char *const band_labels[BANDS_N_EDGES] = {"-2 sigma", "-1 sigma", "median",
                                                       "+1 sigma", "+2 sigma"};

static const result_field fields[DIPOLE_N_FIELDS_NEYMAN] = {
    [DIPOLE_CHI2] = {"chi2", RESULT_DOUBLE, RESULT_MU_ROW, 0, "1",
                     "profiled chi^2 at each mu (nuisances profiled at every point)", NAN,
                     RESULT_JOURNAL_HASH},
    [DIPOLE_MU_1DOF] = {"limits/mu_1dof", RESULT_DOUBLE, RESULT_SCALAR, 0, "mu_B",
                        "root-found 1-dof upper limit on mu at the file's cl and threshold "
                        "(+inf: no sensitivity)", NAN, RESULT_JOURNAL_VALUE},
    [DIPOLE_CHI2_MIN] = {"limits/chi2_min", RESULT_DOUBLE, RESULT_SCALAR, 0, "1",
                         "profiled chi^2 at the best fit mu_best", NAN, RESULT_JOURNAL_VALUE},
    [DIPOLE_MU_BEST] = {"limits/mu_best", RESULT_DOUBLE, RESULT_SCALAR, 0, "mu_B",
                        "best-fit mu >= 0", NAN, RESULT_JOURNAL_VALUE},
    [DIPOLE_CHI2_ZERO] = {"units/chi2_zero", RESULT_DOUBLE, RESULT_SCALAR, 0, "1",
                          "profiled chi^2 at mu = 0", NAN, RESULT_JOURNAL_VALUE},
    [DIPOLE_SIGNAL_TOTAL] = {"units/signal_total", RESULT_DOUBLE, RESULT_SCALAR, 0, "mu_B^-2",
                             "unit-coupling signal counts summed over the entry's bins", NAN,
                             RESULT_JOURNAL_VALUE},
    [DIPOLE_N_PROFILES] = {"units/n_profiles", RESULT_INT64, RESULT_SCALAR, 0, "1",
                           "profiled chi^2 evaluations spent on the unit", 0,
                           RESULT_JOURNAL_VALUE},
    [DIPOLE_N_FALLBACKS] = {"units/n_fallbacks", RESULT_INT64, RESULT_SCALAR, 0, "1",
                            "profiles where Newton failed and the fallback minimiser was used", 0,
                            RESULT_JOURNAL_VALUE},
    [DIPOLE_NUISANCES_BEST] = {"units/nuisances_best", RESULT_DOUBLE, RESULT_VECTOR, 0, "1",
                               "profiled nuisances (relative normalisations) at mu_best, named "
                               "by /axes/nuisance", NAN, RESULT_JOURNAL_VALUE},
    [DIPOLE_EXPECTED_BAND] = {"expected/mu_band", RESULT_DOUBLE, RESULT_VECTOR, DIPOLE_AXIS_BAND,
                              "mu_B",
                              "expected 1-dof limit of background-only experiments at the "
                              "quantiles Phi(-2, -1, 0, +1, +2) (statistics.expected; NaN: none)",
                              NAN, RESULT_JOURNAL_VALUE},
    [DIPOLE_EXPECTED_BAND_ERROR] = {"expected/mu_band_mc_error", RESULT_DOUBLE, RESULT_VECTOR,
                                    DIPOLE_AXIS_BAND, "mu_B",
                                    "MC error of each band edge (toys: half-width of the 68% "
                                    "order-statistics interval; asimov: 0)",
                                    NAN, RESULT_JOURNAL_VALUE},
    [DIPOLE_EXPECTED_POWER_EDGE] = {"expected/mu_power_edge", RESULT_DOUBLE, RESULT_SCALAR, 0,
                                    "mu_B",
                                    "expected limit at the power threshold (the PCL's floor)", NAN,
                                    RESULT_JOURNAL_VALUE},
    [DIPOLE_MU_PCL] = {"limits/mu_pcl", RESULT_DOUBLE, RESULT_SCALAR, 0, "mu_B",
                       "power-constrained limit: max(mu_1dof, expected/mu_power_edge)", NAN,
                       RESULT_JOURNAL_VALUE},
    [DIPOLE_Z_LOCAL] = {"limits/z_local", RESULT_DOUBLE, RESULT_SCALAR, 0, "1",
                        "local significance sqrt(chi2_zero - chi2_min) of a best fit mu_best > 0 "
                        "(0 otherwise)", NAN, RESULT_JOURNAL_VALUE},
    [DIPOLE_P_LOCAL_TOYS] = {"expected/p_local_toys", RESULT_DOUBLE, RESULT_SCALAR, 0, "1",
                             "empirical local p-value (1 + #{q0_toy >= q0}) / (1 + toys) "
                             "(NaN without toys)", NAN, RESULT_JOURNAL_VALUE},
    [DIPOLE_STATUS] = {"units/status", RESULT_UINT8, RESULT_SCALAR, 0, "1",
                       "0 not computed, 1 ok, 2 no sensitivity (limit +inf), 3 failed: chi2 "
                       "profile (NaN points), 4 failed: limit search (limits NaN), 5 failed: "
                       "best-fit nuisances (NaN), 6 failed: expected sensitivity (NaN)", 0,
                       RESULT_JOURNAL_VALUE},
    [DIPOLE_NEYMAN_MU] = {"neyman/mu", RESULT_DOUBLE, RESULT_VECTOR, DIPOLE_AXIS_NEYMAN_MU, "mu_B",
                          "mu of the Neyman construction's axis (statistics.neyman.mu; NaN in "
                          "unused slots)", NAN, RESULT_JOURNAL_VALUE},
    [DIPOLE_NEYMAN_TCRIT] = {"neyman/tcrit", RESULT_DOUBLE, RESULT_VECTOR, DIPOLE_AXIS_NEYMAN_MU,
                             "1",
                             "critical value t_c(mu): the cl-quantile of t(mu) = chi^2(mu) - "
                             "chi^2_min(mu >= 0) over toys with the signal at mu and the nuisances "
                             "at their conditional best fit to the data (NaN: a toy fit failed)",
                             NAN, RESULT_JOURNAL_VALUE},
    [DIPOLE_NEYMAN_TCRIT_ERROR] = {"neyman/tcrit_mc_error", RESULT_DOUBLE, RESULT_VECTOR,
                                   DIPOLE_AXIS_NEYMAN_MU, "1",
                                   "MC error of tcrit: half-width of the 68% order-statistics "
                                   "interval of the quantile", NAN, RESULT_JOURNAL_VALUE},
    [DIPOLE_NEYMAN_T_OBS] = {"neyman/t_obs", RESULT_DOUBLE, RESULT_VECTOR, DIPOLE_AXIS_NEYMAN_MU,
                             "1", "t(mu) = chi^2(mu) - chi^2_min of the fitted data (the region "
                                  "is t_obs <= tcrit)", NAN, RESULT_JOURNAL_VALUE},
    [DIPOLE_NEYMAN_N_FAILED] = {"neyman/n_failed_toys", RESULT_INT64, RESULT_SCALAR, 0, "1",
                                "toy fits of the Neyman construction that failed (their point's "
                                "tcrit is NaN)", 0, RESULT_JOURNAL_VALUE},
};

static const char *const status_words[DIPOLE_N_UNIT_STATUS] = {
    "not computed", "ok", "no sensitivity", "failed: chi2 profile", "failed: limit search",
    "failed: best-fit nuisances", "failed: expected sensitivity"};

const char *dipole_unit_status_name(int status) {
  return status >= 0 && status < DIPOLE_N_UNIT_STATUS ? status_words[status] : "unknown";
}

const result_schema dipole_result_schema = {fields, DIPOLE_N_FIELDS, axes, DIPOLE_N_AXES};
const result_schema dipole_neyman_result_schema = {fields, DIPOLE_N_FIELDS_NEYMAN, axes,
                                                   DIPOLE_N_AXES_NEYMAN};

/* The unit's Neyman construction (statistics.neyman on).  The unit stays (entry, coupling, m4)
 * with all its Neyman points: the engine's unit and journal record are per (entry, coupling, m4)
 * (engine/scan.h), the points of one unit share the signal template and the data fit, and a unit
 * of K points x N toys is the checkpoint granule (docs/physics.md §12 gives its cost). */
static int eval_neyman(dipole_evaluator *d, size_t entry, dip_coupling coupling, double m4,
                       unit_result *out, dip_error *err) {
  neyman_point points[NEYMAN_MAX_POINTS];
  long n_fits = 0, n_failed = 0;
  DIP_TRY(analysis_neyman(d->an, entry, coupling, m4, d->neyman_mu, d->n_neyman, d->neyman_toys,
                          points, &n_fits, err));
  double *mu = unit_result_doubles(out, DIPOLE_NEYMAN_MU);
  double *tcrit = unit_result_doubles(out, DIPOLE_NEYMAN_TCRIT);
  double *tcrit_err = unit_result_doubles(out, DIPOLE_NEYMAN_TCRIT_ERROR);
  double *t_obs = unit_result_doubles(out, DIPOLE_NEYMAN_T_OBS);
  for (size_t k = 0; k < d->n_neyman; k++) {
    mu[k] = d->neyman_mu[k];
    tcrit[k] = points[k].t_crit;
    tcrit_err[k] = points[k].t_crit_err;
    t_obs[k] = points[k].t_obs;
    n_failed += points[k].n_failed;
  }
  *unit_result_int64s(out, DIPOLE_NEYMAN_N_FAILED) = n_failed;
  return DIP_SUCCESS;
}

/* The unit's expected sensitivity (NaN when statistics.expected is none: b stays untouched). */
static int eval_expected(analysis *an, size_t entry, dip_coupling coupling, double m4,
                         const unit_summary *s, unit_result *out, dip_error *err) {
  bands_result b;
  for (int i = 0; i < BANDS_N_EDGES; i++)
    b.edge[i] = b.edge_err[i] = NAN;
  b.pcl_edge = b.mu_pcl = b.z_local = b.p_local_toys = NAN;
  DIP_TRY(analysis_expected(an, entry, coupling, m4, s, &b, err));
  memcpy(unit_result_doubles(out, DIPOLE_EXPECTED_BAND), b.edge, sizeof b.edge);
  memcpy(unit_result_doubles(out, DIPOLE_EXPECTED_BAND_ERROR), b.edge_err, sizeof b.edge_err);
  *unit_result_doubles(out, DIPOLE_EXPECTED_POWER_EDGE) = b.pcl_edge;
  *unit_result_doubles(out, DIPOLE_MU_PCL) = b.mu_pcl;
  *unit_result_doubles(out, DIPOLE_Z_LOCAL) = b.z_local;
  *unit_result_doubles(out, DIPOLE_P_LOCAL_TOYS) = b.p_local_toys;
  return DIP_SUCCESS;
}

static int eval_unit(void *ctx, size_t entry, size_t coupling, double m4, const double *mu,
                     size_t n_mu, unit_result *out, dip_error *err) {
  dipole_evaluator *d = ctx;
  unit_summary s;
  memset(&s, 0, sizeof s);
  DIP_TRY(analysis_eval_unit(d->an, entry, (dip_coupling)coupling, m4, mu, n_mu,
                             unit_result_doubles(out, DIPOLE_CHI2), &s, err));
  *unit_result_doubles(out, DIPOLE_MU_1DOF) = s.mu_limit;
  *unit_result_doubles(out, DIPOLE_CHI2_MIN) = s.chi2_min;
  *unit_result_doubles(out, DIPOLE_MU_BEST) = s.mu_best;
  *unit_result_doubles(out, DIPOLE_CHI2_ZERO) = s.chi2_zero;
  *unit_result_doubles(out, DIPOLE_SIGNAL_TOTAL) = s.signal_total;
  *unit_result_int64s(out, DIPOLE_N_PROFILES) = s.n_profiles;
  *unit_result_int64s(out, DIPOLE_N_FALLBACKS) = s.n_fallbacks;
  double *nuisances = unit_result_doubles(out, DIPOLE_NUISANCES_BEST);
  for (size_t p = 0; p < s.n_nuisances && p < ANALYSIS_MAX_NUISANCES; p++)
    nuisances[p] = s.nuisances[p];
  /* a failed fit of the expected sensitivity (a toy, the Asimov set) is the unit's status too: its
   * fields stay NaN (eval_expected writes them only on success) and the scan goes on */
  int status = eval_expected(d->an, entry, (dip_coupling)coupling, m4, &s, out, err);
  if (status == DIP_ENUMERIC || status == DIP_EINVAL) {
    s.status = s.status == DIPOLE_UNIT_OK || s.status == DIPOLE_UNIT_NO_SENSITIVITY
                   ? DIPOLE_UNIT_FAILED_EXPECTED
                   : s.status;
    dip_error_clear(err);
    status = DIP_SUCCESS;
  }
  *(uint8_t *)unit_result_field(out, DIPOLE_STATUS) = (uint8_t)s.status;
  if (status == DIP_SUCCESS && d->n_neyman > 0)
    status = eval_neyman(d, entry, (dip_coupling)coupling, m4, out, err);
  return status;
}

static void set_attributes(dipole_evaluator *d, const analysis *an, const analysis_options *o) {
  snprintf(d->seed_text, sizeof d->seed_text, "%llu", (unsigned long long)o->seed);
  const scan_attribute attrs[DIPOLE_N_ATTRIBUTES] = {
      {"mu_unit", mu_unit, 0, 0.0},
      {"m4_unit", m4_unit, 0, 0.0},
      {"xsec_normalisation", xsec_convention, 0, 0.0},
      {"cl", NULL, 0, o->cl},
      {"threshold", threshold_name(o->threshold), 16, 0.0},
      {"threshold_delta_chi2", NULL, 0, analysis_threshold_1dof(an)},
      {"data", data_mode_name(o->data), 16, 0.0},
      {"electrons", electrons_name(o->electrons), 16, 0.0},
      {"split", osc_split_name((osc_split)o->split), 16, 0.0},
      {"solar_model", solar_metallicity_name((solar_metallicity)o->metallicity), 0, 0.0},
      {"day_night", dip_names_get(&day_night_names, o->day_night), 16, 0.0},
      {"background", dip_names_get(&background_names, o->background), 16, 0.0},
      {"expected", expected_mode_name(o->expected), 16, 0.0},
      {"toys", NULL, 0, (double)o->n_toys},
      {"seed", d->seed_text, 0, 0.0},
      {"power_threshold", NULL, 0, o->power_threshold},
  };
  memcpy(d->attributes, attrs, sizeof attrs);
  d->attributes[DIPOLE_N_ATTRIBUTES] = (scan_attribute){"neyman_toys", NULL, 0,
                                                        (double)o->neyman.n_toys};
}

/* The Neyman axis and its labels (the mu values, "%.6g"), when statistics.neyman is on. */
static int set_neyman(dipole_evaluator *d, const analysis *an, const analysis_options *o,
                      dip_error *err) {
  d->neyman_toys = o->neyman.n_toys;
  if (o->neyman.n_toys == 0)
    return DIP_SUCCESS;
  DIP_TRY(neyman_axis(&o->neyman, d->neyman_mu, &d->n_neyman, err));
  size_t n_entries = analysis_n_entries(an);
  if (!(d->neyman_text = dip_calloc(NEYMAN_MAX_POINTS, 24, err)) ||
      !(d->neyman_names = dip_calloc(n_entries * NEYMAN_MAX_POINTS, sizeof *d->neyman_names, err)))
    return DIP_ENOMEM;
  for (size_t k = 0; k < d->n_neyman; k++)
    snprintf(d->neyman_text + 24 * k, 24, "%.6g", d->neyman_mu[k]);
  for (size_t i = 0; i < n_entries * NEYMAN_MAX_POINTS; i++)
    d->neyman_names[i] = d->neyman_text + 24 * (i % NEYMAN_MAX_POINTS);
  return DIP_SUCCESS;
}

/* Names of every entry and of its nuisances ("" for unused slots). */
static int set_names(dipole_evaluator *d, const analysis *an, dip_error *err) {
  size_t n_entries = analysis_n_entries(an), slots = n_entries * ANALYSIS_MAX_NUISANCES;
  if (!(d->entry_names = dip_calloc(n_entries, sizeof *d->entry_names, err)) ||
      !(d->nuisance_text = dip_calloc(slots, NUISANCE_NAME_LEN, err)) ||
      !(d->nuisance_names = dip_calloc(slots, sizeof *d->nuisance_names, err)))
    return DIP_ENOMEM;
  for (size_t e = 0; e < n_entries; e++) {
    d->entry_names[e] = analysis_entry_name(an, e);
    for (size_t p = 0; p < ANALYSIS_MAX_NUISANCES; p++) {
      size_t slot = e * ANALYSIS_MAX_NUISANCES + p;
      char *name = d->nuisance_text + slot * NUISANCE_NAME_LEN;
      if (p < analysis_n_nuisances(an, e) &&
          analysis_nuisance_name(an, e, p, name, NUISANCE_NAME_LEN) != DIP_SUCCESS)
        return dip_error_set(err, DIP_EINVAL, "entry %s: nuisance %zu has no name that fits",
                             analysis_entry_name(an, e), p);
      d->nuisance_names[slot] = name;
    }
  }
  if (!(d->band_names = dip_calloc(n_entries * BANDS_N_EDGES, sizeof *d->band_names, err)))
    return DIP_ENOMEM;
  for (size_t i = 0; i < n_entries * BANDS_N_EDGES; i++)
    d->band_names[i] = band_labels[i % BANDS_N_EDGES];
  return DIP_SUCCESS;
}

int dipole_evaluator_init(dipole_evaluator *d, analysis *an, const analysis_options *opt,
                          dip_error *err) {
  memset(d, 0, sizeof *d);
  set_attributes(d, an, opt);
  d->an = an;
  int status = set_names(d, an, err);
  if (status == DIP_SUCCESS)
    status = set_neyman(d, an, opt, err);
  if (status != DIP_SUCCESS) {
    dipole_evaluator_free(d);
    return status;
  }
  d->axis_labels[DIPOLE_AXIS_NUISANCE] = d->nuisance_names;
  d->axis_labels[DIPOLE_AXIS_BAND] = d->band_names;
  d->axis_labels[DIPOLE_AXIS_NEYMAN_MU] = d->neyman_names;
  int neyman = d->n_neyman > 0;
  d->ev = (scan_evaluator){.eval = eval_unit,
                           .ctx = d,
                           .schema = neyman ? &dipole_neyman_result_schema : &dipole_result_schema,
                           .m4_unit = m4_unit,
                           .mu_unit = mu_unit,
                           .attributes = d->attributes,
                           .n_attributes = DIPOLE_N_ATTRIBUTES + (size_t)neyman,
                           .entry_names = d->entry_names,
                           .axis_labels = d->axis_labels};
  return DIP_SUCCESS;
}

void dipole_evaluator_free(dipole_evaluator *d) {
  free(d->entry_names);
  free(d->nuisance_text);
  free(d->nuisance_names);
  free(d->band_names);
  free(d->neyman_text);
  free(d->neyman_names);
  memset(d, 0, sizeof *d);
}
