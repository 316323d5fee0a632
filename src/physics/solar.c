/*
 * solar.c — the eight B16 solar-neutrino sources (see solar.h).
 *
 * solar_init reads the project's data files under DATA_DIR/solar/ with the strict YAML reader:
 *   fluxes_b16.yaml          total fluxes and fractional 1-sigma for both metallicities,
 *   lines.yaml               7Be and pep line energies and branchings,
 *   spectrum_<source>.yaml   normalised dN/dE of pp, hep, 8B, 13N, 15O, 17F,
 *   profile_b16_<m>.yaml     production densities per unit r/R_sun and log10 n_e for the metallicity.
 * (all derived from the public tables by tools/derive_solar.py; each file has a provenance block).
 * Every number is validated on the way in — energies and radii strictly increasing, densities
 * non-negative, shapes and profiles integrating to 1 with the trapezoidal rule (the integral of the
 * linear interpolation solar_shape uses), branchings summing to 1 — and a violation is reported
 * as FILE:LINE:COL of the offending value.  solar_init leaves no partial state behind on failure.
 */
#include "physics/solar.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/yamlx.h"

/* Tolerance on the normalisation of shapes and production profiles (the files are normalised to
 * ~1e-8; 1e-4 catches a corrupted or truncated table). */
#define SOLAR_NORM_TOL 1.0e-4
/* Tolerance on the sum of line branchings. */
#define SOLAR_BRANCHING_TOL 1.0e-9
/* Data files read: fluxes, lines, six spectra, one profile. */
#define SOLAR_N_FILES 9

static const char *const source_names[SOLAR_N_SOURCES] = {"pp",  "pep", "hep", "7Be",
                                                          "8B",  "13N", "15O", "17F"};
static const char *const metallicity_names[] = {"b16-gs98", "b16-agss09met"};
static const char *const profile_files[] = {"profile_b16_gs98.yaml", "profile_b16_agss09met.yaml"};
static const char *const provenance_keys[] = {"source",     "repository",      "commit", "blob",
                                              "citation",   "derivation",      "choice",
                                              "renormalisation"};

/* Running list of the per-file hashes; their hash is the model checksum. */
typedef struct file_hashes {
  char hex[SOLAR_N_FILES * 16 + 1];
  size_t n;
} file_hashes;

static int is_line_source(solar_source_id s) { return s == SOLAR_PEP || s == SOLAR_BE7; }

static double trapezoid(const double *x, const double *y, size_t n) {
  double sum = 0.0;
  for (size_t i = 0; i + 1 < n; i++)
    sum += 0.5 * (x[i + 1] - x[i]) * (y[i + 1] + y[i]);
  return sum;
}

/* Load DIR/solar/NAME, record its hash, check the top-level keys and the provenance block. */
static int load_data_file(yamlx_doc *doc, const char *data_dir, const char *name,
                          const char *const *allowed, size_t n_allowed, file_hashes *hashes,
                          dip_error *err) {
  char path[4096];
  snprintf(path, sizeof path, "%s/solar/%s", data_dir, name);
  DIP_TRY(yamlx_load_file(doc, path, err));
  if (hashes->n < SOLAR_N_FILES) {
    dip_hash_hex(doc->text, doc->text_len, hashes->hex + 16 * hashes->n);
    hashes->n++;
  }
  const yamlx_node *prov;
  int status = yamlx_check_keys(doc, doc->root, name, allowed, n_allowed, err);
  if (status == DIP_SUCCESS)
    status = yamlx_require(doc, doc->root, "provenance", &prov, err);
  if (status == DIP_SUCCESS)
    status = yamlx_check_keys(doc, prov, "provenance", provenance_keys,
                              sizeof provenance_keys / sizeof *provenance_keys, err);
  const yamlx_node *unused;
  if (status == DIP_SUCCESS)
    status = yamlx_require(doc, prov, "source", &unused, err);
  if (status == DIP_SUCCESS)
    status = yamlx_require(doc, prov, "citation", &unused, err);
  if (status != DIP_SUCCESS)
    yamlx_free(doc);
  return status;
}

/* values[] (read from the sequence `seq`) must increase strictly. */
static int check_increasing(const yamlx_doc *doc, const yamlx_node *seq, const double *values,
                            size_t n, const char *what, dip_error *err) {
  for (size_t i = 1; i < n; i++)
    if (!(values[i] > values[i - 1]))
      return yamlx_error(doc, seq->items[i], err,
                         "'%s' must increase strictly: item %zu (%g) follows %g", what, i,
                         values[i], values[i - 1]);
  return DIP_SUCCESS;
}

static int check_non_negative(const yamlx_doc *doc, const yamlx_node *seq, const double *values,
                              size_t n, const char *what, dip_error *err) {
  for (size_t i = 0; i < n; i++)
    if (values[i] < 0.0)
      return yamlx_error(doc, seq->items[i], err, "'%s' item %zu is negative (%g)", what, i,
                         values[i]);
  return DIP_SUCCESS;
}

static int check_normalised(const yamlx_doc *doc, const yamlx_node *seq, const double *x,
                            const double *y, size_t n, const char *what, dip_error *err) {
  double integral = trapezoid(x, y, n);
  if (!(fabs(integral - 1.0) <= SOLAR_NORM_TOL))
    return yamlx_error(doc, seq, err,
                       "'%s' must integrate to 1 (trapezoidal rule), integrates to %.8g", what,
                       integral);
  return DIP_SUCCESS;
}

/* A sequence of n_expected non-negative numbers, normalised over x. */
static int read_density(const yamlx_doc *doc, const yamlx_node *seq, const char *what,
                        const double *x, size_t n_expected, double **out, dip_error *err) {
  size_t n;
  DIP_TRY(yamlx_to_double_array(doc, seq, what, out, &n, err));
  int status = DIP_SUCCESS;
  if (n != n_expected)
    status = yamlx_error(doc, seq, err, "'%s' has %zu values, expected %zu (one per grid point)",
                         what, n, n_expected);
  if (status == DIP_SUCCESS)
    status = check_non_negative(doc, seq, *out, n, what, err);
  if (status == DIP_SUCCESS)
    status = check_normalised(doc, seq, x, *out, n, what, err);
  if (status != DIP_SUCCESS) {
    free(*out);
    *out = NULL;
  }
  return status;
}

static int read_flux_entry(const yamlx_doc *doc, const yamlx_node *model, solar_source *src,
                           dip_error *err) {
  static const char *const keys[] = {"flux", "sigma_rel"};
  const yamlx_node *entry;
  DIP_TRY(yamlx_require(doc, model, src->name, &entry, err));
  DIP_TRY(yamlx_check_keys(doc, entry, src->name, keys, 2, err));
  DIP_TRY(yamlx_req_double(doc, entry, "flux", &src->flux, err));
  DIP_TRY(yamlx_req_double(doc, entry, "sigma_rel", &src->sigma_rel, err));
  if (!(src->flux > 0.0))
    return yamlx_error(doc, yamlx_get(entry, "flux"), err, "flux of %s must be positive",
                       src->name);
  if (!(src->sigma_rel > 0.0 && src->sigma_rel < 1.0))
    return yamlx_error(doc, yamlx_get(entry, "sigma_rel"), err,
                       "sigma_rel of %s must lie in (0, 1), got %g", src->name, src->sigma_rel);
  return DIP_SUCCESS;
}

static int parse_fluxes(const yamlx_doc *doc, solar_model *sun, dip_error *err) {
  const yamlx_node *models, *model;
  DIP_TRY(yamlx_require(doc, doc->root, "models", &models, err));
  DIP_TRY(yamlx_check_keys(doc, models, "models", metallicity_names, 2, err));
  DIP_TRY(yamlx_require(doc, models, metallicity_names[sun->metallicity], &model, err));
  DIP_TRY(yamlx_check_keys(doc, model, metallicity_names[sun->metallicity], source_names,
                           SOLAR_N_SOURCES, err));
  for (int s = 0; s < SOLAR_N_SOURCES; s++)
    DIP_TRY(read_flux_entry(doc, model, &sun->src[s], err));
  return DIP_SUCCESS;
}

static int read_fluxes(solar_model *sun, const char *data_dir, file_hashes *hashes,
                       dip_error *err) {
  static const char *const keys[] = {"provenance", "models"};
  yamlx_doc doc;
  DIP_TRY(load_data_file(&doc, data_dir, "fluxes_b16.yaml", keys, 2, hashes, err));
  int status = parse_fluxes(&doc, sun, err);
  yamlx_free(&doc);
  return status;
}

static int parse_line_source(const yamlx_doc *doc, solar_source *src, dip_error *err) {
  static const char *const keys[] = {"energy_MeV", "fraction"};
  const yamlx_node *entry, *e_node, *f_node;
  DIP_TRY(yamlx_require(doc, doc->root, src->name, &entry, err));
  DIP_TRY(yamlx_check_keys(doc, entry, src->name, keys, 2, err));
  DIP_TRY(yamlx_require(doc, entry, "energy_MeV", &e_node, err));
  DIP_TRY(yamlx_require(doc, entry, "fraction", &f_node, err));
  DIP_TRY(yamlx_expect_kind(doc, e_node, YAMLX_SEQUENCE, "energy_MeV", err));
  DIP_TRY(yamlx_expect_kind(doc, f_node, YAMLX_SEQUENCE, "fraction", err));
  if (e_node->n < 1 || e_node->n > SOLAR_MAX_LINES || f_node->n != e_node->n)
    return yamlx_error(doc, entry, err,
                       "%s needs 1 to %d line energies and as many fractions (got %zu and %zu)",
                       src->name, SOLAR_MAX_LINES, e_node->n, f_node->n);
  double sum = 0.0;
  src->n_lines = e_node->n;
  src->E_max = 0.0;
  for (size_t i = 0; i < src->n_lines; i++) {
    DIP_TRY(yamlx_to_double(doc, e_node->items[i], "energy_MeV", &src->line_energy[i], err));
    DIP_TRY(yamlx_to_double(doc, f_node->items[i], "fraction", &src->line_fraction[i], err));
    if (!(src->line_energy[i] > 0.0))
      return yamlx_error(doc, e_node->items[i], err, "line energy must be positive");
    if (!(src->line_fraction[i] > 0.0 && src->line_fraction[i] <= 1.0))
      return yamlx_error(doc, f_node->items[i], err, "line fraction must lie in (0, 1]");
    sum += src->line_fraction[i];
    src->E_max = fmax(src->E_max, src->line_energy[i]);
  }
  if (!(fabs(sum - 1.0) <= SOLAR_BRANCHING_TOL))
    return yamlx_error(doc, f_node, err, "line fractions of %s sum to %.12g, not 1", src->name,
                       sum);
  return DIP_SUCCESS;
}

static int read_lines(solar_model *sun, const char *data_dir, file_hashes *hashes,
                      dip_error *err) {
  static const char *const keys[] = {"provenance", "7Be", "pep"};
  yamlx_doc doc;
  DIP_TRY(load_data_file(&doc, data_dir, "lines.yaml", keys, 3, hashes, err));
  int status = parse_line_source(&doc, &sun->src[SOLAR_BE7], err);
  if (status == DIP_SUCCESS)
    status = parse_line_source(&doc, &sun->src[SOLAR_PEP], err);
  yamlx_free(&doc);
  return status;
}

static int parse_spectrum(const yamlx_doc *doc, solar_source *src, dip_error *err) {
  const yamlx_node *name_node, *e_node, *y_node;
  const char *name;
  DIP_TRY(yamlx_require(doc, doc->root, "source", &name_node, err));
  DIP_TRY(yamlx_to_string(doc, name_node, "source", &name, err));
  if (strcmp(name, src->name))
    return yamlx_error(doc, name_node, err, "file holds source '%s', expected '%s'", name,
                       src->name);
  DIP_TRY(yamlx_require(doc, doc->root, "energy_MeV", &e_node, err));
  DIP_TRY(yamlx_to_double_array(doc, e_node, "energy_MeV", &src->spec_E, &src->n_spec, err));
  if (src->n_spec < 2)
    return yamlx_error(doc, e_node, err, "'energy_MeV' needs at least 2 points");
  DIP_TRY(check_increasing(doc, e_node, src->spec_E, src->n_spec, "energy_MeV", err));
  DIP_TRY(check_non_negative(doc, e_node, src->spec_E, src->n_spec, "energy_MeV", err));
  DIP_TRY(yamlx_require(doc, doc->root, "dNdE_per_MeV", &y_node, err));
  DIP_TRY(read_density(doc, y_node, "dNdE_per_MeV", src->spec_E, src->n_spec, &src->spec_dNdE,
                       err));
  src->E_max = src->spec_E[src->n_spec - 1];
  return DIP_SUCCESS;
}

static int read_spectrum(solar_source *src, const char *data_dir, file_hashes *hashes,
                         dip_error *err) {
  static const char *const keys[] = {"provenance", "source", "energy_MeV", "dNdE_per_MeV"};
  char name[64];
  snprintf(name, sizeof name, "spectrum_%s.yaml", src->name);
  yamlx_doc doc;
  DIP_TRY(load_data_file(&doc, data_dir, name, keys, 4, hashes, err));
  int status = parse_spectrum(&doc, src, err);
  yamlx_free(&doc);
  return status;
}

static int parse_profile(const yamlx_doc *doc, solar_model *sun, dip_error *err) {
  const yamlx_node *r_node, *ne_node, *prod;
  size_t n_ne;
  DIP_TRY(yamlx_require(doc, doc->root, "r_over_rsun", &r_node, err));
  DIP_TRY(yamlx_to_double_array(doc, r_node, "r_over_rsun", &sun->r, &sun->n_r, err));
  if (sun->n_r < 2)
    return yamlx_error(doc, r_node, err, "'r_over_rsun' needs at least 2 points");
  DIP_TRY(check_increasing(doc, r_node, sun->r, sun->n_r, "r_over_rsun", err));
  if (!(sun->r[0] >= 0.0 && sun->r[sun->n_r - 1] <= 1.0))
    return yamlx_error(doc, r_node, err, "'r_over_rsun' must lie within [0, 1]");
  DIP_TRY(yamlx_require(doc, doc->root, "log10_ne", &ne_node, err));
  DIP_TRY(yamlx_to_double_array(doc, ne_node, "log10_ne", &sun->log10_ne, &n_ne, err));
  if (n_ne != sun->n_r)
    return yamlx_error(doc, ne_node, err, "'log10_ne' has %zu values, expected %zu", n_ne,
                       sun->n_r);
  DIP_TRY(yamlx_require(doc, doc->root, "production", &prod, err));
  DIP_TRY(yamlx_check_keys(doc, prod, "production", source_names, SOLAR_N_SOURCES, err));
  for (int s = 0; s < SOLAR_N_SOURCES; s++) {
    const yamlx_node *col;
    DIP_TRY(yamlx_require(doc, prod, source_names[s], &col, err));
    DIP_TRY(read_density(doc, col, source_names[s], sun->r, sun->n_r, &sun->src[s].production,
                         err));
  }
  return DIP_SUCCESS;
}

static int read_profile(solar_model *sun, const char *data_dir, file_hashes *hashes,
                        dip_error *err) {
  static const char *const keys[] = {"provenance", "r_over_rsun", "log10_ne", "production"};
  yamlx_doc doc;
  DIP_TRY(load_data_file(&doc, data_dir, profile_files[sun->metallicity], keys, 4, hashes, err));
  int status = parse_profile(&doc, sun, err);
  yamlx_free(&doc);
  return status;
}

static int read_all(solar_model *sun, const char *data_dir, file_hashes *hashes,
                    dip_error *err) {
  DIP_TRY(read_fluxes(sun, data_dir, hashes, err));
  DIP_TRY(read_lines(sun, data_dir, hashes, err));
  for (int s = 0; s < SOLAR_N_SOURCES; s++)
    if (!is_line_source((solar_source_id)s))
      DIP_TRY(read_spectrum(&sun->src[s], data_dir, hashes, err));
  return read_profile(sun, data_dir, hashes, err);
}

int solar_init(solar_model *sun, const char *data_dir, solar_metallicity metallicity,
               dip_error *err) {
  memset(sun, 0, sizeof *sun);
  if (metallicity != SOLAR_B16_GS98 && metallicity != SOLAR_B16_AGSS09MET)
    return dip_error_set(err, DIP_EINVAL, "solar: unknown metallicity %d", (int)metallicity);
  sun->metallicity = metallicity;
  for (int s = 0; s < SOLAR_N_SOURCES; s++)
    sun->src[s].name = source_names[s];
  file_hashes hashes = {.n = 0};
  int status = read_all(sun, data_dir, &hashes, err);
  if (status != DIP_SUCCESS) {
    solar_free(sun);
    return dip_error_prefix(err, "solar model %s", metallicity_names[metallicity]);
  }
  dip_hash_hex(hashes.hex, 16 * hashes.n, sun->checksum);
  return DIP_SUCCESS;
}

void solar_free(solar_model *sun) {
  if (!sun)
    return;
  for (int s = 0; s < SOLAR_N_SOURCES; s++) {
    free(sun->src[s].spec_E);
    free(sun->src[s].spec_dNdE);
    free(sun->src[s].production);
  }
  free(sun->r);
  free(sun->log10_ne);
  memset(sun, 0, sizeof *sun);
}

double solar_shape(const solar_model *sun, solar_source_id s, double E) {
  const solar_source *src = &sun->src[s];
  if (src->n_spec < 2 || !(E >= src->spec_E[0] && E <= src->spec_E[src->n_spec - 1]))
    return 0.0;
  size_t lo = 0, hi = src->n_spec - 1; /* invariant: spec_E[lo] <= E <= spec_E[hi] */
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (src->spec_E[mid] <= E)
      lo = mid;
    else
      hi = mid;
  }
  double t = (E - src->spec_E[lo]) / (src->spec_E[hi] - src->spec_E[lo]);
  return (1.0 - t) * src->spec_dNdE[lo] + t * src->spec_dNdE[hi];
}

const dip_names solar_model_names = DIP_NAMES("solar model", metallicity_names);
const dip_names solar_source_names = DIP_NAMES("solar source", source_names);

const char *solar_metallicity_name(solar_metallicity m) {
  return dip_names_get(&solar_model_names, m);
}

const char *solar_source_name(solar_source_id s) { return dip_names_get(&solar_source_names, s); }
