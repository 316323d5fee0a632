/*
 * test_plot.c — the kinematic reach used for the endpoint marks, and the three figures rendered
 * by gnuplot from a small in-memory reduced cube: gnuplot exits 0 (the plot functions check it)
 * and every PNG/PDF starts with its magic bytes and is not trivially small.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "physics/constants.h"
#include "output/plot.h"
#include "test.h"
#include "physics/xsec.h"

/* Analytic inverse of E_min(T, m4) = (1 + m4^2/(2 m_e T)) g(T), g = (T + sqrt(T^2 + 2 m_e T))/2. */
static double reach_analytic(double E, double T) {
  double g = 0.5 * (T + sqrt(T * T + 2.0 * DIP_ME_MEV * T));
  return sqrt(2.0 * DIP_ME_MEV * T * (E / g - 1.0));
}

static void test_reach(void) {
  double T = PLOT_REACH_RECOIL_KEV / DIP_KEV_PER_MEV;
  test_rel(plot_m4_reach(DIP_PP_ENDPOINT_MEV, T), reach_analytic(DIP_PP_ENDPOINT_MEV, T), 1e-12,
           "pp reach = analytic inverse of E_min");
  /* physics.md §1: 7Be(862) reaches m4 ~ 0.47 MeV with 1-30 keV recoils. */
  test_rel(plot_m4_reach(DIP_BE7_LINE_MEV, T), 0.47, 0.02, "7Be reach ~ 0.47 MeV at 30 keV");
  test_rel(xsec_emin(T, plot_m4_reach(DIP_PEP_LINE_MEV, T)), DIP_PEP_LINE_MEV, 1e-12,
           "E_min at the pep reach = pep energy");
  test_abs(plot_m4_reach(1e-3, T), 0.0, 0.0, "no reach below the massless threshold");
}

static int has_magic(const char *path, const char *magic, size_t n) {
  FILE *fp = fopen(path, "rb");
  char buf[16] = {0};
  size_t got = fp ? fread(buf, 1, n, fp) : 0;
  long size = 0;
  if (fp && fseek(fp, 0, SEEK_END) == 0)
    size = ftell(fp);
  if (fp)
    fclose(fp);
  return got == n && !memcmp(buf, magic, n) && size > 1000;
}

static void check_figure(const char *dir, const char *name) {
  char png[512], pdf[512], label[160];
  snprintf(png, sizeof png, "%s/%s.png", dir, name);
  snprintf(pdf, sizeof pdf, "%s/%s.pdf", dir, name);
  snprintf(label, sizeof label, "%s: PNG and PDF with magic bytes", name);
  test_true(has_magic(png, "\x89PNG\r\n\x1a\n", 8) && has_magic(pdf, "%PDF-", 5), label);
}

/* A 2-entry, 1-flavor reduced cube: limits 1e-11 * (1 + m), one unit unfinished, one inf. */
static void test_figures(const char *dir) {
  enum { E = 2, M = 6, U = 50 };
  char *entries[E] = {"xenonnt_sr0", "xenonnt_sr0+pandax4t_run1"}, *flavors[1] = {"e"};
  double m4[M], mu[U], chi2[E * M * U], lim[E * M], upper[E * M], lower[E * M], rowmin[E * M];
  unsigned char done[E * M];
  for (int m = 0; m < M; m++)
    m4[m] = 0.001 * pow(10.0, 0.5 * m);
  for (int i = 0; i < U; i++)
    mu[i] = 1e-13 * pow(10.0, 4.0 * i / (U - 1));
  for (int u = 0; u < E * M; u++) {
    double L = 1e-11 * (1.0 + u % M) / (1.0 + u / M);
    done[u] = u != 3;
    lim[u] = !done[u] ? NAN : u % M == M - 1 ? INFINITY : L;
    upper[u] = lim[u] * 1.2;
    lower[u] = 0.0;
    rowmin[u] = 0.0;
    for (int i = 0; i < U; i++)
      chi2[u * U + i] = done[u] ? 2.7055 * pow(mu[i] / L, 2) : NAN;
  }
  reduce_cube c = {.n_entries = E, .n_flavors = 1, .n_m4 = M, .n_mu = U, .entries = entries,
                   .flavors = flavors, .m4 = m4, .mu = mu, .chi2 = chi2, .done = done,
                   .data = "asimov"};
  reduce_result r = {.n_entries = E, .n_flavors = 1, .n_m4 = M, .cl = 0.9,
                     .kind = THRESHOLD_TWO_SIDED, .delta_chi2_1dof = 2.7055,
                     .delta_chi2_2dof = 4.6052, .mu_1dof = lim, .mu_2dof_upper = upper,
                     .mu_2dof_lower = lower, .chi2_row_min = rowmin};
  dip_error err;
  dip_error_clear(&err);
  int rc = plot_exclusion(&c, &r, dir, &err);
  test_true(rc == DIP_SUCCESS, rc ? err.msg : "exclusion plot: gnuplot exit 0");
  check_figure(dir, "exclusion");
  const double want[1] = {0.0105};
  rc = plot_profiles(&c, &r, want, 1, dir, &err);
  test_true(rc == DIP_SUCCESS, rc ? err.msg : "profile plot: gnuplot exit 0");
  check_figure(dir, "profile_m4_0.01"); /* nearest grid m4 to 0.0105 */
  rc = plot_kinematics(dir, &err);
  test_true(rc == DIP_SUCCESS, rc ? err.msg : "kinematics plot: gnuplot exit 0");
  check_figure(dir, "kinematics");
  test_true(plot_kinematics("/proc/no/such/dir", &err) == DIP_EIO, "unwritable directory -> I/O error");
}

int main(void) {
  test_suite("plot");
  dip_gsl_quiet();
  test_reach();
  if (system("gnuplot --version >/dev/null 2>&1") != 0) {
    printf("SKIP plot: figures (gnuplot not installed)\n");
    return test_summary();
  }
  char dir[] = "/tmp/dipscan_test_plot_XXXXXX";
  if (!mkdtemp(dir)) {
    test_true(0, "temporary directory");
    return test_summary();
  }
  test_figures(dir);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    printf("# could not remove %s\n", dir);
  return test_summary();
}
