/*
 * earth.c — Earth regeneration of solar neutrinos and its yearly average at a site (see earth.h).
 *
 * Stage narrative (docs/physics.md §3.4).  The Sun delivers an incoherent mixture of mass states
 * (oscillation.c gives their weights P_ei).  By day they reach the detector unchanged and are seen as
 * flavour alpha with |U_alpha i|^2.  At night a state crosses the Earth on a chord of length
 * 2 R cos(eta) (eta the nadir angle of the Sun); earth_regen_init follows nu_1 and nu_2 along the chord
 * for every energy and nadir bin, in the 1-2 propagation basis where the Hamiltonian is
 * a sigma_z + b sigma_x (+ a multiple of 1), a = c13^2 V/2 - k cos 2theta12, b = k sin 2theta12,
 * k = dm21^2/(4E), and each constant-density step is the exact rotation
 * cos(w h) - i sin(w h)(a sigma_z + b sigma_x)/w, w = sqrt(a^2 + b^2).  The flavour amplitude is then
 * sum_j W_alpha j psi_j with W = R23 U13(delta) (the PMNS matrix without R12).
 * earth_exposure gives the year's weight of each nadir bin at a latitude (Sun uniform in ecliptic
 * longitude and hour angle), and earth_site_init mixes day and night into one matrix per energy.
 */
#include "physics/earth.h"

#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "physics/constants.h"
#include "util/yamlx.h"

/* hbar c in eV km: converts energies [eV] into wave numbers [km^-1]. */
#define EARTH_HBARC_EV_KM (DIP_HBARC_MEV_CM * 1.0e6 * 1.0e-5)
/* Samples of the Sun's ecliptic longitude over a year (midpoint rule). */
#define EARTH_N_LONGITUDE 720

static const char *const prem_keys[] = {"provenance", "r_over_rearth", "density_g_cm3",
                                        "electron_fraction", "ne_na_cm3"};

/* ---- earth_model ---- */

static int check_profile(const yamlx_doc *doc, const earth_model *e, size_t n_ne, dip_error *err) {
  if (e->n < 2 || n_ne != e->n)
    return yamlx_error(doc, doc->root, err, "earth: r_over_rearth and ne_na_cm3 need the same length >= 2");
  if (e->r[0] != 0.0 || e->r[e->n - 1] != 1.0)
    return yamlx_error(doc, doc->root, err, "earth: r_over_rearth must run from 0 to 1");
  for (size_t i = 0; i < e->n; i++)
    if ((i && !(e->r[i] > e->r[i - 1])) || !(e->ne[i] > 0.0 && e->ne[i] < 10.0))
      return yamlx_error(doc, doc->root, err,
                         "earth: row %zu: radii must increase and 0 < n_e < 10 N_A/cm^3", i);
  return DIP_SUCCESS;
}

int earth_init(earth_model *e, const char *data_dir, dip_error *err) {
  memset(e, 0, sizeof *e);
  char path[4096];
  snprintf(path, sizeof path, "%s/earth/prem.yaml", data_dir);
  yamlx_doc doc;
  DIP_TRY(yamlx_load_file(&doc, path, err));
  dip_hash_hex(doc.text, doc.text_len, e->checksum);
  size_t n_ne = 0;
  int status = yamlx_check_keys(&doc, doc.root, "prem.yaml", prem_keys, 5, err);
  if (status == DIP_SUCCESS)
    status = yamlx_req_double_array(&doc, doc.root, "r_over_rearth", &e->r, &e->n, err);
  if (status == DIP_SUCCESS)
    status = yamlx_req_double_array(&doc, doc.root, "ne_na_cm3", &e->ne, &n_ne, err);
  if (status == DIP_SUCCESS)
    status = check_profile(&doc, e, n_ne, err);
  yamlx_free(&doc);
  if (status != DIP_SUCCESS)
    earth_free(e);
  return status;
}

void earth_free(earth_model *e) {
  if (!e)
    return;
  free(e->r);
  free(e->ne);
  memset(e, 0, sizeof *e);
}

double earth_ne(const earth_model *e, double r) {
  if (!(r >= 0.0 && r <= 1.0))
    return 0.0;
  size_t lo = 0, hi = e->n - 1;
  while (hi - lo > 1) {
    size_t m = lo + (hi - lo) / 2;
    if (e->r[m] <= r)
      lo = m;
    else
      hi = m;
  }
  double t = (r - e->r[lo]) / (e->r[hi] - e->r[lo]);
  return e->ne[lo] + t * (e->ne[hi] - e->ne[lo]);
}

/* ---- earth_regen ---- */

/* The mixing a chord needs: R12 angles, the c13^2 on the potential, W = R23 U13 (columns 1, 2). */
typedef struct chord_mixing {
  double c12, s12, cos2t12, sin2t12, c13sq;
  double complex W[N_FLAVORS][2];
} chord_mixing;

static chord_mixing chord_mixing_from(const osc_params *p) {
  chord_mixing m;
  m.s12 = sqrt(p->sin2_theta12);
  m.c12 = sqrt(1.0 - p->sin2_theta12);
  m.cos2t12 = 1.0 - 2.0 * p->sin2_theta12;
  m.sin2t12 = 2.0 * m.s12 * m.c12;
  m.c13sq = 1.0 - p->sin2_theta13;
  double s13 = sqrt(p->sin2_theta13), c13 = sqrt(m.c13sq);
  double t23 = p->theta23_deg * DIP_PI / 180.0, s23 = sin(t23), c23 = cos(t23);
  double complex eid = cexp(I * p->delta_cp_deg * DIP_PI / 180.0);
  m.W[FLAVOR_E][0] = c13;
  m.W[FLAVOR_E][1] = 0.0;
  m.W[FLAVOR_MU][0] = -s23 * s13 * eid;
  m.W[FLAVOR_MU][1] = c23;
  m.W[FLAVOR_TAU][0] = -c23 * s13 * eid;
  m.W[FLAVOR_TAU][1] = -s23;
  return m;
}

/* Potential [km^-1] at the midpoints of the first n steps of length h along the chord with
 * cos(eta) = c (the chord is symmetric about its middle, so half of it is enough). */
static void chord_potential(const earth_model *e, double c, size_t n, double h, double *V) {
  for (size_t j = 0; j < n; j++) {
    double x = ((double)j + 0.5) * h;
    double r = sqrt(fmax(0.0, 1.0 + x * x - 2.0 * x * c));
    V[j] = DIP_MSW_EV_PER_NA_CM3 * earth_ne(e, r) / EARTH_HBARC_EV_KM;
  }
}

/* Evolve nu_1 and nu_2 along one chord at wave number k = dm21^2/4E [km^-1]; V holds the potentials
 * of the first half (n_half steps of h_km); out[i][alpha] = |<nu_alpha|S|nu_i>|^2.  Each step
 * matrix is complex symmetric and the second half repeats the first in reverse order, so with
 * A = U_n...U_1 for the first half the whole chord is S = A^T A. */
static void chord_probabilities(const chord_mixing *m, const double *V, size_t n_half, double h_km,
                                double k, double out[2][N_FLAVORS]) {
  double complex A[2][2] = {{1.0, 0.0}, {0.0, 1.0}};
  double b = k * m->sin2t12;
  for (size_t j = 0; j < n_half; j++) {
    double a = 0.5 * m->c13sq * V[j] - k * m->cos2t12, w = sqrt(a * a + b * b);
    double cs = cos(w * h_km), sn = sin(w * h_km) / w;
    double complex u00 = cs - I * sn * a, u11 = cs + I * sn * a, u01 = -I * sn * b;
    for (int col = 0; col < 2; col++) {
      double complex p0 = A[0][col], p1 = A[1][col];
      A[0][col] = u00 * p0 + u01 * p1;
      A[1][col] = u01 * p0 + u11 * p1;
    }
  }
  double complex S[2][2];
  for (int r = 0; r < 2; r++)
    for (int c = 0; c < 2; c++)
      S[r][c] = A[0][r] * A[0][c] + A[1][r] * A[1][c];
  const double start[2][2] = {{m->c12, -m->s12}, {m->s12, m->c12}};
  double complex psi[2][2];
  for (int i = 0; i < 2; i++)
    for (int r = 0; r < 2; r++)
      psi[i][r] = S[r][0] * start[i][0] + S[r][1] * start[i][1];
  for (int i = 0; i < 2; i++)
    for (int a = 0; a < N_FLAVORS; a++) {
      double complex amp = m->W[a][0] * psi[i][0] + m->W[a][1] * psi[i][1];
      out[i][a] = creal(amp * conj(amp));
    }
}

/* |U_alpha i|^2 from W and R12; the third column by unitarity of each row. */
static void vacuum_u_squared(const chord_mixing *m, double U_sq[N_FLAVORS][3]) {
  for (int a = 0; a < N_FLAVORS; a++) {
    double complex u1 = m->W[a][0] * m->c12 - m->W[a][1] * m->s12;
    double complex u2 = m->W[a][0] * m->s12 + m->W[a][1] * m->c12;
    U_sq[a][0] = creal(u1 * conj(u1));
    U_sq[a][1] = creal(u2 * conj(u2));
    U_sq[a][2] = 1.0 - U_sq[a][0] - U_sq[a][1];
  }
}

int earth_regen_init(earth_regen *rg, const earth_model *e, osc_params params, dip_error *err) {
  memset(rg, 0, sizeof *rg);
  if (!(params.dm21_eV2 > 0.0 && params.sin2_theta12 > 0.0 && params.sin2_theta12 < 1.0 &&
        params.sin2_theta13 >= 0.0 && params.sin2_theta13 < 1.0))
    return dip_error_set(err, DIP_EINVAL, "earth: invalid oscillation parameters");
  rg->params = params;
  rg->log_E_min = log(EARTH_E_MIN_MEV);
  rg->dlog_E = (log(EARTH_E_MAX_MEV) - rg->log_E_min) / (double)(EARTH_N_E - 1);
  chord_mixing m = chord_mixing_from(&params);
  vacuum_u_squared(&m, rg->U_sq);
  size_t max_steps = (size_t)ceil(1.0 / EARTH_STEP_REARTH) + 1; /* half of the longest chord */
  rg->night = dip_calloc((size_t)EARTH_N_E * EARTH_N_COS * 2 * N_FLAVORS, sizeof *rg->night, err);
  double *V = dip_calloc(max_steps, sizeof *V, err);
  if (!rg->night || !V) {
    free(V);
    earth_regen_free(rg);
    return DIP_ENOMEM;
  }
  for (size_t c = 0; c < EARTH_N_COS; c++) {
    double cos_eta = ((double)c + 0.5) / EARTH_N_COS, L = 2.0 * cos_eta;
    size_t n_half = (size_t)ceil(0.5 * L / EARTH_STEP_REARTH);
    double h = 0.5 * L / (double)n_half;
    chord_potential(e, cos_eta, n_half, h, V);
    for (size_t k = 0; k < EARTH_N_E; k++) {
      double E_eV = exp(rg->log_E_min + (double)k * rg->dlog_E) * 1.0e6;
      double wave = params.dm21_eV2 / (4.0 * E_eV) / EARTH_HBARC_EV_KM;
      double(*out)[N_FLAVORS] =
          (double(*)[N_FLAVORS])(rg->night + (k * EARTH_N_COS + c) * 2 * N_FLAVORS);
      chord_probabilities(&m, V, n_half, h * EARTH_RADIUS_KM, wave, out);
    }
  }
  free(V);
  return DIP_SUCCESS;
}

void earth_regen_free(earth_regen *rg) {
  if (!rg)
    return;
  free(rg->night);
  memset(rg, 0, sizeof *rg);
}

/* ---- the year at a latitude ---- */

/* Fraction of the hour angles h in [0, pi] with A + B cos h inside [lo, hi] (B > 0). */
static double hour_fraction(double A, double B, double lo, double hi) {
  double x_lo = fmax(-1.0, fmin(1.0, (lo - A) / B)), x_hi = fmax(-1.0, fmin(1.0, (hi - A) / B));
  return (acos(x_lo) - acos(x_hi)) / DIP_PI;
}

double earth_exposure(double latitude_deg, double w[EARTH_N_COS]) {
  double phi = latitude_deg * DIP_PI / 180.0, eps = EARTH_OBLIQUITY_DEG * DIP_PI / 180.0;
  double night = 0.0;
  for (size_t c = 0; c < EARTH_N_COS; c++)
    w[c] = 0.0;
  for (size_t l = 0; l < EARTH_N_LONGITUDE; l++) {
    double lambda = 2.0 * DIP_PI * ((double)l + 0.5) / EARTH_N_LONGITUDE;
    double delta = asin(sin(eps) * sin(lambda));
    /* cos(eta) = -cos(zenith) = A + B cos h with A = -sin(phi) sin(delta), B = -cos(phi) cos(delta);
     * written with B' = -B > 0 and h -> pi - h, which leaves the uniform measure unchanged. */
    double A = -sin(phi) * sin(delta), B = cos(phi) * cos(delta);
    if (!(B > 1e-12))
      continue;
    for (size_t c = 0; c < EARTH_N_COS; c++) {
      double f = hour_fraction(A, B, (double)c / EARTH_N_COS, (double)(c + 1) / EARTH_N_COS);
      w[c] += f / EARTH_N_LONGITUDE;
      night += f / EARTH_N_LONGITUDE;
    }
  }
  return night;
}

int earth_site_init(earth_site *site, const earth_regen *rg, double latitude_deg, earth_average avg,
                    dip_error *err) {
  memset(site, 0, sizeof *site);
  if (!(fabs(latitude_deg) < 90.0))
    return dip_error_set(err, DIP_EINVAL, "earth: latitude %g deg outside (-90, 90)", latitude_deg);
  if (avg != EARTH_YEAR && avg != EARTH_NIGHTS)
    return dip_error_set(err, DIP_EINVAL, "earth: unknown average %d", (int)avg);
  double w[EARTH_N_COS];
  site->latitude_deg = latitude_deg;
  site->night_fraction = earth_exposure(latitude_deg, w);
  if (!(site->night_fraction > 0.0))
    return dip_error_set(err, DIP_ENUMERIC, "earth: no night at latitude %g deg", latitude_deg);
  site->log_E_min = rg->log_E_min;
  site->dlog_E = rg->dlog_E;
  site->M = dip_calloc((size_t)EARTH_N_E * 3 * N_FLAVORS, sizeof *site->M, err);
  if (!site->M)
    return DIP_ENOMEM;
  double day = avg == EARTH_YEAR ? 1.0 - site->night_fraction : 0.0;
  double scale = avg == EARTH_YEAR ? 1.0 : 1.0 / site->night_fraction;
  for (size_t k = 0; k < EARTH_N_E; k++) {
    double *M = site->M + k * 3 * N_FLAVORS;
    for (int i = 0; i < 3; i++)
      for (int a = 0; a < N_FLAVORS; a++)
        M[i * N_FLAVORS + a] = (i == 2 ? 1.0 : day) * rg->U_sq[a][i];
    for (size_t c = 0; c < EARTH_N_COS; c++) {
      const double *night = rg->night + (k * EARTH_N_COS + c) * 2 * N_FLAVORS;
      for (int i = 0; i < 2 * N_FLAVORS; i++)
        M[i] += scale * w[c] * night[i];
    }
  }
  return DIP_SUCCESS;
}

void earth_site_free(earth_site *site) {
  if (!site)
    return;
  free(site->M);
  memset(site, 0, sizeof *site);
}

void earth_site_matrix(const earth_site *site, double E, double M[3][N_FLAVORS]) {
  double x = E > 0.0 ? (log(E) - site->log_E_min) / site->dlog_E : 0.0;
  x = fmax(0.0, fmin(x, (double)(EARTH_N_E - 1)));
  size_t k = (size_t)x;
  if (k > EARTH_N_E - 2)
    k = EARTH_N_E - 2;
  double t = x - (double)k;
  const double *lo = site->M + k * 3 * N_FLAVORS, *hi = lo + 3 * N_FLAVORS;
  for (int i = 0; i < 3; i++)
    for (int a = 0; a < N_FLAVORS; a++)
      M[i][a] = (1.0 - t) * lo[i * N_FLAVORS + a] + t * hi[i * N_FLAVORS + a];
}
