/*
 * test_reduce.c — the reducer on synthetic cubes whose crossings are known in closed form.
 *
 * The cube is written here with the HDF5 C API in the layout of cube.h.  Entry "A" has
 * chi^2 = 10 + (mu/sigma_m)^2 (best fit mu = 0; the 1-dof limit is sigma_m sqrt(2.706) and the
 * 2-dof edge sigma_m sqrt(4.605)); entry "A+B" has a signal, chi^2 = c_m + ((mu - mu0)/s)^2 with
 * c_m = (1.2 (m - 2))^2, so its 2-dof contour has an upper and a lower edge mu0 +- s sqrt(4.605 - c_m)
 * and no allowed mu where c_m > 4.605.  One (entry, coupling, m4) row is flat (no sensitivity), two
 * units are unfinished.  Interpolation tolerance: linear interpolation in x = ln mu of a smooth
 * Delta chi^2 misplaces the crossing by at most h^2/8 max|f''|/|f'| in x; for these parabolas
 * that is below h^2 (h = grid step in ln mu), which is the tolerance used.
 */
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/reduce.h"
#include "stats/dipole_result.h"
#include "test.h"

enum { NE = 2, NF = 2, NM = 5, NU = 401 };
static const char *const entry_names[NE] = {"A", "A+B"};
static const char *const flavor_names[NF] = {"e", "mu"};
static const double MU0 = 5e-11, S = 1e-11;

static double sigma_m(size_t m) { return 1e-11 * (1.0 + (double)m); }
static double offset_m(size_t m) { return pow(1.2 * ((double)m - 2.0), 2); }
static int is_flat(size_t e, size_t f, size_t m) { return e == 0 && f == 1 && m == 0; }
static int is_missing(size_t e, size_t f, size_t m) { return e == 1 && f == 1 && m >= 3; }

static double chi2_model(size_t e, size_t f, size_t m, double mu) {
  if (is_flat(e, f, m))
    return 10.0 + 1e-3 * mu / 1e-9;
  if (e == 0)
    return 10.0 + pow(mu / sigma_m(m), 2);
  return offset_m(m) + pow((mu - MU0) / S, 2);
}

/* Exact 1-dof limit and best-fit chi^2 of a unit. */
static double exact_1dof(size_t e, size_t m, double thr) {
  return e == 0 ? sigma_m(m) * sqrt(thr) : MU0 + S * sqrt(thr);
}

static void write_doubles(hid_t loc, const char *name, int rank, const hsize_t *dims,
                          const double *v) {
  hid_t sp = H5Screate_simple(rank, dims, NULL);
  hid_t d = H5Dcreate2(loc, name, H5T_NATIVE_DOUBLE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
  H5Dclose(d);
  H5Sclose(sp);
}

static void write_strings(hid_t loc, const char *name, const char *const *list, hsize_t n,
                          int vlen) {
  hid_t t = H5Tcopy(H5T_C_S1);
  hid_t sp = H5Screate_simple(1, &n, NULL);
  if (vlen) {
    H5Tset_size(t, H5T_VARIABLE);
    hid_t d = H5Dcreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, list);
    H5Dclose(d);
  } else {
    char buf[8][8] = {{0}};
    for (hsize_t i = 0; i < n; i++)
      snprintf(buf[i], 8, "%s", list[i]);
    H5Tset_size(t, 8);
    hid_t d = H5Dcreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    H5Dclose(d);
  }
  H5Sclose(sp);
  H5Tclose(t);
}

static void write_attrs(hid_t file, double thr) {
  hid_t sp = H5Screate(H5S_SCALAR);
  const double cl = 0.90;
  hid_t a = H5Acreate2(file, "cl", H5T_NATIVE_DOUBLE, sp, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, H5T_NATIVE_DOUBLE, &cl);
  H5Aclose(a);
  a = H5Acreate2(file, "threshold_delta_chi2", H5T_NATIVE_DOUBLE, sp, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, H5T_NATIVE_DOUBLE, &thr);
  H5Aclose(a);
  const char *names[3] = {"data", "threshold", "status"}, *values[3] = {"asimov", "two-sided",
                                                                         "stopped"};
  for (int i = 0; i < 3; i++) {
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, 16);
    char buf[16] = {0};
    snprintf(buf, sizeof buf, "%s", values[i]);
    a = H5Acreate2(file, names[i], t, sp, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, t, buf);
    H5Aclose(a);
    H5Tclose(t);
  }
  H5Sclose(sp);
}

/* The synthetic cube; engine mu_1dof = the exact crossing (what a root finder returns). */
static void make_cube(const char *path, int vlen, double thr) {
  static double m4[NM], mu[NU], chi2[NE][NF][NM][NU], mu1[NE][NF][NM], cmin[NE][NF][NM],
      czero[NE][NF][NM];
  static unsigned char done[NE][NF][NM];
  for (size_t m = 0; m < NM; m++)
    m4[m] = 0.001 * pow(10.0, 0.6 * (double)m);
  for (size_t i = 0; i < NU; i++)
    mu[i] = 1e-13 * pow(10.0, 4.0 * (double)i / (NU - 1));
  for (size_t e = 0; e < NE; e++)
    for (size_t f = 0; f < NF; f++)
      for (size_t m = 0; m < NM; m++) {
        int miss = is_missing(e, f, m);
        done[e][f][m] = !miss;
        for (size_t i = 0; i < NU; i++)
          chi2[e][f][m][i] = miss ? NAN : chi2_model(e, f, m, mu[i]);
        mu1[e][f][m] = miss ? NAN : is_flat(e, f, m) ? INFINITY : exact_1dof(e, m, thr);
        cmin[e][f][m] = miss ? NAN : e == 0 ? 10.0 : offset_m(m);
        czero[e][f][m] = miss ? NAN : chi2_model(e, f, m, 0.0);
      }
  hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t axes = H5Gcreate2(file, "axes", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  hid_t limits = H5Gcreate2(file, "limits", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  hid_t units = H5Gcreate2(file, "units", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  hsize_t dims[4] = {NE, NF, NM, NU};
  write_strings(axes, "experiment", entry_names, NE, vlen);
  write_strings(axes, "flavor", flavor_names, NF, vlen);
  write_doubles(axes, "m4", 1, &dims[2], m4);
  write_doubles(axes, "mu", 1, &dims[3], mu);
  write_doubles(file, "chi2", 4, dims, &chi2[0][0][0][0]);
  write_doubles(limits, "mu_1dof", 3, dims, &mu1[0][0][0]);
  write_doubles(limits, "chi2_min", 3, dims, &cmin[0][0][0]);
  write_doubles(units, "chi2_zero", 3, dims, &czero[0][0][0]);
  hid_t sp = H5Screate_simple(3, dims, NULL);
  hid_t d = H5Dcreate2(file, "done", H5T_NATIVE_UINT8, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, done);
  H5Dclose(d);
  H5Sclose(sp);
  write_attrs(file, thr);
  H5Gclose(axes);
  H5Gclose(limits);
  H5Gclose(units);
  H5Fclose(file);
}

/* The reducer's thresholds: chi^2_1 quantile 2.70554 (90%), z_0.90^2 = 1.64237 one-sided, and the
 * chi^2_2 quantile -2 ln(1 - cl) whatever the 1-dof convention. */
static void test_thresholds(void) {
  reduce_cube c = {0};
  reduce_result r;
  dip_error err;
  const reduce_options two = {0.90, THRESHOLD_TWO_SIDED}, one = {0.90, THRESHOLD_ONE_SIDED};
  test_true(reduce_run(&r, &c, &two, &err) == DIP_SUCCESS, "reduce an empty cube");
  test_rel(r.delta_chi2_1dof, 2.705543454, 1e-8, "1-dof two-sided 90%");
  test_rel(r.delta_chi2_2dof, -2.0 * log(0.1), 1e-10, "2-dof 90%");
  reduce_result_free(&r);
  reduce_run(&r, &c, &one, &err);
  test_rel(r.delta_chi2_1dof, 1.642374415, 1e-8, "1-dof one-sided 90%");
  test_rel(r.delta_chi2_2dof, -2.0 * log(0.1), 1e-10, "2-dof ignores the 1-dof convention");
  reduce_result_free(&r);
  const reduce_options bad = {1.5, THRESHOLD_TWO_SIDED};
  test_true(reduce_run(&r, &c, &bad, &err) == DIP_EINVAL, "cl outside (0, 1) rejected");
}

static void test_crossings(void) {
  /* Delta chi^2 linear in ln mu: the interpolation is exact. */
  double mu[6], c[6];
  for (int i = 0; i < 6; i++) {
    mu[i] = 1e-12 * pow(3.0, i);
    c[i] = 2.0 * fabs(log(mu[i] / 9e-12)); /* minimum at mu[2] */
  }
  double lo, hi;
  double up = reduce_crossing_up(mu, c, 6, 0.0, 2.706, &lo, &hi);
  test_rel(up, 9e-12 * exp(2.706 / 2.0), 1e-12, "upward crossing exact for log-linear rows");
  test_true(lo <= up && up <= hi && hi / lo < 3.0 + 1e-9, "upward crossing bracketed by grid");
  double down = reduce_crossing_down(mu, c, 6, 0.0, 2.706, NULL, NULL);
  test_rel(down, 9e-12 * exp(-2.706 / 2.0), 1e-12, "downward crossing exact for log-linear rows");
  test_true(isinf(reduce_crossing_up(mu, c, 6, 0.0, 100.0, NULL, NULL)),
            "no upward crossing -> inf");
  test_abs(reduce_crossing_down(mu, c, 6, 0.0, 100.0, NULL, NULL), 0.0, 0.0,
           "no downward crossing -> 0");
  /* From mu = 0, the interpolation is linear in mu^2: exact for chi^2 = (mu/s)^2. */
  double mz[2] = {0.0, 4.0}, cz[2] = {0.0, 16.0};
  test_rel(reduce_crossing_up(mz, cz, 2, 0.0, 2.706, NULL, NULL), sqrt(2.706), 1e-12,
           "crossing from mu = 0 exact for a parabola");
}

static double h_ln(void) { return log(10.0) * 4.0 / (NU - 1); }

static void check_1dof(const reduce_result *r, const reduce_cube *c, const char *tag) {
  char name[128];
  double tol = h_ln() * h_ln(), worst = 0.0;
  int ok_nan = 1, ok_inf = 1;
  for (size_t e = 0; e < NE; e++)
    for (size_t f = 0; f < NF; f++)
      for (size_t m = 0; m < NM; m++) {
        size_t u = reduce_unit(c, e, f, m);
        if (is_missing(e, f, m)) {
          ok_nan &= isnan(r->mu_1dof[u]) && isnan(r->mu_2dof_upper[u]);
          continue;
        }
        if (is_flat(e, f, m)) {
          ok_inf &= isinf(r->mu_1dof_grid[u]) && isinf(r->mu_1dof[u]);
          continue;
        }
        double want = exact_1dof(e, m, r->delta_chi2_1dof);
        double d = fabs(r->mu_1dof_grid[u] / want - 1.0);
        worst = d > worst ? d : worst;
      }
  snprintf(name, sizeof name, "%s: grid 1-dof crossings within h^2 = %.1e (worst %.1e)", tag, tol,
           worst);
  test_true(worst <= tol, name);
  snprintf(name, sizeof name, "%s: unfinished units stay NaN", tag);
  test_true(ok_nan, name);
  snprintf(name, sizeof name, "%s: flat row -> inf", tag);
  test_true(ok_inf, name);
}

static void check_2dof(const reduce_result *r, const reduce_cube *c) {
  double tol = h_ln() * h_ln(), worst = 0.0;
  int edges_ok = 1;
  for (size_t f = 0; f < NF; f++)
    for (size_t m = 0; m < NM; m++) {
      size_t u0 = reduce_unit(c, 0, f, m), u1 = reduce_unit(c, 1, f, m);
      if (!is_flat(0, f, m)) {
        worst = fmax(worst, fabs(r->mu_2dof_upper[u0] / (sigma_m(m) * sqrt(4.60517)) - 1.0));
        edges_ok &= r->mu_2dof_lower[u0] == 0.0;
      }
      if (is_missing(1, f, m))
        continue;
      double room = r->delta_chi2_2dof - offset_m(m);
      if (room <= 0.0) {
        edges_ok &= isnan(r->mu_2dof_upper[u1]) && isnan(r->mu_2dof_lower[u1]);
        continue;
      }
      worst = fmax(worst, fabs(r->mu_2dof_upper[u1] / (MU0 + S * sqrt(room)) - 1.0));
      worst = fmax(worst, fabs(r->mu_2dof_lower[u1] / (MU0 - S * sqrt(room)) - 1.0));
    }
  test_true(worst <= tol, "2-dof upper and lower edges within h^2 of the exact contour");
  test_true(edges_ok, "2-dof: no lower edge where mu = 0 is allowed, NaN where nothing is");
  test_abs(r->chi2_plane_min[1 * NF + 0], 0.0, 1e-12, "2-dof reference = global plane minimum");
  test_abs(r->chi2_plane_min[0 * NF + 1], 10.0, 1e-12, "2-dof reference of a flat-row plane");
}

static void check_engine(const reduce_cube *c, const reduce_result *r) {
  test_true(r->engine_comparable, "engine threshold recognised as ours");
  test_true(r->n_engine_checked == r->n_done, "every finished unit compared with the engine");
  test_true(r->n_engine_disagree == 0, "grid crossings agree with root-found values within spacing");
  size_t u = reduce_unit(c, 0, 0, 2);
  test_rel(r->mu_1dof[u], c->engine_mu_1dof[u], 0.0, "root-found value adopted when it agrees");
}

static void check_disagreement(reduce_cube *c) {
  size_t u = reduce_unit(c, 1, 0, 1);
  c->engine_mu_1dof[u] *= 1.5;
  reduce_options o = {0.90, THRESHOLD_TWO_SIDED};
  reduce_result r;
  dip_error err;
  dip_error_clear(&err);
  test_true(reduce_run(&r, c, &o, &err) == DIP_SUCCESS, "reduce with a wrong engine value");
  test_true(r.n_engine_disagree == 1, "a wrong engine value is detected");
  test_rel(r.mu_1dof[u], r.mu_1dof_grid[u], 0.0, "grid value used where the engine disagrees");
  reduce_result_free(&r);
  c->engine_mu_1dof[u] /= 1.5;
  o.cl = 0.95;
  reduce_run(&r, c, &o, &err);
  test_true(!r.engine_comparable && r.n_engine_checked == 0,
            "engine values not compared at another confidence level");
  test_rel(r.delta_chi2_1dof, 3.841458821, 1e-8, "95% 1-dof threshold");
  reduce_result_free(&r);
}

static void check_missing_report(const reduce_result *r, const reduce_cube *c) {
  char path[] = "/tmp/dipscan_reduce_missing_XXXXXX";
  int fd = mkstemp(path);
  FILE *fp = fdopen(fd, "w+");
  size_t n = reduce_report_missing(r, c, fp);
  rewind(fp);
  char text[2048] = {0};
  fread(text, 1, sizeof text - 1, fp);
  fclose(fp);
  unlink(path);
  test_true(n == 2 && r->n_done == NE * NF * NM - 2, "two unfinished units counted");
  test_true(strstr(text, "2 of 20 units not finished") && strstr(text, "A+B/mu: 2 of 5 m4 missing"),
            "unfinished units listed by entry/coupling");
}

/* Parse the CSV back and compare every row with the result arrays. */
static void check_csv(const reduce_result *r, const reduce_cube *c) {
  char path[64];
  snprintf(path, sizeof path, "/tmp/dipscan_test_reduce_%d.csv", (int)getpid());
  dip_error err;
  test_true(reduce_write_csv(r, c, path, 3, &err) == DIP_SUCCESS, "CSV written");
  FILE *fp = fopen(path, "r");
  char line[512];
  int header_ok = fp && fgets(line, sizeof line, fp) &&
                  !strcmp(line, "experiment,coupling,m4_MeV,data,cl,dof,mu_limit_muB,status\n");
  test_true(header_ok, "CSV header");
  size_t rows = 0, bad = 0, inf_rows = 0, zero_rows = 0;
  while (fp && fgets(line, sizeof line, fp)) {
    char exp[32], fl[32], data[32], mu_text[64];
    double m4, cl;
    int dof;
    if (sscanf(line, "%31[^,],%31[^,],%lf,%31[^,],%lf,%d,%63s", exp, fl, &m4, data, &cl, &dof,
               mu_text) != 7) {
      bad++;
      continue;
    }
    double mu = strtod(mu_text, NULL);
    size_t e = !strcmp(exp, "A") ? 0 : 1, f = !strcmp(fl, "e") ? 0 : 1, m = 0;
    while (m < NM && fabs(c->m4[m] / m4 - 1.0) > 1e-5)
      m++;
    size_t u = reduce_unit(c, e, f, m < NM ? m : 0);
    double want = dof == 1 ? r->mu_1dof[u] : r->mu_2dof_upper[u];
    inf_rows += isinf(mu);
    zero_rows += dof == 2 && mu == 0.0 && isnan(want);
    bad += m == NM || strcmp(data, "asimov") || cl != 0.9 ||
           !(isnan(want) ? (dof == 2 && mu == 0.0)
                         : isinf(want) ? isinf(mu) : fabs(mu / want - 1.0) < 1e-6);
    rows++;
  }
  if (fp)
    fclose(fp);
  remove(path);
  /* 18 finished units at 1 dof and 18 at 2 dof; the 3 rows of A+B with c_m > 4.605 (m = 0, 4 of e;
   * m = 0 of mu) have no allowed mu and are written as 0. */
  test_true(rows == 18 + 18 && bad == 0, "CSV round-trips (rows, units, values)");
  test_true(zero_rows == 3, "CSV writes 0 where every mu is excluded at 2 dof");
  test_true(inf_rows == 2, "CSV writes inf for no sensitivity (1 and 2 dof)");
}

static void check_cube_write(const reduce_result *r, const reduce_cube *c, const char *path) {
  dip_error err;
  int ok = reduce_write_cube(r, c, path, "test", &err) == DIP_SUCCESS &&
           reduce_write_cube(r, c, path, "test", &err) == DIP_SUCCESS;
  test_true(ok, "/limits_reduced written twice (replaced)");
  hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  double back[NE * NF * NM], cl = 0;
  hid_t d = H5Dopen2(file, "limits_reduced/mu_1dof", H5P_DEFAULT);
  hid_t g = H5Gopen2(file, "limits_reduced", H5P_DEFAULT);
  hid_t a = H5Aopen(g, "cl", H5P_DEFAULT);
  ok = d >= 0 && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, back) >= 0 &&
       a >= 0 && H5Aread(a, H5T_NATIVE_DOUBLE, &cl) >= 0 && cl == 0.90;
  for (size_t u = 0; ok && u < NE * NF * NM; u++)
    ok = isnan(r->mu_1dof[u]) ? isnan(back[u]) : back[u] == r->mu_1dof[u];
  test_true(ok, "/limits_reduced/mu_1dof and cl read back");
  test_true(H5Lexists(file, "limits_reduced.spare", H5P_DEFAULT) > 0 &&
                H5Lexists(file, "limits_reduced.swap", H5P_DEFAULT) == 0,
            "the previous reduction kept as the spare (space for the next), no swap link left");
  H5Aclose(a);
  H5Gclose(g);
  H5Dclose(d);
  H5Fclose(file);
}

/* The statuses: the 2-dof rows without an allowed mu are all_excluded (3 of them, see check_csv);
 * a unit whose limit search failed in the engine (/units/status) is `failed` with a NaN limit at
 * 1 and 2 dof, whatever its chi^2 row says; the other units keep their statuses and values. */
static void check_statuses(const reduce_result *r, reduce_cube *c) {
  size_t excluded = 0, n = r->n_units;
  for (size_t u = 0; u < n; u++)
    excluded += r->status_2dof[u] == REDUCE_ALL_EXCLUDED;
  test_true(excluded == 3, "status all_excluded on the 3 rows without an allowed mu at 2 dof");
  unsigned char *st = calloc(n, 1), *saved = c->unit_status;
  size_t bad = reduce_unit(c, 0, 0, 2);
  for (size_t u = 0; st && u < n; u++)
    st[u] = c->done[u] ? DIPOLE_UNIT_OK : DIPOLE_UNIT_NOT_COMPUTED;
  if (!st)
    return;
  st[bad] = DIPOLE_UNIT_FAILED_LIMIT;
  c->unit_status = st;
  reduce_options o = {0.90, THRESHOLD_TWO_SIDED};
  reduce_result f;
  dip_error err;
  int ok = reduce_run(&f, c, &o, &err) == DIP_SUCCESS;
  size_t moved = 0;
  for (size_t u = 0; ok && u < n; u++)
    moved += u != bad && (f.status_1dof[u] != r->status_1dof[u] ||
                          !(f.mu_1dof[u] == r->mu_1dof[u] || (isnan(f.mu_1dof[u]) && isnan(r->mu_1dof[u]))));
  test_true(ok && f.status_1dof[bad] == REDUCE_FAILED && isnan(f.mu_1dof[bad]) &&
                f.status_2dof[bad] == REDUCE_FAILED && !strcmp(reduce_status_name(REDUCE_FAILED), "failed"),
            "a unit whose limit search failed: status failed, limit NaN (1 and 2 dof)");
  test_true(ok && moved == 0, "the other units keep their statuses and limits");
  if (ok)
    reduce_result_free(&f);
  c->unit_status = saved;
  free(st);
}

static void run_on(const char *path, int vlen) {
  const char *tag = vlen ? "variable-length axes" : "fixed-length axes";
  make_cube(path, vlen, limit_threshold(0.90, 1, THRESHOLD_TWO_SIDED));
  reduce_cube c;
  dip_error err;
  dip_error_clear(&err);
  int rc = reduce_cube_read(&c, path, &err);
  test_true(rc == DIP_SUCCESS && c.n_entries == NE && c.n_mu == NU && !strcmp(c.entries[1], "A+B") &&
                !strcmp(c.couplings[1], "mu") && !strcmp(c.data, "asimov"),
            vlen ? "read cube (variable-length strings)" : "read cube (fixed-length strings)");
  if (rc != DIP_SUCCESS) {
    printf("# %s\n", err.msg);
    return;
  }
  reduce_options o = {0.90, THRESHOLD_TWO_SIDED};
  reduce_result r;
  test_true(reduce_run(&r, &c, &o, &err) == DIP_SUCCESS, "reduce_run");
  check_1dof(&r, &c, tag);
  if (!vlen) {
    check_2dof(&r, &c);
    check_engine(&c, &r);
    check_missing_report(&r, &c);
    check_csv(&r, &c);
    check_statuses(&r, &c);
    check_cube_write(&r, &c, path);
    check_disagreement(&c);
  }
  reduce_result_free(&r);
  reduce_cube_free(&c);
}

static void test_bad_input(void) {
  reduce_cube c;
  dip_error err;
  dip_error_clear(&err);
  test_true(reduce_cube_read(&c, "/nonexistent/cube.h5", &err) == DIP_EIO && strstr(err.msg, "cube.h5"),
            "missing cube -> I/O error naming the file");
}

int main(void) {
  test_suite("reduce");
  dip_gsl_quiet();
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  test_thresholds();
  test_crossings();
  char fixed[64], vlen[64];
  snprintf(fixed, sizeof fixed, "/tmp/dipscan_test_reduce_fixed_%d.h5", (int)getpid());
  snprintf(vlen, sizeof vlen, "/tmp/dipscan_test_reduce_vlen_%d.h5", (int)getpid());
  run_on(fixed, 0);
  run_on(vlen, 1);
  remove(fixed);
  remove(vlen);
  test_bad_input();
  return test_summary();
}
