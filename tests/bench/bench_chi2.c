/*
 * bench_chi2.c — throughput of the profiled chi^2 when walking a mu axis with warm starts, for the
 * problem size of the real scan (30 bins, 8 solar sources, 1 or 2 background components; and a
 * joint fit of two such experiments).  Prints profiled points per second on one core.
 * Usage: bench_chi2 [seconds per case, default 1]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../unit/chi2_toy.h"
#include "stats/limit.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Walk 200 mu points from 0 to 3x the 1-dof limit, repeatedly, for `seconds`. */
static int run_case(const char *label, const chi2_problem *pb, const double *counts,
                    double seconds) {
  chi2_workspace *ws;
  dip_error err;
  if (chi2_workspace_alloc(&ws, pb, &err) != DIP_SUCCESS ||
      chi2_set_data(ws, counts, &err) != DIP_SUCCESS) {
    fprintf(stderr, "bench_chi2: %s\n", err.msg);
    chi2_workspace_free(ws);
    return 1;
  }
  limit_result r;
  if (limit_1dof(ws, limit_threshold(0.90, 1, THRESHOLD_TWO_SIDED), &r, &err) != DIP_SUCCESS) {
    fprintf(stderr, "bench_chi2: %s\n", err.msg);
    chi2_workspace_free(ws);
    return 1;
  }
  long before = chi2_n_profiles(ws), points = 0;
  double t0 = now(), elapsed = 0.0, sink = 0.0;
  while (elapsed < seconds) {
    for (int i = 0; i < 200; i++) {
      double chi2;
      chi2_profile(ws, 3.0 * r.mu_limit * i / 199.0, &chi2, &err);
      sink += chi2;
    }
    points += 200;
    elapsed = now() - t0;
  }
  double t1 = now();
  limit_1dof(ws, limit_threshold(0.90, 1, THRESHOLD_TWO_SIDED), &r, &err);
  double t_limit = now() - t1;
  printf("%-34s %9.3g points/s  (%ld points, %ld fallbacks; limit %.4g mu_B in %.0f us; checksum %.6g)\n",
         label, points / elapsed, chi2_n_profiles(ws) - before, chi2_n_fallbacks(ws), r.mu_limit,
         1e6 * t_limit, sink / points);
  chi2_workspace_free(ws);
  return 0;
}

int main(int argc, char **argv) {
  dip_gsl_quiet();
  double seconds = argc > 1 ? atof(argv[1]) : 1.0;
  static toy a, b, c;
  toy_fill(&a, 30, 8, 1, 1.0);
  toy_observe(&a, 0.0, 1.0, 1);
  toy_fill(&b, 30, 8, 2, 1.0);
  toy_observe(&b, 4e-12, 1.0, 1);
  toy_fill(&c, 30, 8, 2, 2.0);
  toy_observe(&c, 0.0, -1.0, 1);
  chi2_experiment ea = toy_experiment(&a), eb = toy_experiment(&b), joint[2] = {eb, toy_experiment(&c)};
  chi2_problem pa = {8, toy_src_sigma, 1, &ea}, pb = {8, toy_src_sigma, 1, &eb},
               pj = {8, toy_src_sigma, 2, joint};
  double joint_counts[60];
  toy_joint_counts((const toy *[]){&b, &c}, 2, joint_counts);
  int status = run_case("30 bins, 8 sources, 1 background", &pa, a.observed, seconds);
  status |= run_case("30 bins, 8 sources, 2 backgrounds", &pb, b.observed, seconds);
  status |= run_case("joint 2 x (30 bins, 2 backgrounds)", &pj, joint_counts, seconds);
  return status;
}
