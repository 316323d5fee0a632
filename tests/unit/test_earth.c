/*
 * test_earth.c — Earth regeneration (docs/physics.md §3.4): the PREM electron density against an
 * independent parametrisation, the yearly nadir exposure of a site, unitarity of the night matrices,
 * their vacuum limit, flavour fractions that still sum to one (so the universal coupling cannot
 * change), and the day–night asymmetries that Super-Kamiokande (8B) and Borexino (7Be) measured.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "physics/constants.h"
#include "physics/earth.h"
#include "physics/oscillation.h"
#include "physics/spectrum.h"
#include "test.h"

/* Site latitudes (docs/physics.md §3.4). */
#define LAT_KAMIOKA 36.43
#define LAT_LNGS 42.45

static earth_model earth;
static earth_regen regen;
static solar_model sun;

/* n_e against the 5-layer fit of Lisi & Montanino (hep-ph/9702343): N_e = a + b r^2 + c r^4. */
static void test_density(void) {
  static const struct {
    double r, a, b, c;
  } fit[] = {{0.0, 6.099, -4.119, 0.0}, {0.1, 6.099, -4.119, 0.0}, {0.3, 5.803, -3.653, -1.086},
             {0.5, 5.803, -3.653, -1.086}, {0.7, 3.156, -1.459, 0.280}, {0.85, 3.156, -1.459, 0.280}};
  for (size_t i = 0; i < sizeof fit / sizeof *fit; i++) {
    double r = fit[i].r, want = fit[i].a + fit[i].b * r * r + fit[i].c * r * r * r * r;
    char name[96];
    snprintf(name, sizeof name, "PREM n_e(r = %.2f) = two-parameter fit %.3f N_A/cm^3 (2%%)", r, want);
    test_rel(earth_ne(&earth, r), want, 0.02, name);
  }
  test_true(earth_ne(&earth, 1.5) == 0.0, "n_e = 0 outside the Earth");
}

/* A year at latitude phi: nights are half the time, and the Sun never stands closer to the nadir
 * than |phi| - 23.44 deg. */
static void test_exposure(void) {
  double w[EARTH_N_COS];
  static const double lat[] = {0.0, LAT_KAMIOKA, LAT_LNGS, 65.0};
  for (size_t i = 0; i < sizeof lat / sizeof *lat; i++) {
    double night = earth_exposure(lat[i], w), cos_max = cos((fabs(lat[i]) - EARTH_OBLIQUITY_DEG) * DIP_PI / 180.0);
    double beyond = 0.0;
    for (size_t c = 0; c < EARTH_N_COS; c++)
      if ((double)c / EARTH_N_COS > cos_max)
        beyond += w[c];
    char name[96];
    snprintf(name, sizeof name, "latitude %.2f: night fraction 1/2 (got %.4f)", lat[i], night);
    test_abs(night, 0.5, 2e-3, name);
    snprintf(name, sizeof name, "latitude %.2f: no exposure beyond cos(eta) = %.3f", lat[i], cos_max);
    test_true(beyond == 0.0 || lat[i] < EARTH_OBLIQUITY_DEG, name);
  }
}

static void test_night_matrices(void) {
  double worst_row = 0.0, worst_col = 0.0;
  for (size_t k = 0; k < EARTH_N_E; k++)
    for (size_t c = 0; c < EARTH_N_COS; c++) {
      const double *M = regen.night + (k * EARTH_N_COS + c) * 2 * N_FLAVORS;
      for (int i = 0; i < 2; i++)
        worst_row = fmax(worst_row, fabs(M[i * N_FLAVORS] + M[i * N_FLAVORS + 1] +
                                         M[i * N_FLAVORS + 2] - 1.0));
      for (int a = 0; a < N_FLAVORS; a++) /* nu_1 + nu_2 + nu_3 columns: unitarity */
        worst_col = fmax(worst_col, fabs(M[a] + M[N_FLAVORS + a] + regen.U_sq[a][2] - 1.0));
    }
  test_true(worst_row < 1e-12, "night matrices: each mass state ends in some flavour (row sums 1)");
  test_true(worst_col < 1e-12, "night matrices: each flavour column sums to 1 with nu_3");
  /* At 0.1 MeV the matter term 2EV/dm21^2 is < 1e-3: the night is nearly the vacuum. */
  double dev = 0.0;
  for (size_t c = 0; c < EARTH_N_COS; c++)
    for (int i = 0; i < 2; i++)
      for (int a = 0; a < N_FLAVORS; a++)
        dev = fmax(dev, fabs(regen.night[c * 2 * N_FLAVORS + i * N_FLAVORS + a] - regen.U_sq[a][i]));
  char name[96];
  snprintf(name, sizeof name, "night = vacuum at 0.1 MeV within 2e-3 (max dev %.1e)", dev);
  test_true(dev < 2e-3, name);
}

/* A uniform Earth (n_e = 4 N_A/cm^3 everywhere): every chord is a constant-density slab, for which
 * the two-flavour result is exact, P(nu_2 -> nu_e) = c13^2 [s12^2 + sin 2thm sin(2thm - 2th12)
 * sin^2(w L)], with w = sqrt(a^2 + b^2), a = c13^2 V/2 - k cos 2th12, b = k sin 2th12, k = dm21^2/4E,
 * sin 2thm = b/w, cos 2thm = -a/w.  Also: the day matrix is the PDG |U_alpha i|^2. */
static void test_uniform_earth(void) {
  double r[2] = {0.0, 1.0}, ne[2] = {4.0, 4.0};
  earth_model flat = {.n = 2, .r = r, .ne = ne};
  earth_regen rg;
  dip_error err;
  osc_params p = osc_params_nufit53();
  if (earth_regen_init(&rg, &flat, p, &err) != DIP_SUCCESS) {
    test_true(0, "uniform-Earth regeneration table builds");
    return;
  }
  double hbarc_ev_km = DIP_HBARC_MEV_CM * 1e6 * 1e-5, c13sq = 1.0 - p.sin2_theta13;
  double V = DIP_MSW_EV_PER_NA_CM3 * 4.0 / hbarc_ev_km, th = asin(sqrt(p.sin2_theta12));
  double worst = 0.0;
  for (size_t k = 0; k < EARTH_N_E; k += 7)
    for (size_t c = 3; c < EARTH_N_COS; c += 29) {
      double E_eV = exp(rg.log_E_min + (double)k * rg.dlog_E) * 1e6, kk = p.dm21_eV2 / (4.0 * E_eV) / hbarc_ev_km;
      double a = 0.5 * c13sq * V - kk * cos(2 * th), b = kk * sin(2 * th), w = sqrt(a * a + b * b);
      double L = 2.0 * ((double)c + 0.5) / EARTH_N_COS * EARTH_RADIUS_KM, two_thm = atan2(b, -a);
      double want = c13sq * (p.sin2_theta12 + sin(two_thm) * sin(two_thm - 2 * th) * pow(sin(w * L), 2));
      worst = fmax(worst, fabs(rg.night[(k * EARTH_N_COS + c) * 2 * N_FLAVORS + N_FLAVORS + FLAVOR_E] - want));
    }
  char name[128];
  snprintf(name, sizeof name, "uniform Earth: P(nu_2 -> nu_e) = the constant-density formula (max dev %.1e)", worst);
  test_true(worst < 1e-10, name);
  double s13 = sqrt(p.sin2_theta13), c13 = sqrt(c13sq), t23 = p.theta23_deg * DIP_PI / 180.0;
  double U_e[3] = {(1 - p.sin2_theta12) * c13sq, p.sin2_theta12 * c13sq, s13 * s13};
  double U_3[3] = {U_e[2], pow(sin(t23) * c13, 2), pow(cos(t23) * c13, 2)};
  double dev = 0.0;
  for (int i = 0; i < 3; i++)
    dev = fmax(dev, fmax(fabs(rg.U_sq[FLAVOR_E][i] - U_e[i]), fabs(rg.U_sq[i][2] - U_3[i])));
  test_true(dev < 1e-14, "day matrix: |U_ei|^2 and |U_alpha3|^2 as in the PDG parametrisation");
  earth_regen_free(&rg);
}

static int site_osc(oscillation *osc, double lat, earth_average avg, osc_split split) {
  earth_site site;
  dip_error err;
  int st = earth_site_init(&site, &regen, lat, avg, &err);
  if (st == DIP_SUCCESS)
    st = osc_init_earth(osc, &sun, osc_params_nufit53(), split, &site, &err);
  earth_site_free(&site);
  return st;
}

static void test_fractions_sum_to_one(void) {
  for (int sp = 0; sp < 2; sp++) {
    oscillation o;
    if (site_osc(&o, LAT_LNGS, EARTH_YEAR, (osc_split)sp) != DIP_SUCCESS) {
      test_true(0, "LNGS yearly oscillation table builds");
      continue;
    }
    double worst = 0.0;
    for (int s = 0; s < SOLAR_N_SOURCES; s++)
      for (double E = 0.05; E < 20.0; E *= 1.07) {
        double P[N_FLAVORS];
        osc_fractions(&o, (solar_source_id)s, E, P);
        worst = fmax(worst, fabs(P[0] + P[1] + P[2] - 1.0));
      }
    char name[96];
    snprintf(name, sizeof name, "day+night, %s split: P_ee + P_emu + P_etau = 1 (so universal is unchanged)",
             osc_split_name((osc_split)sp));
    test_true(worst < 1e-12, name);
    osc_free(&o);
  }
}

/* SM nu-e rate of source s with recoils in [T_lo, T_hi] MeV (trapezoid on n points). */
static double es_rate(const oscillation *o, solar_source_id s, double T_lo, double T_hi) {
  spectrum sp;
  dip_error err;
  if (spectrum_init(&sp, &sun, o, ELECTRONS_FREE, &err) != DIP_SUCCESS)
    return NAN;
  enum { N = 241 };
  double T[N], out[SOLAR_N_SOURCES * N], sum = 0.0;
  for (int i = 0; i < N; i++)
    T[i] = 1e3 * (T_lo + (T_hi - T_lo) * i / (N - 1.0));
  if (spectrum_sm(&sp, N, T, out, &err) != DIP_SUCCESS)
    sum = NAN;
  for (int i = 0; i + 1 < N; i++)
    sum += 0.5 * (T[i + 1] - T[i]) * (out[s * N + i] + out[s * N + i + 1]);
  spectrum_free(&sp);
  return sum;
}

static double asymmetry(double day, double night) { return 2.0 * (day - night) / (day + night); }

static void test_day_night_asymmetries(void) {
  oscillation day, night_k, night_g;
  if (osc_init(&day, &sun, osc_params_nufit53(), OSC_SPLIT_SIMPLE, NULL) != DIP_SUCCESS ||
      site_osc(&night_k, LAT_KAMIOKA, EARTH_NIGHTS, OSC_SPLIT_SIMPLE) != DIP_SUCCESS ||
      site_osc(&night_g, LAT_LNGS, EARTH_NIGHTS, OSC_SPLIT_SIMPLE) != DIP_SUCCESS) {
    test_true(0, "day and night tables build");
    return;
  }
  /* Super-Kamiokande: nu-e scattering with recoil kinetic energy above 4.5 MeV. */
  double a8 = asymmetry(es_rate(&day, SOLAR_B8, 4.5, 16.0), es_rate(&night_k, SOLAR_B8, 4.5, 16.0));
  printf("# A_DN(8B, Kamioka, nu-e rate, T > 4.5 MeV) = %.2f%%\n", 100.0 * a8);
  test_true(a8 < -0.010 && a8 > -0.030,
            "A_DN(8B, Kamioka) in -1% ... -3% (SK measured -3.2 +- 1.2%; about -1.8% expected, §3.4)");
  double P_d[N_FLAVORS], P_n[N_FLAVORS];
  osc_fractions(&day, SOLAR_B8, 10.0, P_d);
  osc_fractions(&night_k, SOLAR_B8, 10.0, P_n);
  printf("# P_ee(8B, 10 MeV) day %.4f, Kamioka nights %.4f: A_DN(P_ee) = %.2f%%\n", P_d[0], P_n[0],
         100.0 * asymmetry(P_d[0], P_n[0]));
  /* Borexino: 7Be nu-e scattering, recoils below the 665 keV Compton edge. */
  double a7 = asymmetry(es_rate(&day, SOLAR_BE7, 0.25, 0.66), es_rate(&night_g, SOLAR_BE7, 0.25, 0.66));
  printf("# A_DN(7Be, Gran Sasso, nu-e rate, 0.25-0.66 MeV) = %.4f%%\n", 100.0 * a7);
  test_true(fabs(a7) < 1e-3, "A_DN(7Be, Gran Sasso) below 1e-3 (Borexino: 0.001 +- 0.014)");
  osc_free(&day);
  osc_free(&night_k);
  osc_free(&night_g);
}

/* The size of the effect on P_ee per source: yearly average at each shipped site minus daytime. */
static void print_yearly_effect(void) {
  static const struct {
    solar_source_id s;
    double E;
  } pts[] = {{SOLAR_PP, 0.3}, {SOLAR_BE7, 0.8613}, {SOLAR_PEP, 1.442}, {SOLAR_B8, 5.0}, {SOLAR_B8, 10.0}};
  static const struct {
    const char *name;
    double lat;
  } sites[] = {{"LNGS", LAT_LNGS}, {"CJPL", 28.15}, {"SURF", 44.35}};
  oscillation day;
  if (osc_init(&day, &sun, osc_params_nufit53(), OSC_SPLIT_SIMPLE, NULL) != DIP_SUCCESS)
    return;
  printf("# P_ee: daytime, and (year - day) at LNGS, CJPL, SURF\n");
  oscillation year[3];
  int ok = 1;
  for (int k = 0; k < 3; k++)
    ok = ok && site_osc(&year[k], sites[k].lat, EARTH_YEAR, OSC_SPLIT_SIMPLE) == DIP_SUCCESS;
  for (size_t i = 0; ok && i < sizeof pts / sizeof *pts; i++) {
    double Pd[N_FLAVORS], Py[N_FLAVORS];
    osc_fractions(&day, pts[i].s, pts[i].E, Pd);
    printf("# %-4s %6.4f MeV  %.5f", sun.src[pts[i].s].name, pts[i].E, Pd[0]);
    for (int k = 0; k < 3; k++) {
      osc_fractions(&year[k], pts[i].s, pts[i].E, Py);
      printf("  %+.2e", Py[0] - Pd[0]);
    }
    printf("\n");
  }
  for (int k = 0; ok && k < 3; k++)
    osc_free(&year[k]);
  osc_free(&day);
}

static void test_errors(void) {
  earth_site site;
  dip_error err;
  test_true(earth_site_init(&site, &regen, 95.0, EARTH_YEAR, &err) == DIP_EINVAL,
            "latitude beyond the pole rejected");
  earth_model bad;
  test_true(earth_init(&bad, "/nonexistent", &err) != DIP_SUCCESS, "missing PREM file reported");
}

int main(void) {
  test_suite("earth");
  dip_gsl_quiet();
  char dir[4096];
  dip_error err;
  int ok = dip_data_dir(dir, sizeof dir, &err) == DIP_SUCCESS && earth_init(&earth, dir, &err) == DIP_SUCCESS &&
           solar_init(&sun, dir, SOLAR_B16_GS98, &err) == DIP_SUCCESS;
  clock_t t0 = clock();
  ok = ok && earth_regen_init(&regen, &earth, osc_params_nufit53(), &err) == DIP_SUCCESS;
  printf("# regeneration table: %.3f s CPU\n", (double)(clock() - t0) / CLOCKS_PER_SEC);
  test_report(ok, "PREM, solar model and regeneration table build", "%s", err.msg);
  if (ok) {
    test_density();
    test_exposure();
    test_night_matrices();
    test_uniform_earth();
    test_fractions_sum_to_one();
    test_day_night_asymmetries();
    print_yearly_effect();
    test_errors();
  }
  earth_regen_free(&regen);
  earth_free(&earth);
  solar_free(&sun);
  return test_summary();
}
