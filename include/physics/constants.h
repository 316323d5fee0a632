/*
 * constants.h — physical constants and unit conversions, in one place, each with its source.
 *
 * Internal units: energies and masses in MeV (neutrino energy E, recoil T inside the cross-section
 * code, sterile mass m4), lengths in cm, cross sections in cm^2, time in s.  Cards and rates use keV
 * for the electron recoil energy; convert with DIP_KEV_PER_MEV.  Magnetic moments are in Bohr
 * magnetons (mu_B): dsigma/dT of the dipole portal is quoted per (mu/mu_B)^2.
 */
#ifndef DIPSCAN_CONSTANTS_H
#define DIPSCAN_CONSTANTS_H

/* pi to double precision (M_PI is not part of strict C11). */
#define DIP_PI 3.14159265358979323846

/* Electron mass [MeV]; CODATA 2018 (Tiesinga et al., RMP 93, 025010 (2021)). */
#define DIP_ME_MEV 0.51099895000

/* Fine-structure constant; CODATA 2018. */
#define DIP_ALPHA 7.2973525693e-3

/* hbar*c [MeV cm]; CODATA 2018 (197.3269804 MeV fm). */
#define DIP_HBARC_MEV_CM 1.973269804e-11

/* Fermi constant [MeV^-2]; PDG 2024 (1.1663788e-5 GeV^-2, muon lifetime, MuLan). */
#define DIP_GF_MEV2 1.1663788e-11

/* Weak mixing angle sin^2(theta_W) at low momentum transfer (MS-bar, Q -> 0); PDG 2024 review
 * "Electroweak model and constraints on new physics", sin^2 theta_W(0) = 0.23857(5).
 * docs/physics.md quotes 0.2386. */
#define DIP_SIN2_THETA_W 0.23857

/* Avogadro constant [mol^-1]; exact since the 2019 SI redefinition. */
#define DIP_AVOGADRO 6.02214076e23

/* Xenon: atomic number and standard atomic weight [g/mol] (IUPAC 2013: 131.293(6)). */
#define DIP_XE_Z 54
#define DIP_XE_MOLAR_MASS_G 131.293

/* Seconds per year: Julian year (365.25 d), the IAU convention for "year" in exposures t*yr. */
#define DIP_SECONDS_PER_YEAR 3.15576e7

/* keV per MeV, grams per tonne. */
#define DIP_KEV_PER_MEV 1.0e3
#define DIP_GRAMS_PER_TONNE 1.0e6

/* sqrt(2) G_F N_A (hbar c)^3 [eV]: the MSW potential for an electron density of 1 mol/cm^3,
 * V = DIP_MSW_EV_PER_NA_CM3 * n_e/(N_A cm^-3).  Derived from the constants above (= 7.63e-14 eV,
 * as quoted in docs/physics.md §3). */
#define DIP_MSW_EV_PER_NA_CM3 \
  (1.41421356237309505 * (DIP_GF_MEV2 * 1.0e-12) * DIP_AVOGADRO * \
   (DIP_HBARC_MEV_CM * 1.0e6) * (DIP_HBARC_MEV_CM * 1.0e6) * (DIP_HBARC_MEV_CM * 1.0e6))

/* Solar-neutrino energies that bound the dipole-portal reach in m4 (used to mark the kinematic
 * endpoints on plots): the pp continuum endpoint 0.42341 MeV (Bahcall, "Solar neutrinos" tables,
 * https://www.sns.ias.edu/~jnb, pp spectrum), the 7Be line 0.8613 MeV (89.6% branch) and the pep
 * line 1.442 MeV (docs/physics.md §2, B16 standard solar model compilation). */
#define DIP_PP_ENDPOINT_MEV 0.42341
#define DIP_BE7_LINE_MEV 0.8613
#define DIP_PEP_LINE_MEV 1.442

#endif /* DIPSCAN_CONSTANTS_H */
