/*
 * test.h — a minimal unit-test harness in the spirit of GSL's gsl_test_rel.
 *
 * Each check prints one line "PASS <suite>: <name>" or "FAIL <suite>: <name> (<detail>)";
 * tests/run.sh counts those lines over every test program and prints the closing
 * "N passed, N failed" line.  A test program ends with `return test_summary();`, which exits
 * non-zero when any check failed.  Header-only so each test program is one file.
 */
#ifndef DIPSCAN_TEST_H
#define DIPSCAN_TEST_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

static const char *test_suite_name = "test";
static int test_n_pass = 0, test_n_fail = 0;

static inline void test_suite(const char *name) { test_suite_name = name; }

static inline void test_report(int ok, const char *name, const char *fmt, ...) {
  if (ok) {
    test_n_pass++;
    printf("PASS %s: %s\n", test_suite_name, name);
  } else {
    test_n_fail++;
    printf("FAIL %s: %s (", test_suite_name, name);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf(")\n");
  }
  fflush(stdout);
}

/* |got - want| <= rtol * |want| (want == 0: |got| <= rtol). */
static inline void test_rel(double got, double want, double rtol, const char *name) {
  double tol = want == 0.0 ? rtol : rtol * fabs(want);
  int ok = isfinite(got) && fabs(got - want) <= tol;
  test_report(ok, name, "got %.12g, want %.12g, rel tol %.1e, rel diff %.3e", got, want, rtol,
              want == 0.0 ? fabs(got) : fabs(got - want) / fabs(want));
}

static inline void test_abs(double got, double want, double atol, const char *name) {
  int ok = isfinite(got) && fabs(got - want) <= atol;
  test_report(ok, name, "got %.12g, want %.12g, abs tol %.1e", got, want, atol);
}

static inline void test_true(int cond, const char *name) { test_report(cond, name, "condition false"); }

static inline int test_summary(void) {
  printf("# %s: %d passed, %d failed\n", test_suite_name, test_n_pass, test_n_fail);
  return test_n_fail ? 1 : 0;
}

#endif /* DIPSCAN_TEST_H */
