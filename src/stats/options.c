/*
 * options.c — reading and rendering the dipole analysis' configuration sections (options.h).
 *
 * Each section is first checked for unknown keys, then every key present is parsed into
 * analysis_options, whose fields were set to analysis_options_default.  Names are parsed by the
 * owning modules' *_from_name functions and rendered by their *_name functions, so each table of
 * names exists once.
 */
#include "stats/options.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "physics/oscillation.h"
#include "physics/solar.h"
#include "stats/dataset.h"
#include "stats/limit.h"
#include "stats/neyman.h"
#include "util/yamlx.h"

static const unsigned all_sources = (1u << SOLAR_N_SOURCES) - 1u;
static const char *const sections[] = {"physics", "statistics"};

/* ---- one setter for every option (YAML sections and CLI flags alike) ---- */

static int set_sources(analysis_options *opt, const char *value, dip_error *err) {
  if (!strcmp(value, "all")) {
    opt->source_mask = all_sources;
    return DIP_SUCCESS;
  }
  char list[256];
  snprintf(list, sizeof list, "%s", value);
  unsigned mask = 0;
  for (char *save = NULL, *w = strtok_r(list, ", ", &save); w; w = strtok_r(NULL, ", ", &save)) {
    int s = 0;
    DIP_TRY(dip_names_find(&solar_source_names, w, &s, err));
    mask |= 1u << s;
  }
  if (mask == 0)
    return dip_error_set(err, DIP_EINVAL, "sources: expected 'all' or a list of solar sources");
  opt->source_mask = mask;
  return DIP_SUCCESS;
}

static int set_cl(analysis_options *opt, const char *value, dip_error *err) {
  char *end = NULL;
  double cl = strtod(value, &end);
  if (end == value || *end || !(cl > 0.0 && cl < 1.0))
    return dip_error_set(err, DIP_EINVAL, "cl must lie strictly between 0 and 1, got '%s'", value);
  opt->cl = cl;
  return DIP_SUCCESS;
}

/* ---- expected sensitivity: toys (a count), seed (an unsigned 64-bit integer), power_threshold ---- */

static int set_toys(analysis_options *opt, const char *value, dip_error *err) {
  char *end = NULL;
  errno = 0;
  long n = strtol(value, &end, 10);
  if (end == value || *end || errno == ERANGE || n < 1 || n > 100000000)
    return dip_error_set(err, DIP_EINVAL, "toys must be a whole number in [1, 1e8], got '%s'",
                         value);
  opt->n_toys = n;
  return DIP_SUCCESS;
}

static int set_seed(analysis_options *opt, const char *value, dip_error *err) {
  char *end = NULL;
  errno = 0;
  unsigned long long seed = strtoull(value, &end, 10);
  if (end == value || *end || errno == ERANGE || value[0] == '-')
    return dip_error_set(err, DIP_EINVAL,
                         "seed must be a whole number in [0, 2^64 - 1], got '%s'", value);
  opt->seed = (uint64_t)seed;
  return DIP_SUCCESS;
}

static int set_power_threshold(analysis_options *opt, const char *value, dip_error *err) {
  char *end = NULL;
  double p = strtod(value, &end);
  if (end == value || *end || !(p > 0.0 && p < 1.0))
    return dip_error_set(err, DIP_EINVAL,
                         "power_threshold must lie strictly between 0 and 1, got '%s'", value);
  opt->power_threshold = p;
  return DIP_SUCCESS;
}

/* ---- statistics.neyman (stats/neyman.h): neyman.toys and the axis neyman.mu.{from, to, points,
 * spacing}; the combination is checked by neyman_axis once all keys are read ---- */

static const char *const spacing_words[] = {"linear", "log"};
static const dip_names neyman_spacing_names = DIP_NAMES("spacing", spacing_words);

static int set_neyman_toys(analysis_options *opt, const char *value, dip_error *err) {
  char *end = NULL;
  errno = 0;
  long n = strtol(value, &end, 10);
  if (end == value || *end || errno == ERANGE || n < 0 || n > 100000000)
    return dip_error_set(err, DIP_EINVAL,
                         "neyman.toys must be a whole number in [0, 1e8] (0: off), got '%s'", value);
  opt->neyman.n_toys = n;
  return DIP_SUCCESS;
}

static int set_neyman_bound(double *bound, const char *key, const char *value, dip_error *err) {
  char *end = NULL;
  double x = strtod(value, &end);
  if (end == value || *end || !isfinite(x) || x < 0)
    return dip_error_set(err, DIP_EINVAL, "%s must be a finite mu >= 0 [mu_B], got '%s'", key,
                         value);
  *bound = x;
  return DIP_SUCCESS;
}

static int set_neyman_from(analysis_options *opt, const char *value, dip_error *err) {
  return set_neyman_bound(&opt->neyman.from, "neyman.mu.from", value, err);
}

static int set_neyman_to(analysis_options *opt, const char *value, dip_error *err) {
  return set_neyman_bound(&opt->neyman.to, "neyman.mu.to", value, err);
}

static int set_neyman_points(analysis_options *opt, const char *value, dip_error *err) {
  char *end = NULL;
  errno = 0;
  long n = strtol(value, &end, 10);
  if (end == value || *end || errno == ERANGE || n < 2 || n > NEYMAN_MAX_POINTS)
    return dip_error_set(err, DIP_EINVAL, "neyman.mu.points must be a whole number in [2, %d], "
                                          "got '%s'", NEYMAN_MAX_POINTS, value);
  opt->neyman.points = n;
  return DIP_SUCCESS;
}

static int set_neyman_spacing(analysis_options *opt, const char *value, dip_error *err) {
  int v = 0;
  DIP_TRY(dip_names_find(&neyman_spacing_names, value, &v, err));
  opt->neyman.log_spacing = v;
  return DIP_SUCCESS;
}

/* The keys that take a number; NULL for the others. */
static int (*number_setter(const char *key))(analysis_options *, const char *, dip_error *) {
  return !strcmp(key, "cl")                ? set_cl
         : !strcmp(key, "toys")            ? set_toys
         : !strcmp(key, "seed")            ? set_seed
         : !strcmp(key, "power_threshold") ? set_power_threshold
         : !strcmp(key, "neyman.toys")     ? set_neyman_toys
         : !strcmp(key, "neyman.mu.from")  ? set_neyman_from
         : !strcmp(key, "neyman.mu.to")    ? set_neyman_to
         : !strcmp(key, "neyman.mu.points") ? set_neyman_points
         : !strcmp(key, "neyman.mu.spacing") ? set_neyman_spacing
                                           : NULL;
}

int analysis_option_set(analysis_options *opt, const char *key, const char *value,
                        dip_error *err) {
  int v = 0;
  const dip_names *table = !strcmp(key, "electrons")     ? &electrons_names
                           : !strcmp(key, "split")       ? &osc_split_names
                           : !strcmp(key, "solar_model") ? &solar_model_names
                           : !strcmp(key, "data")        ? &data_mode_names
                           : !strcmp(key, "threshold")   ? &threshold_names
                           : !strcmp(key, "day_night")   ? &day_night_names
                           : !strcmp(key, "background")  ? &background_names
                           : !strcmp(key, "expected")    ? &expected_mode_names
                                                         : NULL;
  if (number_setter(key))
    return number_setter(key)(opt, value, err);
  if (!table)
    return !strcmp(key, "sources") ? set_sources(opt, value, err)
                                   : dip_error_set(err, DIP_EINVAL, "unknown option '%s'", key);
  DIP_TRY(dip_names_find(table, value, &v, err));
  if (table == &electrons_names)
    opt->electrons = (electrons_model)v;
  else if (table == &osc_split_names)
    opt->split = v;
  else if (table == &solar_model_names)
    opt->metallicity = v;
  else if (table == &data_mode_names)
    opt->data = (data_mode)v;
  else if (table == &day_night_names)
    opt->day_night = v;
  else if (table == &background_names)
    opt->background = (background_mode)v;
  else if (table == &expected_mode_names)
    opt->expected = (expected_mode)v;
  else
    opt->threshold = (threshold_kind)v;
  return DIP_SUCCESS;
}

/* ---- the YAML sections ---- */

/* key of section from node: a scalar (a list for sources), set through analysis_option_set; the
 * setter's message gets the node's FILE:LINE:COL in front. */
static int read_key(analysis_options *opt, const yamlx_doc *doc, const yamlx_node *section,
                    const char *section_name, const char *key, const char *option,
                    dip_error *err) {
  const yamlx_node *v = yamlx_get(section, key);
  if (!v)
    return DIP_SUCCESS;
  char what[64], value[256] = "";
  snprintf(what, sizeof what, "%s.%s", section_name, key);
  if (!strcmp(key, "cl") || !strcmp(key, "power_threshold")) {
    double x; /* typed: "'cl' expects a finite number" */
    DIP_TRY(yamlx_to_double(doc, v, key, &x, err));
  }
  if (!strcmp(key, "sources") && v->kind == YAMLX_SEQUENCE) {
    for (size_t i = 0; i < v->n; i++) {
      const char *item = NULL;
      DIP_TRY(yamlx_to_string(doc, v->items[i], what, &item, err));
      size_t used = strlen(value);
      snprintf(value + used, sizeof value - used, "%s%s", i ? "," : "", item);
    }
    if (v->n == 0)
      return yamlx_error(doc, v, err, "'%s' expects 'all' or a list of solar sources", what);
  } else {
    const char *text = NULL;
    DIP_TRY(yamlx_to_string(doc, v, what, &text, err));
    snprintf(value, sizeof value, "%s", text);
  }
  if (analysis_option_set(opt, option, value, err) != DIP_SUCCESS) {
    char msg[DIP_ERROR_MSG_LEN];
    snprintf(msg, sizeof msg, "%s: %s", what, err ? err->msg : "invalid value");
    return yamlx_error(doc, v, err, "%s", msg);
  }
  return DIP_SUCCESS;
}

/* statistics.neyman: {toys, mu: {from, to, points, spacing}}, every scalar through
 * analysis_option_set ("neyman.toys", "neyman.mu.from", ...), then the axis checked as a whole
 * (the message at the neyman node). */
static int read_neyman(analysis_options *opt, const yamlx_doc *doc, const yamlx_node *node,
                       dip_error *err) {
  static const char *const keys[] = {"toys", "mu"};
  static const char *const mu_keys[] = {"from", "to", "points", "spacing"};
  DIP_TRY(yamlx_check_keys(doc, node, "statistics.neyman", keys, 2, err));
  DIP_TRY(read_key(opt, doc, node, "statistics.neyman", "toys", "neyman.toys", err));
  const yamlx_node *mu = yamlx_get(node, "mu");
  if (mu) {
    DIP_TRY(yamlx_check_keys(doc, mu, "statistics.neyman.mu", mu_keys, 4, err));
    for (size_t i = 0; i < 4; i++) {
      char key[32];
      snprintf(key, sizeof key, "neyman.mu.%s", mu_keys[i]);
      DIP_TRY(read_key(opt, doc, mu, "statistics.neyman.mu", mu_keys[i], key, err));
    }
  }
  double axis[NEYMAN_MAX_POINTS];
  size_t n;
  if (neyman_axis(&opt->neyman, axis, &n, err) != DIP_SUCCESS) {
    char msg[DIP_ERROR_MSG_LEN];
    snprintf(msg, sizeof msg, "statistics.%s", err ? err->msg : "neyman: invalid axis");
    return yamlx_error(doc, mu ? mu : node, err, "%s", msg);
  }
  return DIP_SUCCESS;
}

static const char *const physics_keys[] = {"electrons", "split",     "solar_model",
                                           "sources",   "day_night", "background"};
static const char *const statistics_keys[] = {"data", "cl",   "threshold",       "expected",
                                              "toys", "seed", "power_threshold", "neyman"};

static int read_keys(analysis_options *opt, const yamlx_doc *doc, const yamlx_node *node,
                     const char *section, const char *const *keys, size_t n, dip_error *err) {
  DIP_TRY(yamlx_check_keys(doc, node, section, keys, n, err));
  for (size_t i = 0; i < n; i++) {
    const yamlx_node *v = yamlx_get(node, keys[i]);
    if (!strcmp(keys[i], "neyman")) /* the one nested key */
      DIP_TRY(v ? read_neyman(opt, doc, v, err) : DIP_SUCCESS);
    else
      DIP_TRY(read_key(opt, doc, node, section, keys[i], keys[i], err));
  }
  return DIP_SUCCESS;
}

static int read_section(void *options, const yamlx_doc *doc, const char *section,
                        const yamlx_node *node, dip_error *err) {
  if (!strcmp(section, "physics"))
    return read_keys(options, doc, node, section, physics_keys,
                     sizeof physics_keys / sizeof *physics_keys, err);
  return read_keys(options, doc, node, section, statistics_keys,
                   sizeof statistics_keys / sizeof *statistics_keys, err);
}

static void render_sources(config_text *out, unsigned mask) {
  if (mask == all_sources) {
    config_text_printf(out, "physics.sources: all\n");
    return;
  }
  config_text_printf(out, "physics.sources: [");
  int first = 1;
  for (int s = 0; s < SOLAR_N_SOURCES; s++)
    if (mask & (1u << s)) {
      config_text_printf(out, "%s%s", first ? "" : ", ", solar_source_name((solar_source_id)s));
      first = 0;
    }
  config_text_printf(out, "]\n");
}

/* Only when on: a scan without statistics.neyman keeps the canonical text (and hash) it had. */
static void render_neyman(config_text *out, const neyman_spec *n) {
  if (n->n_toys == 0)
    return;
  config_text_printf(out, "statistics.neyman.toys: %ld\nstatistics.neyman.mu.from: ", n->n_toys);
  config_text_double(out, n->from);
  config_text_printf(out, "\nstatistics.neyman.mu.to: ");
  config_text_double(out, n->to);
  config_text_printf(out, "\nstatistics.neyman.mu.points: %ld\nstatistics.neyman.mu.spacing: %s\n",
                     n->points, dip_names_get(&neyman_spacing_names, n->log_spacing));
}

static void render(const void *options, config_text *out) {
  const analysis_options *opt = options;
  config_text_printf(out, "physics.electrons: %s\nphysics.split: %s\nphysics.solar_model: %s\n",
                     electrons_name(opt->electrons), osc_split_name((osc_split)opt->split),
                     solar_metallicity_name((solar_metallicity)opt->metallicity));
  render_sources(out, opt->source_mask);
  config_text_printf(out, "physics.day_night: %s\nphysics.background: %s\n",
                     dip_names_get(&day_night_names, opt->day_night),
                     dip_names_get(&background_names, opt->background));
  config_text_printf(out, "statistics.data: %s\nstatistics.cl: ", data_mode_name(opt->data));
  config_text_double(out, opt->cl);
  config_text_printf(out, "\nstatistics.threshold: %s\n", threshold_name(opt->threshold));
  config_text_printf(out, "statistics.expected: %s\nstatistics.toys: %ld\nstatistics.seed: %llu\n"
                          "statistics.power_threshold: ",
                     expected_mode_name(opt->expected), opt->n_toys,
                     (unsigned long long)opt->seed);
  config_text_double(out, opt->power_threshold);
  config_text_printf(out, "\n");
  render_neyman(out, &opt->neyman);
}

static const char *model_coupling_name(size_t c) { return coupling_name((dip_coupling)c); }

static void set_defaults(void *options) { analysis_options_default(options); }

void options_config_model(config_model *model, analysis_options *opt) {
  memset(model, 0, sizeof *model);
  model->n_couplings = N_COUPLINGS;
  model->coupling_name = model_coupling_name;
  model->sections = sections;
  model->n_sections = sizeof sections / sizeof *sections;
  model->options = opt;
  model->set_defaults = set_defaults;
  model->read_section = read_section;
  model->render = render;
}
