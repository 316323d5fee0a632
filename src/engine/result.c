/*
 * result.c — sizes and the packed buffer of the per-unit result schema (result.h).
 */
#include "engine/result.h"

#include <stdlib.h>
#include <string.h>

size_t result_type_size(result_type t) {
  return t == RESULT_DOUBLE ? sizeof(double) : t == RESULT_INT64 ? sizeof(int64_t) : 1;
}

hid_t result_hdf5_type(result_type t) {
  return t == RESULT_DOUBLE ? H5T_NATIVE_DOUBLE : t == RESULT_INT64 ? H5T_NATIVE_INT64
                                                                    : H5T_NATIVE_UINT8;
}

size_t result_field_count(const result_schema *s, size_t f, size_t n_mu) {
  const result_field *fd = &s->fields[f];
  return fd->shape == RESULT_SCALAR ? 1 : fd->shape == RESULT_MU_ROW ? n_mu
                                                                      : s->axes[fd->axis].length;
}

int unit_result_init(unit_result *r, const result_schema *s, size_t n_mu, dip_error *err) {
  memset(r, 0, sizeof *r);
  r->schema = s;
  r->n_mu = n_mu;
  r->offset = dip_calloc(s->n_fields ? s->n_fields : 1, sizeof *r->offset, err);
  r->count = dip_calloc(s->n_fields ? s->n_fields : 1, sizeof *r->count, err);
  if (!r->offset || !r->count) {
    unit_result_free(r);
    return DIP_ENOMEM;
  }
  for (size_t f = 0; f < s->n_fields; f++) {
    size_t elem = result_type_size(s->fields[f].type);
    r->size = (r->size + elem - 1) / elem * elem; /* each field aligned for its type */
    r->offset[f] = r->size;
    r->count[f] = result_field_count(s, f, n_mu);
    r->size += r->count[f] * elem;
  }
  if (!(r->data = dip_calloc(r->size ? r->size : 1, 1, err))) {
    unit_result_free(r);
    return DIP_ENOMEM;
  }
  unit_result_reset(r);
  return DIP_SUCCESS;
}

void unit_result_free(unit_result *r) {
  free(r->offset);
  free(r->count);
  free(r->data);
  memset(r, 0, sizeof *r);
}

void unit_result_reset(unit_result *r) {
  for (size_t f = 0; f < r->schema->n_fields; f++) {
    const result_field *fd = &r->schema->fields[f];
    void *p = unit_result_field(r, f);
    for (size_t i = 0; i < r->count[f]; i++)
      if (fd->type == RESULT_DOUBLE)
        ((double *)p)[i] = fd->fill;
      else if (fd->type == RESULT_INT64)
        ((int64_t *)p)[i] = (int64_t)fd->fill;
      else
        ((uint8_t *)p)[i] = (uint8_t)fd->fill;
  }
}

void *unit_result_field(const unit_result *r, size_t f) { return r->data + r->offset[f]; }

double *unit_result_doubles(const unit_result *r, size_t f) { return unit_result_field(r, f); }

int64_t *unit_result_int64s(const unit_result *r, size_t f) { return unit_result_field(r, f); }
