/*
 * evaluator.h — what the engine knows about a model: a function that evaluates one work unit,
 * the schema of its per-unit results, and the descriptive metadata the cube records.
 *
 * The engine distributes units (scan.h) and stores what they produce (cube.h) without knowing
 * what the numbers mean: the evaluator fills a unit_result laid out by its schema (result.h) and
 * hands over, as plain text and numbers, everything the cube records about the model — root
 * attributes (conventions, options), entry names and the labels of the schema's vector axes.
 * The CLI wires the dipole evaluator in (stats/evaluator.h); tests wire synthetic ones.
 */
#ifndef DIPSCAN_EVALUATOR_H
#define DIPSCAN_EVALUATOR_H

#include <stddef.h>

#include "util/common.h"
#include "engine/result.h"

/* A root attribute of the cube: text (stored as a fixed-length string of `capacity` bytes;
 * 0 = strlen + 1) or, when text is NULL, the double `number`. */
typedef struct scan_attribute {
  const char *name;
  const char *text;
  size_t capacity;
  double number;
} scan_attribute;

/* Evaluate unit (entry, coupling, m4) along the mu axis into out (reset to the fill values before
 * the call).  coupling is the model's coupling index (config_model.coupling_name). */
typedef int (*scan_eval_fn)(void *ctx, size_t entry, size_t coupling, double m4, const double *mu,
                            size_t n_mu, unit_result *out, dip_error *err);

typedef struct scan_evaluator {
  scan_eval_fn eval;
  void *ctx;                                /* not owned */
  const result_schema *schema;
  const char *m4_unit, *mu_unit;            /* units of the m4 and mu axes */
  const scan_attribute *attributes;         /* [n_attributes] root attributes */
  size_t n_attributes;
  const char *const *entry_names;           /* [entries] (/axes/experiment) */
  const char *const *const *axis_labels;    /* [schema->n_axes] -> [entries][axis length] labels
                                               (NULL or "" = unused slot); NULL = all "" */
} scan_evaluator;

#endif /* DIPSCAN_EVALUATOR_H */
