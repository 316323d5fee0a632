/*
 * config.c — reading a scan configuration and rendering its resolved, canonical form (config.h).
 *
 * Reading goes top-down through the schema: each mapping is first checked for unknown keys
 * (yamlx_check_keys), then every known key is pulled into the struct, whose fields were first set
 * to their defaults.  Axes are either {from, to, points, spacing: log|linear} or {values: [...]}
 * and must come out strictly increasing.  The model's sections (config_model) are handed to its
 * read_section callback and rendered by its render callback, right after the axes.  After reading,
 * the canonical text is rendered with shortest round-trip number formatting and hashed (FNV-1a,
 * common.h).
 */
#include "engine/config.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util/yamlx.h"

/* ---- a growable text buffer for the canonical rendering ---- */

void config_text_printf(config_text *tb, const char *fmt, ...) {
  if (tb->failed)
    return;
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int need = vsnprintf(tb->s ? tb->s + tb->len : NULL, tb->s ? tb->cap - tb->len : 0, fmt, ap);
    va_end(ap);
    if (need < 0) {
      tb->failed = 1;
      return;
    }
    if (tb->s && tb->len + (size_t)need < tb->cap) {
      tb->len += (size_t)need;
      return;
    }
    size_t cap = (tb->cap ? tb->cap : 256) * 2 + (size_t)need;
    char *bigger = realloc(tb->s, cap);
    if (!bigger) {
      tb->failed = 1;
      return;
    }
    tb->s = bigger;
    tb->cap = cap;
  }
}

/* Shortest of %.15g/%.16g/%.17g that reads back to the same double. */
static void format_double(double x, char out[32]) {
  for (int digits = 15; digits <= 17; digits++) {
    snprintf(out, 32, "%.*g", digits, x);
    if (strtod(out, NULL) == x)
      return;
  }
}

void config_text_double(config_text *tb, double x) {
  char s[32];
  format_double(x, s);
  config_text_printf(tb, "%s", s);
}

/* ---- defaults ---- */

static int set_defaults(scan_config *cfg, const config_model *model, dip_error *err) {
  char *base_dir = cfg->base_dir;
  memset(cfg, 0, sizeof *cfg);
  cfg->base_dir = base_dir;
  cfg->model = model;
  model->set_defaults(model->options);
  cfg->progress_seconds = 5.0;
  cfg->experiments = dip_calloc(1, sizeof *cfg->experiments, err);
  cfg->couplings = dip_calloc(model->n_couplings ? model->n_couplings : 1, sizeof *cfg->couplings,
                              err);
  if (!cfg->experiments || !cfg->couplings)
    return DIP_ENOMEM;
  cfg->experiments[0] = dip_strdup("xenonnt_sr0", err);
  if (!cfg->experiments[0])
    return DIP_ENOMEM;
  cfg->n_experiments = 1;
  for (size_t c = 0; c < model->n_couplings; c++)
    cfg->couplings[c] = c;
  cfg->n_couplings = model->n_couplings;
  return DIP_SUCCESS;
}

/* ---- axes ---- */

typedef struct axis_spec {
  int is_list;
  double from, to;
  long points;
  int log_spacing;
} axis_spec;

static int fill_axis(const axis_spec *spec, double **values, size_t *n, dip_error *err) {
  double *v = dip_calloc((size_t)spec->points, sizeof *v, err);
  if (!v)
    return DIP_ENOMEM;
  size_t np = (size_t)spec->points;
  for (size_t i = 0; i < np; i++) {
    double t = np == 1 ? 0.0 : (double)i / (double)(np - 1);
    v[i] = spec->log_spacing ? exp(log(spec->from) + t * (log(spec->to) - log(spec->from)))
                             : spec->from + t * (spec->to - spec->from);
  }
  v[0] = spec->from; /* exact end points, whatever the rounding inside */
  v[np - 1] = spec->to;
  free(*values);
  *values = v;
  *n = np;
  return DIP_SUCCESS;
}

static int read_axis(const yamlx_doc *doc, const yamlx_node *node, const char *key, double lowest,
                     axis_spec *spec, double **values, size_t *n, dip_error *err) {
  static const char *const keys[] = {"from", "to", "points", "spacing", "values"};
  DIP_TRY(yamlx_check_keys(doc, node, key, keys, 5, err));
  const yamlx_node *list = yamlx_get(node, "values");
  if (list) {
    if (yamlx_get(node, "from") || yamlx_get(node, "to") || yamlx_get(node, "points") ||
        yamlx_get(node, "spacing"))
      return yamlx_error(doc, node, err, "'%s': give either 'values' or from/to/points/spacing", key);
    double *v = NULL;
    size_t nv = 0;
    DIP_TRY(yamlx_to_double_array(doc, list, key, &v, &nv, err));
    int bad = nv == 0;
    for (size_t i = 0; i < nv && !bad; i++)
      bad = v[i] < lowest || (i > 0 && !(v[i] > v[i - 1]));
    if (bad) {
      free(v);
      return yamlx_error(doc, list, err,
                         "'%s.values' must be a non-empty, strictly increasing list of values >= %g",
                         key, lowest);
    }
    free(*values);
    *values = v;
    *n = nv;
    spec->is_list = 1;
    return DIP_SUCCESS;
  }
  spec->is_list = 0;
  DIP_TRY(yamlx_opt_double(doc, node, "from", &spec->from, err));
  DIP_TRY(yamlx_opt_double(doc, node, "to", &spec->to, err));
  DIP_TRY(yamlx_opt_long(doc, node, "points", &spec->points, err));
  const yamlx_node *sp = yamlx_get(node, "spacing");
  if (sp) {
    static const char *const spacings[] = {"linear", "log"};
    int which = 0;
    DIP_TRY(yamlx_to_enum(doc, sp, "spacing", spacings, 2, &which, err));
    spec->log_spacing = which == 1;
  }
  if (spec->points < 1 || spec->points > 1000000)
    return yamlx_error(doc, node, err, "'%s.points' must be in 1..1000000, got %ld", key,
                       spec->points);
  if (spec->from < lowest || (spec->log_spacing && spec->from <= 0.0))
    return yamlx_error(doc, node, err, "'%s.from' must be %s %g", key,
                       spec->log_spacing ? ">" : ">=", spec->log_spacing ? 0.0 : lowest);
  if (spec->points == 1 ? spec->to != spec->from : !(spec->to > spec->from))
    return yamlx_error(doc, node, err, "'%s.to' must be %s 'from'", key,
                       spec->points == 1 ? "equal to" : "greater than");
  DIP_TRY(fill_axis(spec, values, n, err));
  for (size_t i = 1; i < *n; i++)
    if (!((*values)[i] > (*values)[i - 1]))
      return yamlx_error(doc, node, err,
                         "'%s': %ld points from %.17g to %.17g are not distinct in double precision "
                         "(duplicate axis values)", key, spec->points, spec->from, spec->to);
  return DIP_SUCCESS;
}

/* ---- sections ---- */

static int read_string_list(const yamlx_doc *doc, const yamlx_node *node, const char *what,
                            char ***out, size_t *n, dip_error *err) {
  DIP_TRY(yamlx_expect_kind(doc, node, YAMLX_SEQUENCE, what, err));
  if (node->n == 0)
    return yamlx_error(doc, node, err, "'%s' must not be empty", what);
  char **list = dip_calloc(node->n, sizeof *list, err);
  if (!list)
    return DIP_ENOMEM;
  int status = DIP_SUCCESS;
  for (size_t i = 0; i < node->n && status == DIP_SUCCESS; i++) {
    const char *s = NULL;
    status = yamlx_to_string(doc, node->items[i], what, &s, err);
    if (status == DIP_SUCCESS && !(list[i] = dip_strdup(s, err)))
      status = DIP_ENOMEM;
  }
  if (status != DIP_SUCCESS) {
    for (size_t i = 0; i < node->n; i++)
      free(list[i]);
    free(list);
    return status;
  }
  *out = list;
  *n = node->n;
  return DIP_SUCCESS;
}

static void free_string_list(char **list, size_t n) {
  for (size_t i = 0; list && i < n; i++)
    free(list[i]);
  free(list);
}

static int read_experiments(const yamlx_doc *doc, const yamlx_node *node, scan_config *cfg,
                            dip_error *err) {
  char **list = NULL;
  size_t n = 0;
  DIP_TRY(read_string_list(doc, node, "experiments", &list, &n, err));
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < i; j++)
      if (!strcmp(list[i], list[j])) {
        free_string_list(list, n);
        return yamlx_error(doc, node->items[i], err, "experiment '%s' is listed twice",
                           node->items[i]->scalar);
      }
  free_string_list(cfg->experiments, cfg->n_experiments);
  cfg->experiments = list;
  cfg->n_experiments = n;
  return DIP_SUCCESS;
}

static int find_experiment(const scan_config *cfg, const char *name, size_t *idx) {
  for (size_t i = 0; i < cfg->n_experiments; i++)
    if (!strcmp(cfg->experiments[i], name)) {
      *idx = i;
      return 1;
    }
  return 0;
}

static int read_joint(const yamlx_doc *doc, const yamlx_node *node, scan_config *cfg,
                      dip_error *err) {
  DIP_TRY(yamlx_expect_kind(doc, node, YAMLX_SEQUENCE, "joint", err));
  cfg->joint = dip_calloc(node->n, sizeof *cfg->joint, err);
  if (!cfg->joint)
    return DIP_ENOMEM;
  for (size_t j = 0; j < node->n; j++) {
    const yamlx_node *set = node->items[j];
    DIP_TRY(yamlx_expect_kind(doc, set, YAMLX_SEQUENCE, "joint fit", err));
    if (set->n < 2)
      return yamlx_error(doc, set, err, "a joint fit needs at least two experiments");
    scan_joint *jt = &cfg->joint[cfg->n_joint++];
    if (!(jt->cards = dip_calloc(set->n, sizeof *jt->cards, err)))
      return DIP_ENOMEM;
    for (size_t k = 0; k < set->n; k++) {
      const char *name = NULL;
      DIP_TRY(yamlx_to_string(doc, set->items[k], "joint", &name, err));
      size_t idx = 0;
      if (!find_experiment(cfg, name, &idx))
        return yamlx_error(doc, set->items[k], err,
                           "joint fit member '%s' is not in 'experiments'", name);
      for (size_t q = 0; q < jt->n; q++)
        if (jt->cards[q] == idx)
          return yamlx_error(doc, set->items[k], err, "'%s' appears twice in a joint fit", name);
      jt->cards[jt->n++] = idx;
    }
  }
  return DIP_SUCCESS;
}

/* The model's coupling names as "a, b, c" into out[n]. */
static void coupling_list(const config_model *model, char *out, size_t n) {
  const char *names[64];
  size_t k = model->n_couplings < 64 ? model->n_couplings : 64;
  for (size_t c = 0; c < k; c++)
    names[c] = model->coupling_name(c);
  dip_join(names, k, out, n);
}

static int find_coupling(const config_model *model, const char *name, size_t *out) {
  for (size_t c = 0; c < model->n_couplings; c++)
    if (!strcmp(name, model->coupling_name(c))) {
      *out = c;
      return 1;
    }
  return 0;
}

/* `couplings:` (or its alias `flavors:`, named `key`): 1 to n_couplings distinct model names. */
static int read_couplings(const yamlx_doc *doc, const yamlx_node *node, const char *key,
                          scan_config *cfg, dip_error *err) {
  const config_model *model = cfg->model;
  char allowed[512];
  coupling_list(model, allowed, sizeof allowed);
  DIP_TRY(yamlx_expect_kind(doc, node, YAMLX_SEQUENCE, key, err));
  if (node->n == 0 || node->n > model->n_couplings)
    return yamlx_error(doc, node, err, "'%s' must list 1 to %zu of %s", key, model->n_couplings,
                       allowed);
  cfg->n_couplings = 0;
  for (size_t i = 0; i < node->n; i++) {
    const char *name = NULL;
    size_t c = 0;
    DIP_TRY(yamlx_to_string(doc, node->items[i], key, &name, err));
    if (!find_coupling(model, name, &c))
      return yamlx_error(doc, node->items[i], err, "unknown coupling '%s' (allowed: %s)", name,
                         allowed);
    for (size_t k = 0; k < cfg->n_couplings; k++)
      if (cfg->couplings[k] == c)
        return yamlx_error(doc, node->items[i], err, "coupling '%s' is listed twice", name);
    cfg->couplings[cfg->n_couplings++] = c;
  }
  return DIP_SUCCESS;
}

static int read_run(const yamlx_doc *doc, const yamlx_node *node, scan_config *cfg,
                    dip_error *err) {
  static const char *const keys[] = {"batch", "progress_seconds"};
  DIP_TRY(yamlx_check_keys(doc, node, "run", keys, 2, err));
  DIP_TRY(yamlx_opt_long(doc, node, "batch", &cfg->batch, err));
  DIP_TRY(yamlx_opt_double(doc, node, "progress_seconds", &cfg->progress_seconds, err));
  if (cfg->batch < 0)
    return yamlx_error(doc, yamlx_get(node, "batch"), err, "'run.batch' must be >= 0 (0 = auto)");
  if (!(cfg->progress_seconds >= 1.0))
    return yamlx_error(doc, yamlx_get(node, "progress_seconds"), err,
                       "'run.progress_seconds' must be >= 1");
  return DIP_SUCCESS;
}

static int default_name(scan_config *cfg, const char *path, dip_error *err) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  size_t len = strcspn(base, ".");
  char *name = dip_calloc(len + 1, 1, err);
  if (!name)
    return DIP_ENOMEM;
  memcpy(name, base, len);
  cfg->name = name;
  return DIP_SUCCESS;
}

/* Allowed top-level keys: the engine's, with the model's sections before "run". */
static int check_top_keys(const yamlx_doc *doc, const config_model *model, dip_error *err) {
  static const char *const engine_keys[] = {"name",      "output", "experiments", "joint",
                                            "couplings", "flavors", "m4",         "mu"};
  const char *keys[32];
  size_t n = 0;
  for (size_t i = 0; i < sizeof engine_keys / sizeof *engine_keys; i++)
    keys[n++] = engine_keys[i];
  for (size_t i = 0; i < model->n_sections && n < 31; i++)
    keys[n++] = model->sections[i];
  keys[n++] = "run";
  return yamlx_check_keys(doc, doc->root, "scan configuration", keys, n, err);
}

static int read_model_sections(const yamlx_doc *doc, const config_model *model, dip_error *err) {
  for (size_t i = 0; i < model->n_sections; i++) {
    const yamlx_node *v = yamlx_get(doc->root, model->sections[i]);
    if (v)
      DIP_TRY(model->read_section(model->options, doc, model->sections[i], v, err));
  }
  return DIP_SUCCESS;
}

static int read_document(const yamlx_doc *doc, scan_config *cfg, dip_error *err) {
  const yamlx_node *root = doc->root;
  if (!root)
    return DIP_SUCCESS; /* an empty file is the all-defaults configuration */
  DIP_TRY(check_top_keys(doc, cfg->model, err));
  const char *s = NULL;
  const yamlx_node *v, *alias = yamlx_get(root, "flavors");
  if ((v = yamlx_get(root, "name"))) {
    DIP_TRY(yamlx_to_string(doc, v, "name", &s, err));
    free(cfg->name);
    if (!(cfg->name = dip_strdup(s, err)))
      return DIP_ENOMEM;
  }
  if ((v = yamlx_get(root, "output"))) {
    DIP_TRY(yamlx_to_string(doc, v, "output", &s, err));
    DIP_TRY(config_set_output(cfg, s, err));
  }
  if ((v = yamlx_get(root, "experiments")))
    DIP_TRY(read_experiments(doc, v, cfg, err));
  if ((v = yamlx_get(root, "joint")))
    DIP_TRY(read_joint(doc, v, cfg, err));
  if ((v = yamlx_get(root, "couplings")) && alias)
    return yamlx_error(doc, alias, err,
                       "give either 'couplings' or its alias 'flavors', not both");
  if (v || (v = alias))
    DIP_TRY(read_couplings(doc, v, v == alias ? "flavors" : "couplings", cfg, err));
  DIP_TRY(read_model_sections(doc, cfg->model, err));
  if ((v = yamlx_get(root, "run")))
    DIP_TRY(read_run(doc, v, cfg, err));
  return DIP_SUCCESS;
}

/* Default axes (MeV, mu_B): m4 as the reference analysis' figures; mu wide enough for the limits and
 * bands of every shipped card from m4 = 1 keV to the end of their reach (scans/README.md). */
static const axis_spec default_m4 = {0, 0.001, 0.6, 120, 1};
static const axis_spec default_mu = {0, 1.0e-13, 1.0e-1, 600, 1};

/* ---- canonical rendering ---- */

static void render_axis(config_text *tb, const char *key, const axis_spec *spec, const double *v,
                        size_t n) {
  if (spec->is_list) {
    config_text_printf(tb, "%s.values: [", key);
    for (size_t i = 0; i < n; i++) {
      config_text_printf(tb, i ? ", " : "");
      config_text_double(tb, v[i]);
    }
    config_text_printf(tb, "]\n");
    return;
  }
  config_text_printf(tb, "%s.from: ", key);
  config_text_double(tb, spec->from);
  config_text_printf(tb, "\n%s.to: ", key);
  config_text_double(tb, spec->to);
  config_text_printf(tb, "\n%s.points: %ld\n%s.spacing: %s\n", key, spec->points, key,
            spec->log_spacing ? "log" : "linear");
}

/* The run-control part (not hashed): name, output, run.*. */
static int render_run(scan_config *cfg, dip_error *err) {
  config_text run = {0};
  config_text_printf(&run, "name: %s\noutput: %s\nrun.batch: %ld\nrun.progress_seconds: ",
                     cfg->name, cfg->output, cfg->batch);
  config_text_double(&run, cfg->progress_seconds);
  config_text_printf(&run, "\n");
  free(cfg->run_text);
  cfg->run_text = run.s;
  if (run.failed)
    return dip_error_set(err, DIP_ENOMEM, "out of memory rendering the configuration");
  return DIP_SUCCESS;
}

static int render(scan_config *cfg, const axis_spec *m4, const axis_spec *mu, dip_error *err) {
  config_text tb = {0};
  config_text_printf(&tb, "experiments: [");
  for (size_t i = 0; i < cfg->n_experiments; i++)
    config_text_printf(&tb, "%s%s", i ? ", " : "", cfg->experiments[i]);
  config_text_printf(&tb, "]\njoint: [");
  for (size_t j = 0; j < cfg->n_joint; j++) {
    config_text_printf(&tb, "%s[", j ? ", " : "");
    for (size_t k = 0; k < cfg->joint[j].n; k++)
      config_text_printf(&tb, "%s%s", k ? ", " : "", cfg->experiments[cfg->joint[j].cards[k]]);
    config_text_printf(&tb, "]");
  }
  config_text_printf(&tb, "]\ncouplings: [");
  for (size_t f = 0; f < cfg->n_couplings; f++)
    config_text_printf(&tb, "%s%s", f ? ", " : "", config_coupling_name(cfg, f));
  config_text_printf(&tb, "]\n");
  render_axis(&tb, "m4", m4, cfg->m4, cfg->n_m4);
  render_axis(&tb, "mu", mu, cfg->mu, cfg->n_mu);
  cfg->model->render(cfg->model->options, &tb);
  if (tb.failed) {
    free(tb.s);
    return dip_error_set(err, DIP_ENOMEM, "out of memory rendering the configuration");
  }
  cfg->canonical = tb.s;
  dip_hash_hex(tb.s, tb.len, cfg->hash);
  return render_run(cfg, err);
}

/* ---- public ---- */

/* Largest grid accepted: 10^9 chi2 points is an 8 GB cube (mass_scan.yaml has about 10^6). */
#define MAX_GRID_POINTS 1000000000.0

static int check_grid_size(const scan_config *cfg, const yamlx_doc *doc, dip_error *err) {
  double points = (double)(cfg->n_experiments + cfg->n_joint) * (double)cfg->n_couplings *
                  (double)cfg->n_m4 * (double)cfg->n_mu;
  if (points <= MAX_GRID_POINTS)
    return DIP_SUCCESS;
  return yamlx_error(doc, doc->root ? yamlx_get(doc->root, "mu") : NULL, err,
                     "the grid has %.4g chi2 points (a %.3g GB cube); at most %.0e are allowed: "
                     "thin the m4 or mu axis or split the scan", points, points * 8e-9,
                     MAX_GRID_POINTS);
}

/* path relative to the configuration's folder into out (absolute paths and a configuration without
 * a folder: unchanged). */
static void in_base(const scan_config *cfg, const char *path, char *out, size_t n) {
  if (path[0] == '/' || !cfg->base_dir || !cfg->base_dir[0])
    snprintf(out, n, "%s", path);
  else
    snprintf(out, n, "%s%s%s", cfg->base_dir,
             cfg->base_dir[strlen(cfg->base_dir) - 1] == '/' ? "" : "/", path);
}

int config_experiment_path(const scan_config *cfg, size_t i, char *out, size_t n) {
  const char *e = cfg->experiments[i];
  size_t len = strlen(e);
  int is_file = strchr(e, '/') || (len > 5 && !strcmp(e + len - 5, ".yaml"));
  if (is_file)
    in_base(cfg, e, out, n);
  else
    snprintf(out, n, "%s", e);
  return strlen(out) + 1 < n ? 0 : -1;
}

static int load_doc(scan_config *cfg, const yamlx_doc *doc, const config_model *model,
                    dip_error *err) {
  DIP_TRY(set_defaults(cfg, model, err));
  DIP_TRY(default_name(cfg, doc->name, err));
  axis_spec m4 = default_m4, mu = default_mu;
  DIP_TRY(read_document(doc, cfg, err));
  const yamlx_node *v;
  if (doc->root && (v = yamlx_get(doc->root, "m4")))
    DIP_TRY(read_axis(doc, v, "m4", 0.0, &m4, &cfg->m4, &cfg->n_m4, err));
  else
    DIP_TRY(fill_axis(&m4, &cfg->m4, &cfg->n_m4, err));
  if (doc->root && (v = yamlx_get(doc->root, "mu")))
    DIP_TRY(read_axis(doc, v, "mu", 0.0, &mu, &cfg->mu, &cfg->n_mu, err));
  else
    DIP_TRY(fill_axis(&mu, &cfg->mu, &cfg->n_mu, err));
  DIP_TRY(check_grid_size(cfg, doc, err));
  char path[4096];
  if (!cfg->output)
    snprintf(path, sizeof path, "results/%s.h5", cfg->name);
  else
    snprintf(path, sizeof path, "%s", cfg->output);
  char resolved[8192];
  in_base(cfg, path, resolved, sizeof resolved);
  DIP_TRY(config_set_output(cfg, resolved, err));
  return render(cfg, &m4, &mu, err);
}

/* Load text whose relative file references resolve against folder base ("" = as they are). */
static int load_text(scan_config *cfg, const char *text, size_t len, const char *name,
                     const char *base, const config_model *model, dip_error *err) {
  yamlx_doc doc;
  memset(&doc, 0, sizeof doc);
  memset(cfg, 0, sizeof *cfg);
  if (!(cfg->base_dir = dip_strdup(base, err)))
    return DIP_ENOMEM;
  int status = yamlx_load_string(&doc, text, len, name, err);
  if (status == DIP_SUCCESS)
    status = load_doc(cfg, &doc, model, err);
  yamlx_free(&doc);
  if (status != DIP_SUCCESS)
    config_free(cfg);
  return status;
}

int config_load_string(scan_config *cfg, const char *text, size_t len, const char *name,
                       const config_model *model, dip_error *err) {
  return load_text(cfg, text, len, name, "", model, err);
}

int config_load_file(scan_config *cfg, const char *path, const config_model *model,
                     dip_error *err) {
  char *text = NULL;
  size_t len = 0;
  memset(cfg, 0, sizeof *cfg);
  DIP_TRY(dip_read_file(path, &text, &len, err));
  char base[4096] = "";
  const char *slash = strrchr(path, '/');
  if (slash)
    snprintf(base, sizeof base, "%.*s", slash == path ? 1 : (int)(slash - path), path);
  int status = load_text(cfg, text, len, path, base, model, err);
  free(text);
  return status;
}

void config_free(scan_config *cfg) {
  if (!cfg)
    return;
  free(cfg->name);
  free(cfg->output);
  free(cfg->base_dir);
  free_string_list(cfg->experiments, cfg->n_experiments);
  for (size_t j = 0; j < cfg->n_joint; j++)
    free(cfg->joint[j].cards);
  free(cfg->joint);
  free(cfg->m4);
  free(cfg->mu);
  free(cfg->couplings);
  free(cfg->canonical);
  free(cfg->run_text);
  memset(cfg, 0, sizeof *cfg);
}

int config_set_output(scan_config *cfg, const char *path, dip_error *err) {
  if (!*path)
    return dip_error_set(err, DIP_EINVAL, "the output path is empty");
  char *copy = dip_strdup(path, err);
  if (!copy)
    return DIP_ENOMEM;
  free(cfg->output);
  cfg->output = copy;
  return cfg->run_text ? render_run(cfg, err) : DIP_SUCCESS; /* keep the text in step */
}

size_t config_n_entries(const scan_config *cfg) { return cfg->n_experiments + cfg->n_joint; }

size_t config_n_units(const scan_config *cfg) {
  return config_n_entries(cfg) * cfg->n_couplings * cfg->n_m4;
}

size_t config_unit_index(const scan_config *cfg, size_t entry, size_t coupling, size_t m4) {
  return (entry * cfg->n_couplings + coupling) * cfg->n_m4 + m4;
}

void config_unit_coords(const scan_config *cfg, size_t unit, size_t *entry, size_t *coupling,
                        size_t *m4) {
  *m4 = unit % cfg->n_m4;
  *coupling = (unit / cfg->n_m4) % cfg->n_couplings;
  *entry = unit / (cfg->n_m4 * cfg->n_couplings);
}

const char *config_coupling_name(const scan_config *cfg, size_t c) {
  return cfg->model->coupling_name(cfg->couplings[c]);
}

void config_entry_label(const scan_config *cfg, size_t entry, char *out, size_t n) {
  if (entry < cfg->n_experiments) {
    snprintf(out, n, "%s", cfg->experiments[entry]);
    return;
  }
  const scan_joint *jt = &cfg->joint[entry - cfg->n_experiments];
  size_t used = 0;
  out[0] = '\0';
  for (size_t k = 0; k < jt->n && used < n; k++)
    used += (size_t)snprintf(out + used, n - used, "%s%s", k ? "+" : "",
                             cfg->experiments[jt->cards[k]]);
}

/* Length of the key part of a "key: value" line. */
static size_t key_length(const char *line) { return strcspn(line, ":\n"); }

int config_diff(const char *existing, const char *mine, char *out, size_t n) {
  const char *a = existing, *b = mine;
  while (*a || *b) {
    size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");
    if (la != lb || memcmp(a, b, la) != 0) {
      size_t ka = key_length(a);
      const char *va = a + ka + (a[ka] == ':' ? 2 : 0), *vb = b + key_length(b);
      vb += *vb == ':' ? 2 : 0;
      int lva = (int)(a + la - va), lvb = (int)(b + lb - vb);
      snprintf(out, n, "%.*s: %.*s (existing output) vs %.*s (this configuration)", (int)ka, a,
               lva > 0 ? lva : 0, va, lvb > 0 ? lvb : 0, vb);
      return 1;
    }
    a += la + (a[la] == '\n');
    b += lb + (b[lb] == '\n');
  }
  return 0;
}

void config_print_plan(const scan_config *cfg, int n_ranks, FILE *out) {
  size_t units = config_n_units(cfg), points = units * cfg->n_mu;
  double cube_mb = (double)points * sizeof(double) / 1.0e6;
  fprintf(out, "# scan '%s' (config hash %s)\n%s%s", cfg->name, cfg->hash, cfg->canonical,
          cfg->run_text);
  fprintf(out, "plan:\n  entries:");
  for (size_t e = 0; e < config_n_entries(cfg); e++) {
    char label[512];
    config_entry_label(cfg, e, label, sizeof label);
    fprintf(out, " %s", label);
  }
  fprintf(out,
          "\n  units: %zu = %zu entries x %zu couplings x %zu m4\n"
          "  points: %zu (%zu mu per unit)\n"
          "  per rank (%d ranks): about %zu units, %zu chi2 profiles, 1 signal template each\n"
          "  output: %s (chi2 cube %.1f MB, uncompressed)\n",
          units, config_n_entries(cfg), cfg->n_couplings, cfg->n_m4, points, cfg->n_mu, n_ranks,
          (units + (size_t)n_ranks - 1) / (size_t)n_ranks,
          (points + (size_t)n_ranks - 1) / (size_t)n_ranks, cfg->output, cube_mb);
}
