/*
 * reduce.h — the reducer: turns a scan cube (cube.h layout) into limits.
 *
 * Reading.  reduce_cube_read() loads a cube through the one cube reader (engine/cube.h, with the
 * dipole result schema): the axes, the profiled chi^2 [E][F][M][U], the engine's per-unit
 * summaries when present (/limits/mu_1dof, /limits/chi2_min, /units/chi2_zero), /done and the
 * root attributes that state the conventions (cl, threshold, data).
 *
 * 1 dof.  For every finished unit (entry, coupling, m4) the row chi^2(mu) is taken relative to its
 * own minimum (the smaller of the grid minimum and the engine's chi2_min), and the upward crossing
 * of the threshold above the best fit is interpolated between the bracketing grid points: linearly
 * in log mu, or linearly in mu^2 when the lower point is mu = 0 (the signal scales as mu^2).  When
 * the engine's chi^2 at mu = 0 (/units/chi2_zero) is stored it is used as an extra row point at
 * mu = 0.  The engine's root-found value is adopted when it was computed at the same threshold and
 * agrees with the grid crossing within the grid spacing of the bracket; every disagreement is
 * counted and reported.  Where the grid is never crossed but the engine's root-found limit is finite
 * (it lies above the mu grid) that value is adopted with the status above_grid; +inf remains where
 * neither finds a crossing (status no_sensitivity, or above_grid when the cube has no engine value
 * at this threshold).
 *
 * 2 dof.  Each (entry, coupling) plane chi^2(m4, mu) is taken relative to its global minimum over the
 * finished units; at every m4 the allowed set {Delta chi^2 < threshold_2dof} is bounded by an upper
 * edge (crossing above the row minimum) and, when mu = 0 itself is excluded, a lower edge (crossing
 * below it; 0 otherwise).  A row whose minimum is already excluded has no allowed mu: both edges
 * are NaN.
 *
 * Unfinished units (done == 0) are never reduced: their results are NaN, and they are counted and
 * listed by reduce_report_missing().  Thresholds (limit_threshold): 1 dof two-sided = chi^2_1
 * quantile at cl (2.706 at 90%), one-sided = (Phi^-1(cl))^2 (1.642 at 90%); 2 dof = chi^2_2 quantile
 * at cl (4.605 at 90%), whatever the 1-dof convention.
 *
 * Writing.  reduce_write_cube() opens the cube read-write only after everything is computed,
 * writes /limits_reduced.spare — in place, into the datasets of the previous reduction kept there,
 * when their shapes match — and then swaps the two groups' links, so a reader sees either the old
 * group or the complete new one, and repeated reductions reuse the same file space (HDF5 does not
 * reclaim a deleted group's space: delete + create grew the cube by ~64 KB per run).  The spare
 * (the reduction before the last) is scratch space, not a result.
 * reduce_write_csv() writes CSV.tmp (flock-ed; a killed reducer's is reused) and renames it; the
 * CSV has the header `experiment,coupling,m4_MeV,data,cl,dof,mu_limit_muB` and one row per finished
 * unit and dof (2-dof rows carry the upper edge; lower edges live in the cube); "inf" = no
 * sensitivity; the last column, `status`, says what each value is (reduce_limit_status).  A cube scanned with an expected sensitivity (statistics.expected: asimov | toys)
 * adds the columns
 * expected_m2_muB,expected_m1_muB,expected_median_muB,expected_p1_muB,expected_p2_muB,
 * mu_limit_pcl_muB,z_local to every 1-dof row (band and PCL "nan" when reduced at another threshold
 * than the scan's; the PCL is max(the adopted limit, the scan's expected/mu_power_edge)); they are
 * empty on 2-dof rows.
 */
#ifndef DIPSCAN_REDUCE_H
#define DIPSCAN_REDUCE_H

#include <stddef.h>
#include <stdio.h>

#include "util/common.h"
#include "engine/cube.h"
#include "stats/limit.h"

/* The cube contents the reducer needs.  Filled by reduce_cube_read, the arrays point into `loaded`
 * (owned; free with reduce_cube_free); tests may also fill the views directly. */
typedef struct reduce_cube {
  size_t n_entries, n_couplings, n_m4, n_mu;
  char **entries, **couplings;    /* [E], [F] */
  double *m4, *mu;              /* [M] MeV, [U] mu_B (strictly increasing, mu >= 0) */
  double *chi2;                 /* [E][F][M][U], NaN = not computed */
  double *engine_mu_1dof;       /* [E][F][M] or NULL when the cube has none */
  double *engine_chi2_min;      /* [E][F][M] or NULL */
  double *chi2_zero;            /* [E][F][M] chi^2 at mu = 0, or NULL */
  unsigned char *done;          /* [E][F][M] */
  unsigned char *unit_status;   /* [E][F][M] /units/status (dipole_unit_status), or NULL */
  double engine_cl;             /* root attribute cl (NaN if absent) */
  double engine_threshold;      /* root attribute threshold_delta_chi2 (NaN if absent) */
  char threshold_name[32];      /* root attribute threshold ("" if absent) */
  char data[32];                /* root attribute data: observed | asimov ("" if absent) */
  char status[32];              /* root attribute status ("" if absent) */
  cube_data loaded;             /* what the cube reader loaded */
} reduce_cube;

int reduce_cube_read(reduce_cube *c, const char *path, dip_error *err);
void reduce_cube_free(reduce_cube *c);

/* Crossing of a row (mu[n] increasing, chi2[n] finite) relative to ref at threshold thr.
 * Upward: the first mu above the row minimum where chi2 - ref reaches thr (+inf if never);
 * downward: the first mu below the row minimum where it does (0 if never).  *lo, *hi (may be
 * NULL) receive the bracketing grid points (both the result when it is 0 or inf). */
double reduce_crossing_up(const double *mu, const double *chi2, size_t n, double ref, double thr,
                          double *lo, double *hi);
double reduce_crossing_down(const double *mu, const double *chi2, size_t n, double ref, double thr,
                            double *lo, double *hi);

typedef struct reduce_options {
  double cl;            /* confidence level, e.g. 0.90 */
  threshold_kind kind;  /* 1-dof convention */
} reduce_options;

/* What a CSV row's limit is (the `status` column, /limits_reduced/status_*dof).  ok: crossed inside
 * the mu grid; above_grid: the crossing lies above the largest mu of the grid (1 dof: the engine's
 * root-found value is written; 2 dof: inf); below_grid: below the smallest positive mu of the grid
 * (the engine's value or the mu^2 interpolation from mu = 0); no_sensitivity: chi^2 never rises by
 * the threshold (the engine's limit is +inf: no recoil in the window, or the signal cannot reach
 * it); all_excluded (2 dof): no mu >= 0 allowed at this m4; failed: the unit's chi^2 profile or
 * limit search failed (/units/status), the value is nan. */
typedef enum {
  REDUCE_NOT_DONE = 0,
  REDUCE_OK,
  REDUCE_ABOVE_GRID,
  REDUCE_BELOW_GRID,
  REDUCE_NO_SENSITIVITY,
  REDUCE_ALL_EXCLUDED,
  REDUCE_FAILED,
  REDUCE_N_STATUS
} reduce_limit_status;

/* "not_done", "ok", "above_grid", ... ("unknown" outside the range). */
const char *reduce_status_name(int status);

typedef struct reduce_result {
  size_t n_entries, n_couplings, n_m4;
  double cl;
  threshold_kind kind;
  double delta_chi2_1dof, delta_chi2_2dof;
  double *mu_1dof;        /* [E][F][M] adopted 1-dof limit (engine's if it agrees, else grid) */
  double *mu_1dof_grid;   /* [E][F][M] grid interpolation */
  double *mu_2dof_upper;  /* [E][F][M] */
  double *mu_2dof_lower;  /* [E][F][M] 0 when mu = 0 is allowed */
  double *chi2_row_min;   /* [E][F][M] reference of the 1-dof Delta chi^2 */
  double *chi2_plane_min; /* [E][F] reference of the 2-dof Delta chi^2 (NaN: nothing done) */
  unsigned char *status_1dof, *status_2dof; /* [E][F][M] reduce_limit_status of mu_1dof and of
                                               mu_2dof_upper */
  double above_grid_max;  /* largest 1-dof limit above the mu grid (engine value; NaN: none) */
  size_t n_units, n_done;
  size_t n_engine_checked;   /* units whose engine value was compared with the grid */
  size_t n_engine_disagree;  /* of those, outside the bracket's grid spacing */
  int engine_comparable;     /* the cube's 1-dof threshold equals ours */
} reduce_result;

int reduce_run(reduce_result *r, const reduce_cube *c, const reduce_options *o, dip_error *err);
void reduce_result_free(reduce_result *r);

/* Index of unit (e, f, m) in [E][F][M] arrays. */
size_t reduce_unit(const reduce_cube *c, size_t e, size_t f, size_t m);

/* Human-readable list of unfinished units and engine disagreements (nothing if all is well).
 * Returns the number of unfinished units. */
size_t reduce_report_missing(const reduce_result *r, const reduce_cube *c, FILE *out);

/* The grid warnings (stderr): how many limits lie above / below the mu grid, and the mu.to or
 * mu.from that would contain them.  Returns the number of such limits. */
size_t reduce_report_grid(const reduce_result *r, const reduce_cube *c, FILE *out);

/* Finished units whose /units/status is not "ok" (no sensitivity, failed: how), counted per
 * status with the first few units listed.  Returns the number of failed units. */
size_t reduce_report_status(const reduce_cube *c, FILE *out);

/* The cube's expected band [E][F][M][5] (stats/bands.h; mu_B at -2..+2 sigma), or NULL when the
 * cube was scanned with statistics.expected: none, predates it, or was not read from a file. */
const double *reduce_expected_band(const reduce_cube *c);

/* The Neyman construction (statistics.neyman, stats/neyman.h): whether the cube has it, and a
 * unit's Feldman-Cousins limit — the upper end of {t_obs <= t_c}, t_obs = the unit's chi^2 row
 * minus the 1-dof reference, t_c interpolated linearly in mu between the Neyman points
 * (neyman_upper_limit).  NaN when the cube has none, the unit is unfinished, the reduction's
 * threshold is not the scan's, or the region ends below the Neyman axis; +inf when it reaches
 * the axis' top.  With it, reduce_write_csv appends mu_limit_neyman_muB to the 1-dof rows (empty
 * on 2-dof rows). */
int reduce_has_neyman(const reduce_cube *c);
double reduce_neyman_limit(const reduce_result *r, const reduce_cube *c, size_t unit);

/* The power-constrained 1-dof limit of a unit: max(adopted limit, the scan's
 * expected/mu_power_edge); NaN without a band or at another threshold than the scan's. */
double reduce_pcl(const reduce_result *r, const reduce_cube *c, size_t unit);

/* dof_mask: bit 0 = 1-dof rows, bit 1 = 2-dof rows. */
int reduce_write_csv(const reduce_result *r, const reduce_cube *c, const char *path, int dof_mask,
                     dip_error *err);
int reduce_write_cube(const reduce_result *r, const reduce_cube *c, const char *path,
                      const char *version, dip_error *err);

#endif /* DIPSCAN_REDUCE_H */
