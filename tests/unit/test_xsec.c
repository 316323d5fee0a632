/*
 * test_xsec.c — cross sections and kinematics (issue 2, item 2).
 *
 * Checks: the dipole prefactor; the m4 -> 0 limit against the standard magnetic-moment cross
 * section; positivity inside and zero outside the kinematic region; E_min inverts both ends of the
 * recoil range; the threshold; the SM cross section against values computed independently (Python,
 * same constants); nu_e vs nu_mu; and the moment decomposition against the direct formulas.
 */
#include <math.h>
#include <stdio.h>

#include "physics/constants.h"
#include "test.h"
#include "physics/xsec.h"

static void test_prefactor(void) {
  /* pi alpha^2 hbar^2c^2 / m_e^2 = 2.4946720e-25 cm^2 (CODATA 2018 values, computed in Python). */
  test_rel(xsec_dipole_prefactor_cm2(), 2.4946720230e-25, 1e-9, "prefactor pi alpha^2/m_e^2 [cm^2]");
}

static void test_massless_limit(void) {
  const double E[] = {0.2, 0.42, 0.862, 10.0}, T[] = {1e-3, 5e-3, 0.03}; /* all T < T_max(E) */
  double worst = 0.0;
  for (size_t i = 0; i < 4; i++)
    for (size_t j = 0; j < 3; j++) {
      double standard = xsec_dipole_prefactor_cm2() * (1.0 / T[j] - 1.0 / E[i]);
      double got = xsec_dipole_dsdT(E[i], T[j], 1e-8);
      worst = fmax(worst, fabs(got / standard - 1.0));
    }
  test_rel(worst, 0.0, 1e-9, "dipole(m4 = 1e-8 MeV) = standard magnetic-moment form");
  test_rel(xsec_dipole_dsdT(0.862, 0.01, 0.0),
           xsec_dipole_prefactor_cm2() * (1.0 / 0.01 - 1.0 / 0.862), 1e-14, "dipole(m4 = 0) exact");
}

/* Scan a grid of (E, T) for each m4: non-negative and finite inside [Tmin, Tmax], exactly zero outside. */
static void test_region(void) {
  const double m4s[] = {0.0, 0.001, 0.01, 0.1, 0.3, 0.47, 1.0, 2.0};
  int inside_ok = 1, outside_ok = 1, n_inside = 0;
  for (size_t k = 0; k < sizeof m4s / sizeof *m4s; k++)
    for (int ie = 0; ie <= 200; ie++) {
      double E = 0.01 * pow(2000.0, ie / 200.0); /* 0.01 .. 20 MeV */
      for (int it = 0; it <= 200; it++) {
        double T = 1e-4 * pow(1e5, it / 200.0); /* 0.1 keV .. 10 MeV */
        double Tmin, Tmax;
        int open = xsec_recoil_range(E, m4s[k], &Tmin, &Tmax);
        double s = xsec_dipole_dsdT(E, T, m4s[k]);
        if (open && T >= Tmin && T <= Tmax) {
          n_inside++;
          if (!(s >= 0.0) || !isfinite(s))
            inside_ok = 0;
        } else if (s != 0.0) {
          outside_ok = 0;
        }
      }
    }
  test_true(inside_ok && n_inside > 1000, "dipole >= 0 and finite inside the recoil range");
  test_true(outside_ok, "dipole == 0 outside the recoil range");
  test_true(xsec_dipole_dsdT(0.5, 0.0, 0.1) == 0.0 && xsec_dipole_dsdT(0.5, -1.0, 0.1) == 0.0 &&
                xsec_sm_dsdT(0.5, 0.0, FLAVOR_E) == 0.0 && xsec_dipole_dsdT(INFINITY, 0.01, 0.1) == 0.0,
            "zero (not NaN) for T <= 0 and E = inf");
}

static void test_emin_inverts_range(void) {
  const double E[] = {0.05, 0.2, 0.42341, 0.8613, 1.442, 10.0};
  const double m4s[] = {0.0, 0.001, 0.01, 0.03, 0.1, 0.3};
  double worst = 0.0;
  int n = 0;
  for (size_t k = 0; k < 6; k++)
    for (size_t i = 0; i < 6; i++) {
      double Tmin, Tmax;
      if (!xsec_recoil_range(E[i], m4s[k], &Tmin, &Tmax))
        continue;
      worst = fmax(worst, fabs(xsec_emin(Tmax, m4s[k]) / E[i] - 1.0));
      if (m4s[k] > 0.0)
        worst = fmax(worst, fabs(xsec_emin(Tmin, m4s[k]) / E[i] - 1.0));
      n++;
    }
  test_true(n >= 30, "enough (E, m4) pairs above threshold");
  test_rel(worst, 0.0, 1e-10, "E_min(T_min(E)) = E_min(T_max(E)) = E");
  /* SM endpoint 2E^2/(m_e + 2E) and Tmin = 0 for m4 = 0. */
  double Tmin, Tmax;
  xsec_recoil_range(0.8613, 0.0, &Tmin, &Tmax);
  test_rel(Tmax, 2.0 * 0.8613 * 0.8613 / (DIP_ME_MEV + 2.0 * 0.8613), 1e-14, "m4 = 0: SM T_max");
  test_true(Tmin == 0.0, "m4 = 0: T_min = 0");
}

static void test_threshold(void) {
  const double m4 = 0.3, Eth = xsec_threshold(m4);
  test_rel(Eth, 0.3 + 0.09 / (2.0 * DIP_ME_MEV), 1e-15, "threshold m4 + m4^2/(2 m_e)");
  double Tmin, Tmax;
  test_true(!xsec_recoil_range(Eth * (1.0 - 1e-9), m4, &Tmin, &Tmax) && Tmin == 0.0 && Tmax == 0.0,
            "no recoil range below threshold");
  test_true(xsec_recoil_range(Eth * (1.0 + 1e-9), m4, &Tmin, &Tmax) && Tmin > 0.0 &&
                fabs(Tmax / Tmin - 1.0) < 1e-3,
            "recoil range closes to one point at threshold");
  /* The minimum of E_min(T) over T is the threshold. */
  double lo = INFINITY;
  for (int i = 0; i <= 20000; i++)
    lo = fmin(lo, xsec_emin(1e-3 * pow(1e3, i / 20000.0), m4));
  test_rel(lo, Eth, 1e-6, "min_T E_min(T, m4) = threshold");
  test_true(xsec_dipole_dsdT(Eth * 0.999, 0.05, m4) == 0.0, "dipole zero below threshold");
  /* Largest m4 for which the pp endpoint (0.42341 MeV) still gives recoils in 1-30 keV: E_min grows
   * with m4 and falls with T in this range, so the edge sits at T = 30 keV, m4 = 0.307 MeV (the
   * absolute threshold, at T = 62 keV, is m4 = 0.320 MeV; docs/physics.md quotes ~0.32). */
  test_true(xsec_emin(0.030, 0.305) < 0.42341 && xsec_emin(0.030, 0.309) > 0.42341,
            "pp reaches T = 30 keV only for m4 < 0.307 MeV");
  test_true(xsec_emin(0.030, 0.471) < 0.8613 && xsec_emin(0.030, 0.475) > 0.8613,
            "7Be(862) reaches T = 30 keV only for m4 < 0.473 MeV");
}

static void test_sm_values(void) {
  /* Independent evaluation of the tree-level formula in Python with the constants of constants.h. */
  const struct { double E, T; dip_flavor fl; double want; } pts[] = {
      {0.3, 0.01, FLAVOR_E, 1.014427885819e-44},   {0.3, 0.01, FLAVOR_MU, 2.155311795497e-45},
      {0.862, 0.001, FLAVOR_E, 1.037661377733e-44}, {0.862, 0.001, FLAVOR_MU, 2.157049957244e-45},
      {10.0, 5.0, FLAVOR_E, 9.567790329991e-45},    {10.0, 5.0, FLAVOR_MU, 1.450440029576e-45},
  };
  for (size_t i = 0; i < sizeof pts / sizeof *pts; i++) {
    char name[96];
    snprintf(name, sizeof name, "SM %s E=%g T=%g", pts[i].fl == FLAVOR_E ? "nu_e" : "nu_mu", pts[i].E,
             pts[i].T);
    test_rel(xsec_sm_dsdT(pts[i].E, pts[i].T, pts[i].fl), pts[i].want, 1e-10, name);
  }
  test_true(xsec_sm_dsdT(0.3, 0.17, FLAVOR_E) == 0.0, "SM zero above T_max = 0.1621 MeV at E = 0.3");
  test_true(xsec_sm_dsdT(1.0, 0.01, FLAVOR_MU) == xsec_sm_dsdT(1.0, 0.01, FLAVOR_TAU), "SM nu_mu = nu_tau");
  /* nu_e/nu_mu at T -> 0: (g_Le^2 + g_R^2)/(g_Lmu^2 + g_R^2) ~ 4.7 (the CC contribution). */
  double s = DIP_SIN2_THETA_W, ge = 0.5 + s, gm = -0.5 + s;
  test_rel(xsec_sm_dsdT(1.0, 1e-9, FLAVOR_E) / xsec_sm_dsdT(1.0, 1e-9, FLAVOR_MU),
           (ge * ge + s * s) / (gm * gm + s * s), 1e-6, "SM nu_e/nu_mu at T -> 0");
}

/* |moments - direct| <= 1e-12 of the largest term, over the allowed region. */
static void test_moments(void) {
  const double m4s[] = {0.0, 0.001, 0.01, 0.1, 0.3, 1.0};
  double worst_dip = 0.0, worst_sm = 0.0;
  for (size_t k = 0; k < 6; k++)
    for (int it = 0; it <= 40; it++) {
      double T = 1e-3 * pow(300.0, it / 40.0); /* 1 keV .. 0.3 MeV */
      double emin = xsec_emin(T, m4s[k]);
      for (int ie = 0; ie <= 40; ie++) {
        double E = emin * (1.0 + 1e-9) * pow(50.0, ie / 40.0);
        double c[3], scale;
        xsec_dipole_moments(T, m4s[k], c);
        scale = fabs(c[0]) + fabs(c[1] / E) + fabs(c[2] / (E * E));
        worst_dip = fmax(worst_dip, fabs(c[0] + c[1] / E + c[2] / (E * E) - xsec_dipole_dsdT(E, T, m4s[k])) / scale);
        for (int f = 0; f < 2; f++) {
          xsec_sm_moments(T, (dip_flavor)f, c);
          scale = fabs(c[0]) + fabs(c[1] / E) + fabs(c[2] / (E * E));
          worst_sm = fmax(worst_sm, fabs(c[0] + c[1] / E + c[2] / (E * E) -
                                         xsec_sm_dsdT(E, T, (dip_flavor)f)) / scale);
        }
      }
    }
  test_rel(worst_dip, 0.0, 1e-12, "dipole moments = direct formula (E >= E_min)");
  test_rel(worst_sm, 0.0, 1e-12, "SM moments = direct formula (E >= E_min)");
  /* Plain relative agreement well inside the region. */
  double c[3];
  xsec_dipole_moments(0.005, 0.1, c);
  test_rel(c[0] + c[1] / 2.0 + c[2] / 4.0, xsec_dipole_dsdT(2.0, 0.005, 0.1), 1e-12,
           "dipole moments at E=2, T=5 keV, m4=0.1");
}

/* Analytic inverse of E_min(T, m4) = (1 + m4^2/(2 m_e T)) g(T), g = (T + sqrt(T^2 + 2 m_e T))/2,
 * checked against xsec_emin itself and the reference paper's reach of 7Be at 30 keV. */
static void test_m4_reach(void) {
  double T = 30.0 / DIP_KEV_PER_MEV;
  test_rel(xsec_emin(T, xsec_m4_reach(DIP_PP_ENDPOINT_MEV, T)), DIP_PP_ENDPOINT_MEV, 1e-12,
           "E_min at the pp reach = pp endpoint");
  test_rel(xsec_emin(T, xsec_m4_reach(DIP_PEP_LINE_MEV, T)), DIP_PEP_LINE_MEV, 1e-12,
           "E_min at the pep reach = pep energy");
  /* docs/physics.md (kinematics): 7Be(862) reaches m4 ~ 0.47 MeV with 1-30 keV recoils. */
  test_rel(xsec_m4_reach(DIP_BE7_LINE_MEV, T), 0.47, 0.02, "7Be reach ~ 0.47 MeV at 30 keV");
  test_true(xsec_m4_reach(DIP_BE7_LINE_MEV, 20.0 / DIP_KEV_PER_MEV) < xsec_m4_reach(DIP_BE7_LINE_MEV, T),
            "a lower window top reaches less far in m4");
  test_abs(xsec_m4_reach(1e-3, T), 0.0, 0.0, "no reach below the massless threshold");
}

int main(void) {
  test_suite("xsec");
  test_m4_reach();
  test_prefactor();
  test_massless_limit();
  test_region();
  test_emin_inverts_range();
  test_threshold();
  test_sm_values();
  test_moments();
  return test_summary();
}
