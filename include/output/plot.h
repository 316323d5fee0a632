/*
 * plot.h — publication plots of a reduced cube, drawn by gnuplot (headless: pngcairo + pdfcairo).
 *
 * Every figure NAME is written into a directory as NAME.dat (the numbers plotted, with a comment
 * header), NAME.gp (a self-contained gnuplot script, rerunnable by hand), NAME.png and NAME.pdf;
 * gnuplot's own messages go to NAME.log.  The plotting functions run `gnuplot NAME.gp` and fail
 * (DIP_EIO, naming the log) when gnuplot cannot be started, exits non-zero or leaves an empty file.
 *
 *   exclusion      mu_limit [mu_B] vs m4 [MeV], log-log; one panel per flavor, one colour per entry
 *                  (experiment or joint fit); 1 dof solid, 2 dof dashed (upper edge, plus the lower
 *                  edge where mu = 0 is excluded).  No sensitivity inside the mu grid is drawn above
 *                  the top of the frame, so a curve that loses sensitivity runs out of the plot;
 *                  vertical marks show the largest m4 that pp, 7Be(862) and pep neutrinos can
 *                  produce with a recoil of PLOT_REACH_RECOIL_KEV.
 *   profile_m4_X   Delta chi^2 (1-dof reference: the minimum over mu at that m4) vs mu at the grid m4
 *                  nearest to X, one panel per flavor, with the 1-dof threshold line.
 *   kinematics     E_min(T) [MeV] vs recoil T [keV] for several m4 and the massless case, with the
 *                  solar endpoints and the 1-30 keV window (the reference paper's Fig. 1).
 */
#ifndef DIPSCAN_PLOT_H
#define DIPSCAN_PLOT_H

#include <stddef.h>

#include "util/common.h"
#include "output/reduce.h"

/* Recoil energy at which the kinematic reach in m4 is marked: the top of the 1-30 keV analysis
 * window of XENONnT SR0 and PandaX-4T Run1 (physics.md §5). */
#define PLOT_REACH_RECOIL_KEV 30.0

/* Largest m4 [MeV] for which a neutrino of energy E_nu [MeV] can give a recoil T [MeV]. */
double plot_m4_reach(double E_nu, double T);

int plot_exclusion(const reduce_cube *c, const reduce_result *r, const char *dir, dip_error *err);

/* One figure per requested m4 (MeV); the nearest grid value is used and named in the title. */
int plot_profiles(const reduce_cube *c, const reduce_result *r, const double *m4, size_t n_m4,
                  const char *dir, dip_error *err);

int plot_kinematics(const char *dir, dip_error *err);

#endif /* DIPSCAN_PLOT_H */
