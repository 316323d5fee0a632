/*
 * test_plot.c — the three figures rendered by gnuplot from a small in-memory reduced cube and a
 * hand-made plot_physics: gnuplot exits 0 (the plot functions check it), every PNG/PDF starts with
 * its magic bytes and is not trivially small, and the script draws the window and reach it was given.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/plot.h"
#include "test.h"

/* A plot_physics with a 2-12 keV window, one reach mark and two E_min-like curves. */
static void fake_physics(plot_physics *ph) {
  memset(ph, 0, sizeof *ph);
  ph->window_keV[0] = 2.0;
  ph->window_keV[1] = 12.0;
  ph->reach_recoil_keV = 12.0;
  ph->n_reach = ph->n_sources = 1;
  ph->reach[0] = (plot_mark){"pp", 0.03};
  ph->source[0] = (plot_mark){"pp", 0.42};
  ph->n_entries = 2;
  snprintf(ph->entry_label[0], PLOT_LABEL_LEN, "Detector A");
  snprintf(ph->entry_label[1], PLOT_LABEL_LEN, "Detector A + Detector B");
  ph->n_T = 20;
  ph->n_curves = 2;
  ph->m4[1] = 0.1;
  snprintf(ph->formula, sizeof ph->formula, "test curves");
  for (size_t i = 0; i < ph->n_T; i++) {
    ph->T_keV[i] = 0.1 * pow(1000.0, i / 19.0);
    ph->E_min[0][i] = 0.02 * sqrt(ph->T_keV[i]);
    ph->E_min[1][i] = 0.05 + ph->E_min[0][i];
  }
}

static int file_contains(const char *path, const char *text) {
  char *buf = NULL;
  size_t len = 0;
  int found = dip_read_file(path, &buf, &len, NULL) == DIP_SUCCESS && strstr(buf, text) != NULL;
  free(buf);
  return found;
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

/* A 2-entry, 1-coupling reduced cube: limits 1e-11 * (1 + m), one unit unfinished, one inf. */
static void test_figures(const char *dir) {
  enum { E = 2, M = 6, U = 50 };
  char *entries[E] = {"xenonnt_sr0", "xenonnt_sr0+pandax4t_run1"}, *couplings[1] = {"e"};
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
  reduce_cube c = {.n_entries = E, .n_couplings = 1, .n_m4 = M, .n_mu = U, .entries = entries,
                   .couplings = couplings, .m4 = m4, .mu = mu, .chi2 = chi2, .done = done,
                   .data = "asimov"};
  reduce_result r = {.n_entries = E, .n_couplings = 1, .n_m4 = M, .cl = 0.9,
                     .kind = THRESHOLD_TWO_SIDED, .delta_chi2_1dof = 2.7055,
                     .delta_chi2_2dof = 4.6052, .mu_1dof = lim, .mu_2dof_upper = upper,
                     .mu_2dof_lower = lower, .chi2_row_min = rowmin};
  plot_physics ph;
  fake_physics(&ph);
  dip_error err;
  dip_error_clear(&err);
  int rc = plot_exclusion(&c, &r, &ph, NULL, 0, dir, &err);
  test_true(rc == DIP_SUCCESS, rc ? err.msg : "exclusion plot: gnuplot exit 0");
  check_figure(dir, "exclusion");
  char gp[512];
  snprintf(gp, sizeof gp, "%s/exclusion.gp", dir);
  test_true(file_contains(gp, "reach at T = 12 keV") && file_contains(gp, "3.000000e-02, graph 0"),
            "exclusion: the reach mark and recoil it was given are drawn");
  test_true(file_contains(gp, "title 'Detector A + Detector B'") &&
                file_contains(gp, "index 1 using 1:2:(") && !file_contains(gp, "index 0 using 1:2:("),
            "exclusion: legends from the given labels; the last entry's excluded region shaded");
  char cmd[700];
  snprintf(cmd, sizeof cmd, "cd / && rm -f '%s/exclusion.png' && gnuplot '%s' >/dev/null 2>&1", dir, gp);
  char png[560];
  snprintf(png, sizeof png, "%s/exclusion.png", dir);
  test_true(system(cmd) == 0 && has_magic(png, "\x89PNG\r\n\x1a\n", 8),
            "exclusion.gp reruns from another folder and redraws its PNG there");
  const double want[1] = {0.0105};
  rc = plot_profiles(&c, &r, &ph, want, 1, dir, &err);
  test_true(rc == DIP_SUCCESS, rc ? err.msg : "profile plot: gnuplot exit 0");
  check_figure(dir, "profile_m4_0.01"); /* nearest grid m4 to 0.0105 */
  snprintf(gp, sizeof gp, "%s/profile_m4_0.01.gp", dir);
  test_true(file_contains(gp, "with points pt 7") && file_contains(gp, "lc rgb '#d62728' title 'Detector A + Detector B'"),
            "profiles: limits marked, the entry's colour is the one of the exclusion plot");
  rc = plot_kinematics(&ph, dir, &err);
  test_true(rc == DIP_SUCCESS, rc ? err.msg : "kinematics plot: gnuplot exit 0");
  check_figure(dir, "kinematics");
  snprintf(gp, sizeof gp, "%s/kinematics.gp", dir);
  test_true(file_contains(gp, "analysis window 2-12 keV"), "kinematics: the card window is drawn");
  test_true(plot_kinematics(&ph, "/proc/no/such/dir", &err) == DIP_EIO,
            "unwritable directory -> I/O error");
  ph.n_curves = 0;
  test_true(plot_kinematics(&ph, dir, &err) == DIP_EINVAL, "no curves -> invalid input");
}

int main(void) {
  test_suite("plot");
  dip_gsl_quiet();
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
