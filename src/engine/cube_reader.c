/*
 * cube_reader.c — the one reader of scan cubes (cube.h): the reducer and the tests read through
 * it.
 *
 * Serial HDF5, read-only.  The axes (string axes as fixed- or variable-length strings, so cubes
 * written by h5py read too), /done, every field of the given result schema that the file holds
 * (each shape-checked against the axes), and the scalar root attributes (text or numbers).
 */
#include "engine/cube.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HDF5_TRY(expr, what)                                                          \
  do {                                                                               \
    if ((expr) < 0)                                                                  \
      return dip_error_set(err, DIP_EHDF5, "%s: HDF5 error: %s", path, (what));      \
  } while (0)

static void free_strings(char **list, size_t n) {
  for (size_t i = 0; list && i < n; i++)
    free(list[i]);
  free(list);
}

/* Extent of a dataset: its rank must be `rank`; dims[rank] filled. */
static int dataset_dims(hid_t d, int rank, hsize_t *dims) {
  hid_t space = H5Dget_space(d);
  int ok = space >= 0 && H5Sget_simple_extent_ndims(space) == rank &&
           H5Sget_simple_extent_dims(space, dims, NULL) == rank;
  if (space >= 0)
    H5Sclose(space);
  return ok ? 0 : -1;
}

/* A memory string type matching ftype's character set: variable length, or width bytes. */
static hid_t memory_string_type(hid_t ftype, int vlen, size_t width) {
  hid_t mtype = H5Tcopy(H5T_C_S1);
  if (mtype >= 0 && (H5Tset_cset(mtype, H5Tget_cset(ftype)) < 0 || /* h5py writes UTF-8 */
                     H5Tset_size(mtype, vlen ? H5T_VARIABLE : width) < 0)) {
    H5Tclose(mtype);
    return -1;
  }
  return mtype;
}

static int read_vlen_strings(hid_t d, hid_t mtype, char **list, hsize_t n) {
  char **raw = calloc(n, sizeof *raw);
  hid_t space = H5Dget_space(d);
  int ok = raw && space >= 0 && H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) >= 0;
  for (hsize_t i = 0; ok && i < n; i++)
    ok = (list[i] = strdup(raw[i] ? raw[i] : "")) != NULL;
  if (raw && space >= 0)
    H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, raw);
  if (space >= 0)
    H5Sclose(space);
  free(raw);
  return ok;
}

static int read_fixed_strings(hid_t d, hid_t mtype, size_t width, char **list, hsize_t n) {
  char *fixed = calloc(n, width + 1);
  int ok = fixed && H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, fixed) >= 0;
  for (hsize_t i = 0; ok && i < n; i++) {
    list[i] = calloc(width + 1, 1);
    ok = list[i] != NULL;
    if (ok)
      memcpy(list[i], fixed + i * width, width);
  }
  free(fixed);
  return ok;
}

/* Read a 1-D string dataset (fixed or variable length) into n newly allocated strings. */
static int read_string_axis(hid_t file, const char *name, char ***out, size_t *n, const char *path,
                            dip_error *err) {
  hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
  HDF5_TRY(d, name);
  hsize_t dims[1] = {0};
  hid_t ftype = H5Dget_type(d);
  int vlen = ftype >= 0 ? H5Tis_variable_str(ftype) > 0 : 0;
  size_t width = ftype >= 0 && !vlen ? H5Tget_size(ftype) : 0;
  int ok = ftype >= 0 && H5Tget_class(ftype) == H5T_STRING && dataset_dims(d, 1, dims) == 0 &&
           dims[0] > 0;
  hid_t mtype = ok ? memory_string_type(ftype, vlen, width) : -1;
  char **list = mtype >= 0 ? calloc(dims[0], sizeof *list) : NULL;
  ok = list && (vlen ? read_vlen_strings(d, mtype, list, dims[0])
                     : read_fixed_strings(d, mtype, width, list, dims[0]));
  if (mtype >= 0)
    H5Tclose(mtype);
  if (ftype >= 0)
    H5Tclose(ftype);
  H5Dclose(d);
  if (!ok) {
    free_strings(list, list ? dims[0] : 0);
    return dip_error_set(err, DIP_EHDF5, "%s: cannot read string axis /%s", path, name);
  }
  *out = list;
  *n = dims[0];
  return DIP_SUCCESS;
}

/* Read a numeric dataset whose shape must equal dims[rank]; *out allocated.  With optional set,
 * a missing dataset leaves *out NULL. */
static int read_array(hid_t file, const char *name, hid_t mtype, size_t elem, int rank,
                      const hsize_t *dims, int optional, void **out, const char *path,
                      dip_error *err) {
  *out = NULL;
  if (optional && H5Lexists(file, name, H5P_DEFAULT) <= 0)
    return DIP_SUCCESS;
  hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
  HDF5_TRY(d, name);
  hsize_t got[4] = {0, 0, 0, 0};
  size_t count = 1;
  int shape_ok = dataset_dims(d, rank, got) == 0;
  for (int i = 0; shape_ok && i < rank; i++) {
    shape_ok = got[i] == dims[i];
    count *= dims[i];
  }
  if (!shape_ok) {
    H5Dclose(d);
    return dip_error_set(err, DIP_EINVAL, "%s: /%s does not have the shape of the axes", path,
                         name);
  }
  void *buf = dip_calloc(count ? count : 1, elem, err);
  int rc = buf ? H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) : 0;
  H5Dclose(d);
  if (!buf)
    return DIP_ENOMEM;
  if (rc < 0) {
    free(buf);
    return dip_error_set(err, DIP_EHDF5, "%s: HDF5 error: reading /%s", path, name);
  }
  *out = buf;
  return DIP_SUCCESS;
}

static int axis_length(hid_t file, const char *name, size_t *n, const char *path, dip_error *err) {
  hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
  HDF5_TRY(d, name);
  hsize_t dim[1] = {0};
  int rc = dataset_dims(d, 1, dim);
  H5Dclose(d);
  HDF5_TRY(rc, name);
  *n = dim[0];
  return DIP_SUCCESS;
}

static int read_fields(cube_data *d, hid_t file, const char *path, dip_error *err) {
  const result_schema *s = d->schema;
  if (!(d->fields = dip_calloc(s->n_fields ? s->n_fields : 1, sizeof *d->fields, err)))
    return DIP_ENOMEM;
  for (size_t f = 0; f < s->n_fields; f++) {
    const result_field *fd = &s->fields[f];
    hsize_t dims[4] = {d->n_entries, d->n_couplings, d->n_m4, result_field_count(s, f, d->n_mu)};
    DIP_TRY(read_array(file, fd->path, result_hdf5_type(fd->type), result_type_size(fd->type),
                       fd->shape == RESULT_SCALAR ? 3 : 4, dims, 1, &d->fields[f], path, err));
  }
  return DIP_SUCCESS;
}

/* ---- root attributes ---- */

/* A string attribute (fixed or variable length) as a newly allocated string (NULL on failure). */
static char *attribute_text(hid_t attr, hid_t ftype) {
  int vlen = H5Tis_variable_str(ftype) > 0;
  size_t width = vlen ? 0 : H5Tget_size(ftype);
  hid_t mtype = memory_string_type(ftype, vlen, width);
  char *text = NULL;
  if (mtype >= 0 && vlen) {
    char *s = NULL;
    if (H5Aread(attr, mtype, &s) >= 0)
      text = strdup(s ? s : "");
    H5free_memory(s);
  } else if (mtype >= 0) {
    char *buf = calloc(width + 1, 1);
    if (buf && H5Aread(attr, mtype, buf) >= 0)
      text = strdup(buf);
    free(buf);
  }
  if (mtype >= 0)
    H5Tclose(mtype);
  return text;
}

/* H5Aiterate2 callback: keep scalar (or one-element) text and numeric attributes. */
static herr_t collect_attribute(hid_t loc, const char *name, const H5A_info_t *info, void *data) {
  (void)info;
  cube_data *d = data;
  hid_t attr = H5Aopen(loc, name, H5P_DEFAULT);
  hid_t ftype = attr >= 0 ? H5Aget_type(attr) : -1, space = attr >= 0 ? H5Aget_space(attr) : -1;
  H5T_class_t cls = ftype >= 0 ? H5Tget_class(ftype) : H5T_NO_CLASS;
  int one = space >= 0 && H5Sget_simple_extent_npoints(space) == 1;
  cube_attribute a = {NULL, NULL, NAN};
  int keep = one && (cls == H5T_STRING || cls == H5T_FLOAT || cls == H5T_INTEGER);
  if (keep && cls == H5T_STRING)
    keep = (a.text = attribute_text(attr, ftype)) != NULL;
  else if (keep)
    keep = H5Aread(attr, H5T_NATIVE_DOUBLE, &a.number) >= 0;
  cube_attribute *grown = keep ? realloc(d->attributes, (d->n_attributes + 1) * sizeof *grown)
                               : NULL;
  if (grown && (a.name = strdup(name))) {
    d->attributes = grown;
    d->attributes[d->n_attributes++] = a;
  } else {
    if (grown)
      d->attributes = grown;
    free(a.text);
  }
  if (space >= 0)
    H5Sclose(space);
  if (ftype >= 0)
    H5Tclose(ftype);
  if (attr >= 0)
    H5Aclose(attr);
  return 0;
}

/* ---- the card lists (1-D string attributes, fixed or variable length) ---- */

/* Root attribute `name` as n newly allocated strings; absent or unreadable: *out stays NULL. */
static void read_list_attribute(hid_t file, const char *name, char ***out, size_t *n) {
  *out = NULL;
  if (H5Aexists(file, name) <= 0)
    return;
  hid_t attr = H5Aopen(file, name, H5P_DEFAULT);
  hid_t ftype = attr >= 0 ? H5Aget_type(attr) : -1, space = attr >= 0 ? H5Aget_space(attr) : -1;
  hssize_t count = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
  int vlen = ftype >= 0 && H5Tis_variable_str(ftype) > 0;
  size_t width = ftype >= 0 && !vlen ? H5Tget_size(ftype) : 0;
  hid_t mtype = ftype >= 0 && H5Tget_class(ftype) == H5T_STRING && count > 0
                    ? memory_string_type(ftype, vlen, width)
                    : -1;
  char **list = mtype >= 0 ? calloc((size_t)count, sizeof *list) : NULL;
  int ok = list != NULL;
  if (ok && vlen) {
    char **raw = calloc((size_t)count, sizeof *raw);
    ok = raw && H5Aread(attr, mtype, raw) >= 0;
    for (hssize_t i = 0; ok && i < count; i++)
      ok = (list[i] = strdup(raw[i] ? raw[i] : "")) != NULL;
    if (raw && ok)
      H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, raw);
    free(raw);
  } else if (ok) {
    char *buf = calloc((size_t)count, width + 1);
    ok = buf && H5Aread(attr, mtype, buf) >= 0;
    for (hssize_t i = 0; ok && i < count; i++)
      ok = (list[i] = strndup(buf + (size_t)i * width, width)) != NULL;
    free(buf);
  }
  if (ok) {
    *out = list;
    *n = (size_t)count;
  } else
    free_strings(list, list ? (size_t)count : 0);
  if (mtype >= 0)
    H5Tclose(mtype);
  if (ftype >= 0)
    H5Tclose(ftype);
  if (space >= 0)
    H5Sclose(space);
  if (attr >= 0)
    H5Aclose(attr);
}

/* The four lists, kept only when all present ones have the length of card_names. */
static void read_card_lists(cube_data *d, hid_t file) {
  char ***lists[4] = {&d->card_names, &d->card_checksums, &d->card_titles, &d->card_flags};
  static const char *const names[4] = {"card_names", "card_checksums", "card_titles",
                                       "card_flags"};
  size_t n[4] = {0, 0, 0, 0};
  for (int i = 0; i < 4; i++)
    read_list_attribute(file, names[i], lists[i], &n[i]);
  d->n_cards = n[0];
  for (int i = 1; i < 4; i++)
    if (*lists[i] && n[i] != n[0]) {
      free_strings(*lists[i], n[i]);
      *lists[i] = NULL;
    }
}

/* ---- public ---- */

static int read_contents(cube_data *d, hid_t file, const char *path, dip_error *err) {
  /* the axes: root dimension scales; a cube from before them keeps them under /axes */
  int old = H5Lexists(file, CUBE_AXIS_M4, H5P_DEFAULT) <= 0;
  const char *entry = old ? "axes/experiment" : CUBE_AXIS_ENTRY;
  const char *coupling = old ? "axes/flavor" : CUBE_AXIS_COUPLING;
  const char *m4 = old ? "axes/m4" : CUBE_AXIS_M4, *mu = old ? "axes/mu" : CUBE_AXIS_MU;
  DIP_TRY(read_string_axis(file, entry, &d->entry_names, &d->n_entries, path, err));
  DIP_TRY(read_string_axis(file, coupling, &d->coupling_names, &d->n_couplings, path, err));
  DIP_TRY(axis_length(file, m4, &d->n_m4, path, err));
  DIP_TRY(axis_length(file, mu, &d->n_mu, path, err));
  hsize_t dims[4] = {d->n_entries, d->n_couplings, d->n_m4, d->n_mu};
  DIP_TRY(read_array(file, m4, H5T_NATIVE_DOUBLE, sizeof(double), 1, &dims[2], 0,
                     (void **)&d->m4, path, err));
  DIP_TRY(read_array(file, mu, H5T_NATIVE_DOUBLE, sizeof(double), 1, &dims[3], 0,
                     (void **)&d->mu, path, err));
  DIP_TRY(read_array(file, "done", H5T_NATIVE_UINT8, 1, 3, dims, 0, (void **)&d->done, path, err));
  DIP_TRY(read_fields(d, file, path, err));
  hsize_t idx = 0;
  HDF5_TRY(H5Aiterate2(file, H5_INDEX_NAME, H5_ITER_INC, &idx, collect_attribute, d),
           "root attributes");
  read_card_lists(d, file);
  return DIP_SUCCESS;
}

int cube_read(cube_data *d, const char *path, const result_schema *s, dip_error *err) {
  memset(d, 0, sizeof *d);
  d->schema = s;
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0)
    return dip_error_set(err, DIP_EIO, "%s: cannot open as an HDF5 file", path);
  int status = read_contents(d, file, path, err);
  H5Fclose(file);
  if (status != DIP_SUCCESS)
    cube_data_free(d);
  return status;
}

void cube_data_free(cube_data *d) {
  free_strings(d->entry_names, d->n_entries);
  free_strings(d->coupling_names, d->n_couplings);
  free(d->m4);
  free(d->mu);
  for (size_t f = 0; d->fields && f < d->schema->n_fields; f++)
    free(d->fields[f]);
  free(d->fields);
  free(d->done);
  for (size_t i = 0; i < d->n_attributes; i++) {
    free(d->attributes[i].name);
    free(d->attributes[i].text);
  }
  free(d->attributes);
  free_strings(d->card_names, d->n_cards);
  free_strings(d->card_checksums, d->card_checksums ? d->n_cards : 0);
  free_strings(d->card_titles, d->card_titles ? d->n_cards : 0);
  free_strings(d->card_flags, d->card_flags ? d->n_cards : 0);
  memset(d, 0, sizeof *d);
}

static const cube_attribute *find_attribute(const cube_data *d, const char *name) {
  for (size_t i = 0; i < d->n_attributes; i++)
    if (!strcmp(d->attributes[i].name, name))
      return &d->attributes[i];
  return NULL;
}

const char *cube_data_text(const cube_data *d, const char *name) {
  const cube_attribute *a = find_attribute(d, name);
  return a && a->text ? a->text : "";
}

double cube_data_number(const cube_data *d, const char *name) {
  const cube_attribute *a = find_attribute(d, name);
  return a && !a->text ? a->number : NAN;
}
