/*
 * plot.h — publication plots of a reduced cube, drawn by gnuplot (headless: pngcairo + pdfcairo).
 *
 * Every figure NAME is written into a directory as NAME.dat (the numbers plotted, with a comment
 * header), NAME.gp (a self-contained gnuplot script, rerunnable by hand from any folder), NAME.png
 * and NAME.pdf;
 * gnuplot's own messages go to NAME.log.  The plotting functions run `gnuplot NAME.gp` and fail
 * (DIP_EIO, naming the log) when gnuplot cannot be started, exits non-zero or leaves an empty file.
 *
 *   exclusion      mu_limit [mu_B] vs m4 [MeV], log-log; one panel per coupling, one colour per entry
 *                  (the same colour in every figure; legends from the cards' titles), the region
 *                  above each 1-dof curve lightly shaded as excluded
 *                  (experiment or joint fit); 1 dof solid, 2 dof dashed (upper edge, plus the lower
 *                  edge where mu = 0 is excluded).  No sensitivity inside the mu grid is drawn above
 *                  the top of the frame, so a curve that loses sensitivity runs out of the plot;
 *                  vertical marks show the kinematic reach in m4 handed over in plot_physics.
 *   profile_m4_X   Delta chi^2 (1-dof reference: the minimum over mu at that m4) vs mu at the grid m4
 *                  nearest to X, one panel per coupling, with the 1-dof threshold line and each
 *                  entry's limit marked where its curve crosses it.
 *   brazil[_ENTRY] the observed 1-dof limit (solid) with the expected median (dashed) and the
 *                  ±1σ (green) / ±2σ (yellow) bands of background-only experiments vs m4, one panel
 *                  per coupling, one figure per entry (named brazil_ENTRY when the cube has several
 *                  entries); only for cubes scanned with statistics.expected: asimov | toys.  An
 *                  observed limit above the frame (status above_grid, or beyond the top of the
 *                  frame) is not drawn off-frame: the line stops and a triangle at the top marks
 *                  the m4.  Single-column PDFs brazil[_ENTRY]_COUPLING_column.pdf, one panel each.
 *   neyman_limits  the 1-dof Neyman/Feldman-Cousins limit (dashed, points) next to the Wilks one
 *                  (solid) vs m4, one panel per coupling; neyman_tcrit_m4_X: t_c(mu) with its MC
 *                  error bars and t_obs(mu) against the Wilks threshold at the grid m4 nearest X;
 *                  only for cubes scanned with statistics.neyman.
 *   kinematics     E_min(T) [MeV] vs recoil T [keV] for several m4 and the massless case, with the
 *                  solar endpoints and the analysis window (the reference paper's Fig. 1).
 *
 * The output stage computes no physics: every physical number a figure shows besides the cube
 * (the analysis window, the reach marks, the E_min curves) arrives in a plot_physics filled by the
 * caller from the physics stage (cli/figure_physics.c).
 */
#ifndef DIPSCAN_PLOT_H
#define DIPSCAN_PLOT_H

#include <stddef.h>

#include "util/common.h"
#include "output/reduce.h"

#define PLOT_MAX_MARKS 8
#define PLOT_MAX_ENTRIES 64
#define PLOT_LABEL_LEN 96
#define PLOT_KIN_N_T 200
#define PLOT_KIN_MAX_CURVES 8

/* A labelled value: a vertical mark at an m4 [MeV] or a horizontal one at an energy [MeV]. */
typedef struct plot_mark {
  char label[32];   /* gnuplot enhanced text, e.g. "^{7}Be" */
  double value;
} plot_mark;

/* What the physics tells the figures.  Plain values, no pointers: the caller owns it whole. */
typedef struct plot_physics {
  size_t n_entries;                /* entry labels given (0: the cube's entry names are used) */
  char entry_label[PLOT_MAX_ENTRIES][PLOT_LABEL_LEN]; /* legend text per entry, from card titles */
  double window_keV[2];            /* analysis window of the cube's cards; NaN = unknown (not drawn) */
  double reach_recoil_keV;         /* recoil T at which the reach marks were computed */
  size_t n_reach;
  plot_mark reach[PLOT_MAX_MARKS]; /* largest m4 [MeV] a source can give reach_recoil_keV with */
  size_t n_sources;
  plot_mark source[PLOT_MAX_MARKS];/* neutrino energies [MeV] (endpoints, lines) */
  size_t n_T, n_curves;            /* kinematics: E_min [MeV] for n_curves masses at n_T recoils */
  double T_keV[PLOT_KIN_N_T];
  double m4[PLOT_KIN_MAX_CURVES];  /* [MeV]; m4 = 0 is drawn dashed as the massless case */
  double E_min[PLOT_KIN_MAX_CURVES][PLOT_KIN_N_T];
  char formula[160];               /* the E_min formula, for the .dat header */
} plot_physics;

/* A published limit drawn next to ours (`--overlay FILE:LABEL[:COUPLING]`). */
#define PLOT_MAX_OVERLAYS 8
typedef struct plot_overlay {
  char label[PLOT_LABEL_LEN];
  char coupling[32];    /* the panel it belongs to; "" = every panel */
  size_t n;
  double *m4, *mu;      /* [n] MeV, mu_B; owned */
} plot_overlay;

/* Load spec "FILE:LABEL[:COUPLING]": FILE holds m4 [MeV] and mu [mu_B] per line (comma, semicolon
 * or blanks between them), '#' comment lines and one header line allowed; every value > 0; at
 * least 2 points.  Errors name FILE:LINE. */
int plot_overlay_load(plot_overlay *o, const char *spec, dip_error *err);
void plot_overlay_free(plot_overlay *o);
/* Every overlay's COUPLING is one of the cube's (DIP_EINVAL naming it otherwise). */
int plot_overlay_check(const plot_overlay *overlays, size_t n, const reduce_cube *c,
                       dip_error *err);

/* The exclusion figure (all couplings, PNG + PDF) and, per coupling, a single-column PDF
 * exclusion_COUPLING_column.pdf (3.4 in wide, 8 pt text: one panel); overlays (may be NULL) are
 * drawn in grey in the panels of their coupling, and the COUPLING must be one of the cube's. */
int plot_exclusion(const reduce_cube *c, const reduce_result *r, const plot_physics *ph,
                   const plot_overlay *overlays, size_t n_overlays, const char *dir,
                   dip_error *err);

/* The Brazil-band figures (nothing, DIP_SUCCESS, when the cube has no expected band). */
int plot_brazil(const reduce_cube *c, const reduce_result *r, const plot_physics *ph,
                const char *dir, dip_error *err);

/* One figure per requested m4 (MeV); the nearest grid value is used and named in the title. */
int plot_profiles(const reduce_cube *c, const reduce_result *r, const plot_physics *ph,
                  const double *m4, size_t n_m4, const char *dir, dip_error *err);

int plot_kinematics(const plot_physics *ph, const char *dir, dip_error *err);
/* The Neyman figures (nothing, DIP_SUCCESS, when the cube has no Neyman construction); one t_c
 * figure per requested m4 (the profile m4 values). */
int plot_neyman(const reduce_cube *c, const reduce_result *r, const plot_physics *ph,
                const double *m4, size_t n_m4, const char *dir, dip_error *err);

#endif /* DIPSCAN_PLOT_H */
