/*
 * config.h — the scan configuration (scans/NAME.yaml) and the grid plan it implies.
 *
 * A scan configuration names the experiment cards, optional joint fits, the couplings ("flavors"),
 * the m4 and mu axes, the physics options and the statistics options.  It is read with the strict
 * YAML reader (yamlx.h): unknown keys, wrong types and out-of-range values are errors reported as
 * FILE:LINE:COL.  Every key is optional and has the default documented in scans/README.md and below.
 *
 * The resolved configuration is rendered as canonical text, one "dotted.key: value" per line in a
 * fixed order, in two parts: the result-defining part (`canonical`, hashed into `hash`: the
 * output's identity for resume) and the run-control part (`run_text`: name, output, batch size,
 * progress period — changing those never invalidates a partial output).
 *
 * The plan: entries = experiments (one single-card entry each, in the order given) followed by the
 * joint fits; unit (e, f, m) has the linear index  (e * n_couplings + f) * n_m4 + m,  which is also
 * its position in the cube's [entry][flavor][m4] datasets.
 */
#ifndef DIPSCAN_CONFIG_H
#define DIPSCAN_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "stats/analysis.h"
#include "util/common.h"

/* A joint fit: indices into scan_config.experiments. */
typedef struct scan_joint {
  size_t *cards;
  size_t n;
} scan_joint;

typedef struct scan_config {
  char *name;                 /* default: the config file's base name without extension */
  char *output;               /* default: results/NAME.h5 */
  char **experiments;         /* card names or paths; default [xenonnt_sr0] */
  size_t n_experiments;
  scan_joint *joint;          /* default: none */
  size_t n_joint;
  dip_coupling couplings[N_COUPLINGS]; /* default [universal, e, mu, tau] */
  size_t n_couplings;
  double *m4;                 /* [MeV], strictly increasing; default log 0.001..0.6, 120 points */
  size_t n_m4;
  double *mu;                 /* [mu_B], strictly increasing; default log 1e-12..1e-9, 400 points */
  size_t n_mu;
  char *solar_model;          /* metallicity name, default "b16-gs98" */
  analysis_options options;   /* physics + statistics (defaults: analysis_options_default) */
  long batch;                 /* units per dispatch, 0 = automatic (default) */
  double progress_seconds;    /* progress period on stderr, >= 1 s; default 5 */
  char *canonical;            /* result-defining resolved configuration (hashed) */
  char *run_text;             /* run-control part of the resolved configuration */
  char hash[17];              /* dip_hash_hex(canonical) */
} scan_config;

/* Read and validate a configuration.  On failure cfg is left freed (config_free is harmless). */
int config_load_file(scan_config *cfg, const char *path, dip_error *err);
int config_load_string(scan_config *cfg, const char *text, size_t len, const char *name,
                       dip_error *err);
void config_free(scan_config *cfg);

/* Replace the output path (the --output option). */
int config_set_output(scan_config *cfg, const char *path, dip_error *err);

size_t config_n_entries(const scan_config *cfg);
size_t config_n_units(const scan_config *cfg);
/* Unit index <-> (entry, coupling index, m4 index). */
size_t config_unit_index(const scan_config *cfg, size_t entry, size_t coupling, size_t m4);
void config_unit_coords(const scan_config *cfg, size_t unit, size_t *entry, size_t *coupling,
                        size_t *m4);
/* Display name of an entry: the card name, or the joint cards joined with '+'. */
void config_entry_label(const scan_config *cfg, size_t entry, char *out, size_t n);

/* Compare two canonical texts line by line.  Returns 0 when equal; otherwise 1 and a description
 * of the first difference, e.g. "statistics.cl: 0.9 (existing output) vs 0.95 (this config)". */
int config_diff(const char *existing, const char *mine, char *out, size_t n);

/* The --dry-run plan: axes, entries, units, points, and a cost estimate for n_ranks ranks. */
void config_print_plan(const scan_config *cfg, int n_ranks, FILE *out);

#endif /* DIPSCAN_CONFIG_H */
