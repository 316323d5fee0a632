/*
 * card.c — load and validate experiment cards (see card.h and data/experiments/TEMPLATE.yaml).
 *
 * The reader walks the YAML tree top-down.  Each mapping is first checked against the list of keys
 * its schema allows (so a typo is an error), then every key is converted with a yamlx helper that
 * reports FILE:LINE:COL and what was expected.  Checks that need several keys (array lengths
 * against the number of bins, range edges) point at the offending node.  Nothing in the schema is
 * defaulted silently except the optional ones documented in TEMPLATE.yaml (range_keV: all bins;
 * resolution b: 0; sm_solar_nu: none).
 */
#include "detector/card.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/yamlx.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const char *const TARGET_NAMES[] = {"xenon"};
static const char *const RES_MODEL_NAMES[] = {"sqrt_linear", "fractional", "polynomial"};
static const char *const INTERPOLATION_NAMES[] = {"linear"};

/* Parsing context: the document, the card being filled and the error sink. */
typedef struct parser {
  const yamlx_doc *doc;
  card *c;
  dip_error *err;
} parser;

/* ---------------------------------------------------------------- small validators */

static int check_name(const parser *p, const yamlx_node *node, const char *name) {
  if (!*name)
    return yamlx_error(p->doc, node, p->err, "'name' must not be empty");
  for (const char *s = name; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
          *s == '_' || *s == '-' || *s == '.'))
      return yamlx_error(p->doc, node, p->err,
                         "'name' may contain only letters, digits, '_', '-' and '.', got '%s'", name);
  return DIP_SUCCESS;
}

/* Strictly increasing, non-negative array. */
static int check_increasing(const parser *p, const yamlx_node *node, const char *what,
                            const double *x, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (x[i] < 0.0)
      return yamlx_error(p->doc, node->items[i], p->err, "'%s' must be >= 0, got %g", what, x[i]);
    if (i > 0 && !(x[i] > x[i - 1]))
      return yamlx_error(p->doc, node->items[i], p->err,
                         "'%s' must be strictly increasing, but item %zu (%g) follows %g", what, i,
                         x[i], x[i - 1]);
  }
  return DIP_SUCCESS;
}

static int check_in_range(const parser *p, const yamlx_node *node, const char *what,
                          const double *x, size_t n, double lo, double hi) {
  for (size_t i = 0; i < n; i++) {
    if (x[i] >= lo && x[i] <= hi)
      continue;
    if (isinf(hi))
      return yamlx_error(p->doc, node->items[i], p->err, "'%s' item %zu must be >= %g, got %g", what,
                         i, lo, x[i]);
    return yamlx_error(p->doc, node->items[i], p->err, "'%s' item %zu must lie in [%g, %g], got %g",
                       what, i, lo, hi, x[i]);
  }
  return DIP_SUCCESS;
}

/* Required array under `key` with exactly n items (`per` says why), or n == 0: any length >= 2. */
static int read_array(const parser *p, const yamlx_node *map, const char *key, size_t n,
                      const char *per, double **out, size_t *len, const yamlx_node **node_out) {
  const yamlx_node *node;
  DIP_TRY(yamlx_require(p->doc, map, key, &node, p->err));
  DIP_TRY(yamlx_to_double_array(p->doc, node, key, out, len, p->err));
  *node_out = node;
  if (n && *len != n)
    return yamlx_error(p->doc, node, p->err, "'%s' has %zu items, expected %zu (%s)", key, *len,
                       n, per);
  if (!n && *len < 2)
    return yamlx_error(p->doc, node, p->err, "'%s' needs at least 2 items, got %zu", key, *len);
  return DIP_SUCCESS;
}

/* Per-bin event counts: n_bins non-negative numbers. */
static int read_counts(const parser *p, const yamlx_node *map, const char *key, size_t n_bins,
                       double **out) {
  size_t len;
  const yamlx_node *node;
  DIP_TRY(read_array(p, map, key, n_bins, "one per bin", out, &len, &node));
  return check_in_range(p, node, key, *out, len, 0.0, INFINITY);
}

/* [lo, hi] pair with lo < hi. */
static int read_window(const parser *p, const yamlx_node *node, const char *what, double w[2]) {
  double *v;
  size_t n;
  DIP_TRY(yamlx_to_double_array(p->doc, node, what, &v, &n, p->err));
  int ok = n == 2 && v[0] < v[1];
  if (ok) {
    w[0] = v[0];
    w[1] = v[1];
  }
  free(v);
  if (!ok)
    return yamlx_error(p->doc, node, p->err, "'%s' expects [lo, hi] with lo < hi", what);
  return DIP_SUCCESS;
}

/* provenance: {source, derivation, digitised[, note]} — required on every table. */
static int read_provenance(const parser *p, const yamlx_node *map, const char *context) {
  static const char *const keys[] = {"source", "derivation", "digitised", "note"};
  const yamlx_node *node = yamlx_get(map, "provenance");
  if (!node)
    return yamlx_error(p->doc, map, p->err, "missing required key 'provenance' in %s", context);
  char where[128];
  snprintf(where, sizeof where, "%s provenance", context);
  DIP_TRY(yamlx_check_keys(p->doc, node, where, keys, ARRAY_LEN(keys), p->err));
  const char *s;
  DIP_TRY(yamlx_req_string(p->doc, node, "source", &s, p->err));
  DIP_TRY(yamlx_req_string(p->doc, node, "derivation", &s, p->err));
  DIP_TRY(yamlx_opt_string(p->doc, node, "note", &s, p->err));
  const yamlx_node *dig;
  DIP_TRY(yamlx_require(p->doc, node, "digitised", &dig, p->err));
  int digitised;
  DIP_TRY(yamlx_to_bool(p->doc, dig, "digitised", &digitised, p->err));
  p->c->has_digitised |= digitised;
  return DIP_SUCCESS;
}

static int copy_string(const parser *p, const yamlx_node *map, const char *key, int required,
                       char **out) {
  const char *s = NULL;
  if (required)
    DIP_TRY(yamlx_req_string(p->doc, map, key, &s, p->err));
  else
    DIP_TRY(yamlx_opt_string(p->doc, map, key, &s, p->err));
  if (s && !(*out = dip_strdup(s, p->err)))
    return DIP_ENOMEM;
  return DIP_SUCCESS;
}

/* ---------------------------------------------------------------- sections */

static int read_exposure(const parser *p, const yamlx_node *root) {
  static const char *const keys[] = {"t_yr", "to_check", "provenance"};
  const yamlx_node *node;
  DIP_TRY(yamlx_require(p->doc, root, "exposure", &node, p->err));
  DIP_TRY(yamlx_check_keys(p->doc, node, "exposure", keys, ARRAY_LEN(keys), p->err));
  DIP_TRY(yamlx_req_double(p->doc, node, "t_yr", &p->c->exposure_t_yr, p->err));
  if (!(p->c->exposure_t_yr > 0.0))
    return yamlx_error(p->doc, yamlx_get(node, "t_yr"), p->err, "'t_yr' must be > 0, got %g",
                       p->c->exposure_t_yr);
  DIP_TRY(yamlx_opt_bool(p->doc, node, "to_check", &p->c->exposure_to_check, p->err));
  return read_provenance(p, node, "exposure");
}

static int read_bins(const parser *p, const yamlx_node *root) {
  static const char *const keys[] = {"edges_keV"};
  const yamlx_node *node, *edges;
  size_t n;
  DIP_TRY(yamlx_require(p->doc, root, "bins", &node, p->err));
  DIP_TRY(yamlx_check_keys(p->doc, node, "bins", keys, ARRAY_LEN(keys), p->err));
  DIP_TRY(read_array(p, node, "edges_keV", 0, NULL, &p->c->edges, &n, &edges));
  DIP_TRY(check_increasing(p, edges, "edges_keV", p->c->edges, n));
  p->c->n_bins = n - 1;
  return DIP_SUCCESS;
}

static int read_observed(const parser *p, const yamlx_node *root) {
  static const char *const keys[] = {"counts", "provenance"};
  const yamlx_node *node;
  DIP_TRY(yamlx_require(p->doc, root, "observed", &node, p->err));
  DIP_TRY(yamlx_check_keys(p->doc, node, "observed", keys, ARRAY_LEN(keys), p->err));
  DIP_TRY(read_counts(p, node, "counts", p->c->n_bins, &p->c->observed));
  return read_provenance(p, node, "observed");
}

/* sigma_rel: a number >= 0, or the word `free`. */
static int read_sigma_rel(const parser *p, const yamlx_node *map, double *out) {
  const yamlx_node *node;
  DIP_TRY(yamlx_require(p->doc, map, "sigma_rel", &node, p->err));
  if (node->kind == YAMLX_SCALAR && !node->quoted && !strcmp(node->scalar, "free")) {
    *out = INFINITY;
    return DIP_SUCCESS;
  }
  if (node->kind != YAMLX_SCALAR || yamlx_to_double(p->doc, node, "sigma_rel", out, p->err))
    return yamlx_error(p->doc, node, p->err,
                       "'sigma_rel' expects a relative uncertainty >= 0 or the word 'free'");
  if (*out < 0.0)
    return yamlx_error(p->doc, node, p->err, "'sigma_rel' must be >= 0 (or 'free'), got %g", *out);
  return DIP_SUCCESS;
}

static int read_background(const parser *p, const yamlx_node *node, card_background *b) {
  static const char *const keys[] = {"name", "counts", "sigma_rel", "includes_sm", "provenance"};
  DIP_TRY(yamlx_check_keys(p->doc, node, "background component", keys, ARRAY_LEN(keys), p->err));
  DIP_TRY(copy_string(p, node, "name", 1, &b->name));
  DIP_TRY(read_counts(p, node, "counts", p->c->n_bins, &b->counts));
  DIP_TRY(read_sigma_rel(p, node, &b->sigma_rel));
  const yamlx_node *sm;
  DIP_TRY(yamlx_require(p->doc, node, "includes_sm", &sm, p->err));
  DIP_TRY(yamlx_to_bool(p->doc, sm, "includes_sm", &b->includes_sm, p->err));
  return read_provenance(p, node, "background");
}

static int read_backgrounds(const parser *p, const yamlx_node *root) {
  const yamlx_node *node;
  DIP_TRY(yamlx_require(p->doc, root, "backgrounds", &node, p->err));
  DIP_TRY(yamlx_expect_kind(p->doc, node, YAMLX_SEQUENCE, "backgrounds", p->err));
  if (node->n == 0)
    return yamlx_error(p->doc, node, p->err, "'backgrounds' needs at least one component");
  if (!(p->c->bkg = dip_calloc(node->n, sizeof *p->c->bkg, p->err)))
    return DIP_ENOMEM;
  p->c->n_bkg = node->n;
  for (size_t i = 0; i < node->n; i++)
    DIP_TRY(read_background(p, node->items[i], &p->c->bkg[i]));
  return DIP_SUCCESS;
}

static int read_sm_quoted(const parser *p, const yamlx_node *root) {
  static const char *const keys[] = {"events", "sigma", "window_keV", "provenance"};
  const yamlx_node *node = yamlx_get(root, "sm_solar_nu"), *window;
  if (!node)
    return DIP_SUCCESS;
  DIP_TRY(yamlx_check_keys(p->doc, node, "sm_solar_nu", keys, ARRAY_LEN(keys), p->err));
  DIP_TRY(yamlx_req_double(p->doc, node, "events", &p->c->sm_quoted_events, p->err));
  DIP_TRY(yamlx_opt_double(p->doc, node, "sigma", &p->c->sm_quoted_sigma, p->err));
  if (p->c->sm_quoted_events < 0.0 || p->c->sm_quoted_sigma < 0.0)
    return yamlx_error(p->doc, node, p->err, "'events' and 'sigma' must be >= 0");
  DIP_TRY(yamlx_require(p->doc, node, "window_keV", &window, p->err));
  DIP_TRY(read_window(p, window, "window_keV", p->c->sm_quoted_window));
  return read_provenance(p, node, "sm_solar_nu");
}

static int read_efficiency(const parser *p, const yamlx_node *root) {
  static const char *const keys[] = {"interpolation", "energy_keV", "value", "provenance"};
  const yamlx_node *node, *interp, *energy, *value;
  size_t n;
  int kind;
  DIP_TRY(yamlx_require(p->doc, root, "efficiency", &node, p->err));
  DIP_TRY(yamlx_check_keys(p->doc, node, "efficiency", keys, ARRAY_LEN(keys), p->err));
  DIP_TRY(yamlx_require(p->doc, node, "interpolation", &interp, p->err));
  DIP_TRY(yamlx_to_enum(p->doc, interp, "interpolation", INTERPOLATION_NAMES,
                        ARRAY_LEN(INTERPOLATION_NAMES), &kind, p->err));
  DIP_TRY(read_array(p, node, "energy_keV", 0, NULL, &p->c->eff_E, &p->c->n_eff, &energy));
  DIP_TRY(check_increasing(p, energy, "energy_keV", p->c->eff_E, p->c->n_eff));
  DIP_TRY(read_array(p, node, "value", p->c->n_eff, "one per energy_keV point", &p->c->eff, &n,
                     &value));
  DIP_TRY(check_in_range(p, value, "value", p->c->eff, n, 0.0, 1.0));
  return read_provenance(p, node, "efficiency");
}

/* a [, b] of the sqrt/fractional forms, or the polynomial coefficients. */
static int read_resolution_coefficients(const parser *p, const yamlx_node *node) {
  card *c = p->c;
  if (c->res_model == CARD_RES_POLYNOMIAL) {
    const yamlx_node *coef;
    if (yamlx_get(node, "a") || yamlx_get(node, "b"))
      return yamlx_error(p->doc, node, p->err,
                         "resolution model 'polynomial' takes 'coefficients', not 'a'/'b'");
    DIP_TRY(yamlx_require(p->doc, node, "coefficients", &coef, p->err));
    DIP_TRY(yamlx_to_double_array(p->doc, coef, "coefficients", &c->res_coef, &c->n_res_coef, p->err));
    if (c->n_res_coef == 0)
      return yamlx_error(p->doc, coef, p->err, "'coefficients' needs at least one item");
    return DIP_SUCCESS;
  }
  if (yamlx_get(node, "coefficients"))
    return yamlx_error(p->doc, node, p->err, "resolution model '%s' takes 'a' and 'b', not 'coefficients'",
                       RES_MODEL_NAMES[c->res_model]);
  if (!(c->res_coef = dip_calloc(2, sizeof *c->res_coef, p->err)))
    return DIP_ENOMEM;
  c->n_res_coef = 2;
  DIP_TRY(yamlx_req_double(p->doc, node, "a", &c->res_coef[0], p->err));
  DIP_TRY(yamlx_opt_double(p->doc, node, "b", &c->res_coef[1], p->err));
  if (c->res_coef[0] < 0.0 || c->res_coef[1] < 0.0 || c->res_coef[0] + c->res_coef[1] <= 0.0)
    return yamlx_error(p->doc, node, p->err, "resolution 'a' and 'b' must be >= 0, not both zero");
  return DIP_SUCCESS;
}

static int read_resolution(const parser *p, const yamlx_node *root) {
  static const char *const keys[] = {"model", "a", "b", "coefficients", "provenance"};
  const yamlx_node *node, *model;
  int m;
  DIP_TRY(yamlx_require(p->doc, root, "resolution", &node, p->err));
  DIP_TRY(yamlx_check_keys(p->doc, node, "resolution", keys, ARRAY_LEN(keys), p->err));
  DIP_TRY(yamlx_require(p->doc, node, "model", &model, p->err));
  DIP_TRY(yamlx_to_enum(p->doc, model, "model", RES_MODEL_NAMES, ARRAY_LEN(RES_MODEL_NAMES), &m,
                        p->err));
  p->c->res_model = (card_resolution_model)m;
  DIP_TRY(read_resolution_coefficients(p, node));
  for (size_t i = 0; i <= p->c->n_bins; i++)
    if (!(card_resolution_sigma(p->c, p->c->edges[i]) > 0.0) && p->c->edges[i] > 0.0)
      return yamlx_error(p->doc, node, p->err, "resolution sigma must be > 0 at every bin edge, got %g at %g keV",
                         card_resolution_sigma(p->c, p->c->edges[i]), p->c->edges[i]);
  return read_provenance(p, node, "resolution");
}

/* site: {name, latitude_deg} — optional; where the detector is, for the day–night average
 * (docs/physics.md §3.4). */
static int read_site(const parser *p, const yamlx_node *root) {
  static const char *const keys[] = {"name", "latitude_deg"};
  const yamlx_node *node = yamlx_get(root, "site");
  if (!node)
    return DIP_SUCCESS;
  DIP_TRY(yamlx_check_keys(p->doc, node, "site", keys, ARRAY_LEN(keys), p->err));
  DIP_TRY(copy_string(p, node, "name", 1, &p->c->site_name));
  DIP_TRY(yamlx_req_double(p->doc, node, "latitude_deg", &p->c->site_latitude_deg, p->err));
  if (!(fabs(p->c->site_latitude_deg) < 90.0))
    return yamlx_error(p->doc, yamlx_get(node, "latitude_deg"), p->err,
                       "'latitude_deg' must lie strictly between -90 and 90, got %g",
                       p->c->site_latitude_deg);
  return DIP_SUCCESS;
}

static int read_range(const parser *p, const yamlx_node *root) {
  const yamlx_node *node = yamlx_get(root, "range_keV");
  double w[2] = {0.0, 0.0};
  if (!node)
    return DIP_SUCCESS;
  DIP_TRY(read_window(p, node, "range_keV", w));
  if (card_select_range(p->c, w[0], w[1], p->err) != DIP_SUCCESS)
    return yamlx_error(p->doc, node, p->err, "%s", p->err->msg);
  return DIP_SUCCESS;
}

static int read_card(const parser *p) {
  static const char *const keys[] = {"name",     "title",       "citation",   "target",
                                     "exposure", "bins",        "range_keV",  "observed",
                                     "backgrounds", "sm_solar_nu", "efficiency", "resolution",
                                     "notes",    "site"};
  const yamlx_doc *doc = p->doc;
  const yamlx_node *root = doc->root, *node;
  int target;
  const char *notes;
  DIP_TRY(yamlx_check_keys(doc, root, "experiment card", keys, ARRAY_LEN(keys), p->err));
  DIP_TRY(copy_string(p, root, "name", 1, &p->c->name));
  DIP_TRY(check_name(p, yamlx_get(root, "name"), p->c->name));
  DIP_TRY(copy_string(p, root, "title", 0, &p->c->title));
  DIP_TRY(copy_string(p, root, "citation", 1, &p->c->citation));
  DIP_TRY(yamlx_opt_string(doc, root, "notes", &notes, p->err));
  DIP_TRY(yamlx_require(doc, root, "target", &node, p->err));
  /* The physics models xenon only (electrons, atoms per tonne): any other target is refused. */
  DIP_TRY(yamlx_to_enum(doc, node, "target", TARGET_NAMES, ARRAY_LEN(TARGET_NAMES), &target, p->err));
  DIP_TRY(read_site(p, root));
  DIP_TRY(read_exposure(p, root));
  DIP_TRY(read_bins(p, root));
  DIP_TRY(read_observed(p, root));
  DIP_TRY(read_backgrounds(p, root));
  DIP_TRY(read_sm_quoted(p, root));
  DIP_TRY(read_efficiency(p, root));
  DIP_TRY(read_resolution(p, root));
  return read_range(p, root);
}

/* ---------------------------------------------------------------- public API */

static int resolve_path(const char *name_or_path, const char *data_dir, char *out, size_t n,
                        dip_error *err) {
  size_t len = strlen(name_or_path);
  int is_path = strchr(name_or_path, '/') || (len > 5 && !strcmp(name_or_path + len - 5, ".yaml"));
  if (is_path) {
    snprintf(out, n, "%s", name_or_path);
    return DIP_SUCCESS;
  }
  if (!data_dir)
    return dip_error_set(err, DIP_EINVAL, "card '%s': a card name needs a data directory", name_or_path);
  snprintf(out, n, "%s/experiments/%s.yaml", data_dir, name_or_path);
  return DIP_SUCCESS;
}

int card_load(card *c, const char *name_or_path, const char *data_dir, dip_error *err) {
  memset(c, 0, sizeof *c);
  c->sm_quoted_events = c->sm_quoted_sigma = NAN;
  c->sm_quoted_window[0] = c->sm_quoted_window[1] = NAN;
  c->site_latitude_deg = NAN;
  char path[4096];
  DIP_TRY(resolve_path(name_or_path, data_dir, path, sizeof path, err));
  yamlx_doc doc;
  int status = yamlx_load_file(&doc, path, err);
  if (status != DIP_SUCCESS)
    return status;
  dip_hash_hex(doc.text, doc.text_len, c->checksum);
  parser p = {&doc, c, err};
  status = doc.root ? read_card(&p)
                    : yamlx_error(&doc, NULL, err, "empty experiment card (expected a mapping)");
  if (status == DIP_SUCCESS && !(c->path = dip_strdup(path, err)))
    status = DIP_ENOMEM;
  yamlx_free(&doc);
  if (status != DIP_SUCCESS)
    card_free(c);
  return status;
}

void card_free(card *c) {
  if (!c)
    return;
  for (size_t i = 0; i < c->n_bkg; i++) {
    free(c->bkg[i].name);
    free(c->bkg[i].counts);
  }
  free(c->bkg);
  free(c->name);
  free(c->path);
  free(c->citation);
  free(c->title);
  free(c->site_name);
  free(c->edges);
  free(c->observed);
  free(c->eff_E);
  free(c->eff);
  free(c->res_coef);
  memset(c, 0, sizeof *c);
}

/* Index of the edge equal to E (to 1e-9 relative), or -1. */
static long find_edge(const card *c, double E) {
  for (size_t i = 0; i <= c->n_bins; i++)
    if (fabs(c->edges[i] - E) <= 1e-9 * fmax(1.0, fabs(E)))
      return (long)i;
  return -1;
}

int card_select_range(card *c, double lo, double hi, dip_error *err) {
  long i0 = find_edge(c, lo), i1 = find_edge(c, hi);
  if (i0 < 0 || i1 < 0 || i1 <= i0)
    return dip_error_set(err, DIP_EINVAL,
                         "analysis range [%g, %g] keV must run between two bin edges of [%g, %g] keV",
                         lo, hi, c->edges[0], c->edges[c->n_bins]);
  size_t first = (size_t)i0, n = (size_t)(i1 - i0);
  memmove(c->edges, c->edges + first, (n + 1) * sizeof *c->edges);
  memmove(c->observed, c->observed + first, n * sizeof *c->observed);
  for (size_t b = 0; b < c->n_bkg; b++)
    memmove(c->bkg[b].counts, c->bkg[b].counts + first, n * sizeof *c->bkg[b].counts);
  c->n_bins = n;
  return DIP_SUCCESS;
}

double card_efficiency(const card *c, double E) {
  const double *x = c->eff_E, *y = c->eff;
  size_t n = c->n_eff;
  if (E <= x[0])
    return y[0];
  if (E >= x[n - 1])
    return y[n - 1];
  size_t lo = 0, hi = n - 1; /* x[lo] < E < x[hi] */
  while (hi - lo > 1) {
    size_t mid = (lo + hi) / 2;
    if (x[mid] <= E)
      lo = mid;
    else
      hi = mid;
  }
  return y[lo] + (y[hi] - y[lo]) * (E - x[lo]) / (x[hi] - x[lo]);
}

double card_resolution_sigma(const card *c, double T) {
  if (!(T > 0.0))
    return 0.0;
  const double *k = c->res_coef;
  switch (c->res_model) {
  case CARD_RES_SQRT_LINEAR:
  case CARD_RES_FRACTIONAL: /* E (a/sqrt(E) + b) == a sqrt(E) + b E */
    return k[0] * sqrt(T) + k[1] * T;
  case CARD_RES_POLYNOMIAL: {
    double s = 0.0;
    for (size_t i = c->n_res_coef; i-- > 0;)
      s = s * T + k[i];
    return s;
  }
  default:
    return NAN;
  }
}

double card_total_observed(const card *c) {
  double s = 0.0;
  for (size_t k = 0; k < c->n_bins; k++)
    s += c->observed[k];
  return s;
}

double card_total_background(const card *c) {
  double s = 0.0;
  for (size_t b = 0; b < c->n_bkg; b++)
    for (size_t k = 0; k < c->n_bins; k++)
      s += c->bkg[b].counts[k];
  return s;
}
