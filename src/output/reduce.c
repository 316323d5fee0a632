/*
 * reduce.c — 1-dof limits, 2-dof contours, CSV and /limits_reduced from a scan cube (see reduce.h).
 *
 * Three steps, kept apart so that the cube is never touched before everything is known:
 * reduce_cube_read (the cube reader of engine/cube.h, read-only), reduce_run (pure computation
 * on the loaded arrays), then reduce_write_csv / reduce_write_cube.  A "row" is one unit's
 * chi^2(mu) with the NaN points dropped and, when the engine stored chi^2(mu = 0), that point
 * prepended.
 */
#include "output/reduce.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "stats/bands.h"
#include "stats/dipole_result.h"
#include "stats/neyman.h"

#define HDF5_TRY(expr, what)                                                          \
  do {                                                                               \
    if ((expr) < 0)                                                                  \
      return dip_error_set(err, DIP_EHDF5, "%s: HDF5 error: %s", path, (what));      \
  } while (0)

/* ---- reading ---- */

static int check_mu_axis(const reduce_cube *c, const char *path, dip_error *err) {
  for (size_t i = 0; i < c->n_mu; i++)
    if (!(c->mu[i] >= 0.0) || !isfinite(c->mu[i]) || (i > 0 && !(c->mu[i] > c->mu[i - 1])))
      return dip_error_set(err, DIP_EINVAL,
                           "%s: /axes/mu must be finite, >= 0 and strictly increasing", path);
  return DIP_SUCCESS;
}

/* The reducer's views of what cube_read loaded. */
static void take_views(reduce_cube *c) {
  const cube_data *d = &c->loaded;
  c->n_entries = d->n_entries;
  c->n_couplings = d->n_couplings;
  c->n_m4 = d->n_m4;
  c->n_mu = d->n_mu;
  c->entries = d->entry_names;
  c->couplings = d->coupling_names;
  c->m4 = d->m4;
  c->mu = d->mu;
  c->chi2 = d->fields[DIPOLE_CHI2];
  c->engine_mu_1dof = d->fields[DIPOLE_MU_1DOF];
  c->engine_chi2_min = d->fields[DIPOLE_CHI2_MIN];
  c->chi2_zero = d->fields[DIPOLE_CHI2_ZERO];
  c->done = d->done;
  c->unit_status = d->fields[DIPOLE_STATUS];
  c->engine_cl = cube_data_number(d, "cl");
  c->engine_threshold = cube_data_number(d, "threshold_delta_chi2");
  snprintf(c->threshold_name, sizeof c->threshold_name, "%s", cube_data_text(d, "threshold"));
  snprintf(c->data, sizeof c->data, "%s", cube_data_text(d, "data"));
  snprintf(c->status, sizeof c->status, "%s", cube_data_text(d, "status"));
}

int reduce_cube_read(reduce_cube *c, const char *path, dip_error *err) {
  memset(c, 0, sizeof *c);
  DIP_TRY(cube_read(&c->loaded, path, &dipole_neyman_result_schema, err)); /* superset */
  take_views(c);
  int status = c->chi2 ? check_mu_axis(c, path, err)
                       : dip_error_set(err, DIP_EHDF5, "%s: HDF5 error: no /chi2 dataset", path);
  if (status != DIP_SUCCESS)
    reduce_cube_free(c);
  return status;
}

void reduce_cube_free(reduce_cube *c) {
  cube_data_free(&c->loaded);
  memset(c, 0, sizeof *c);
}

/* ---- thresholds and crossings ---- */

/* mu where the straight line through (a, da) and (b, db) reaches thr: in log mu, or in mu^2 when
 * a = 0 (no log there; the signal is quadratic in mu). */
static double interpolate(double a, double da, double b, double db, double thr) {
  double t = (thr - da) / (db - da);
  if (a <= 0.0)
    return b * sqrt(t);
  return exp(log(a) + t * (log(b) - log(a)));
}

static size_t argmin(const double *v, size_t n) {
  size_t k = 0;
  for (size_t i = 1; i < n; i++)
    if (v[i] < v[k])
      k = i;
  return k;
}

static void set_bracket(double *lo, double *hi, double a, double b) {
  if (lo)
    *lo = a;
  if (hi)
    *hi = b;
}

double reduce_crossing_up(const double *mu, const double *chi2, size_t n, double ref, double thr,
                          double *lo, double *hi) {
  set_bracket(lo, hi, INFINITY, INFINITY);
  if (n == 0)
    return INFINITY;
  for (size_t i = argmin(chi2, n) + 1; i < n; i++)
    if (chi2[i] - ref >= thr) {
      set_bracket(lo, hi, mu[i - 1], mu[i]);
      return interpolate(mu[i - 1], chi2[i - 1] - ref, mu[i], chi2[i] - ref, thr);
    }
  return INFINITY;
}

double reduce_crossing_down(const double *mu, const double *chi2, size_t n, double ref, double thr,
                            double *lo, double *hi) {
  set_bracket(lo, hi, 0.0, 0.0);
  if (n == 0)
    return 0.0;
  for (size_t i = argmin(chi2, n); i-- > 0;)
    if (chi2[i] - ref >= thr) {
      set_bracket(lo, hi, mu[i], mu[i + 1]);
      return interpolate(mu[i], chi2[i] - ref, mu[i + 1], chi2[i + 1] - ref, thr);
    }
  return 0.0;
}

/* ---- reduction ---- */

size_t reduce_unit(const reduce_cube *c, size_t e, size_t f, size_t m) {
  return (e * c->n_couplings + f) * c->n_m4 + m;
}

/* One unit's row (finite points only, mu = 0 prepended from chi2_zero); returns its length. */
static size_t build_row(const reduce_cube *c, size_t unit, double *mu, double *chi2) {
  size_t n = 0;
  const double *src = c->chi2 + unit * c->n_mu;
  if (c->chi2_zero && isfinite(c->chi2_zero[unit]) && c->n_mu > 0 && c->mu[0] > 0.0) {
    mu[n] = 0.0;
    chi2[n++] = c->chi2_zero[unit];
  }
  for (size_t i = 0; i < c->n_mu; i++)
    if (isfinite(src[i])) {
      mu[n] = c->mu[i];
      chi2[n++] = src[i];
    }
  return n;
}

static double row_minimum(const reduce_cube *c, size_t unit, const double *chi2, size_t n) {
  double m = n ? chi2[argmin(chi2, n)] : NAN;
  if (c->engine_chi2_min && isfinite(c->engine_chi2_min[unit]) && !(m <= c->engine_chi2_min[unit]))
    m = c->engine_chi2_min[unit];
  return m;
}

static const char *const status_words[REDUCE_N_STATUS] = {
    "not_done", "ok", "above_grid", "below_grid", "no_sensitivity", "all_excluded", "failed"};

const char *reduce_status_name(int status) {
  return status >= 0 && status < REDUCE_N_STATUS ? status_words[status] : "unknown";
}

/* The unit's chi^2 row or limit search failed in the engine (/units/status). */
static int unit_failed(const reduce_cube *c, size_t unit) {
  return c->unit_status && (c->unit_status[unit] == DIPOLE_UNIT_FAILED_CHI2 ||
                            c->unit_status[unit] == DIPOLE_UNIT_FAILED_LIMIT);
}

/* Smallest positive mu of the grid (the grid's lower edge; mu = 0 is a point, not an edge). */
static double grid_bottom(const reduce_cube *c) {
  for (size_t i = 0; i < c->n_mu; i++)
    if (c->mu[i] > 0.0)
      return c->mu[i];
  return INFINITY;
}

/* A grid that never crosses: above_grid with the engine's value when it has a finite one,
 * no_sensitivity when the engine (or the unit's status) says the threshold is never reached. */
static void adopt_off_grid(reduce_result *r, const reduce_cube *c, size_t unit, double engine) {
  int engine_inf = isinf(engine) ||
                   (c->unit_status && c->unit_status[unit] == DIPOLE_UNIT_NO_SENSITIVITY);
  if (isfinite(engine) && engine > c->mu[c->n_mu - 1]) {
    r->mu_1dof[unit] = engine;
    r->status_1dof[unit] = REDUCE_ABOVE_GRID;
    if (!(r->above_grid_max >= engine))
      r->above_grid_max = engine;
  } else /* no engine value at this threshold: the grid only says "not inside the grid" */
    r->status_1dof[unit] = engine_inf ? REDUCE_NO_SENSITIVITY : REDUCE_ABOVE_GRID;
}

/* Grid 1-dof crossing; compare with (and adopt) the engine's value; set the status. */
static void reduce_1dof(reduce_result *r, const reduce_cube *c, size_t unit, const double *mu,
                        const double *chi2, size_t n) {
  double lo, hi;
  double ref = r->chi2_row_min[unit];
  double grid = reduce_crossing_up(mu, chi2, n, ref, r->delta_chi2_1dof, &lo, &hi);
  r->mu_1dof_grid[unit] = grid;
  r->mu_1dof[unit] = grid;
  r->status_1dof[unit] = REDUCE_OK;
  if (unit_failed(c, unit)) {
    r->mu_1dof[unit] = NAN;
    r->status_1dof[unit] = REDUCE_FAILED;
    return;
  }
  double engine = r->engine_comparable && c->engine_mu_1dof ? c->engine_mu_1dof[unit] : NAN;
  if (isinf(grid)) {
    adopt_off_grid(r, c, unit, engine);
    if (isfinite(engine) && r->status_1dof[unit] == REDUCE_ABOVE_GRID) {
      r->n_engine_checked++;
      return;
    }
  }
  if (isfinite(engine) && engine < grid_bottom(c) && !isinf(grid)) {
    r->n_engine_checked++;
    r->mu_1dof[unit] = engine; /* the grid cannot bracket it: the root search can */
    r->status_1dof[unit] = REDUCE_BELOW_GRID;
    return;
  }
  if (grid < grid_bottom(c))
    r->status_1dof[unit] = REDUCE_BELOW_GRID;
  if (isnan(engine))
    return;
  int agree = isinf(grid) ? isinf(engine) : engine >= lo && engine <= hi;
  r->n_engine_checked++;
  if (agree)
    r->mu_1dof[unit] = engine;
  else
    r->n_engine_disagree++;
}

static void reduce_rows(reduce_result *r, const reduce_cube *c, double *mu, double *chi2) {
  for (size_t unit = 0; unit < r->n_units; unit++) {
    if (!c->done[unit])
      continue;
    r->n_done++;
    size_t n = build_row(c, unit, mu, chi2);
    r->chi2_row_min[unit] = row_minimum(c, unit, chi2, n);
    reduce_1dof(r, c, unit, mu, chi2, n);
  }
}

/* The 2-dof upper edge's status (there is no engine value in 2 dof: inf stays inf). */
static unsigned char status_2dof(const reduce_result *r, const reduce_cube *c, size_t unit) {
  double v = r->mu_2dof_upper[unit];
  if (unit_failed(c, unit))
    return REDUCE_FAILED;
  if (isinf(v))
    return r->status_1dof[unit] == REDUCE_NO_SENSITIVITY ? REDUCE_NO_SENSITIVITY
                                                          : REDUCE_ABOVE_GRID;
  return v < grid_bottom(c) ? REDUCE_BELOW_GRID : REDUCE_OK;
}

static void reduce_planes(reduce_result *r, const reduce_cube *c, double *mu, double *chi2) {
  for (size_t plane = 0; plane < r->n_entries * r->n_couplings; plane++) {
    double best = NAN;
    for (size_t m = 0; m < r->n_m4; m++) {
      double v = r->chi2_row_min[plane * r->n_m4 + m];
      if (isfinite(v) && !(best <= v))
        best = v;
    }
    r->chi2_plane_min[plane] = best;
    for (size_t m = 0; m < r->n_m4; m++) {
      size_t unit = plane * r->n_m4 + m;
      if (!c->done[unit])
        continue;
      size_t n = build_row(c, unit, mu, chi2);
      if (r->chi2_row_min[unit] - best >= r->delta_chi2_2dof) {
        r->status_2dof[unit] = REDUCE_ALL_EXCLUDED; /* no allowed mu: both edges stay NaN */
        continue;
      }
      r->mu_2dof_upper[unit] = reduce_crossing_up(mu, chi2, n, best, r->delta_chi2_2dof, NULL, NULL);
      r->mu_2dof_lower[unit] =
          reduce_crossing_down(mu, chi2, n, best, r->delta_chi2_2dof, NULL, NULL);
      r->status_2dof[unit] = status_2dof(r, c, unit);
    }
  }
}

static double *nan_array(size_t n, dip_error *err) {
  double *a = dip_calloc(n, sizeof *a, err);
  for (size_t i = 0; a && i < n; i++)
    a[i] = NAN;
  return a;
}

int reduce_run(reduce_result *r, const reduce_cube *c, const reduce_options *o, dip_error *err) {
  memset(r, 0, sizeof *r);
  if (!(o->cl > 0.0 && o->cl < 1.0))
    return dip_error_set(err, DIP_EINVAL, "confidence level %g is not in (0, 1)", o->cl);
  r->n_entries = c->n_entries;
  r->n_couplings = c->n_couplings;
  r->n_m4 = c->n_m4;
  r->n_units = c->n_entries * c->n_couplings * c->n_m4;
  r->cl = o->cl;
  r->kind = o->kind;
  r->delta_chi2_1dof = limit_threshold(o->cl, 1, o->kind);
  r->delta_chi2_2dof = limit_threshold(o->cl, 2, o->kind); /* always chi^2_2 (limit.h) */
  if (!isfinite(r->delta_chi2_1dof))
    return dip_error_set(err, DIP_EINVAL, "no %s threshold at confidence level %g",
                         threshold_name(o->kind), o->cl);
  r->engine_comparable = fabs(c->engine_threshold - r->delta_chi2_1dof) <= 1e-6;
  double *mu = dip_calloc(c->n_mu + 1, sizeof *mu, err);
  double *chi2 = dip_calloc(c->n_mu + 1, sizeof *chi2, err);
  r->mu_1dof = nan_array(r->n_units, err);
  r->mu_1dof_grid = nan_array(r->n_units, err);
  r->mu_2dof_upper = nan_array(r->n_units, err);
  r->mu_2dof_lower = nan_array(r->n_units, err);
  r->chi2_row_min = nan_array(r->n_units, err);
  r->chi2_plane_min = nan_array(c->n_entries * c->n_couplings, err);
  r->status_1dof = dip_calloc(r->n_units ? r->n_units : 1, 1, err);
  r->status_2dof = dip_calloc(r->n_units ? r->n_units : 1, 1, err);
  r->above_grid_max = NAN;
  int ok = mu && chi2 && r->mu_1dof && r->mu_1dof_grid && r->mu_2dof_upper && r->mu_2dof_lower &&
           r->chi2_row_min && r->chi2_plane_min && r->status_1dof && r->status_2dof;
  if (ok) {
    reduce_rows(r, c, mu, chi2);
    reduce_planes(r, c, mu, chi2);
  }
  free(mu);
  free(chi2);
  if (!ok) {
    reduce_result_free(r);
    return DIP_ENOMEM;
  }
  return DIP_SUCCESS;
}

void reduce_result_free(reduce_result *r) {
  free(r->mu_1dof);
  free(r->mu_1dof_grid);
  free(r->mu_2dof_upper);
  free(r->mu_2dof_lower);
  free(r->chi2_row_min);
  free(r->chi2_plane_min);
  free(r->status_1dof);
  free(r->status_2dof);
  memset(r, 0, sizeof *r);
}

size_t reduce_report_missing(const reduce_result *r, const reduce_cube *c, FILE *out) {
  size_t missing = r->n_units - r->n_done;
  if (missing)
    fprintf(out, "limits: %zu of %zu units not finished (cube status '%s'); reduced the %zu done\n",
            missing, r->n_units, c->status, r->n_done);
  for (size_t e = 0; e < c->n_entries; e++)
    for (size_t f = 0; f < c->n_couplings; f++) {
      size_t n = 0;
      for (size_t m = 0; m < c->n_m4; m++)
        n += !c->done[reduce_unit(c, e, f, m)];
      if (!n)
        continue;
      fprintf(out, "limits:   %s/%s: %zu of %zu m4 missing (m4 =", c->entries[e], c->couplings[f], n,
              c->n_m4);
      for (size_t m = 0, shown = 0; m < c->n_m4; m++)
        if (!c->done[reduce_unit(c, e, f, m)] && shown++ < 8)
          fprintf(out, " %g", c->m4[m]);
      fprintf(out, "%s MeV); its 2-dof minimum covers only the finished m4\n",
              n > 8 ? " ..." : "");
    }
  if (r->n_engine_disagree)
    fprintf(out,
            "limits: %zu of %zu engine 1-dof limits lie outside the grid bracket of the "
            "interpolated crossing; the grid value is used for those\n",
            r->n_engine_disagree, r->n_engine_checked);
  return missing;
}

/* A round number >= v with one significant digit (the mu.to a warning suggests). */
static double round_up(double v) {
  double p = pow(10.0, floor(log10(v)));
  return ceil(v / p) * p;
}

static size_t count_status(const reduce_result *r, int status, int dof) {
  const unsigned char *st = dof == 1 ? r->status_1dof : r->status_2dof;
  size_t n = 0;
  for (size_t u = 0; u < r->n_units; u++)
    n += st[u] == status;
  return n;
}

size_t reduce_report_grid(const reduce_result *r, const reduce_cube *c, FILE *out) {
  size_t above1 = count_status(r, REDUCE_ABOVE_GRID, 1), above2 = count_status(r, REDUCE_ABOVE_GRID, 2);
  size_t below = count_status(r, REDUCE_BELOW_GRID, 1) + count_status(r, REDUCE_BELOW_GRID, 2);
  double top = c->n_mu ? c->mu[c->n_mu - 1] : NAN;
  if (above1 + above2) {
    fprintf(out, "limits: warning: %zu 1-dof and %zu 2-dof limits lie above the mu grid (largest "
                 "mu %g mu_B; status above_grid", above1, above2, top);
    if (isfinite(r->above_grid_max))
      fprintf(out, "; 1 dof: the engine's root-found values are written, up to %.3g mu_B); raise "
                   "mu.to in the scan YAML to at least %g and rerun with --restart\n",
              r->above_grid_max, round_up(3.0 * r->above_grid_max));
    else
      fprintf(out, ", written as inf); raise mu.to in the scan YAML to at least %g and rerun "
                   "with --restart\n", round_up(10.0 * top));
  }
  if (below)
    fprintf(out, "limits: warning: %zu limits lie below the smallest mu of the grid (%g mu_B; "
                 "status below_grid); lower mu.from in the scan YAML to at most %g to resolve "
                 "their profiles\n", below, c->n_mu ? c->mu[0] : NAN,
            c->n_mu ? c->mu[0] / 10.0 : NAN);
  return above1 + above2 + below;
}

size_t reduce_report_status(const reduce_cube *c, FILE *out) {
  size_t n_units = c->n_entries * c->n_couplings * c->n_m4, count[DIPOLE_N_UNIT_STATUS] = {0};
  for (size_t u = 0; c->unit_status && u < n_units; u++)
    if (c->done[u] && c->unit_status[u] < DIPOLE_N_UNIT_STATUS)
      count[c->unit_status[u]]++;
  size_t failed = 0;
  for (int s = DIPOLE_UNIT_NO_SENSITIVITY; s < DIPOLE_N_UNIT_STATUS; s++) {
    if (!count[s])
      continue;
    if (s != DIPOLE_UNIT_NO_SENSITIVITY)
      failed += count[s];
    fprintf(out, "limits: %zu units %s%s:", count[s], dipole_unit_status_name(s),
            s == DIPOLE_UNIT_NO_SENSITIVITY ? " (limit +inf)" : " (see /units/status)");
    size_t shown = 0;
    for (size_t e = 0; e < c->n_entries; e++)
      for (size_t f = 0; f < c->n_couplings; f++)
        for (size_t m = 0; m < c->n_m4; m++) {
          size_t u = reduce_unit(c, e, f, m);
          if (c->done[u] && c->unit_status[u] == s && shown++ < 5)
            fprintf(out, " %s/%s/m4=%g", c->entries[e], c->couplings[f], c->m4[m]);
        }
    fprintf(out, "%s\n", shown > 5 ? " ..." : "");
  }
  return failed;
}

/* ---- output ---- */

static void format_mu(char *buf, size_t n, double v) {
  if (isnan(v))
    snprintf(buf, n, "nan");
  else if (isinf(v))
    snprintf(buf, n, "inf");
  else
    snprintf(buf, n, "%.6e", v);
}

/* ---- the expected-sensitivity columns (stats/bands.h; present when the cube has a band) ---- */

static const char expected_header[] = ",expected_m2_muB,expected_m1_muB,expected_median_muB,"
                                      "expected_p1_muB,expected_p2_muB,mu_limit_pcl_muB,z_local";

const double *reduce_expected_band(const reduce_cube *c) {
  const char *mode = cube_data_text(&c->loaded, "expected");
  if (!c->loaded.fields || !mode[0] || !strcmp(mode, "none"))
    return NULL;
  return c->loaded.fields[DIPOLE_EXPECTED_BAND];
}

double reduce_pcl(const reduce_result *r, const reduce_cube *c, size_t unit) {
  const double *edge = c->loaded.fields ? c->loaded.fields[DIPOLE_EXPECTED_POWER_EDGE] : NULL;
  if (!r->engine_comparable || !edge)
    return NAN;
  return r->mu_1dof[unit] >= edge[unit] ? r->mu_1dof[unit] : edge[unit];
}

/* A 1-dof row's band, PCL (from the adopted limit) and Z; "nan" for the band and PCL when the
 * reduction's threshold is not the scan's (the band belongs to the scan's).  2-dof rows: empty. */
static void put_expected(FILE *fp, const reduce_result *r, const reduce_cube *c, size_t unit,
                         size_t dof) {
  if (dof == 2) {
    fputs(",,,,,,,", fp);
    return;
  }
  const double *band = reduce_expected_band(c) + unit * BANDS_N_EDGES;
  const double *z = c->loaded.fields[DIPOLE_Z_LOCAL];
  char v[32];
  for (int i = 0; i < BANDS_N_EDGES; i++) {
    format_mu(v, sizeof v, r->engine_comparable ? band[i] : NAN);
    fprintf(fp, ",%s", v);
  }
  format_mu(v, sizeof v, reduce_pcl(r, c, unit));
  fprintf(fp, ",%s,%.4f", v, z ? z[unit] : NAN);
}

/* ---- the Neyman column (stats/neyman.h; present when the cube has /neyman/tcrit) ---- */

static const char neyman_header[] = ",mu_limit_neyman_muB";

int reduce_has_neyman(const reduce_cube *c) {
  return c->loaded.fields && c->loaded.fields[DIPOLE_NEYMAN_TCRIT] &&
         c->loaded.fields[DIPOLE_NEYMAN_MU];
}

double reduce_neyman_limit(const reduce_result *r, const reduce_cube *c, size_t unit) {
  if (!reduce_has_neyman(c) || !c->done[unit] || !r->engine_comparable)
    return NAN; /* t_c is the scan's cl-quantile: another cl has no critical values */
  const double *mu_n = (const double *)c->loaded.fields[DIPOLE_NEYMAN_MU] + unit * NEYMAN_MAX_POINTS;
  const double *t_crit =
      (const double *)c->loaded.fields[DIPOLE_NEYMAN_TCRIT] + unit * NEYMAN_MAX_POINTS;
  size_t n_n = 0;
  while (n_n < NEYMAN_MAX_POINTS && !isnan(mu_n[n_n]))
    n_n++;
  double *mu = malloc((c->n_mu + 1) * sizeof *mu), *t_obs = malloc((c->n_mu + 1) * sizeof *t_obs);
  double limit = NAN;
  if (mu && t_obs) {
    size_t n = build_row(c, unit, mu, t_obs);
    for (size_t i = 0; i < n; i++)
      t_obs[i] -= r->chi2_row_min[unit];
    limit = neyman_upper_limit(mu_n, t_crit, n_n, mu, t_obs, n);
  }
  free(mu);
  free(t_obs);
  return limit;
}

static void put_neyman(FILE *fp, const reduce_result *r, const reduce_cube *c, size_t unit,
                       size_t dof) {
  char v[32] = "";
  if (dof == 1)
    format_mu(v, sizeof v, reduce_neyman_limit(r, c, unit));
  fprintf(fp, ",%s", v);
}

/* PATH.tmp, held with an exclusive flock while this process writes it (a second reducer on the
 * same CSV is refused); one left behind by a killed reducer is simply reused. */
static FILE *open_csv_tmp(const char *tmp, const char *path, dip_error *err) {
  int fd = open(tmp, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) {
    dip_error_set(err, DIP_EIO, "%s: cannot open for writing: %s", path, strerror(errno));
    return NULL;
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0 || ftruncate(fd, 0) != 0) {
    dip_error_set(err, DIP_EIO, "%s: %s", tmp, errno == EWOULDBLOCK
                  ? "another dipscan limits is writing this CSV" : strerror(errno));
    close(fd);
    return NULL;
  }
  FILE *fp = fdopen(fd, "w");
  if (!fp) {
    dip_error_set(err, DIP_EIO, "%s: %s", tmp, strerror(errno));
    close(fd);
  }
  return fp;
}

/* The CSV is written to PATH.tmp and renamed over PATH only when complete, so a full disk or a
 * size limit never leaves an existing result file half overwritten.  Non-regular targets
 * (/dev/stdout, a pipe) are written directly. */
int reduce_write_csv(const reduce_result *r, const reduce_cube *c, const char *path, int dof_mask,
                     dip_error *err) {
  struct stat st;
  int direct = stat(path, &st) == 0 && !S_ISREG(st.st_mode);
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *fp = direct ? fopen(path, "w") : open_csv_tmp(tmp, path, err);
  if (!fp)
    return direct ? dip_error_set(err, DIP_EIO, "%s: cannot open for writing: %s", path,
                                  strerror(errno))
                  : err->status;
  int expected = reduce_expected_band(c) != NULL;
  int neyman = reduce_has_neyman(c);
  fprintf(fp, "experiment,coupling,m4_MeV,data,cl,dof,mu_limit_muB%s%s,status\n",
          expected ? expected_header : "", neyman ? neyman_header : "");
  for (size_t e = 0; e < c->n_entries; e++)
    for (size_t f = 0; f < c->n_couplings; f++)
      for (size_t dof = 1; dof <= 2; dof++) {
        if (!(dof_mask & (1 << (dof - 1))))
          continue;
        const double *v = dof == 1 ? r->mu_1dof : r->mu_2dof_upper;
        const unsigned char *st = dof == 1 ? r->status_1dof : r->status_2dof;
        for (size_t m = 0; m < c->n_m4; m++) {
          size_t unit = reduce_unit(c, e, f, m);
          if (!c->done[unit] || st[unit] == REDUCE_NOT_DONE)
            continue;
          /* 2 dof, no allowed mu at this m4 (the data prefer a signal at another m4): written
           * as 0, "every mu >= 0 excluded", as `dipscan limit --dof 2` does. */
          char mu[32];
          format_mu(mu, sizeof mu, st[unit] == REDUCE_ALL_EXCLUDED ? 0.0 : v[unit]);
          fprintf(fp, "%s,%s,%.6g,%s,%.4g,%zu,%s", c->entries[e], c->couplings[f], c->m4[m],
                  c->data[0] ? c->data : "unknown", r->cl, dof, mu);
          if (expected)
            put_expected(fp, r, c, unit, dof);
          if (neyman)
            put_neyman(fp, r, c, unit, dof);
          fprintf(fp, ",%s\n", reduce_status_name(st[unit]));
        }
      }
  /* renamed while the flock is held, so no other reducer truncates it in between */
  int failed = fflush(fp) != 0 || ferror(fp);
  int write_errno = errno;
  if (!failed && !direct && rename(tmp, path) != 0) {
    failed = 1;
    write_errno = errno;
  }
  if (failed && !direct)
    unlink(tmp);
  failed |= fclose(fp) != 0;
  if (!failed)
    return DIP_SUCCESS;
  return dip_error_set(err, DIP_EIO, "%s: write error: %s%s", path,
                       write_errno ? strerror(write_errno) : "unknown cause",
                       direct ? "" : " (an existing file is left unchanged)");
}

static hid_t text_type(size_t n) {
  hid_t t = H5Tcopy(H5T_C_S1);
  if (t >= 0 && H5Tset_size(t, n) < 0) {
    H5Tclose(t);
    return -1;
  }
  return t;
}

/* Attribute `name` of obj opened for rewriting when it has this type, else (re)created: a
 * reduction into an existing group reuses its object header. */
static hid_t reuse_attr(hid_t obj, const char *name, hid_t type, hid_t space) {
  if (H5Aexists(obj, name) > 0) {
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT), t = a >= 0 ? H5Aget_type(a) : -1;
    int same = t >= 0 && H5Tequal(t, type) > 0;
    if (t >= 0)
      H5Tclose(t);
    if (same)
      return a;
    if (a >= 0)
      H5Aclose(a);
    if (H5Adelete(obj, name) < 0)
      return -1;
  }
  return H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
}

static int put_text_attr(hid_t obj, const char *name, const char *text) {
  hid_t t = text_type(strlen(text) + 1), space = H5Screate(H5S_SCALAR);
  hid_t a = t >= 0 && space >= 0 ? reuse_attr(obj, name, t, space) : -1;
  int rc = a >= 0 && H5Awrite(a, t, text) >= 0 ? 0 : -1;
  if (a >= 0)
    H5Aclose(a);
  if (space >= 0)
    H5Sclose(space);
  if (t >= 0)
    H5Tclose(t);
  return rc;
}

static int put_number_attr(hid_t obj, const char *name, hid_t type, const void *v) {
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t a = space >= 0 ? reuse_attr(obj, name, type, space) : -1;
  int rc = a >= 0 && H5Awrite(a, type, v) >= 0 ? 0 : -1;
  if (a >= 0)
    H5Aclose(a);
  if (space >= 0)
    H5Sclose(space);
  return rc;
}

/* Dataset `name` of group opened for rewriting in place when it has this type and these dims, else
 * (re)created. */
static hid_t reuse_dataset(hid_t group, const char *name, hid_t type, int rank,
                           const hsize_t *dims, hid_t space) {
  if (H5Lexists(group, name, H5P_DEFAULT) > 0) {
    hid_t d = H5Dopen2(group, name, H5P_DEFAULT), old = d >= 0 ? H5Dget_space(d) : -1;
    hid_t old_type = d >= 0 ? H5Dget_type(d) : -1;
    hsize_t have[3] = {0, 0, 0};
    int same = old >= 0 && H5Sget_simple_extent_ndims(old) == rank &&
               H5Sget_simple_extent_dims(old, have, NULL) == rank &&
               memcmp(have, dims, (size_t)rank * sizeof *dims) == 0 && old_type >= 0 &&
               H5Tequal(old_type, type) > 0;
    if (old_type >= 0)
      H5Tclose(old_type);
    if (old >= 0)
      H5Sclose(old);
    if (same)
      return d;
    if (d >= 0)
      H5Dclose(d);
    if (H5Ldelete(group, name, H5P_DEFAULT) < 0)
      return -1;
  }
  return H5Dcreate2(group, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
}

/* One [E][F][M] (or [E][F]) dataset of the reduction, with its units, long_name and the cube's
 * dimension scales (a cube from before them has none to attach). */
static int put_dataset(hid_t g, const char *name, int rank, const hsize_t *dims, hid_t type,
                       const void *v, const char *units, const char *long_name) {
  hid_t space = H5Screate_simple(rank, dims, NULL);
  hid_t d = space >= 0 ? reuse_dataset(g, name, type, rank, dims, space) : -1;
  hid_t file = d >= 0 ? H5Iget_file_id(d) : -1;
  int scaled = file >= 0 && H5Lexists(file, CUBE_AXIS_M4, H5P_DEFAULT) > 0;
  int rc = d >= 0 && H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0 &&
                   put_text_attr(d, "units", units) == 0 &&
                   put_text_attr(d, "long_name", long_name) == 0 &&
                   (!scaled || cube_attach_scales(file, d, NULL) == 0)
               ? 0
               : -1;
  if (file >= 0)
    H5Fclose(file);
  if (d >= 0)
    H5Dclose(d);
  if (space >= 0)
    H5Sclose(space);
  return rc;
}

static int put_limit(hid_t g, const char *name, const hsize_t *dims, const double *v,
                     const char *long_name) {
  return put_dataset(g, name, 3, dims, H5T_NATIVE_DOUBLE, v, "mu_B", long_name);
}

/* A status dataset with the CF attributes that name its codes (flag_values, flag_meanings). */
static int put_status(hid_t g, const char *name, const hsize_t *dims, const unsigned char *v,
                      const char *long_name) {
  unsigned char values[REDUCE_N_STATUS];
  char meanings[256] = "";
  for (int s = 0; s < REDUCE_N_STATUS; s++) {
    values[s] = (unsigned char)s;
    snprintf(meanings + strlen(meanings), sizeof meanings - strlen(meanings), "%s%s",
             s ? " " : "", reduce_status_name(s));
  }
  hsize_t n = REDUCE_N_STATUS;
  hid_t d = -1, space = H5Screate_simple(1, &n, NULL);
  int rc = put_dataset(g, name, 3, dims, H5T_NATIVE_UINT8, v, "1", long_name);
  if (rc == 0 && space >= 0 && (d = H5Dopen2(g, name, H5P_DEFAULT)) >= 0) {
    hid_t a = reuse_attr(d, "flag_values", H5T_NATIVE_UINT8, space);
    rc = a >= 0 && H5Awrite(a, H5T_NATIVE_UINT8, values) >= 0 &&
                 put_text_attr(d, "flag_meanings", meanings) == 0
             ? 0
             : -1;
    if (a >= 0)
      H5Aclose(a);
  }
  if (d >= 0)
    H5Dclose(d);
  if (space >= 0)
    H5Sclose(space);
  return d >= 0 ? rc : -1;
}

static const char conventions[] =
    "mu in Bohr magnetons (transition moment, XENONnT normalisation), m4 in MeV. 1 dof: "
    "Delta chi^2 w.r.t. the minimum over mu at fixed m4 (grid minimum or the engine's chi2_min, "
    "whichever is lower), crossing above the best fit interpolated linearly in log mu (in mu^2 "
    "from mu = 0); the engine's root-found value is adopted where it lies inside the grid bracket. "
    "2 dof: Delta chi^2 w.r.t. the global minimum of the (experiment, coupling) plane over the "
    "finished m4; upper edge, and lower edge where mu = 0 is excluded (0 otherwise; NaN: no mu "
    "allowed). status_1dof/status_2dof say what each value is: ok, above_grid (1 dof: the engine's "
    "root-found value above the mu grid; 2 dof: inf), below_grid, no_sensitivity (inf), "
    "all_excluded (2 dof), failed (NaN); NaN with status not_done = unit not finished.";

static int write_group(hid_t g, const reduce_result *r, const reduce_cube *c, const char *version) {
  hsize_t dims[3] = {c->n_entries, c->n_couplings, c->n_m4};
  char when[32];
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  unsigned long long done = r->n_done, missing = r->n_units - r->n_done,
                     checked = r->n_engine_checked, disagree = r->n_engine_disagree;
  int rc = 0;
  rc |= put_limit(g, "mu_1dof", dims, r->mu_1dof, "adopted 1-dof upper limit on mu");
  rc |= put_limit(g, "mu_1dof_grid", dims, r->mu_1dof_grid,
                  "1-dof upper limit on mu interpolated from the mu grid");
  rc |= put_limit(g, "mu_2dof_upper", dims, r->mu_2dof_upper, "2-dof upper edge of the allowed mu");
  rc |= put_limit(g, "mu_2dof_lower", dims, r->mu_2dof_lower, "2-dof lower edge of the allowed mu");
  rc |= put_dataset(g, "chi2_row_min", 3, dims, H5T_NATIVE_DOUBLE, r->chi2_row_min, "1",
                    "reference chi^2 of the 1-dof Delta chi^2");
  rc |= put_dataset(g, "chi2_plane_min", 2, dims, H5T_NATIVE_DOUBLE, r->chi2_plane_min, "1",
                    "reference chi^2 of the 2-dof Delta chi^2");
  rc |= put_status(g, "status_1dof", dims, r->status_1dof,
                   "what mu_1dof is (flag_meanings; the CSV status column)");
  rc |= put_status(g, "status_2dof", dims, r->status_2dof,
                   "what mu_2dof_upper is (flag_meanings; the CSV status column)");
  rc |= put_number_attr(g, "cl", H5T_NATIVE_DOUBLE, &r->cl);
  rc |= put_text_attr(g, "threshold", threshold_name(r->kind));
  rc |= put_number_attr(g, "delta_chi2_1dof", H5T_NATIVE_DOUBLE, &r->delta_chi2_1dof);
  rc |= put_number_attr(g, "delta_chi2_2dof", H5T_NATIVE_DOUBLE, &r->delta_chi2_2dof);
  rc |= put_text_attr(g, "data", c->data[0] ? c->data : "unknown");
  rc |= put_text_attr(g, "mu_unit", "mu_B");
  rc |= put_text_attr(g, "m4_unit", "MeV");
  rc |= put_text_attr(g, "conventions", conventions);
  rc |= put_number_attr(g, "units_done", H5T_NATIVE_ULLONG, &done);
  rc |= put_number_attr(g, "units_missing", H5T_NATIVE_ULLONG, &missing);
  rc |= put_number_attr(g, "engine_checked", H5T_NATIVE_ULLONG, &checked);
  rc |= put_number_attr(g, "engine_disagree", H5T_NATIVE_ULLONG, &disagree);
  rc |= put_text_attr(g, "reduced_by", version ? version : "dipscan");
  rc |= put_text_attr(g, "reduced_at", when);
  return rc ? -1 : 0;
}

#define FINAL_GROUP "limits_reduced"
#define TEMP_GROUP "limits_reduced.spare"
#define SWAP_GROUP "limits_reduced.swap"

static int link_exists(hid_t file, const char *name) { return H5Lexists(file, name, H5P_DEFAULT) > 0; }

static int move_link(hid_t file, const char *from, const char *to) {
  return H5Lmove(file, from, file, to, H5P_DEFAULT, H5P_DEFAULT) < 0 ? -1 : 0;
}

/* A swap left by a reducer killed between its link moves: it is the old FINAL. */
static int settle_swap(hid_t file) {
  if (!link_exists(file, SWAP_GROUP))
    return 0;
  if (!link_exists(file, FINAL_GROUP))
    return move_link(file, SWAP_GROUP, FINAL_GROUP);
  return H5Ldelete(file, SWAP_GROUP, H5P_DEFAULT) < 0 ? -1 : 0;
}

/* Make TEMP the new FINAL; the old FINAL becomes TEMP, the space the next reduction rewrites. */
static int swap_in(hid_t file) {
  if (!link_exists(file, FINAL_GROUP))
    return move_link(file, TEMP_GROUP, FINAL_GROUP);
  int rc = move_link(file, FINAL_GROUP, SWAP_GROUP);
  rc |= rc ? -1 : move_link(file, TEMP_GROUP, FINAL_GROUP);
  rc |= rc ? -1 : move_link(file, SWAP_GROUP, TEMP_GROUP);
  return rc;
}

int reduce_write_cube(const reduce_result *r, const reduce_cube *c, const char *path,
                      const char *version, dip_error *err) {
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
  if (file < 0)
    return dip_error_set(err, DIP_EIO, "%s: cannot open for writing (is a scan still running?)",
                         path);
  int rc = settle_swap(file);
  hid_t g = rc ? -1
            : link_exists(file, TEMP_GROUP)
                ? H5Gopen2(file, TEMP_GROUP, H5P_DEFAULT)
                : H5Gcreate2(file, TEMP_GROUP, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  rc |= g < 0 ? -1 : write_group(g, r, c, version);
  if (g >= 0)
    H5Gclose(g);
  rc |= rc ? -1 : swap_in(file);
  rc |= H5Fclose(file) < 0 ? -1 : 0;
  HDF5_TRY(rc, "writing /" FINAL_GROUP);
  return DIP_SUCCESS;
}
