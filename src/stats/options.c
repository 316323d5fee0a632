/*
 * options.c — reading and rendering the dipole analysis' configuration sections (options.h).
 *
 * Each section is first checked for unknown keys, then every key present is parsed into
 * analysis_options, whose fields were set to analysis_options_default.  Names are parsed by the
 * owning modules' *_from_name functions and rendered by their *_name functions, so each table of
 * names exists once.
 */
#include "stats/options.h"

#include <stdio.h>
#include <string.h>

#include "physics/oscillation.h"
#include "physics/solar.h"
#include "util/yamlx.h"

static const unsigned all_sources = (1u << SOLAR_N_SOURCES) - 1u;
static const char *const sections[] = {"physics", "statistics"};

/* Re-issue a name parser's message with the node's position in front. */
static int located(const yamlx_doc *doc, const yamlx_node *node, dip_error *err) {
  char msg[DIP_ERROR_MSG_LEN];
  snprintf(msg, sizeof msg, "%s", err ? err->msg : "invalid value");
  return yamlx_error(doc, node, err, "%s", msg);
}

#define NAMED(parse, node, out)                            \
  do {                                                     \
    if ((parse)((node)->scalar, (out), err) != DIP_SUCCESS) \
      return located(doc, (node), err);                    \
  } while (0)

static int read_sources(const yamlx_doc *doc, const yamlx_node *node, unsigned *mask,
                        dip_error *err) {
  if (node->kind == YAMLX_SCALAR && !strcmp(node->scalar, "all")) {
    *mask = all_sources;
    return DIP_SUCCESS;
  }
  const char *names[SOLAR_N_SOURCES];
  for (int s = 0; s < SOLAR_N_SOURCES; s++)
    names[s] = solar_source_name((solar_source_id)s);
  if (node->kind != YAMLX_SEQUENCE || node->n == 0) {
    char list[256];
    dip_join(names, SOLAR_N_SOURCES, list, sizeof list);
    return yamlx_error(doc, node, err, "'physics.sources' expects 'all' or a list of %s", list);
  }
  *mask = 0;
  for (size_t i = 0; i < node->n; i++) {
    int s = 0;
    DIP_TRY(yamlx_to_enum(doc, node->items[i], "physics.sources", names, SOLAR_N_SOURCES, &s,
                          err));
    *mask |= 1u << s;
  }
  return DIP_SUCCESS;
}

static int read_physics(analysis_options *opt, const yamlx_doc *doc, const yamlx_node *node,
                        dip_error *err) {
  static const char *const keys[] = {"electrons", "split", "solar_model", "sources"};
  DIP_TRY(yamlx_check_keys(doc, node, "physics", keys, 4, err));
  const yamlx_node *v;
  const char *s = NULL;
  if ((v = yamlx_get(node, "electrons"))) {
    DIP_TRY(yamlx_to_string(doc, v, "physics.electrons", &s, err));
    NAMED(electrons_from_name, v, &opt->electrons);
  }
  if ((v = yamlx_get(node, "split"))) {
    osc_split split;
    DIP_TRY(yamlx_to_string(doc, v, "physics.split", &s, err));
    NAMED(osc_split_from_name, v, &split);
    opt->split = (int)split;
  }
  if ((v = yamlx_get(node, "solar_model"))) {
    solar_metallicity met;
    DIP_TRY(yamlx_to_string(doc, v, "physics.solar_model", &s, err));
    NAMED(solar_metallicity_from_name, v, &met);
    opt->metallicity = (int)met;
  }
  if ((v = yamlx_get(node, "sources")))
    DIP_TRY(read_sources(doc, v, &opt->source_mask, err));
  return DIP_SUCCESS;
}

static int read_statistics(analysis_options *opt, const yamlx_doc *doc, const yamlx_node *node,
                           dip_error *err) {
  static const char *const keys[] = {"data", "cl", "threshold"};
  DIP_TRY(yamlx_check_keys(doc, node, "statistics", keys, 3, err));
  const yamlx_node *v;
  const char *s = NULL;
  if ((v = yamlx_get(node, "data"))) {
    DIP_TRY(yamlx_to_string(doc, v, "statistics.data", &s, err));
    NAMED(data_mode_from_name, v, &opt->data);
  }
  if ((v = yamlx_get(node, "threshold"))) {
    DIP_TRY(yamlx_to_string(doc, v, "statistics.threshold", &s, err));
    NAMED(threshold_from_name, v, &opt->threshold);
  }
  DIP_TRY(yamlx_opt_double(doc, node, "cl", &opt->cl, err));
  if (!(opt->cl > 0.0 && opt->cl < 1.0))
    return yamlx_error(doc, yamlx_get(node, "cl"), err,
                       "'statistics.cl' must lie strictly between 0 and 1, got %g", opt->cl);
  return DIP_SUCCESS;
}

static int read_section(void *options, const yamlx_doc *doc, const char *section,
                        const yamlx_node *node, dip_error *err) {
  if (!strcmp(section, "physics"))
    return read_physics(options, doc, node, err);
  return read_statistics(options, doc, node, err);
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

static void render(const void *options, config_text *out) {
  const analysis_options *opt = options;
  config_text_printf(out, "physics.electrons: %s\nphysics.split: %s\nphysics.solar_model: %s\n",
                     electrons_name(opt->electrons), osc_split_name((osc_split)opt->split),
                     solar_metallicity_name((solar_metallicity)opt->metallicity));
  render_sources(out, opt->source_mask);
  config_text_printf(out, "statistics.data: %s\nstatistics.cl: ", data_mode_name(opt->data));
  config_text_double(out, opt->cl);
  config_text_printf(out, "\nstatistics.threshold: %s\n", threshold_name(opt->threshold));
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
