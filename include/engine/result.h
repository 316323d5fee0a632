/*
 * result.h — the per-unit result schema: what one work unit produces, described once.
 *
 * The model (an evaluator, evaluator.h) publishes a table of result fields.  Each field is one
 * dataset of the cube with the unit axes [E][F][M] in front and, depending on its shape kind,
 * nothing (a scalar per unit), the mu axis (RESULT_MU_ROW, e.g. /chi2) or a named fixed-length
 * vector axis (RESULT_VECTOR, e.g. the nuisance axis).  A field also says how the journal covers
 * it: its value is stored in the journal record (RESULT_JOURNAL_VALUE: replayed on resume) or only
 * a hash of it (RESULT_JOURNAL_HASH: for large rows, which stay in the cube and are checked
 * against the hash on resume).
 *
 * Everything per unit is laid out from this table: unit_result (the buffer an evaluator fills),
 * the cube's datasets and their units/long_name attributes, the journal record and the cube
 * reader all iterate over it.  Adding a per-unit output is one field entry plus its computation.
 */
#ifndef DIPSCAN_RESULT_H
#define DIPSCAN_RESULT_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

#include "util/common.h"

typedef enum { RESULT_DOUBLE, RESULT_INT64, RESULT_UINT8 } result_type;
typedef enum { RESULT_SCALAR, RESULT_MU_ROW, RESULT_VECTOR } result_shape;
typedef enum { RESULT_JOURNAL_VALUE, RESULT_JOURNAL_HASH } result_journal;

/* A named vector axis: /axes/NAME [E][length] holds its per-entry labels. */
typedef struct result_axis {
  const char *name;
  size_t length;
} result_axis;

typedef struct result_field {
  const char *path;        /* dataset path in the cube, e.g. "limits/mu_1dof" */
  result_type type;
  result_shape shape;
  size_t axis;             /* RESULT_VECTOR: index into result_schema.axes */
  const char *units;       /* "units" attribute, e.g. "mu_B", "1" */
  const char *long_name;   /* "long_name" attribute: what the number means */
  double fill;             /* value of unfinished units (NaN for doubles, 0 for counts) */
  result_journal journal;
} result_field;

typedef struct result_schema {
  const result_field *fields;
  size_t n_fields;
  const result_axis *axes;
  size_t n_axes;
} result_schema;

size_t result_type_size(result_type t);
/* The native HDF5 type of an element. */
hid_t result_hdf5_type(result_type t);
/* Elements of field f per unit (1, n_mu, or the axis length). */
size_t result_field_count(const result_schema *s, size_t f, size_t n_mu);

/* One unit's results: every field's elements, packed in schema order. */
typedef struct unit_result {
  const result_schema *schema;  /* not owned */
  size_t n_mu;
  size_t *offset;               /* [n_fields] byte offset of each field in data */
  size_t *count;                /* [n_fields] elements of each field */
  unsigned char *data;
  size_t size;                  /* bytes of data */
} unit_result;

int unit_result_init(unit_result *r, const result_schema *s, size_t n_mu, dip_error *err);
void unit_result_free(unit_result *r);
/* Every field at its fill value. */
void unit_result_reset(unit_result *r);
/* Field f's elements (typed views; the type must match the field's). */
void *unit_result_field(const unit_result *r, size_t f);
double *unit_result_doubles(const unit_result *r, size_t f);
int64_t *unit_result_int64s(const unit_result *r, size_t f);

#endif /* DIPSCAN_RESULT_H */
