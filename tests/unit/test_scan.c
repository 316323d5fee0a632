/*
 * test_scan.c — the scan engine and the cube with a synthetic evaluator (no physics needed).
 *
 * The evaluator is analytic: chi2(mu) = c0 + (mu/s)^4 with c0, s depending on (entry, coupling,
 * m4), so its 1-dof limit is s * threshold^(1/4) and every stored number can be predicted exactly.
 * Its result schema is the dipole analysis' layout (so the integration tests can compare cubes the
 * same way) with a 3-slot nuisance axis and one extra output, units/trivial: adding it took one
 * schema entry (synthetic_fields[], with its index name F_TRIVIAL) and one line of computation
 * (synth_eval); nothing in the engine, the journal or the reader.
 *
 * Two modes:
 *   test_scan                 unit checks in-process (singleton MPI): a full scan read back with
 *                             cube_read; resume; journal replay after torn/corrupt records, a
 *                             damaged chi^2 row and tampered journaled datasets (restored from the
 *                             journal); a version-1 journal refused; config mismatch; --restart;
 *                             evaluator error.
 *   test_scan --drive CONFIG [--restart] [--output FILE] [--cost-ms N] [--fail] [--log-units F]
 *                             behave like `dipscan scan` with the synthetic evaluator (each unit
 *                             busy for N ms; --fail: units with m4 > 0.1 MeV fail), for the
 *                             mpirun integration tests; --log-units appends every evaluated
 *                             unit index to F.
 *   test_scan --check FILE [SUITE]         read a cube with cube_read and check it against the
 *                                          synthetic evaluator (PASS/FAIL lines)
 *   test_scan --check-limits FILE [SUITE]  only the evaluator-independent checks (a dipscan cube,
 *                                          read with the dipole schema): chi2 at mu_1dof =
 *                                          chi2_min + threshold, done mask.
 */
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "engine/config.h"
#include "engine/cube.h"
#include "engine/scan.h"
#include "stats/evaluator.h"
#include "stats/options.h"
#include "test.h"

#define THRESHOLD 2.705543454095404 /* chi^2_1 quantile at 0.90 (two-sided), for the synthetic meta */

typedef struct synthetic {
  double cost_ms;
  int fail_heavy;           /* 1: units with m4 > 0.1 MeV fail (error-path tests) */
  int log_fd;               /* >= 0: append the index of every evaluated unit (--log-units) */
  const scan_config *cfg;   /* for the unit index in the log */
} synthetic;

/* The model's options and config_model (the dipole sections: the test configurations have them). */
static analysis_options options;
static config_model model;

enum { F_CHI2, F_MU_1DOF, F_CHI2_MIN, F_MU_BEST, F_CHI2_ZERO, F_SIGNAL, F_PROFILES, F_FALLBACKS,
       F_NUISANCES, F_TRIVIAL, N_SYNTH_FIELDS };
static const result_axis synthetic_axes[] = {{"nuisance", 3}};
static const result_field synthetic_fields[N_SYNTH_FIELDS] = {
    [F_CHI2] = {"chi2", RESULT_DOUBLE, RESULT_MU_ROW, 0, "1", "c0 + (mu/s)^4", NAN,
                RESULT_JOURNAL_HASH},
    [F_MU_1DOF] = {"limits/mu_1dof", RESULT_DOUBLE, RESULT_SCALAR, 0, "mu_B", "s thr^(1/4)", NAN,
                   RESULT_JOURNAL_VALUE},
    [F_CHI2_MIN] = {"limits/chi2_min", RESULT_DOUBLE, RESULT_SCALAR, 0, "1", "c0", NAN,
                    RESULT_JOURNAL_VALUE},
    [F_MU_BEST] = {"limits/mu_best", RESULT_DOUBLE, RESULT_SCALAR, 0, "mu_B", "0", NAN,
                   RESULT_JOURNAL_VALUE},
    [F_CHI2_ZERO] = {"units/chi2_zero", RESULT_DOUBLE, RESULT_SCALAR, 0, "1", "c0", NAN,
                     RESULT_JOURNAL_VALUE},
    [F_SIGNAL] = {"units/signal_total", RESULT_DOUBLE, RESULT_SCALAR, 0, "mu_B^-2", "1/s^2", NAN,
                  RESULT_JOURNAL_VALUE},
    [F_PROFILES] = {"units/n_profiles", RESULT_INT64, RESULT_SCALAR, 0, "1", "n_mu", 0,
                    RESULT_JOURNAL_VALUE},
    [F_FALLBACKS] = {"units/n_fallbacks", RESULT_INT64, RESULT_SCALAR, 0, "1", "0", 0,
                     RESULT_JOURNAL_VALUE},
    [F_NUISANCES] = {"units/nuisances_best", RESULT_DOUBLE, RESULT_VECTOR, 0, "1", "c0, s, e",
                     NAN, RESULT_JOURNAL_VALUE},
    [F_TRIVIAL] = {"units/trivial", RESULT_DOUBLE, RESULT_SCALAR, 0, "1",
                   "1000 entry + 100 coupling + m4 / MeV", NAN, RESULT_JOURNAL_VALUE},
};
static const result_schema synthetic_schema = {synthetic_fields, N_SYNTH_FIELDS, synthetic_axes, 1};

static double synth_trivial(size_t e, size_t c, double m4) {
  return 1000.0 * (double)e + 100.0 * (double)c + m4;
}

/* Append "UNIT\n" for an evaluation (one write(2) on an O_APPEND file: ranks do not interleave). */
static void log_unit(const synthetic *sy, size_t e, size_t c, double m4) {
  size_t f = 0, m = 0;
  while (f + 1 < sy->cfg->n_couplings && sy->cfg->couplings[f] != c)
    f++;
  while (m + 1 < sy->cfg->n_m4 && sy->cfg->m4[m] != m4)
    m++;
  char line[32];
  int n = snprintf(line, sizeof line, "%zu\n", config_unit_index(sy->cfg, e, f, m));
  if (write(sy->log_fd, line, (size_t)n) != n)
    perror("log-units");
}

static double synth_c0(size_t e, size_t c, double m4) {
  return 20.0 + (double)e + 0.5 * (double)c + m4;
}
static double synth_scale(size_t e, size_t c, double m4) {
  return 1.0e-11 * (1.0 + 0.3 * (double)e + 0.1 * (double)c) * (1.0 + 10.0 * m4 * m4);
}

static void busy(double ms) {
  struct timespec t0, t;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  do
    clock_gettime(CLOCK_MONOTONIC, &t);
  while ((double)(t.tv_sec - t0.tv_sec) * 1e3 + (double)(t.tv_nsec - t0.tv_nsec) * 1e-6 < ms);
}

static int synth_eval(void *ctx, size_t e, size_t c, double m4, const double *mu, size_t n,
                      unit_result *out, dip_error *err) {
  const synthetic *sy = ctx;
  if (sy->log_fd >= 0)
    log_unit(sy, e, c, m4);
  busy(sy->cost_ms);
  if (sy->fail_heavy && m4 > 0.1)
    return dip_error_set(err, DIP_ENUMERIC, "synthetic failure");
  double c0 = synth_c0(e, c, m4), sc = synth_scale(e, c, m4);
  double *chi2 = unit_result_doubles(out, F_CHI2);
  double *nuisances = unit_result_doubles(out, F_NUISANCES);
  for (size_t i = 0; i < n; i++)
    chi2[i] = c0 + pow(mu[i] / sc, 4);
  *unit_result_doubles(out, F_MU_BEST) = 0.0;
  *unit_result_doubles(out, F_CHI2_MIN) = c0;
  *unit_result_doubles(out, F_CHI2_ZERO) = c0;
  *unit_result_doubles(out, F_MU_1DOF) = sc * pow(THRESHOLD, 0.25);
  *unit_result_doubles(out, F_SIGNAL) = 1.0 / (sc * sc);
  *unit_result_int64s(out, F_PROFILES) = (int64_t)n;
  *unit_result_int64s(out, F_FALLBACKS) = 0;
  nuisances[0] = c0;
  nuisances[1] = sc * 1e11;
  nuisances[2] = (double)e;
  *unit_result_doubles(out, F_TRIVIAL) = synth_trivial(e, c, m4);
  return DIP_SUCCESS;
}

static const char *const card_names[] = {"card_a", "card_b"};
static const char *const card_sums[] = {"00000000000000aa", "00000000000000bb"};

static const scan_attribute synthetic_attributes[] = {
    {"mu_unit", "mu_B", 0, 0.0}, {"m4_unit", "MeV", 0, 0.0},
    {"threshold_delta_chi2", NULL, 0, THRESHOLD}};
static const char *const nuisance_labels[3] = {"a", "b", "c"};

/* The synthetic evaluator, entry names from the configuration (the analysis would name them the
 * same way) and the provenance. */
typedef struct synthetic_model {
  char names[16][128];
  const char *entry_names[16];
  const char *labels[16 * 3];
  const char *const *axis_labels[1];
  scan_evaluator ev;
  cube_meta meta;
} synthetic_model;

static void make_model(const scan_config *cfg, synthetic *sy, synthetic_model *sm) {
  for (size_t e = 0; e < config_n_entries(cfg) && e < 16; e++) {
    config_entry_label(cfg, e, sm->names[e], 128);
    sm->entry_names[e] = sm->names[e];
    for (size_t p = 0; p < 3; p++)
      sm->labels[e * 3 + p] = nuisance_labels[p];
  }
  sm->axis_labels[0] = sm->labels;
  sm->ev = (scan_evaluator){.eval = synth_eval,
                            .ctx = sy,
                            .schema = &synthetic_schema,
                            .m4_unit = "MeV",
                            .mu_unit = "mu_B",
                            .attributes = synthetic_attributes,
                            .n_attributes = 3,
                            .entry_names = sm->entry_names,
                            .axis_labels = sm->axis_labels};
  sm->meta = (cube_meta){"test", card_names, card_sums,
                         cfg->n_experiments < 2 ? cfg->n_experiments : 2, NULL, NULL};
}

/* ---- checks on a finished cube ---- */

/* The field with this dataset path in the schema the cube was read with (NULL if none). */
static const double *field(const cube_data *d, const char *path) {
  for (size_t f = 0; f < d->schema->n_fields; f++)
    if (!strcmp(d->schema->fields[f].path, path))
      return d->fields[f];
  return NULL;
}

/* Generic (any evaluator with chi2, limits/chi2_min and limits/mu_1dof): every unit done, chi2 >=
 * chi2_min along mu, and chi2 interpolated (linearly in log mu) at mu_1dof equals chi2_min +
 * threshold within the interpolation error, bounded by the discrete second difference of the row
 * around the crossing. */
static void check_limits(const cube_data *d) {
  size_t units = d->n_entries * d->n_couplings * d->n_m4, n_done = 0, inside = 0, good = 0;
  size_t above_min = 0;
  double worst = 0.0, thr = cube_data_number(d, "threshold_delta_chi2");
  const double *chi2 = field(d, "chi2"), *chi2_min = field(d, "limits/chi2_min"),
               *mu_1dof = field(d, "limits/mu_1dof");
  test_true(chi2 && chi2_min && mu_1dof && isfinite(thr), "the cube has chi2, limits, threshold");
  if (!chi2 || !chi2_min || !mu_1dof)
    return;
  for (size_t u = 0; u < units; u++) {
    const double *row = &chi2[u * d->n_mu];
    double target = chi2_min[u] + thr, mu_l = mu_1dof[u];
    n_done += d->done[u];
    int ok_min = 1;
    for (size_t i = 0; i < d->n_mu; i++)
      ok_min = ok_min && row[i] >= chi2_min[u] - 1e-6 * fabs(chi2_min[u]) - 1e-9;
    above_min += ok_min;
    for (size_t i = 0; i + 1 < d->n_mu; i++) {
      if (!(d->mu[i] <= mu_l && mu_l <= d->mu[i + 1]))
        continue;
      double t = log(mu_l / d->mu[i]) / log(d->mu[i + 1] / d->mu[i]);
      double interp = (1 - t) * row[i] + t * row[i + 1];
      double d2 = 0.0;
      for (size_t k = i > 0 ? i : 1; k <= i + 1 && k + 1 < d->n_mu; k++)
        d2 = fmax(d2, fabs(row[k - 1] - 2 * row[k] + row[k + 1]));
      double tol = 0.5 * d2 + 1e-6 * fabs(target), dev = fabs(interp - target);
      inside++;
      good += dev <= tol;
      worst = fmax(worst, dev / thr);
      break;
    }
  }
  test_true(n_done == units, "every unit is marked done");
  test_true(above_min == units, "chi2 along mu never falls below chi2_min");
  test_true(inside > 0 && good == inside,
            "chi2 at mu_1dof equals chi2_min + threshold (within grid interpolation)");
  printf("# %zu units, %zu limits inside the mu grid, %zu within tolerance, worst |dev|/threshold "
         "%.2e\n", units, inside, good, worst);
}

/* Synthetic evaluator only: every stored number equals the evaluator's, bit for bit (the
 * nuisances and units/trivial too). */
static void check_synthetic(const cube_data *d) {
  size_t units = d->n_entries * d->n_couplings * d->n_m4, exact = 0;
  const double *chi2 = d->fields[F_CHI2], *nuis = d->fields[F_NUISANCES];
  const double *trivial = d->fields[F_TRIVIAL];
  const int64_t *profiles = d->fields[F_PROFILES];
  for (size_t u = 0; u < units && chi2 && nuis && trivial && profiles; u++) {
    size_t m = u % d->n_m4, f = (u / d->n_m4) % d->n_couplings, e = u / (d->n_m4 * d->n_couplings);
    size_t c = 0;
    while (c < model.n_couplings && strcmp(model.coupling_name(c), d->coupling_names[f]))
      c++;
    double c0 = synth_c0(e, c, d->m4[m]), sc = synth_scale(e, c, d->m4[m]);
    int ok = ((const double *)d->fields[F_CHI2_MIN])[u] == c0 &&
             ((const double *)d->fields[F_MU_BEST])[u] == 0.0 &&
             ((const double *)d->fields[F_MU_1DOF])[u] == sc * pow(THRESHOLD, 0.25) &&
             nuis[3 * u] == c0 && nuis[3 * u + 1] == sc * 1e11 && nuis[3 * u + 2] == (double)e &&
             trivial[u] == synth_trivial(e, c, d->m4[m]) && profiles[u] == (int64_t)d->n_mu;
    for (size_t i = 0; i < d->n_mu; i++)
      ok = ok && chi2[u * d->n_mu + i] == c0 + pow(d->mu[i] / sc, 4);
    exact += ok;
  }
  test_true(exact == units,
            "chi2 rows, limits, nuisances and units/trivial equal the evaluator's values exactly");
}

static void check_cube(const char *path, int synthetic_values) {
  dip_error err;
  cube_data d;
  int st = cube_read(&d, path, synthetic_values ? &synthetic_schema : &dipole_result_schema, &err);
  test_true(st == DIP_SUCCESS, "cube_read opens the output");
  if (st != DIP_SUCCESS) {
    printf("# %s\n", err.msg);
    return;
  }
  check_limits(&d);
  if (synthetic_values)
    check_synthetic(&d);
  test_true(!strcmp(cube_data_text(&d, "status"), "complete"), "status attribute is 'complete'");
  cube_data_free(&d);
}

/* ---- in-process unit checks ---- */

static const char base_config[] =
    "experiments: [card_a, card_b]\njoint: [[card_a, card_b]]\nflavors: [universal, tau]\n"
    "m4: {from: 0.001, to: 0.5, points: 9, spacing: log}\n"
    "mu: {from: 1.0e-12, to: 1.0e-9, points: 60, spacing: log}\n";

static int load(scan_config *cfg, const char *text, const char *out) {
  dip_error err;
  int st = config_load_string(cfg, text, strlen(text), "test.yaml", &model, &err);
  if (st == DIP_SUCCESS)
    st = config_set_output(cfg, out, &err);
  if (st != DIP_SUCCESS)
    printf("# config: %s\n", err.msg);
  return st;
}

static int scan_once(const scan_config *cfg, int restart, synthetic *sy, scan_report *rep,
                     dip_error *err) {
  synthetic_model sm;
  make_model(cfg, sy, &sm);
  return scan_run(cfg, &sm.meta, restart, &sm.ev, MPI_COMM_SELF, NULL, rep, err);
}

static long file_size(const char *path) {
  FILE *fp = fopen(path, "rb");
  if (!fp)
    return -1;
  fseek(fp, 0, SEEK_END);
  long n = ftell(fp);
  fclose(fp);
  return n;
}

/* Bytes of one journal record of the synthetic schema for this configuration. */
static long record_size(const scan_config *cfg) {
  journal_layout l;
  journal_layout_init(&l, &synthetic_schema, cfg->n_mu, cfg->hash);
  return (long)l.record_size;
}

/* Damage the journal: drop the last 3 records, tear the one before (kill -9 mid-write), and
 * corrupt record 0 (its config hash): 5 units lose their record. */
static void damage_journal(const char *journal, long records, long size) {
  if (truncate(journal, (records - 3) * size - 40) != 0)
    return;
  FILE *fp = fopen(journal, "r+b");
  if (fp) {
    fseek(fp, 30, SEEK_SET);
    fputc('X', fp);
    fclose(fp);
  }
}

/* Overwrite one element of a dataset behind the journal's back. */
static void tamper(const char *path, const char *name, const hsize_t start[4], double value) {
  hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT), d = H5Dopen2(f, name, H5P_DEFAULT);
  hid_t space = H5Dget_space(d);
  hsize_t count[4] = {1, 1, 1, 1}, one = 1;
  H5Sselect_hyperslab(space, H5S_SELECT_SET, start, NULL, count, NULL);
  hid_t mem = H5Screate_simple(1, &one, NULL);
  H5Dwrite(d, H5T_NATIVE_DOUBLE, mem, space, H5P_DEFAULT, &value);
  H5Sclose(mem);
  H5Sclose(space);
  H5Dclose(d);
  H5Fclose(f);
}

/* Every schema field and /done of two cubes, byte for byte. */
static int same_results(const char *a_path, const char *b_path) {
  cube_data a, b;
  dip_error err;
  int ok = cube_read(&a, a_path, &synthetic_schema, &err) == DIP_SUCCESS;
  if (ok && cube_read(&b, b_path, &synthetic_schema, &err) != DIP_SUCCESS) {
    cube_data_free(&a);
    ok = 0;
  }
  if (!ok)
    return 0;
  size_t units = a.n_entries * a.n_couplings * a.n_m4;
  ok = memcmp(a.done, b.done, units) == 0;
  for (size_t f = 0; ok && f < synthetic_schema.n_fields; f++) {
    size_t bytes = units * result_field_count(&synthetic_schema, f, a.n_mu) *
                   result_type_size(synthetic_fields[f].type);
    ok = a.fields[f] && b.fields[f] && memcmp(a.fields[f], b.fields[f], bytes) == 0;
  }
  cube_data_free(&a);
  cube_data_free(&b);
  return ok;
}

static void test_resume_and_replay(const char *dir) {
  char out[512], ref[512], journal[600];
  snprintf(out, sizeof out, "%s/replay.h5", dir);
  snprintf(ref, sizeof ref, "%s/reference.h5", dir);
  snprintf(journal, sizeof journal, "%s.journal", out);
  scan_config cfg, cfg_ref;
  if (load(&cfg, base_config, out) != DIP_SUCCESS ||
      load(&cfg_ref, base_config, ref) != DIP_SUCCESS)
    return;
  synthetic sy = {0.0, 0, -1, NULL};
  scan_report rep;
  dip_error err;
  size_t units = config_n_units(&cfg);
  long size = record_size(&cfg);
  scan_once(&cfg_ref, 0, &sy, &rep, &err);
  test_true(scan_once(&cfg, 0, &sy, &rep, &err) == DIP_SUCCESS && rep.units_computed == units,
            "fresh scan computes every unit");
  check_cube(out, 1);
  test_true(file_size(journal) == (long)units * size, "journal holds one record per unit");
  test_true(scan_once(&cfg, 0, &sy, &rep, &err) == DIP_SUCCESS && rep.units_computed == 0 &&
                rep.units_before == units,
            "resume of a complete output computes nothing");
  damage_journal(journal, (long)units, size);
  test_true(scan_once(&cfg, 0, &sy, &rep, &err) == DIP_SUCCESS, "resume after a damaged journal");
  test_true(rep.resume.units_done == units - 5 && rep.units_computed == 5 &&
                rep.resume.units_reset == 5 && rep.resume.records_dropped == 1,
            "replay keeps intact records and recomputes exactly the 5 damaged units");
  printf("# replay: kept %zu, reset %zu, dropped %zu, recomputed %zu (records of %ld bytes)\n",
         rep.resume.units_done, rep.resume.units_reset, rep.resume.records_dropped,
         rep.units_computed, size);
  check_cube(out, 1);
  test_true(file_size(journal) == (long)units * size,
            "journal again holds exactly one record per unit");
  test_true(same_results(out, ref),
            "after the damaged journal and the resume every dataset equals the uninterrupted run");
  config_free(&cfg);
  config_free(&cfg_ref);
}

/* Journaled values changed in the cube (a crash between the data and a later rewrite, or any other
 * damage) are restored from the journal on resume: limits, nuisances and the extra output. */
static void test_tampered_values(const char *dir) {
  char out[512];
  snprintf(out, sizeof out, "%s/tampered.h5", dir);
  scan_config cfg;
  if (load(&cfg, base_config, out) != DIP_SUCCESS)
    return;
  synthetic sy = {0.0, 0, -1, NULL};
  scan_report rep;
  dip_error err;
  scan_once(&cfg, 0, &sy, &rep, &err);
  const hsize_t unit_a[4] = {1, 1, 4, 0}, unit_b[4] = {2, 0, 7, 2};
  tamper(out, "units/trivial", unit_a, -1.0);
  tamper(out, "units/nuisances_best", unit_b, -2.0);
  tamper(out, "limits/mu_1dof", unit_b, -3.0);
  test_true(scan_once(&cfg, 0, &sy, &rep, &err) == DIP_SUCCESS && rep.units_computed == 0 &&
                rep.resume.units_done == config_n_units(&cfg),
            "tampered journaled values: nothing to recompute");
  check_cube(out, 1); /* exact values again: replayed from the journal */
  config_free(&cfg);
}

static void test_damaged_row(const char *dir) {
  char out[512];
  snprintf(out, sizeof out, "%s/row.h5", dir);
  scan_config cfg;
  if (load(&cfg, base_config, out) != DIP_SUCCESS)
    return;
  synthetic sy = {0.0, 0, -1, NULL};
  scan_report rep;
  dip_error err;
  scan_once(&cfg, 0, &sy, &rep, &err);
  const hsize_t point[4] = {0, 0, 5, 7};
  tamper(out, "chi2", point, -1.0); /* one chi^2 value of unit 5 */
  test_true(scan_once(&cfg, 0, &sy, &rep, &err) == DIP_SUCCESS && rep.units_computed == 1 &&
                rep.resume.records_dropped == 1,
            "a chi2 row that no longer matches its journal hash is recomputed");
  check_cube(out, 1);
  config_free(&cfg);
}

/* A journal of format version 1 is refused with a message that says what to do. */
static void test_v1_journal(const char *dir) {
  char out[512], journal[600];
  snprintf(out, sizeof out, "%s/v1.h5", dir);
  snprintf(journal, sizeof journal, "%s.journal", out);
  scan_config cfg;
  if (load(&cfg, base_config, out) != DIP_SUCCESS)
    return;
  synthetic sy = {0.0, 0, -1, NULL};
  scan_report rep;
  dip_error err;
  scan_once(&cfg, 0, &sy, &rep, &err);
  unsigned char v1[128] = "DIPJRNL1";
  FILE *fp = fopen(journal, "wb");
  if (fp) {
    fwrite(v1, 1, sizeof v1, fp);
    fclose(fp);
  }
  int st = scan_once(&cfg, 0, &sy, &rep, &err);
  test_true(st == DIP_EMISMATCH && strstr(err.msg, "version-1 journal") &&
                strstr(err.msg, "--restart") && !strchr(err.msg, '\n'),
            "a version-1 journal is refused in one line pointing to --restart");
  printf("# %s\n", err.msg);
  test_true(scan_once(&cfg, 1, &sy, &rep, &err) == DIP_SUCCESS &&
                rep.units_computed == config_n_units(&cfg),
            "--restart starts such an output over");
  config_free(&cfg);
}

static void test_mismatch_restart(const char *dir) {
  char out[512], text[1024];
  snprintf(out, sizeof out, "%s/mismatch.h5", dir);
  scan_config a, b;
  snprintf(text, sizeof text, "%sstatistics: {cl: 0.95}\n", base_config);
  if (load(&a, base_config, out) != DIP_SUCCESS || load(&b, text, out) != DIP_SUCCESS)
    return;
  synthetic sy = {0.0, 0, -1, NULL};
  scan_report rep;
  dip_error err;
  scan_once(&a, 0, &sy, &rep, &err);
  int st = scan_once(&b, 0, &sy, &rep, &err);
  test_true(st == DIP_EMISMATCH && strstr(err.msg, "statistics.cl: 0.9 (existing output) vs 0.95"),
            "a different configuration is refused, naming the differing key");
  printf("# %s\n", err.msg);
  st = scan_once(&b, 1, &sy, &rep, &err);
  test_true(st == DIP_SUCCESS && rep.units_computed == config_n_units(&b) && !rep.resume.existed,
            "--restart starts over");
  config_free(&a);
  config_free(&b);
}

static void test_eval_error(const char *dir) {
  char out[512];
  snprintf(out, sizeof out, "%s/fail.h5", dir);
  scan_config cfg;
  if (load(&cfg, base_config, out) != DIP_SUCCESS)
    return;
  synthetic sy = {0.0, 1, -1, NULL};
  scan_report rep;
  dip_error err;
  int st = scan_once(&cfg, 0, &sy, &rep, &err);
  test_true(st == DIP_ENUMERIC && rep.fatal && strstr(err.msg, "unit (") &&
                strstr(err.msg, "synthetic failure"),
            "an evaluator error is fatal and names the unit");
  printf("# %s\n", err.msg);
  config_free(&cfg);
}

/* The cube's datasets carry the schema's units and long_name. */
static void test_dataset_attributes(const char *dir) {
  char out[512];
  snprintf(out, sizeof out, "%s/replay.h5", dir);
  hid_t f = H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t d = f >= 0 ? H5Dopen2(f, "units/trivial", H5P_DEFAULT) : -1;
  int ok = d >= 0 && H5Aexists(d, "units") > 0 && H5Aexists(d, "long_name") > 0;
  test_true(ok, "units/trivial has units and long_name attributes from the schema");
  if (d >= 0)
    H5Dclose(d);
  if (f >= 0)
    H5Fclose(f);
}

static int unit_tests(void) {
  test_suite("scan");
  char dir[] = "/tmp/dipscan_test_scan_XXXXXX";
  if (!mkdtemp(dir)) {
    test_true(0, "temporary directory");
    return test_summary();
  }
  test_resume_and_replay(dir);
  test_dataset_attributes(dir);
  test_tampered_values(dir);
  test_damaged_row(dir);
  test_v1_journal(dir);
  test_mismatch_restart(dir);
  test_eval_error(dir);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    printf("# could not remove %s\n", dir);
  return test_summary();
}

/* ---- --drive: `dipscan scan` with the synthetic evaluator ---- */

static int drive(int argc, char **argv) {
  const char *config = NULL, *output = NULL;
  int restart = 0;
  synthetic sy = {0.0, 0, -1, NULL};
  for (int i = 2; i < argc; i++) {
    if (!strcmp(argv[i], "--restart"))
      restart = 1;
    else if (!strcmp(argv[i], "--output") && i + 1 < argc)
      output = argv[++i];
    else if (!strcmp(argv[i], "--cost-ms") && i + 1 < argc)
      sy.cost_ms = atof(argv[++i]);
    else if (!strcmp(argv[i], "--fail"))
      sy.fail_heavy = 1;
    else if (!strcmp(argv[i], "--log-units") && i + 1 < argc)
      sy.log_fd = open(argv[++i], O_WRONLY | O_APPEND | O_CREAT, 0666);
    else
      config = argv[i];
  }
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  scan_config cfg;
  dip_error err;
  int st = config ? config_load_file(&cfg, config, &model, &err)
                  : dip_error_set(&err, DIP_EINVAL, "usage: test_scan --drive CONFIG");
  if (st == DIP_SUCCESS && output)
    st = config_set_output(&cfg, output, &err);
  sy.cfg = &cfg;
  scan_report rep;
  memset(&rep, 0, sizeof rep);
  if (st == DIP_SUCCESS) {
    synthetic_model sm;
    make_model(&cfg, &sy, &sm);
    scan_signals_install();
    st = scan_run(&cfg, &sm.meta, restart, &sm.ev, MPI_COMM_WORLD, stderr, &rep, &err);
    scan_signals_restore();
  }
  if (st != DIP_SUCCESS && (rep.fatal || rank == 0))
    fprintf(stderr, "test_scan: error: %s\n", err.msg);
  if (st != DIP_SUCCESS && rep.fatal)
    MPI_Abort(MPI_COMM_WORLD, 1);
  if (st == DIP_SUCCESS && rank == 0)
    fprintf(stderr, "test_scan: %zu units computed, %zu before, %.0f points/s%s; peak RSS %ld KiB\n",
            rep.units_computed, rep.units_before, rep.points_per_second,
            rep.stopped ? "; stopped, resumable" : "; complete", rep.peak_rss_kb);
  if (config)
    config_free(&cfg);
  return st == DIP_SUCCESS ? 0 : 1;
}

int main(int argc, char **argv) {
  dip_gsl_quiet();
  options_config_model(&model, &options);
  MPI_Init(&argc, &argv);
  int rc;
  if (argc > 1 && !strcmp(argv[1], "--drive"))
    rc = drive(argc, argv);
  else if (argc > 2 && (!strcmp(argv[1], "--check") || !strcmp(argv[1], "--check-limits"))) {
    test_suite(argc > 3 ? argv[3] : "cube-reader");
    check_cube(argv[2], !strcmp(argv[1], "--check"));
    rc = test_summary();
  } else
    rc = unit_tests();
  MPI_Finalize();
  return rc;
}
