/*
 * xsec.h — neutrino–electron cross sections and kinematics: the Standard-Model nu_l e -> nu_l e
 * scattering and the dipole-portal up-scattering nu_l e -> N e into a sterile neutrino of mass m4
 * (docs/physics.md §1).
 *
 * Units: neutrino energy E, recoil kinetic energy T and mass m4 in MeV; dsigma/dT in cm^2/MeV.
 * The dipole cross section is quoted for a transition moment mu = 1 mu_B (it scales as (mu/mu_B)^2;
 * the XENONnT normalisation, not d = mu/2).  Free electrons at rest; no binding effects here (see
 * electrons.h for the stepping approximation).
 *
 * Kinematics: for fixed T the allowed neutrino energies are exactly E >= xsec_emin(T, m4), so both
 * cross sections can be written there as c0(T) + c1(T)/E + c2(T)/E^2.  xsec_*_moments return
 * (c0, c1, c2); spectrum.c folds them with flux moments so that nothing is integrated per (T, m4).
 * All functions are pure (no state, thread-safe) and never return NaN for finite inputs.
 */
#ifndef DIPSCAN_XSEC_H
#define DIPSCAN_XSEC_H

#include "util/common.h"

/* The dipole cross-section convention as one line of text (the formula of xsec_dipole_dsdT and
 * the normalisation of mu), recorded in every scan output (attribute xsec_normalisation). */
extern const char xsec_convention[];

/* pi alpha^2 / m_e^2 in cm^2 (about 2.495e-25 cm^2). */
double xsec_dipole_prefactor_cm2(void);

/* Dipole-portal dsigma/dT [cm^2/MeV] at mu = 1 mu_B; 0 outside the kinematically allowed region. */
double xsec_dipole_dsdT(double E, double T, double m4);

/* SM dsigma/dT [cm^2/MeV] for nu_fl e scattering (tree level, g_L = +-1/2 + s_W^2, g_R = s_W^2);
 * 0 for T outside (0, T_max(E)].  nu_mu and nu_tau are identical. */
double xsec_sm_dsdT(double E, double T, dip_flavor fl);

/* Lowest neutrino energy that can produce N of mass m4: m4 + m4^2/(2 m_e) [MeV]. */
double xsec_threshold(double m4);

/* Recoil range [*Tmin, *Tmax] for neutrino energy E; returns 1 if E is above threshold, else 0
 * (and *Tmin = *Tmax = 0).  m4 = 0 gives Tmin = 0 and the SM T_max = 2E^2/(m_e + 2E). */
int xsec_recoil_range(double E, double m4, double *Tmin, double *Tmax);

/* Smallest neutrino energy that gives recoil T (eq. 6 of the BSM-2025 proceeding):
 * (1 + m4^2/(2 m_e T)) (T + sqrt(T^2 + 2 m_e T))/2; +INFINITY for T <= 0. */
double xsec_emin(double T, double m4);

/* Kinematic reach: the largest m4 [MeV] for which a neutrino of energy E [MeV] can give a recoil
 * T [MeV], the inverse of xsec_emin in m4: m4^2 = 2 m_e T (E/g - 1), g = xsec_emin(T, 0); 0 when
 * even a massless N cannot (E < g). */
double xsec_m4_reach(double E, double T);

/* dsigma/dT = c[0] + c[1]/E + c[2]/E^2 [cm^2/MeV, E in MeV] for E >= xsec_emin(T, m4). */
void xsec_dipole_moments(double T, double m4, double c[3]);
void xsec_sm_moments(double T, dip_flavor fl, double c[3]);

#endif /* DIPSCAN_XSEC_H */
