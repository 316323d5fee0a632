/*
 * spectrum.c — differential recoil rates from the flux-moment tables (see spectrum.h).
 *
 * Stage narrative.  For every solar source s and arriving flavour l we need, at any threshold x,
 *   I_{s,l,n}(x) = int_x^Emax f_s(E) P_el(E) E^-n dE,   n = 0, 1, 2,
 * where f_s is the normalised spectral shape (solar.h) and P_el the production-averaged flavour
 * fraction (oscillation.h).  spectrum_init splits each interval of the solar table into `steps`
 * equal steps (f_s is linear on each, P_el and E^-n are smooth), integrates every step with
 * SPECTRUM_GL_ORDER-point Gauss–Legendre and accumulates from the endpoint down, so
 * cumulative[k] = I(node_E[k]).  I(x) for x inside step [E_j, E_j+1) is cumulative[j+1] plus the
 * same Gauss–Legendre rule on [x, E_j+1].  A line source contributes branching x P_el(E_line) x
 * E_line^-n when E_line >= x.
 *
 * A rate is then  N_atoms/tonne x Z_eff(T) x phi_s x sum_n c_n(T) I_n(E_min(T, m4)) x s/yr x
 * MeV/keV, with the cross-section moments c_n of xsec.h: nothing depends on mu, and one (T, m4)
 * point costs a binary search and one Gauss–Legendre sum per continuous source.
 */
#include "physics/spectrum.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <math.h>
#include <stdlib.h>

#include "physics/constants.h"
#include "physics/xsec.h"

/* Flux moments of all flavours at one threshold: m[l][n] = I_{l,n}(x). */
typedef double flux_moments[N_FLAVORS][3];

static int load_gauss_legendre(spectrum *sp, dip_error *err) {
  gsl_integration_glfixed_table *t = gsl_integration_glfixed_table_alloc(SPECTRUM_GL_ORDER);
  if (!t)
    return dip_error_set(err, DIP_ENOMEM, "spectrum: cannot allocate the Gauss-Legendre table");
  for (size_t i = 0; i < SPECTRUM_GL_ORDER; i++)
    if (gsl_integration_glfixed_point(-1.0, 1.0, i, &sp->gl_x[i], &sp->gl_w[i], t) != GSL_SUCCESS) {
      gsl_integration_glfixed_table_free(t);
      return dip_error_set(err, DIP_ENUMERIC, "spectrum: Gauss-Legendre node %zu unavailable", i);
    }
  gsl_integration_glfixed_table_free(t);
  return DIP_SUCCESS;
}

/* Add int_a^b f_s(E) P_el(E) E^-n dE (Gauss–Legendre) to acc[l][n]. */
static void add_step(const spectrum *sp, solar_source_id s, double a, double b, flux_moments acc) {
  double half = 0.5 * (b - a), mid = 0.5 * (a + b);
  for (size_t i = 0; i < SPECTRUM_GL_ORDER; i++) {
    double E = mid + half * sp->gl_x[i], P[N_FLAVORS];
    double w = half * sp->gl_w[i] * solar_shape(sp->sun, s, E), inv_E = 1.0 / E;
    osc_fractions(sp->osc, s, E, P);
    for (int l = 0; l < N_FLAVORS; l++) {
      double wp = w * P[l];
      acc[l][0] += wp;
      acc[l][1] += wp * inv_E;
      acc[l][2] += wp * inv_E * inv_E;
    }
  }
}

static int init_continuous(spectrum *sp, solar_source_id s, size_t steps, dip_error *err) {
  const solar_source *in = &sp->sun->src[s];
  spectrum_source *out = &sp->src[s];
  if (in->n_spec < 2)
    return dip_error_set(err, DIP_EINVAL, "spectrum: source %s has %zu spectrum points (need >= 2)",
                         in->name, in->n_spec);
  out->n_nodes = (in->n_spec - 1) * steps + 1;
  out->node_E = dip_calloc(out->n_nodes, sizeof *out->node_E, err);
  out->cumulative = dip_calloc(out->n_nodes * N_FLAVORS * 3, sizeof *out->cumulative, err);
  if (!out->node_E || !out->cumulative)
    return DIP_ENOMEM;
  for (size_t j = 0; j + 1 < in->n_spec; j++)
    for (size_t k = 0; k < steps; k++)
      out->node_E[j * steps + k] =
          in->spec_E[j] + (in->spec_E[j + 1] - in->spec_E[j]) * (double)k / (double)steps;
  out->node_E[out->n_nodes - 1] = in->spec_E[in->n_spec - 1];
  for (size_t k = out->n_nodes - 1; k-- > 0;) {
    flux_moments step = {{0.0}};
    add_step(sp, s, out->node_E[k], out->node_E[k + 1], step);
    double *here = out->cumulative + k * N_FLAVORS * 3, *above = here + N_FLAVORS * 3;
    for (int i = 0; i < N_FLAVORS * 3; i++)
      here[i] = above[i] + (&step[0][0])[i];
  }
  return DIP_SUCCESS;
}

static void init_lines(spectrum *sp, solar_source_id s) {
  const solar_source *in = &sp->sun->src[s];
  spectrum_source *out = &sp->src[s];
  out->n_lines = in->n_lines;
  for (size_t k = 0; k < in->n_lines; k++) {
    double P[N_FLAVORS];
    osc_fractions(sp->osc, s, in->line_energy[k], P);
    out->line_E[k] = in->line_energy[k];
    for (int l = 0; l < N_FLAVORS; l++)
      out->line_weight[k][l] = in->line_fraction[k] * P[l];
  }
}

int spectrum_init_steps(spectrum *sp, const solar_model *sun, const oscillation *osc,
                        electrons_model el, size_t steps, dip_error *err) {
  *sp = (spectrum){.sun = sun, .osc = osc, .electrons = el};
  if (steps < 1)
    return dip_error_set(err, DIP_EINVAL, "spectrum: need at least one integration step per interval");
  DIP_TRY(load_gauss_legendre(sp, err));
  for (int s = 0; s < SOLAR_N_SOURCES; s++) {
    sp->src[s].flux = sun->src[s].flux;
    if (sun->src[s].n_lines > 0) {
      init_lines(sp, (solar_source_id)s);
    } else {
      int status = init_continuous(sp, (solar_source_id)s, steps, err);
      if (status != DIP_SUCCESS) {
        spectrum_free(sp);
        return status;
      }
    }
  }
  return DIP_SUCCESS;
}

int spectrum_init(spectrum *sp, const solar_model *sun, const oscillation *osc, electrons_model el,
                  dip_error *err) {
  return spectrum_init_steps(sp, sun, osc, el, SPECTRUM_STEPS_DEFAULT, err);
}

void spectrum_free(spectrum *sp) {
  for (int s = 0; s < SOLAR_N_SOURCES; s++) {
    free(sp->src[s].node_E);
    free(sp->src[s].cumulative);
    sp->src[s].node_E = NULL;
    sp->src[s].cumulative = NULL;
    sp->src[s].n_nodes = 0;
  }
}

/* Largest k with node_E[k] <= x, for node_E[0] <= x < node_E[n-1]. */
static size_t find_step(const double *node_E, size_t n, double x) {
  size_t lo = 0, hi = n - 1;
  while (hi - lo > 1) {
    size_t m = lo + (hi - lo) / 2;
    if (node_E[m] <= x)
      lo = m;
    else
      hi = m;
  }
  return lo;
}

/* I_{s,l,n}(x) for all l, n. */
static void flux_moments_above(const spectrum *sp, solar_source_id s, double x, flux_moments m) {
  const spectrum_source *src = &sp->src[s];
  for (int l = 0; l < N_FLAVORS; l++)
    m[l][0] = m[l][1] = m[l][2] = 0.0;
  for (size_t k = 0; k < src->n_lines; k++) {
    if (src->line_E[k] < x)
      continue;
    double inv_E = 1.0 / src->line_E[k];
    for (int l = 0; l < N_FLAVORS; l++) {
      m[l][0] += src->line_weight[k][l];
      m[l][1] += src->line_weight[k][l] * inv_E;
      m[l][2] += src->line_weight[k][l] * inv_E * inv_E;
    }
  }
  if (src->n_nodes == 0 || x >= src->node_E[src->n_nodes - 1])
    return;
  if (x <= src->node_E[0]) { /* the whole spectrum is above threshold */
    for (int i = 0; i < N_FLAVORS * 3; i++)
      (&m[0][0])[i] += src->cumulative[i];
    return;
  }
  size_t j = find_step(src->node_E, src->n_nodes, x);
  const double *above = src->cumulative + (j + 1) * N_FLAVORS * 3;
  for (int i = 0; i < N_FLAVORS * 3; i++)
    (&m[0][0])[i] += above[i];
  add_step(sp, s, x, src->node_E[j + 1], m);
}

/* events/(tonne yr keV) per (cm^2/MeV x normalised flux moment) for source s at recoil T_keV. */
static double rate_factor(const spectrum *sp, solar_source_id s, double T_keV) {
  return electrons_xe_atoms_per_tonne() * electrons_per_atom(sp->electrons, T_keV) *
         sp->src[s].flux * DIP_SECONDS_PER_YEAR / DIP_KEV_PER_MEV;
}

static int check_recoils(size_t n_T, const double *T_keV, dip_error *err) {
  for (size_t i = 0; i < n_T; i++)
    if (!(T_keV[i] > 0.0) || !isfinite(T_keV[i]))
      return dip_error_set(err, DIP_EINVAL, "spectrum: recoil energy T[%zu] = %g keV must be > 0", i,
                           T_keV[i]);
  return DIP_SUCCESS;
}

int spectrum_sm(const spectrum *sp, size_t n_T, const double *T_keV, double *out, dip_error *err) {
  DIP_TRY(check_recoils(n_T, T_keV, err));
  for (size_t i = 0; i < n_T; i++) {
    double T = T_keV[i] / DIP_KEV_PER_MEV, ce[3], cx[3];
    double x = xsec_emin(T, 0.0);
    xsec_sm_moments(T, FLAVOR_E, ce);
    xsec_sm_moments(T, FLAVOR_MU, cx); /* nu_tau scatters like nu_mu */
    for (int s = 0; s < SOLAR_N_SOURCES; s++) {
      flux_moments m;
      flux_moments_above(sp, (solar_source_id)s, x, m);
      double sum = 0.0;
      for (int n = 0; n < 3; n++)
        sum += ce[n] * m[FLAVOR_E][n] + cx[n] * (m[FLAVOR_MU][n] + m[FLAVOR_TAU][n]);
      out[(size_t)s * n_T + i] = rate_factor(sp, (solar_source_id)s, T_keV[i]) * sum;
    }
  }
  return DIP_SUCCESS;
}

int spectrum_signal(const spectrum *sp, double m4_MeV, size_t n_T, const double *T_keV, double *out,
                    dip_error *err) {
  if (!(m4_MeV >= 0.0) || !isfinite(m4_MeV))
    return dip_error_set(err, DIP_EINVAL, "spectrum: sterile mass m4 = %g MeV must be >= 0", m4_MeV);
  DIP_TRY(check_recoils(n_T, T_keV, err));
  for (size_t i = 0; i < n_T; i++) {
    double T = T_keV[i] / DIP_KEV_PER_MEV, c[3];
    double x = xsec_emin(T, m4_MeV);
    xsec_dipole_moments(T, m4_MeV, c);
    for (int s = 0; s < SOLAR_N_SOURCES; s++) {
      flux_moments m;
      flux_moments_above(sp, (solar_source_id)s, x, m);
      double factor = rate_factor(sp, (solar_source_id)s, T_keV[i]);
      for (int l = 0; l < N_FLAVORS; l++)
        out[((size_t)s * N_FLAVORS + l) * n_T + i] =
            factor * (c[0] * m[l][0] + c[1] * m[l][1] + c[2] * m[l][2]);
    }
  }
  return DIP_SUCCESS;
}
