/*
 * test_solar.c — the solar data stage: B16 totals, line branchings, normalised spectra and
 * production profiles for both metallicities, and clean errors (FILE:LINE:COL) from corrupted
 * copies of the data files written to a temporary directory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "physics/solar.h"
#include "test.h"

static char data_dir[4096];

static const char *const data_files[] = {
    "fluxes_b16.yaml",      "lines.yaml",           "spectrum_pp.yaml",
    "spectrum_hep.yaml",    "spectrum_8B.yaml",     "spectrum_13N.yaml",
    "spectrum_15O.yaml",    "spectrum_17F.yaml",    "profile_b16_gs98.yaml",
    "profile_b16_agss09met.yaml"};
#define N_DATA_FILES (sizeof data_files / sizeof *data_files)

/* B16 total fluxes [cm^-2 s^-1], Vinyoles et al., ApJ 835, 202 (2017), as quoted in
 * docs/physics.md §2.1, order pp, pep, hep, 7Be, 8B, 13N, 15O, 17F. */
static const double b16_gs98[SOLAR_N_SOURCES] = {5.98e10, 1.44e8, 7.98e3, 4.93e9,
                                                 5.46e6,  2.78e8, 2.05e8, 5.29e6};
static const double b16_agss09met[SOLAR_N_SOURCES] = {6.03e10, 1.46e8, 8.25e3, 4.50e9,
                                                      4.50e6,  2.04e8, 1.44e8, 3.26e6};
static const double sigma_gs98[SOLAR_N_SOURCES] = {0.006, 0.01, 0.30, 0.06, 0.12, 0.15, 0.17, 0.20};

/* Integral of solar_shape by composite Simpson on a fine uniform grid — independent of the
 * trapezoidal check inside solar_init (kinks of the linear interpolation cost O(h^2) only). */
static double integrate_shape(const solar_model *sun, solar_source_id s) {
  const int n = 200000; /* even */
  double a = 0.0, b = sun->src[s].E_max, h = (b - a) / n, sum = 0.0;
  for (int i = 0; i <= n; i++) {
    double w = (i == 0 || i == n) ? 1.0 : (i % 2 ? 4.0 : 2.0);
    sum += w * solar_shape(sun, s, a + i * h);
  }
  return sum * h / 3.0;
}

static double mean_production_radius(const solar_model *sun, solar_source_id s) {
  double sum = 0.0;
  for (size_t j = 0; j + 1 < sun->n_r; j++)
    sum += 0.5 * (sun->r[j + 1] - sun->r[j]) *
           (sun->r[j] * sun->src[s].production[j] + sun->r[j + 1] * sun->src[s].production[j + 1]);
  return sum;
}

static void test_model(solar_metallicity met, const char *tag, const double *flux_ref) {
  solar_model sun;
  dip_error err;
  char name[160];
  int status = solar_init(&sun, data_dir, met, &err);
  snprintf(name, sizeof name, "%s loads", tag);
  test_report(status == DIP_SUCCESS, name, "%s", err.msg);
  if (status != DIP_SUCCESS)
    return;
  for (int s = 0; s < SOLAR_N_SOURCES; s++) {
    /* The B16 table file gives 17F(GS98) = 5.28e6 against 5.29e6 in the paper: 0.19%. */
    double tol = (met == SOLAR_B16_GS98 && s == SOLAR_F17) ? 2.0e-3 : 1.0e-9;
    snprintf(name, sizeof name, "%s B16 total flux %s", tag, sun.src[s].name);
    test_rel(sun.src[s].flux, flux_ref[s], tol, name);
    if (met == SOLAR_B16_GS98) {
      snprintf(name, sizeof name, "%s B16 sigma %s", tag, sun.src[s].name);
      test_rel(sun.src[s].sigma_rel, sigma_gs98[s], 1e-9, name);
    }
    snprintf(name, sizeof name, "%s production profile of %s integrates to 1", tag,
             sun.src[s].name);
    double integral = 0.0;
    for (size_t j = 0; j + 1 < sun.n_r; j++)
      integral += 0.5 * (sun.r[j + 1] - sun.r[j]) *
                  (sun.src[s].production[j] + sun.src[s].production[j + 1]);
    test_rel(integral, 1.0, 1e-6, name);
    if (sun.src[s].n_lines == 0) {
      snprintf(name, sizeof name, "%s shape of %s integrates to 1", tag, sun.src[s].name);
      test_rel(integrate_shape(&sun, (solar_source_id)s), 1.0, 1e-4, name);
    }
  }
  const solar_source *be7 = &sun.src[SOLAR_BE7], *pep = &sun.src[SOLAR_PEP];
  snprintf(name, sizeof name, "%s 7Be branchings sum to 1", tag);
  test_abs(be7->line_fraction[0] + be7->line_fraction[1], 1.0, 1e-12, name);
  test_true(be7->n_lines == 2 && be7->line_energy[0] == 0.8613 && be7->line_energy[1] == 0.3843 &&
                be7->line_fraction[0] == 0.896 && be7->E_max == 0.8613,
            "7Be lines 0.8613 (89.6%) and 0.3843 MeV");
  test_true(pep->n_lines == 1 && pep->line_energy[0] == 1.442 && pep->line_fraction[0] == 1.0,
            "pep line at 1.442 MeV");
  test_true(solar_shape(&sun, SOLAR_BE7, 0.8613) == 0.0, "solar_shape is 0 for a line source");
  test_true(solar_shape(&sun, SOLAR_PP, 0.43) == 0.0 && solar_shape(&sun, SOLAR_PP, -1.0) == 0.0,
            "pp shape vanishes outside [0, 0.42341] MeV");
  test_rel(sun.src[SOLAR_PP].E_max, 0.42341, 1e-12, "pp endpoint 0.42341 MeV (Bahcall)");
  /* Physical ordering: the temperature-sensitive 8B is produced deeper than 7Be, 7Be deeper than pp. */
  double r_b8 = mean_production_radius(&sun, SOLAR_B8), r_be7 = mean_production_radius(&sun, SOLAR_BE7),
         r_pp = mean_production_radius(&sun, SOLAR_PP);
  snprintf(name, sizeof name, "%s <r>: 8B (%.3f) < 7Be (%.3f) < pp (%.3f)", tag, r_b8, r_be7, r_pp);
  test_true(r_b8 < r_be7 && r_be7 < r_pp, name);
  /* Central electron density of an SSM: ~100 N_A cm^-3 (log10 ~ 2.0). */
  test_true(fabs(sun.log10_ne[0] - 2.0) < 0.1, "central log10 n_e ~ 2");
  test_true(strlen(sun.checksum) == 16, "checksum recorded");
  solar_free(&sun);
}

/* Write every data file into DIR/solar/, with `file` modified: the first `old` replaced by `new`
 * (or the file cut in half when old == NULL, or left out when new == NULL). */
static int write_copy(const char *dir, const char *file, const char *old, const char *new) {
  char path[4400];
  snprintf(path, sizeof path, "%s/solar", dir);
  if (mkdir(path, 0700) != 0)
    return -1;
  for (size_t i = 0; i < N_DATA_FILES; i++) {
    char *text;
    size_t len;
    dip_error err;
    snprintf(path, sizeof path, "%s/solar/%s", data_dir, data_files[i]);
    if (dip_read_file(path, &text, &len, &err) != DIP_SUCCESS)
      return -1;
    snprintf(path, sizeof path, "%s/solar/%s", dir, data_files[i]);
    int is_target = !strcmp(data_files[i], file);
    FILE *fp = (is_target && new == NULL && old != NULL) ? NULL : fopen(path, "w");
    if (fp) {
      char *at = is_target && old ? strstr(text, old) : NULL;
      if (is_target && old == NULL)
        fwrite(text, 1, len / 2, fp);
      else if (at) {
        fwrite(text, 1, (size_t)(at - text), fp);
        fputs(new, fp);
        fputs(at + strlen(old), fp);
      } else
        fputs(text, fp);
      fclose(fp);
    } else
      unlink(path);
    free(text);
  }
  return 0;
}

static void expect_corruption_error(const char *file, const char *old, const char *new,
                                    const char *needle, const char *name) {
  char dir[] = "/tmp/dipscan_test_solar_XXXXXX";
  if (!mkdtemp(dir) || write_copy(dir, file, old, new) != 0) {
    test_report(0, name, "cannot write the corrupted copy under /tmp");
    return;
  }
  solar_model sun;
  dip_error err;
  dip_error_clear(&err);
  int status = solar_init(&sun, dir, SOLAR_B16_GS98, &err);
  if (status == DIP_SUCCESS)
    solar_free(&sun);
  /* The message must name the file and a line:column position (or the I/O problem). */
  char where[200];
  snprintf(where, sizeof where, "%s:", file);
  int ok = status != DIP_SUCCESS && strstr(err.msg, where) && strstr(err.msg, needle) &&
           sun.n_r == 0 && sun.r == NULL;
  test_report(ok, name, "status %d, message '%s', wanted '%s' and '%s'", status, err.msg, where,
              needle);
  printf("#   %s\n", err.msg);
  char cmd[200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    fprintf(stderr, "could not remove %s\n", dir);
}

static void test_corrupted_files(void) {
  expect_corruption_error("fluxes_b16.yaml", NULL, "", "", "truncated file");
  expect_corruption_error("spectrum_pp.yaml", "0, 0.00504, 0.01008", "0, 0.02, 0.01008",
                          "increase strictly", "non-monotonic energies");
  expect_corruption_error("spectrum_8B.yaml", "dNdE_per_MeV: [0,", "dNdE_per_MeV: [-0.01,",
                          "negative", "negative spectrum value");
  expect_corruption_error("spectrum_17F.yaml", "dNdE_per_MeV: [0,", "dNdE_per_MeV: [50,",
                          "integrate to 1", "spectrum not normalised");
  expect_corruption_error("lines.yaml", "[0.896, 0.104]", "[0.896, 0.114]", "sum to",
                          "7Be branchings not summing to 1");
  expect_corruption_error("fluxes_b16.yaml", "sigma_rel: 0.006", "sigma_rel: abc",
                          "finite number", "non-numeric uncertainty");
  expect_corruption_error("spectrum_hep.yaml", "\nsource:", "\nsauce: 1\nsource:", "unknown key",
                          "unknown key");
  expect_corruption_error("profile_b16_gs98.yaml", "r_over_rsun: [0.0005, 0.001,",
                          "r_over_rsun: [0.0005,", "values, expected",
                          "profile column length mismatch");
  expect_corruption_error("spectrum_15O.yaml", "provenance:", NULL, "cannot open", "missing file");
}

static void test_names(void) {
  int m = SOLAR_B16_GS98;
  dip_error err;
  test_true(dip_names_find(&solar_model_names, "b16-agss09met", &m, &err) == DIP_SUCCESS &&
                m == SOLAR_B16_AGSS09MET && !strcmp(solar_metallicity_name(SOLAR_B16_AGSS09MET), "b16-agss09met"),
            "metallicity name b16-agss09met round trip");
  test_true(dip_names_find(&solar_model_names, "gs98", &m, &err) == DIP_EINVAL &&
                strstr(err.msg, "b16-gs98") != NULL,
            "unknown metallicity name lists the allowed ones");
}

int main(void) {
  test_suite("solar");
  dip_gsl_quiet();
  dip_error err;
  if (dip_data_dir(data_dir, sizeof data_dir, &err) != DIP_SUCCESS) {
    test_report(0, "data directory", "%s", err.msg);
    return test_summary();
  }
  test_model(SOLAR_B16_GS98, "GS98", b16_gs98);
  test_model(SOLAR_B16_AGSS09MET, "AGSS09met", b16_agss09met);
  test_corrupted_files();
  test_names();
  return test_summary();
}
