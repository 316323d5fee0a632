/*
 * config.h — the scan configuration (scans/NAME.yaml) and the grid plan it implies.
 *
 * A scan configuration names the experiment cards, optional joint fits, the couplings
 * (`couplings:`, alias `flavors:`), the m4 and mu axes, and the model's own sections (for the
 * dipole analysis `physics:` and `statistics:`).  The engine reads everything but the model's
 * sections; those, the allowed coupling names and their canonical lines come from a config_model
 * supplied by the caller (stats/options.h for the dipole analysis).  It is read with the strict
 * YAML reader (yamlx.h): unknown keys, wrong types and out-of-range values are errors reported as
 * FILE:LINE:COL.  Every key is optional and has the default documented in scans/README.md and below.
 *
 * The resolved configuration is rendered as canonical text, one "dotted.key: value" per line in a
 * fixed order, in two parts: the result-defining part (`canonical`, hashed into `hash`: the
 * output's identity for resume) and the run-control part (`run_text`: name, output, batch size,
 * progress period — changing those never invalidates a partial output).  The model's lines come
 * right after the axes.  The canonical key of the couplings is still `flavors`.
 *
 * The plan: entries = experiments (one single-card entry each, in the order given) followed by the
 * joint fits; unit (e, c, m) has the linear index  (e * n_couplings + c) * n_m4 + m,  which is also
 * its position in the cube's [entry][coupling][m4] datasets.
 */
#ifndef DIPSCAN_CONFIG_H
#define DIPSCAN_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "util/common.h"
#include "util/yamlx.h"

/* Text the canonical rendering is built in (the model's render callback appends to it). */
typedef struct config_text {
  char *s;
  size_t len, cap;
  int failed;
} config_text;

void config_text_printf(config_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Shortest of %.15g/%.16g/%.17g that reads back to the same double. */
void config_text_double(config_text *t, double x);

/* The model's part of the configuration.  options points at a model-owned struct that
 * config_load_* fills (set_defaults, then read_section for every model section present). */
typedef struct config_model {
  size_t n_couplings;                        /* allowed couplings: indices 0..n_couplings-1 */
  const char *(*coupling_name)(size_t coupling);
  const char *const *sections;               /* top-level keys the model reads */
  size_t n_sections;
  void *options;                             /* not owned */
  void (*set_defaults)(void *options);
  int (*read_section)(void *options, const yamlx_doc *doc, const char *section,
                      const yamlx_node *node, dip_error *err);
  void (*render)(const void *options, config_text *out); /* canonical "section.key: value" lines */
} config_model;

/* A joint fit: indices into scan_config.experiments. */
typedef struct scan_joint {
  size_t *cards;
  size_t n;
} scan_joint;

typedef struct scan_config {
  char *name;                 /* default: the config file's base name without extension */
  char *output;               /* default: results/NAME.h5; a relative path in the file (or the
                                 default) is resolved against base_dir */
  char **experiments;         /* card names or paths, as written (see config_experiment_path);
                                 default [xenonnt_sr0] */
  char *base_dir;             /* folder of the configuration file ("" for a string or a file in
                                 the working directory): relative paths in it resolve here */
  size_t n_experiments;
  scan_joint *joint;          /* default: none */
  size_t n_joint;
  const config_model *model;  /* not owned; must outlive the configuration */
  size_t *couplings;          /* [n_couplings] model coupling indices; default all, in order */
  size_t n_couplings;
  double *m4;                 /* [MeV], strictly increasing; default log 0.001..0.6, 120 points */
  size_t n_m4;
  double *mu;                 /* [mu_B], strictly increasing; default log 1e-12..1e-9, 400 points */
  size_t n_mu;
  long batch;                 /* units per dispatch, 0 = automatic (default) */
  double progress_seconds;    /* progress period on stderr, >= 1 s; default 5 */
  char *canonical;            /* result-defining resolved configuration (hashed) */
  char *run_text;             /* run-control part of the resolved configuration */
  char hash[17];              /* dip_hash_hex(canonical) */
} scan_config;

/* Read and validate a configuration for a model (whose options it fills).  On failure cfg is left
 * freed (config_free is harmless). */
int config_load_file(scan_config *cfg, const char *path, const config_model *model,
                     dip_error *err);
int config_load_string(scan_config *cfg, const char *text, size_t len, const char *name,
                       const config_model *model, dip_error *err);
void config_free(scan_config *cfg);

/* Where entry i of experiments is read from: a card name as it is, a file reference (contains '/'
 * or ends in .yaml) relative to the configuration's folder.  -1 if out[n] is too small. */
int config_experiment_path(const scan_config *cfg, size_t i, char *out, size_t n);

/* Replace the output path (the --output option: used as given, relative to the working
 * directory). */
int config_set_output(scan_config *cfg, const char *path, dip_error *err);

size_t config_n_entries(const scan_config *cfg);
size_t config_n_units(const scan_config *cfg);
/* Unit index <-> (entry, coupling index, m4 index). */
size_t config_unit_index(const scan_config *cfg, size_t entry, size_t coupling, size_t m4);
void config_unit_coords(const scan_config *cfg, size_t unit, size_t *entry, size_t *coupling,
                        size_t *m4);
/* Name of the configuration's coupling c (c < n_couplings). */
const char *config_coupling_name(const scan_config *cfg, size_t c);
/* Display name of an entry: the card name, or the joint cards joined with '+'. */
void config_entry_label(const scan_config *cfg, size_t entry, char *out, size_t n);

/* Compare two canonical texts line by line.  Returns 0 when equal; otherwise 1 and a description
 * of the first difference, e.g. "statistics.cl: 0.9 (existing output) vs 0.95 (this config)". */
int config_diff(const char *existing, const char *mine, char *out, size_t n);

/* The --dry-run plan: axes, entries, units, points, and a cost estimate for n_ranks ranks. */
void config_print_plan(const scan_config *cfg, int n_ranks, FILE *out);

#endif /* DIPSCAN_CONFIG_H */
