/*
 * xsec.c — SM and dipole-portal neutrino–electron cross sections and their kinematics.
 *
 * Dipole portal (docs/physics.md §1; Mustamin & Demirci, arXiv:2511.00701), mu = 1 mu_B:
 *   dsigma/dT = (pi alpha^2/m_e^2) [ 1/T - 1/E - m4^2/(2 E T m_e) (1 - T/(2E) + m_e/(2E))
 *                                    + m4^4 (T - m_e)/(8 E^2 T^2 m_e^2) ]
 * which reduces to the standard magnetic-moment form (1/T - 1/E) for m4 -> 0 (Vogel & Engel,
 * PRD 39, 3378 (1989)).  Expanding the bracket in powers of 1/E gives the moments
 *   c0 = 1/T,  c1 = -(1 + m4^2/(2 m_e T)),
 *   c2 = m4^2/(4 m_e) - m4^2/(4 T) + m4^4 (T - m_e)/(8 T^2 m_e^2)   (times the prefactor).
 * SM (tree level; 't Hooft, PLB 37, 195 (1971); Vogel & Engel 1989):
 *   dsigma/dT = (2 G_F^2 m_e/pi) [g_L^2 + g_R^2 (1 - T/E)^2 - g_L g_R m_e T/E^2],
 *   g_L = +1/2 + s_W^2 (nu_e, W exchange included), -1/2 + s_W^2 (nu_mu, nu_tau), g_R = s_W^2,
 * with moments c0 = g_L^2 + g_R^2, c1 = -2 g_R^2 T, c2 = g_R^2 T^2 - g_L g_R m_e T.
 *
 * Kinematics of nu e -> N e with the electron at rest (docs/physics.md §1): the recoil range is
 *   T_{min,max} = [2 m_e E^2 - m4^2 (E + m_e) -+ E sqrt((2 m_e E - m4^2)^2 - 4 m4^2 m_e^2)]
 *                 / [2 m_e (2E + m_e)],
 * real above the threshold E = m4 + m4^2/(2 m_e).  T_min is evaluated as
 * T_min = m4^4 / (4 m_e (2E + m_e) T_max) (product of the roots) to avoid the cancellation at
 * small m4.  Inverting either branch gives the single E_min(T, m4) of eq. 6 of the proceeding
 * (DOI 10.31526/BSM-2025.2); for fixed T every E >= E_min is allowed.
 */
#include "physics/xsec.h"

#include <math.h>

#include "physics/constants.h"

/* hbar c squared [MeV^2 cm^2]: converts MeV^-2 to cm^2. */
static const double HBARC2 = DIP_HBARC_MEV_CM * DIP_HBARC_MEV_CM;

const char xsec_convention[] =
    "dsigma/dT = (pi alpha^2/m_e^2) (mu/mu_B)^2 [1/T - 1/E - m4^2/(2 E T m_e)(1 - T/(2E) + "
    "m_e/(2E)) + m4^4 (T - m_e)/(8 E^2 T^2 m_e^2)]; mu is the transition moment in mu_B "
    "(XENONnT normalisation, not d = mu/2)";

double xsec_dipole_prefactor_cm2(void) {
  return DIP_PI * DIP_ALPHA * DIP_ALPHA / (DIP_ME_MEV * DIP_ME_MEV) * HBARC2;
}

/* 2 G_F^2 m_e / pi in cm^2/MeV. */
static double sm_prefactor_cm2_per_mev(void) {
  return 2.0 * DIP_GF_MEV2 * DIP_GF_MEV2 * DIP_ME_MEV / DIP_PI * HBARC2;
}

static void sm_couplings(dip_flavor fl, double *gL, double *gR) {
  double half = fl == FLAVOR_E ? 0.5 : -0.5;
  *gL = half + DIP_SIN2_THETA_W;
  *gR = DIP_SIN2_THETA_W;
}

double xsec_threshold(double m4) { return m4 + m4 * m4 / (2.0 * DIP_ME_MEV); }

int xsec_recoil_range(double E, double m4, double *Tmin, double *Tmax) {
  const double me = DIP_ME_MEV, m2 = m4 * m4;
  *Tmin = *Tmax = 0.0;
  if (!(E > 0.0) || E < xsec_threshold(m4))
    return 0;
  double a = 2.0 * me * E - m2;
  double disc = a * a - 4.0 * m2 * me * me;
  double root = disc > 0.0 ? sqrt(disc) : 0.0; /* rounding at threshold */
  double denom = 2.0 * me * (2.0 * E + me);
  *Tmax = (2.0 * me * E * E - m2 * (E + me) + E * root) / denom;
  *Tmin = *Tmax > 0.0 ? m2 * m2 / (4.0 * me * (2.0 * E + me) * *Tmax) : 0.0;
  return *Tmax > 0.0;
}

double xsec_emin(double T, double m4) {
  const double me = DIP_ME_MEV;
  if (!(T > 0.0))
    return INFINITY;
  return (1.0 + m4 * m4 / (2.0 * me * T)) * 0.5 * (T + sqrt(T * T + 2.0 * me * T));
}

double xsec_m4_reach(double E, double T) {
  double g = xsec_emin(T, 0.0);
  return E > g ? sqrt(2.0 * DIP_ME_MEV * T * (E / g - 1.0)) : 0.0;
}

double xsec_dipole_dsdT(double E, double T, double m4) {
  const double me = DIP_ME_MEV, m2 = m4 * m4;
  double Tmin, Tmax;
  if (!(T > 0.0) || !xsec_recoil_range(E, m4, &Tmin, &Tmax) || T < Tmin || T > Tmax)
    return 0.0;
  double bracket = 1.0 / T - 1.0 / E -
                   m2 / (2.0 * E * T * me) * (1.0 - T / (2.0 * E) + me / (2.0 * E)) +
                   m2 * m2 * (T - me) / (8.0 * E * E * T * T * me * me);
  return xsec_dipole_prefactor_cm2() * bracket;
}

double xsec_sm_dsdT(double E, double T, dip_flavor fl) {
  double Tmin, Tmax, gL, gR;
  if (!(T > 0.0) || !xsec_recoil_range(E, 0.0, &Tmin, &Tmax) || T > Tmax)
    return 0.0;
  sm_couplings(fl, &gL, &gR);
  double y = 1.0 - T / E;
  return sm_prefactor_cm2_per_mev() *
         (gL * gL + gR * gR * y * y - gL * gR * DIP_ME_MEV * T / (E * E));
}

void xsec_dipole_moments(double T, double m4, double c[3]) {
  const double me = DIP_ME_MEV, m2 = m4 * m4, p = xsec_dipole_prefactor_cm2();
  c[0] = p / T;
  c[1] = -p * (1.0 + m2 / (2.0 * me * T));
  c[2] = p * (m2 / (4.0 * me) - m2 / (4.0 * T) + m2 * m2 * (T - me) / (8.0 * T * T * me * me));
}

void xsec_sm_moments(double T, dip_flavor fl, double c[3]) {
  double gL, gR, k = sm_prefactor_cm2_per_mev();
  sm_couplings(fl, &gL, &gR);
  c[0] = k * (gL * gL + gR * gR);
  c[1] = -k * 2.0 * gR * gR * T;
  c[2] = k * (gR * gR * T * T - gL * gR * DIP_ME_MEV * T);
}
