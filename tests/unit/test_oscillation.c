/*
 * test_oscillation.c — production-averaged adiabatic MSW survival probabilities: reference values
 * (docs/physics.md §3), unitarity, the simple and full flavour splits, the vacuum limit, and the
 * accuracy of the interpolated table against the direct production average.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "physics/constants.h"
#include "physics/oscillation.h"
#include "test.h"

static solar_model sun[2];
static oscillation osc[2][2]; /* [metallicity][split] */

static void init_all(const char *data_dir, dip_error *err, int *ok) {
  *ok = 1;
  for (int m = 0; m < 2; m++) {
    if (solar_init(&sun[m], data_dir, (solar_metallicity)m, err) != DIP_SUCCESS) {
      *ok = 0;
      return;
    }
    for (int sp = 0; sp < 2; sp++)
      if (osc_init(&osc[m][sp], &sun[m], osc_params_nufit53(), (osc_split)sp, err) != DIP_SUCCESS) {
        *ok = 0;
        return;
      }
  }
}

/* Reference values [C] of docs/physics.md §3 (B16-GS98, NuFIT 5.3). */
static void test_reference_values(void) {
  double P[N_FLAVORS];
  osc_fractions(&osc[0][0], SOLAR_PP, 0.3, P);
  test_abs(P[FLAVOR_E], 0.544, 0.003, "P_ee(pp, 0.3 MeV) = 0.544");
  osc_fractions(&osc[0][0], SOLAR_BE7, 0.8613, P);
  test_abs(P[FLAVOR_E], 0.526, 0.003, "P_ee(7Be, 0.8613 MeV) = 0.526");
  osc_fractions(&osc[0][0], SOLAR_PEP, 1.442, P);
  test_abs(P[FLAVOR_E], 0.515, 0.003, "P_ee(pep, 1.442 MeV) = 0.515");
  osc_fractions(&osc[0][0], SOLAR_B8, 10.0, P);
  test_abs(P[FLAVOR_E], 0.325, 0.005, "P_ee(8B, 10 MeV) = 0.325");
}

static void print_measured(void) {
  static const struct {
    solar_source_id s;
    double E;
  } points[] = {{SOLAR_PP, 0.3}, {SOLAR_BE7, 0.8613}, {SOLAR_PEP, 1.442}, {SOLAR_B8, 10.0}};
  printf("# metallicity split  source E[MeV]   P_ee     P_emu    P_etau\n");
  for (int m = 0; m < 2; m++)
    for (int sp = 0; sp < 2; sp++)
      for (size_t i = 0; i < sizeof points / sizeof *points; i++) {
        double P[N_FLAVORS];
        osc_fractions(&osc[m][sp], points[i].s, points[i].E, P);
        printf("# %-11s %-6s %-6s %-7.4f %.5f  %.5f  %.5f\n", m ? "AGSS09met" : "GS98",
               osc_split_name((osc_split)sp), sun[m].src[points[i].s].name, points[i].E,
               P[FLAVOR_E], P[FLAVOR_MU], P[FLAVOR_TAU]);
      }
}

static void test_unitarity_and_splits(void) {
  osc_params p = osc_params_nufit53();
  double t23 = p.theta23_deg * DIP_PI / 180.0, tan2 = tan(t23) * tan(t23);
  double worst_sum = 0.0, worst_ratio = 0.0, worst_pee = 0.0;
  for (int s = 0; s < SOLAR_N_SOURCES; s++)
    for (double E = 1e-3; E < 20.0; E *= 1.37) {
      double Ps[N_FLAVORS], Pf[N_FLAVORS];
      osc_fractions(&osc[0][OSC_SPLIT_SIMPLE], (solar_source_id)s, E, Ps);
      osc_fractions(&osc[0][OSC_SPLIT_FULL], (solar_source_id)s, E, Pf);
      worst_sum = fmax(worst_sum, fabs(Ps[0] + Ps[1] + Ps[2] - 1.0));
      worst_sum = fmax(worst_sum, fabs(Pf[0] + Pf[1] + Pf[2] - 1.0));
      worst_ratio = fmax(worst_ratio, fabs(Ps[FLAVOR_TAU] / Ps[FLAVOR_MU] / tan2 - 1.0));
      worst_pee = fmax(worst_pee, fabs(Pf[FLAVOR_E] - Ps[FLAVOR_E]));
    }
  test_abs(worst_sum, 0.0, 1e-12, "P_ee + P_emu + P_etau = 1 (both splits, all sources)");
  test_abs(worst_ratio, 0.0, 1e-12, "simple split: P_etau/P_emu = tan^2 theta23");
  test_abs(worst_pee, 0.0, 1e-14, "full and simple splits agree on P_ee");

  double Ps[N_FLAVORS], Pf[N_FLAVORS];
  osc_fractions(&osc[0][OSC_SPLIT_SIMPLE], SOLAR_PP, 0.3, Ps);
  osc_fractions(&osc[0][OSC_SPLIT_FULL], SOLAR_PP, 0.3, Pf);
  double ratio_change = (Pf[FLAVOR_TAU] / Pf[FLAVOR_MU]) / (Ps[FLAVOR_TAU] / Ps[FLAVOR_MU]) - 1.0;
  printf("# pp 0.3 MeV: (P_etau/P_emu) full / simple - 1 = %.3f\n", ratio_change);
  test_true(fabs(ratio_change) > 0.05 && fabs(ratio_change) < 0.30,
            "full vs simple: mu/tau split of pp differs by 5-30%");
}

/* E -> 0: no matter effect; the full split reduces to the averaged vacuum formula
 * P_ealpha = sum_i |U_ei|^2 |U_alpha i|^2, written out here in real form (PDG parametrisation). */
static void test_vacuum_limit(void) {
  osc_params p = osc_params_nufit53();
  double s12sq = p.sin2_theta12, c12sq = 1 - s12sq, s13sq = p.sin2_theta13, c13sq = 1 - s13sq;
  double sin2_2t12 = 4 * s12sq * c12sq;
  double t23 = p.theta23_deg * DIP_PI / 180.0, s23 = sin(t23), c23 = cos(t23);
  double cd = cos(p.delta_cp_deg * DIP_PI / 180.0);
  double J = sqrt(s12sq * c12sq) * s23 * c23 * sqrt(s13sq); /* s12 c12 s23 c23 s13 */
  double Um1 = s12sq * c23 * c23 + c12sq * s23 * s23 * s13sq + 2 * J * cd;
  double Um2 = c12sq * c23 * c23 + s12sq * s23 * s23 * s13sq - 2 * J * cd;
  double Um3 = s23 * s23 * c13sq;
  double P_emu_vac = c12sq * c13sq * Um1 + s12sq * c13sq * Um2 + s13sq * Um3;
  double P_ee_vac = c13sq * c13sq * (1 - 0.5 * sin2_2t12) + s13sq * s13sq;

  test_rel(osc_pee_exact(&osc[0][0], &sun[0], SOLAR_PP, 1e-9), P_ee_vac, 1e-9,
           "vacuum limit: P_ee(E->0) = c13^4 (1 - sin^2 2theta12 / 2) + s13^4");
  double P[N_FLAVORS];
  osc_fractions(&osc[0][OSC_SPLIT_FULL], SOLAR_PP, 1e-6, P);
  test_rel(P[FLAVOR_E], P_ee_vac, 1e-5, "table below its grid returns the vacuum value (1e-5)");
  test_rel(P[FLAVOR_MU], P_emu_vac, 1e-5, "full split, vacuum: P_emu = sum_i |U_ei|^2 |U_mui|^2");
}

/* The table must reproduce the direct production average to < 1e-5 (relative) everywhere,
 * including the line energies and points between grid nodes. */
static void test_table_accuracy(void) {
  for (int m = 0; m < 2; m++) {
    double worst = 0.0;
    for (int s = 0; s < SOLAR_N_SOURCES; s++) {
      double E_top = fmax(sun[m].src[s].E_max, 0.5);
      for (int k = 0; k < 700; k++) {
        double E = 1e-4 * pow(E_top / 1e-4, (k + 0.5) / 700.0);
        double P[N_FLAVORS];
        osc_fractions(&osc[m][0], (solar_source_id)s, E, P);
        double exact = osc_pee_exact(&osc[m][0], &sun[m], (solar_source_id)s, E);
        worst = fmax(worst, fabs(P[FLAVOR_E] / exact - 1.0));
      }
      for (size_t l = 0; l < sun[m].src[s].n_lines; l++) {
        double E = sun[m].src[s].line_energy[l], P[N_FLAVORS];
        osc_fractions(&osc[m][0], (solar_source_id)s, E, P);
        worst = fmax(worst, fabs(P[FLAVOR_E] / osc_pee_exact(&osc[m][0], &sun[m], s, E) - 1.0));
      }
    }
    char name[120];
    snprintf(name, sizeof name, "%s: table vs direct average, max rel error %.2g < 1e-5",
             m ? "AGSS09met" : "GS98", worst);
    test_true(worst < 1e-5, name);
  }
}

/* Physical trends: P_ee falls with energy (MSW), and 8B (produced deepest) is the most suppressed. */
static void test_trends(void) {
  int monotonic = 1;
  double prev = 1.0;
  for (double E = 0.05; E < 16.0; E *= 1.2) {
    double P[N_FLAVORS];
    osc_fractions(&osc[0][0], SOLAR_B8, E, P);
    monotonic &= P[FLAVOR_E] < prev;
    prev = P[FLAVOR_E];
  }
  test_true(monotonic, "P_ee(8B) decreases with energy");
  double P8[N_FLAVORS], Ppp[N_FLAVORS];
  osc_fractions(&osc[0][0], SOLAR_B8, 0.4, P8);
  osc_fractions(&osc[0][0], SOLAR_PP, 0.4, Ppp);
  test_true(P8[FLAVOR_E] < Ppp[FLAVOR_E], "at equal energy 8B (denser core) is more suppressed");
}

static void test_names_and_errors(void) {
  int sp = OSC_SPLIT_SIMPLE;
  dip_error err;
  test_true(dip_names_find(&osc_split_names, "full", &sp, &err) == DIP_SUCCESS &&
                sp == OSC_SPLIT_FULL && !strcmp(osc_split_name((osc_split)sp), "full"),
            "split name round trip");
  test_true(dip_names_find(&osc_split_names, "three", &sp, &err) == DIP_EINVAL,
            "unknown split name rejected");
  osc_params bad = osc_params_nufit53();
  bad.dm21_eV2 = -1.0;
  oscillation o;
  test_true(osc_init(&o, &sun[0], bad, OSC_SPLIT_SIMPLE, &err) == DIP_EINVAL,
            "negative dm21^2 rejected");
}

int main(void) {
  test_suite("oscillation");
  dip_gsl_quiet();
  char data_dir[4096];
  dip_error err;
  int ok = 0;
  if (dip_data_dir(data_dir, sizeof data_dir, &err) == DIP_SUCCESS)
    init_all(data_dir, &err, &ok);
  test_report(ok, "solar models and oscillation tables build", "%s", err.msg);
  if (ok) {
    test_reference_values();
    print_measured();
    test_unitarity_and_splits();
    test_vacuum_limit();
    test_table_accuracy();
    test_trends();
    test_names_and_errors();
  }
  for (int m = 0; m < 2; m++) {
    for (int sp = 0; sp < 2; sp++)
      osc_free(&osc[m][sp]);
    solar_free(&sun[m]);
  }
  return test_summary();
}
