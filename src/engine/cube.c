/*
 * cube.c — the scan's parallel-HDF5 output and its journal (layout and crash-safety design in
 * cube.h; the reader is cube_reader.c).
 *
 * Three phases: cube_prepare (rank 0 alone, serial HDF5) checks an existing output against the
 * configuration and replays the journal; cube_open (collective) creates the file if needed —
 * under NAME.partial, renamed when complete — and opens it for independent writes; during the
 * scan each rank buffers its own units and writes them in batches (cube_flush), raw data only;
 * cube_close (collective) records the end of the run.  Every per-unit dataset is handled by walking the
 * evaluator's result schema; nothing here knows what the numbers mean.  HDF5's own error printing
 * is switched off: every call is checked and turned into a dip_error naming the file and the
 * operation.
 */
#include "engine/cube.h"

#include "engine/inspect.h"

#include <errno.h>
#include <hdf5_hl.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define TEXT_ATTR_CAPACITY 32 /* bytes of the rewritable attributes (times, status) */

#define H5TRY(expr, what)                                                        \
  do {                                                                           \
    if ((expr) < 0)                                                              \
      return dip_error_set(err, DIP_EHDF5, "%s: HDF5 error: %s", path, (what));  \
  } while (0)

/* ---- small helpers ---- */

static int file_exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

static void utc_now(char out[TEXT_ATTR_CAPACITY]) {
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(out, TEXT_ATTR_CAPACITY, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static char *with_suffix(const char *path, const char *suffix, dip_error *err) {
  size_t n = strlen(path) + strlen(suffix) + 1;
  char *s = dip_calloc(n, 1, err);
  if (s)
    snprintf(s, n, "%s%s", path, suffix);
  return s;
}

static hid_t string_type(size_t capacity) {
  hid_t t = H5Tcopy(H5T_C_S1);
  if (t >= 0 && (H5Tset_size(t, capacity) < 0 || H5Tset_strpad(t, H5T_STR_NULLTERM) < 0)) {
    H5Tclose(t);
    return -1;
  }
  return t;
}

static int write_attr(hid_t obj, const char *name, hid_t type, hsize_t n, const void *buf) {
  hid_t space = n ? H5Screate_simple(1, &n, NULL) : H5Screate(H5S_SCALAR);
  hid_t attr = space < 0 ? -1
               : H5Aexists(obj, name) > 0
                   ? H5Aopen(obj, name, H5P_DEFAULT)
                   : H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
  int ok = attr >= 0 && H5Awrite(attr, type, buf) >= 0;
  if (attr >= 0)
    H5Aclose(attr);
  if (space >= 0)
    H5Sclose(space);
  return ok ? 0 : -1;
}

static int write_text_attr(hid_t obj, const char *name, const char *text, size_t capacity) {
  char *buf = calloc(capacity, 1);
  hid_t t = string_type(capacity);
  int rc = -1;
  if (buf && t >= 0) {
    snprintf(buf, capacity, "%s", text);
    rc = write_attr(obj, name, t, 0, buf);
  }
  if (t >= 0)
    H5Tclose(t);
  free(buf);
  return rc;
}

static size_t max_length(const char *const *list, size_t n) {
  size_t m = 1;
  for (size_t i = 0; i < n; i++)
    m = strlen(list[i]) + 1 > m ? strlen(list[i]) + 1 : m;
  return m;
}

/* Pack n strings into a fixed-width buffer (caller frees). */
static char *pack_strings(const char *const *list, size_t n, size_t width) {
  char *buf = calloc(n ? n : 1, width);
  for (size_t i = 0; buf && i < n; i++)
    memcpy(buf + i * width, list[i], strlen(list[i]));
  return buf;
}

/* The inverse of pack_strings: count fixed-width strings from buf as newly allocated,
 * NUL-terminated strings (NULL if out of memory). */
static char **unpack_strings(const char *buf, size_t count, size_t width) {
  char **list = calloc(count ? count : 1, sizeof *list);
  for (size_t i = 0; list && i < count; i++) {
    list[i] = calloc(width + 1, 1);
    if (!list[i]) {
      while (i > 0)
        free(list[--i]);
      free(list);
      return NULL;
    }
    memcpy(list[i], buf + i * width, width);
  }
  return list;
}

static int write_text_list_attr(hid_t obj, const char *name, const char *const *list, size_t n) {
  size_t width = max_length(list, n);
  char *buf = pack_strings(list, n, width);
  hid_t t = string_type(width);
  int rc = buf && t >= 0 ? write_attr(obj, name, t, n ? n : 1, buf) : -1;
  if (t >= 0)
    H5Tclose(t);
  free(buf);
  return rc;
}

/* Read a string attribute (scalar or 1-D of fixed-length strings) as newly allocated strings. */
static int read_text_list_attr(hid_t obj, const char *name, char ***out, size_t *n) {
  hid_t attr = H5Aopen(obj, name, H5P_DEFAULT);
  if (attr < 0)
    return -1;
  hid_t ftype = H5Aget_type(attr), space = H5Aget_space(attr);
  hssize_t count = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
  size_t width = ftype >= 0 ? H5Tget_size(ftype) : 0;
  hid_t mtype = width ? string_type(width) : -1;
  char *buf = count > 0 && width ? calloc((size_t)count, width + 1) : NULL;
  char **list = buf && mtype >= 0 && H5Aread(attr, mtype, buf) >= 0
                    ? unpack_strings(buf, (size_t)count, width)
                    : NULL;
  int ok = list != NULL;
  free(buf);
  if (mtype >= 0)
    H5Tclose(mtype);
  H5Tclose(ftype);
  H5Sclose(space);
  H5Aclose(attr);
  if (!ok)
    return -1;
  *out = list;
  *n = (size_t)count;
  return 0;
}

static void free_text_list(char **list, size_t n) {
  for (size_t i = 0; list && i < n; i++)
    free(list[i]);
  free(list);
}

/* ---- the schema as HDF5 ---- */

/* Dimensions of field f's dataset: the unit axes, then its per-unit elements unless scalar. */
static int field_dims(const result_schema *s, size_t f, const hsize_t unit_dims[3], size_t n_mu,
                      hsize_t dims[4]) {
  memcpy(dims, unit_dims, 3 * sizeof *dims);
  dims[3] = result_field_count(s, f, n_mu);
  return s->fields[f].shape == RESULT_SCALAR ? 3 : 4;
}

/* ---- creation (collective) ---- */

static hid_t create_dataset(hid_t loc, const char *name, hid_t type, int rank, const hsize_t *dims,
                            const void *fill) {
  hid_t space = H5Screate_simple(rank, dims, NULL);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  hid_t d = -1;
  if (space >= 0 && dcpl >= 0 && H5Pset_layout(dcpl, H5D_CONTIGUOUS) >= 0 &&
      H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY) >= 0 &&
      (!fill || (H5Pset_fill_value(dcpl, type, fill) >= 0 &&
                 H5Pset_fill_time(dcpl, H5D_FILL_TIME_ALLOC) >= 0)))
    d = H5Dcreate2(loc, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  if (dcpl >= 0)
    H5Pclose(dcpl);
  if (space >= 0)
    H5Sclose(space);
  return d;
}

/* The groups of every field's path ("limits" of "limits/mu_1dof"), before any dataset. */
static int create_groups(hid_t file, const result_schema *s) {
  int rc = 0;
  for (size_t f = 0; rc == 0 && f < s->n_fields; f++) {
    char group[256];
    snprintf(group, sizeof group, "%s", s->fields[f].path);
    for (char *slash = strchr(group, '/'); rc == 0 && slash; slash = strchr(slash + 1, '/')) {
      *slash = '\0';
      if (H5Lexists(file, group, H5P_DEFAULT) <= 0) {
        hid_t g = H5Gcreate2(file, group, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        rc = g < 0 ? -1 : H5Gclose(g);
      }
      *slash = '/';
    }
  }
  return rc < 0 ? -1 : 0;
}

static int describe(hid_t d, const char *units, const char *long_name) {
  return write_text_attr(d, "units", units, strlen(units) + 1) |
         write_text_attr(d, "long_name", long_name, strlen(long_name) + 1);
}

/* Every schema field (type, shape, fill value, units and long_name from the schema) and /done. */
static int create_results(hid_t file, const scan_config *cfg, const result_schema *s) {
  const hsize_t unit_dims[3] = {config_n_entries(cfg), cfg->n_couplings, cfg->n_m4};
  unit_result fill; /* a unit at the fill values */
  int rc = unit_result_init(&fill, s, cfg->n_mu, NULL) == DIP_SUCCESS ? create_groups(file, s) : -1;
  for (size_t f = 0; rc == 0 && f < s->n_fields; f++) {
    const result_field *fd = &s->fields[f];
    hsize_t dims[4];
    int rank = field_dims(s, f, unit_dims, cfg->n_mu, dims);
    hid_t d = create_dataset(file, fd->path, result_hdf5_type(fd->type), rank, dims,
                             unit_result_field(&fill, f));
    rc = d >= 0 && write_text_attr(d, "units", fd->units, strlen(fd->units) + 1) == 0 &&
                 write_text_attr(d, "long_name", fd->long_name, strlen(fd->long_name) + 1) == 0
             ? 0
             : -1;
    if (d >= 0)
      H5Dclose(d);
  }
  unit_result_free(&fill);
  const uint8_t zero8 = 0;
  hid_t done = rc == 0 ? create_dataset(file, "done", H5T_NATIVE_UINT8, 3, unit_dims, &zero8) : -1;
  rc = done >= 0 && describe(done, "1", "1 = unit finished (mirrors the journal)") == 0 ? 0 : -1;
  if (done >= 0)
    H5Dclose(done);
  return rc;
}

static int create_attributes(hid_t file, const scan_config *cfg, const cube_meta *meta,
                             const scan_evaluator *ev, const char *start_time) {
  int runs = 0, ranks = 0;
  int rc = 0;
  rc |= write_text_attr(file, "config", cfg->canonical, strlen(cfg->canonical) + 1);
  rc |= write_text_attr(file, "config_run", cfg->run_text, strlen(cfg->run_text) + 1);
  rc |= write_text_attr(file, "config_hash", cfg->hash, 17);
  rc |= write_text_attr(file, "dipscan_version", meta->version, strlen(meta->version) + 1);
  rc |= write_text_list_attr(file, "card_names", meta->card_names, meta->n_cards);
  rc |= write_text_list_attr(file, "card_checksums", meta->card_checksums, meta->n_cards);
  if (meta->card_titles)
    rc |= write_text_list_attr(file, "card_titles", meta->card_titles, meta->n_cards);
  if (meta->card_flags)
    rc |= write_text_list_attr(file, "card_flags", meta->card_flags, meta->n_cards);
  for (size_t i = 0; i < ev->n_attributes; i++) {
    const scan_attribute *a = &ev->attributes[i];
    rc |= a->text ? write_text_attr(file, a->name, a->text,
                                    a->capacity ? a->capacity : strlen(a->text) + 1)
                  : write_attr(file, a->name, H5T_NATIVE_DOUBLE, 0, &a->number);
  }
  rc |= write_text_attr(file, "start_time", start_time, TEXT_ATTR_CAPACITY);
  rc |= write_text_attr(file, "end_time", "", TEXT_ATTR_CAPACITY);
  rc |= write_text_attr(file, "status", "created", TEXT_ATTR_CAPACITY);
  rc |= write_attr(file, "ranks", H5T_NATIVE_INT, 0, &ranks);
  rc |= write_attr(file, "runs", H5T_NATIVE_INT, 0, &runs);
  return rc ? -1 : 0;
}

static hid_t mpio_fapl(MPI_Comm comm) {
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (fapl >= 0 && H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL) < 0) {
    H5Pclose(fapl);
    return -1;
  }
  return fapl;
}

/* Collective: build the complete file under `partial`. */
static int create_file(const char *partial, const scan_config *cfg, const cube_meta *meta,
                       const scan_evaluator *ev, MPI_Comm comm, dip_error *err) {
  const char *path = partial;
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  char start[TEXT_ATTR_CAPACITY];
  utc_now(start);
  MPI_Bcast(start, TEXT_ATTR_CAPACITY, MPI_CHAR, 0, comm);
  hid_t fapl = mpio_fapl(comm);
  H5TRY(fapl, "file access property list");
  hid_t file = H5Fcreate(partial, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  H5Pclose(fapl);
  H5TRY(file, "cannot create the file");
  int rc = create_results(file, cfg, ev->schema) | create_attributes(file, cfg, meta, ev, start);
  rc |= H5Fclose(file) < 0 ? -1 : 0;
  H5TRY(rc, "creating the datasets and attributes");
  return DIP_SUCCESS;
}

/* ---- the axes as dimension scales (rank 0, serial, before the rename) ----
 *
 * Every axis is a root dataset marked as an HDF5 dimension scale (H5DS) and attached to every
 * dimension of every dataset, so netCDF-4 readers (ncdump, xarray) see named dimensions with
 * coordinates.  Dimension scales change attributes of the datasets (DIMENSION_LIST,
 * REFERENCE_LIST), i.e. metadata: rank 0 adds them alone through the serial library after the
 * collective create has closed the file and before it is renamed into place, so parallel HDF5
 * never sees them being written.  Strings are variable-length UTF-8 (netCDF-4's `string`). */

static hid_t utf8_string_type(void) {
  hid_t t = H5Tcopy(H5T_C_S1);
  if (t >= 0 && (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0)) {
    H5Tclose(t);
    return -1;
  }
  return t;
}

/* A dataset of n_rows x n_cols (n_cols 0: 1-D) UTF-8 strings; NULL entries are written as "". */
static hid_t write_strings(hid_t loc, const char *name, const char *const *list, size_t n_rows,
                           size_t n_cols) {
  size_t n = n_rows * (n_cols ? n_cols : 1);
  const char **text = calloc(n ? n : 1, sizeof *text);
  hid_t t = utf8_string_type();
  hsize_t dims[2] = {n_rows, n_cols};
  hid_t space = H5Screate_simple(n_cols ? 2 : 1, dims, NULL);
  hid_t d = text && t >= 0 && space >= 0
                ? H5Dcreate2(loc, name, t, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)
                : -1;
  for (size_t i = 0; text && i < n; i++)
    text[i] = list && list[i] ? list[i] : "";
  if (d >= 0 && H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, text) < 0) {
    H5Dclose(d);
    d = -1;
  }
  if (space >= 0)
    H5Sclose(space);
  if (t >= 0)
    H5Tclose(t);
  free(text);
  return d;
}

static hid_t write_numbers(hid_t loc, const char *name, hid_t type, const void *v, size_t n) {
  hsize_t len = n;
  hid_t space = H5Screate_simple(1, &len, NULL);
  hid_t d = space >= 0 ? H5Dcreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)
                       : -1;
  if (d >= 0 && H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0) {
    H5Dclose(d);
    d = -1;
  }
  if (space >= 0)
    H5Sclose(space);
  return d;
}

/* Mark d (already created) as the dimension scale `name`, describe it and close it. */
static int finish_scale(hid_t d, const char *name, const char *units, const char *long_name) {
  int rc = d >= 0 && H5DSset_scale(d, name) >= 0 && describe(d, units, long_name) == 0 ? 0 : -1;
  if (d >= 0)
    H5Dclose(d);
  return rc;
}

/* One index scale /NAME = 0..L-1 per vector axis of the schema. */
static int create_index_scale(hid_t file, const result_axis *axis) {
  int *index = calloc(axis->length ? axis->length : 1, sizeof *index);
  for (size_t i = 0; index && i < axis->length; i++)
    index[i] = (int)i;
  char long_name[160];
  snprintf(long_name, sizeof long_name, "index along the %s axis (labels per experiment: /axes/%s)",
           axis->name, axis->name);
  hid_t d = index ? write_numbers(file, axis->name, H5T_NATIVE_INT, index, axis->length) : -1;
  free(index);
  return finish_scale(d, axis->name, "1", long_name);
}

static int create_scales(hid_t file, const scan_config *cfg, const scan_evaluator *ev) {
  const result_schema *s = ev->schema;
  const char **couplings = calloc(cfg->n_couplings ? cfg->n_couplings : 1, sizeof *couplings);
  for (size_t f = 0; couplings && f < cfg->n_couplings; f++)
    couplings[f] = config_coupling_name(cfg, f);
  int rc = couplings ? 0 : -1;
  rc |= finish_scale(write_strings(file, CUBE_AXIS_ENTRY, ev->entry_names, config_n_entries(cfg), 0),
                     CUBE_AXIS_ENTRY, "1", "experiment entry: one card, or a joint fit \"a+b\"");
  rc |= finish_scale(write_strings(file, CUBE_AXIS_COUPLING, couplings, cfg->n_couplings, 0),
                     CUBE_AXIS_COUPLING, "1", "coupling: which transition moment is switched on");
  rc |= finish_scale(write_numbers(file, CUBE_AXIS_M4, H5T_NATIVE_DOUBLE, cfg->m4, cfg->n_m4),
                     CUBE_AXIS_M4, ev->m4_unit, "sterile-state mass m4");
  rc |= finish_scale(write_numbers(file, CUBE_AXIS_MU, H5T_NATIVE_DOUBLE, cfg->mu, cfg->n_mu),
                     CUBE_AXIS_MU, ev->mu_unit, "transition moment mu (the scanned grid)");
  for (size_t a = 0; rc == 0 && a < s->n_axes; a++)
    rc |= create_index_scale(file, &s->axes[a]);
  free(couplings);
  return rc;
}

/* Attach the scale `name` to dimension idx of d unless it is already attached. */
static int attach(hid_t file, hid_t d, const char *name, unsigned idx) {
  hid_t scale = H5Dopen2(file, name, H5P_DEFAULT);
  int rc = scale < 0 ? -1 : 0;
  if (rc == 0 && H5DSis_attached(d, scale, idx) <= 0)
    rc = H5DSattach_scale(d, scale, idx) < 0 ? -1 : 0;
  if (scale >= 0)
    H5Dclose(scale);
  return rc;
}

int cube_attach_scales(hid_t file, hid_t d, const char *last) {
  static const char *const unit_axes[3] = {CUBE_AXIS_ENTRY, CUBE_AXIS_COUPLING, CUBE_AXIS_M4};
  hid_t space = H5Dget_space(d);
  int rank = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
  if (space >= 0)
    H5Sclose(space);
  int rc = rank < 0 ? -1 : 0;
  for (int i = 0; rc == 0 && i < rank && i < 3; i++)
    rc = attach(file, d, unit_axes[i], (unsigned)i);
  if (rc == 0 && rank == 4)
    rc = last ? attach(file, d, last, 3) : -1;
  return rc;
}

/* The labels of every vector axis: /axes/NAME [E][L] on the scales (experiment, NAME). */
static int create_axis_labels(hid_t file, const scan_config *cfg, const scan_evaluator *ev) {
  const result_schema *s = ev->schema;
  hid_t axes = H5Gcreate2(file, "axes", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  int rc = axes < 0 ? -1 : 0;
  for (size_t a = 0; rc == 0 && a < s->n_axes; a++) {
    char long_name[160];
    snprintf(long_name, sizeof long_name, "label of each %s slot of each experiment entry "
             "(\"\" = unused)", s->axes[a].name);
    hid_t d = write_strings(axes, s->axes[a].name, ev->axis_labels ? ev->axis_labels[a] : NULL,
                            config_n_entries(cfg), s->axes[a].length);
    rc = d >= 0 && describe(d, "1", long_name) == 0 && attach(file, d, CUBE_AXIS_ENTRY, 0) == 0 &&
                 attach(file, d, s->axes[a].name, 1) == 0
             ? 0
             : -1;
    if (d >= 0)
      H5Dclose(d);
  }
  if (axes >= 0)
    H5Gclose(axes);
  return rc;
}

/* The scale of the last dimension of field f (NULL for a scalar field). */
static const char *last_axis(const result_schema *s, size_t f) {
  const result_field *fd = &s->fields[f];
  return fd->shape == RESULT_MU_ROW   ? CUBE_AXIS_MU
         : fd->shape == RESULT_VECTOR ? s->axes[fd->axis].name
                                      : NULL;
}

static int attach_everywhere(hid_t file, const result_schema *s) {
  int rc = 0;
  for (size_t f = 0; rc == 0 && f <= s->n_fields; f++) {
    hid_t d = H5Dopen2(file, f < s->n_fields ? s->fields[f].path : "done", H5P_DEFAULT);
    rc = d >= 0 && cube_attach_scales(file, d, f < s->n_fields ? last_axis(s, f) : NULL) == 0
             ? 0
             : -1;
    if (d >= 0)
      H5Dclose(d);
  }
  return rc;
}

/* Rank 0, serial: the axes, their scales and labels on the closed file `partial`. */
static int add_axes(const char *partial, const scan_config *cfg, const scan_evaluator *ev,
                    dip_error *err) {
  const char *path = partial;
  hid_t file = H5Fopen(partial, H5F_ACC_RDWR, H5P_DEFAULT);
  H5TRY(file, "cannot reopen the new file");
  int rc = create_scales(file, cfg, ev) | create_axis_labels(file, cfg, ev);
  rc |= rc ? -1 : attach_everywhere(file, ev->schema);
  rc |= H5Fclose(file) < 0 ? -1 : 0;
  H5TRY(rc, "creating the axes and dimension scales");
  return DIP_SUCCESS;
}

/* ---- open / write / close ---- */

static int open_datasets(cube *c, dip_error *err) {
  const char *path = c->path;
  for (size_t f = 0; f < c->schema->n_fields; f++)
    H5TRY(c->fields[f] = H5Dopen2(c->file, c->schema->fields[f].path, H5P_DEFAULT),
          c->schema->fields[f].path);
  H5TRY(c->done = H5Dopen2(c->file, "done", H5P_DEFAULT), "open /done");
  return DIP_SUCCESS;
}

/* Collective: mark the run as started (status, ranks, runs) and flush, so that the metadata is
 * clean for the whole scan. */
static int mark_running(cube *c, MPI_Comm comm, dip_error *err) {
  const char *path = c->path;
  int size = 1, runs = 0;
  MPI_Comm_size(comm, &size);
  hid_t a = H5Aopen(c->file, "runs", H5P_DEFAULT);
  H5TRY(a, "open attribute runs");
  int rc = H5Aread(a, H5T_NATIVE_INT, &runs);
  H5Aclose(a);
  H5TRY(rc, "read attribute runs");
  runs++;
  rc = write_attr(c->file, "runs", H5T_NATIVE_INT, 0, &runs) |
       write_attr(c->file, "ranks", H5T_NATIVE_INT, 0, &size) |
       write_text_attr(c->file, "status", "running", TEXT_ATTR_CAPACITY) |
       write_text_attr(c->file, "end_time", "", TEXT_ATTR_CAPACITY);
  H5TRY(rc, "update the run attributes");
  H5TRY(H5Fflush(c->file, H5F_SCOPE_GLOBAL), "flush");
  return DIP_SUCCESS;
}

/* Rank 0: refuse to start a cube the file system cannot hold.  Parallel HDF5 allocates the datasets
 * when it creates them, and a create that runs out of space leaves HDF5 (1.10) with a file it can
 * neither close nor forget, which crashes MPI_Finalize; a clear message up front avoids that. */
static int check_free_space(const scan_config *cfg, const result_schema *s, dip_error *err) {
  char dir[4096];
  snprintf(dir, sizeof dir, "%s", cfg->output);
  char *slash = strrchr(dir, '/');
  if (!slash)
    snprintf(dir, sizeof dir, ".");
  else if (slash == dir)
    dir[1] = '\0';
  else
    *slash = '\0';
  struct statvfs fs;
  if (statvfs(dir, &fs) != 0)
    return DIP_SUCCESS; /* cannot tell: let the create report what goes wrong */
  double per_unit = 1.0; /* /done */
  for (size_t f = 0; f < s->n_fields; f++)
    per_unit += (double)(result_field_count(s, f, cfg->n_mu) * result_type_size(s->fields[f].type));
  double need = (double)config_n_units(cfg) * per_unit + 262144.0;
  double avail = (double)fs.f_bavail * (double)fs.f_frsize;
  if (avail >= need)
    return DIP_SUCCESS;
  return dip_error_set(err, DIP_EIO, "%s: not enough disk space for the output: it needs about "
                       "%.3g MB, %.3g MB are free in %s", cfg->output, need / 1048576.0,
                       avail / 1048576.0, dir);
}

/* Rank 0 creates the file if needed; everyone learns the outcome. */
static int ensure_file(const scan_config *cfg, const cube_meta *meta, const scan_evaluator *ev,
                       MPI_Comm comm, dip_error *err) {
  int rank = 0, exists = 0;
  MPI_Comm_rank(comm, &rank);
  if (rank == 0)
    exists = file_exists(cfg->output); /* its folder exists: the output lock made it */
  MPI_Bcast(&exists, 1, MPI_INT, 0, comm);
  if (exists)
    return DIP_SUCCESS;
  int status = rank == 0 ? check_free_space(cfg, ev->schema, err) : DIP_SUCCESS;
  MPI_Bcast(&status, 1, MPI_INT, 0, comm);
  if (status != DIP_SUCCESS) {
    if (rank != 0)
      dip_error_set(err, status, "%s: not enough disk space (see rank 0)", cfg->output);
    return status;
  }
  char *partial = with_suffix(cfg->output, ".partial", err);
  char *journal = with_suffix(cfg->output, ".journal", err);
  status = partial && journal ? create_file(partial, cfg, meta, ev, comm, err) : DIP_ENOMEM;
  if (rank == 0 && status == DIP_SUCCESS)
    status = add_axes(partial, cfg, ev, err);
  if (rank == 0 && status == DIP_SUCCESS) {
    unlink(journal); /* a journal without its cube describes nothing */
    if (rename(partial, cfg->output) != 0)
      status = dip_error_set(err, DIP_EIO, "%s: cannot rename to %s: %s", partial, cfg->output,
                             strerror(errno));
  }
  MPI_Bcast(&status, 1, MPI_INT, 0, comm);
  if (status != DIP_SUCCESS && rank != 0)
    dip_error_set(err, status, "%s: creating the output failed on rank 0", cfg->output);
  free(partial);
  free(journal);
  return status;
}

/* The sizes, paths and journal layout shared by cube_open and cube_prepare. */
static int cube_init(cube *c, const scan_config *cfg, const result_schema *s, dip_error *err) {
  memset(c, 0, sizeof *c);
  c->file = c->done = -1;
  c->journal_fd = -1;
  c->schema = s;
  c->n_entries = config_n_entries(cfg);
  c->n_couplings = cfg->n_couplings;
  c->n_m4 = cfg->n_m4;
  c->n_mu = cfg->n_mu;
  journal_layout_init(&c->journal, s, cfg->n_mu, cfg->hash);
  if (!(c->fields = dip_calloc(s->n_fields ? s->n_fields : 1, sizeof *c->fields, err)) ||
      !(c->record = dip_calloc(c->journal.record_size, 1, err)) ||
      !(c->path = dip_strdup(cfg->output, err)) ||
      !(c->journal_path = with_suffix(cfg->output, ".journal", err)))
    return DIP_ENOMEM;
  for (size_t f = 0; f < s->n_fields; f++)
    c->fields[f] = -1;
  return DIP_SUCCESS;
}

static void buffer_free(cube *c); /* the write buffer (below, with the write path) */

static void cube_release(cube *c) {
  buffer_free(c);
  free(c->fields);
  free(c->record);
  free(c->path);
  free(c->journal_path);
  c->fields = NULL;
  c->record = NULL;
  c->path = c->journal_path = NULL;
}

int cube_open(cube *c, const scan_config *cfg, const cube_meta *meta, const scan_evaluator *ev,
              MPI_Comm comm, dip_error *err) {
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  DIP_TRY(cube_init(c, cfg, ev->schema, err));
  MPI_Comm_rank(comm, &c->rank);
  c->comm = comm;
  DIP_TRY(ensure_file(cfg, meta, ev, comm, err));
  const char *path = c->path;
  hid_t fapl = mpio_fapl(comm);
  H5TRY(fapl, "file access property list");
  c->file = H5Fopen(path, H5F_ACC_RDWR, fapl);
  H5Pclose(fapl);
  H5TRY(c->file, "cannot open for parallel writing");
  DIP_TRY(open_datasets(c, err));
  DIP_TRY(mark_running(c, comm, err));
  c->journal_fd = open(c->journal_path, O_WRONLY | O_APPEND | O_CREAT, 0666);
  if (c->journal_fd < 0)
    return dip_error_set(err, DIP_EIO, "%s: cannot open: %s", c->journal_path, strerror(errno));
  return DIP_SUCCESS;
}

/* Select unit `unit` of a [E][F][M] dataset (row_len 0), or its row of row_len values in an
 * [E][F][M][row_len] dataset. */
static hid_t unit_space(hid_t dset, const cube *c, size_t unit, size_t row_len) {
  hid_t space = H5Dget_space(dset);
  size_t m = unit % c->n_m4, f = (unit / c->n_m4) % c->n_couplings,
         e = unit / (c->n_m4 * c->n_couplings);
  hsize_t start[4] = {e, f, m, 0}, count[4] = {1, 1, 1, row_len ? row_len : 1};
  if (space >= 0 && H5Sselect_hyperslab(space, H5S_SELECT_SET, start, NULL, count, NULL) < 0) {
    H5Sclose(space);
    return -1;
  }
  return space;
}

/* Write (or read) one unit's elements of a dataset. */
static int unit_io(hid_t dset, const cube *c, size_t unit, size_t row_len, hid_t type, void *buf,
                   int writing) {
  hsize_t n = row_len ? row_len : 1;
  hid_t fspace = unit_space(dset, c, unit, row_len), mspace = H5Screate_simple(1, &n, NULL);
  int rc = fspace >= 0 && mspace >= 0 &&
                   (writing ? H5Dwrite(dset, type, mspace, fspace, H5P_DEFAULT, buf)
                            : H5Dread(dset, type, mspace, fspace, H5P_DEFAULT, buf)) >= 0
               ? 0
               : -1;
  if (fspace >= 0)
    H5Sclose(fspace);
  if (mspace >= 0)
    H5Sclose(mspace);
  return rc;
}

/* Field f of one unit, between the cube and r's buffer. */
static int field_io(const cube *c, size_t f, size_t unit, const unit_result *r, int writing) {
  const result_field *fd = &c->schema->fields[f];
  size_t row_len = fd->shape == RESULT_SCALAR ? 0 : r->count[f];
  return unit_io(c->fields[f], c, unit, row_len, result_hdf5_type(fd->type),
                 unit_result_field(r, f), writing);
}

/* ---- the per-unit write path: buffered, written per batch ---- */

static void buffer_free(cube *c) {
  free(c->buf_units);
  free(c->buf_order);
  free(c->buf_results);
  free(c->buf_records);
  free(c->buf_stage);
  c->buf_units = c->buf_order = NULL;
  c->buf_results = c->buf_records = c->buf_stage = NULL;
  c->buf_capacity = c->buf_n = 0;
  unit_result_free(&c->slot);
}

int cube_buffer_reserve(cube *c, size_t units, dip_error *err) {
  if (units <= c->buf_capacity)
    return DIP_SUCCESS;
  DIP_TRY(cube_flush(c, err));
  buffer_free(c);
  DIP_TRY(unit_result_init(&c->slot, c->schema, c->n_mu, err));
  size_t largest = 1;
  for (size_t f = 0; f < c->schema->n_fields; f++) {
    size_t bytes = c->slot.count[f] * result_type_size(c->schema->fields[f].type);
    largest = bytes > largest ? bytes : largest;
  }
  if (!(c->buf_units = dip_calloc(units, sizeof *c->buf_units, err)) ||
      !(c->buf_order = dip_calloc(units, sizeof *c->buf_order, err)) ||
      !(c->buf_results = dip_calloc(units, c->slot.size ? c->slot.size : 1, err)) ||
      !(c->buf_records = dip_calloc(units, c->journal.record_size, err)) ||
      !(c->buf_stage = dip_calloc(units, largest, err))) {
    buffer_free(c);
    return DIP_ENOMEM;
  }
  c->buf_capacity = units;
  return DIP_SUCCESS;
}

int cube_buffer_unit(cube *c, size_t unit, const unit_result *r, dip_error *err) {
  if (c->buf_capacity == 0)
    DIP_TRY(cube_buffer_reserve(c, 1, err));
  size_t i = c->buf_n++;
  c->buf_units[i] = unit;
  memcpy(c->buf_results + i * c->slot.size, r->data, c->slot.size);
  journal_encode(&c->journal, unit, c->rank, r, c->buf_records + i * c->journal.record_size);
  return c->buf_n == c->buf_capacity ? cube_flush(c, err) : DIP_SUCCESS;
}

/* Insertion sort of the buffer's slots by unit index (a batch arrives nearly sorted). */
static void sort_buffer(cube *c) {
  for (size_t i = 0; i < c->buf_n; i++) {
    size_t slot = i, j = i;
    for (; j > 0 && c->buf_units[c->buf_order[j - 1]] > c->buf_units[slot]; j--)
      c->buf_order[j] = c->buf_order[j - 1];
    c->buf_order[j] = slot;
  }
}

/* The file selection of the buffered units in field f's dataset: one block per run of
 * consecutive m4 of one (entry, coupling), in unit order (= the dataset's row-major order, the
 * order in which HDF5 pairs the selection with the memory buffer). */
static hid_t buffer_selection(const cube *c, hid_t dset, size_t row_len) {
  hid_t space = H5Dget_space(dset);
  for (size_t i = 0; space >= 0 && i < c->buf_n;) {
    size_t first = c->buf_units[c->buf_order[i]], run = 1;
    while (i + run < c->buf_n && c->buf_units[c->buf_order[i + run]] == first + run &&
           (first + run) % c->n_m4 != 0)
      run++;
    hsize_t start[4] = {first / (c->n_m4 * c->n_couplings), (first / c->n_m4) % c->n_couplings,
                        first % c->n_m4, 0},
            count[4] = {1, 1, run, row_len ? row_len : 1};
    if (H5Sselect_hyperslab(space, i == 0 ? H5S_SELECT_SET : H5S_SELECT_OR, start, NULL, count,
                            NULL) < 0) {
      H5Sclose(space);
      space = -1;
    }
    i += run;
  }
  return space;
}

/* One dataset's values of every buffered unit (bytes each, at offset in a slot; NULL offset
 * source: the byte `one`) staged in unit order and written with one H5Dwrite. */
static int write_buffered(cube *c, hid_t dset, hid_t type, size_t row_len, size_t offset,
                          size_t bytes, const uint8_t *one) {
  for (size_t i = 0; i < c->buf_n; i++)
    memcpy(c->buf_stage + i * bytes,
           one ? (const unsigned char *)one
               : c->buf_results + c->buf_order[i] * c->slot.size + offset,
           bytes);
  hsize_t n = c->buf_n * (row_len ? row_len : 1);
  hid_t fspace = buffer_selection(c, dset, row_len), mspace = H5Screate_simple(1, &n, NULL);
  int rc = fspace >= 0 && mspace >= 0 &&
                   H5Dwrite(dset, type, mspace, fspace, H5P_DEFAULT, c->buf_stage) >= 0
               ? 0
               : -1;
  if (fspace >= 0)
    H5Sclose(fspace);
  if (mspace >= 0)
    H5Sclose(mspace);
  c->io.data_writes++;
  c->io.data_bytes += c->buf_n * bytes;
  return rc;
}

int cube_flush(cube *c, dip_error *err) {
  const char *path = c->path;
  if (c->buf_n == 0)
    return DIP_SUCCESS;
  sort_buffer(c);
  for (size_t f = 0; f < c->schema->n_fields; f++) {
    const result_field *fd = &c->schema->fields[f];
    size_t row_len = fd->shape == RESULT_SCALAR ? 0 : c->slot.count[f];
    H5TRY(write_buffered(c, c->fields[f], result_hdf5_type(fd->type), row_len, c->slot.offset[f],
                         c->slot.count[f] * result_type_size(fd->type), NULL),
          fd->path);
  }
  const uint8_t one = 1;
  H5TRY(write_buffered(c, c->done, H5T_NATIVE_UINT8, 0, 0, 1, &one), "write /done");
  size_t bytes = c->buf_n * c->journal.record_size;
  if (write(c->journal_fd, c->buf_records, bytes) != (ssize_t)bytes)
    return dip_error_set(err, DIP_EIO, "%s: cannot append: %s", c->journal_path, strerror(errno));
  c->io.journal_writes++;
  c->io.journal_bytes += bytes;
  c->io.units += c->buf_n;
  c->io.flushes++;
  c->buf_n = 0;
  return DIP_SUCCESS;
}

int cube_read_done(const cube *c, unsigned char *done, dip_error *err) {
  const char *path = c->path;
  H5TRY(H5Dread(c->done, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, done), "read /done");
  return DIP_SUCCESS;
}

int cube_sync(cube *c, dip_error *err) {
  if (c->journal_fd >= 0 && fdatasync(c->journal_fd) != 0)
    return dip_error_set(err, DIP_EIO, "%s: fdatasync: %s", c->journal_path, strerror(errno));
  c->io.syncs++;
  return DIP_SUCCESS;
}

int cube_close(cube *c, int complete, int n_ranks, dip_error *err) {
  const char *path = c->path ? c->path : "(output)";
  dip_error flush_err;
  int flushed = c->buf_n > 0 ? cube_flush(c, &flush_err) : DIP_SUCCESS;
  int rc = 0;
  if (c->journal_fd >= 0) {
    rc |= fdatasync(c->journal_fd) | close(c->journal_fd);
    c->journal_fd = -1;
  }
  for (size_t f = 0; c->fields && f < c->schema->n_fields; f++)
    if (c->fields[f] >= 0) {
      H5Dclose(c->fields[f]);
      c->fields[f] = -1;
    }
  if (c->done >= 0) {
    H5Dclose(c->done);
    c->done = -1;
  }
  int hrc = 0;
  if (c->file >= 0) {
    char end[TEXT_ATTR_CAPACITY] = "";
    if (complete)
      utc_now(end);
    MPI_Bcast(end, TEXT_ATTR_CAPACITY, MPI_CHAR, 0, c->comm);
    hrc |= write_text_attr(c->file, "status", complete ? "complete" : "stopped",
                           TEXT_ATTR_CAPACITY);
    hrc |= write_text_attr(c->file, "end_time", end, TEXT_ATTR_CAPACITY);
    hrc |= write_attr(c->file, "ranks", H5T_NATIVE_INT, 0, &n_ranks);
    hrc |= H5Fclose(c->file) < 0 ? -1 : 0;
    c->file = -1;
  }
  int status = DIP_SUCCESS;
  if (flushed != DIP_SUCCESS)
    status = dip_error_set(err, flushed, "%s", flush_err.msg);
  else if (hrc)
    status = dip_error_set(err, DIP_EHDF5, "%s: HDF5 error closing the output", path);
  else if (rc)
    status = dip_error_set(err, DIP_EIO, "%s: error closing the journal", path);
  cube_release(c);
  return status;
}

void cube_abandon(cube *c) {
  if (c->journal_fd >= 0)
    close(c->journal_fd);
  c->journal_fd = -1;
  cube_release(c);
}

/* ---- prepare: identity check and journal replay (rank 0, serial) ---- */

static int check_identity(hid_t file, const scan_config *cfg, const cube_meta *meta,
                          dip_error *err) {
  const char *path = cfg->output;
  char **text = NULL, **names = NULL, **sums = NULL;
  size_t n_text = 0, n_names = 0, n_sums = 0;
  if (H5Lexists(file, CUBE_AXIS_M4, H5P_DEFAULT) <= 0)
    return dip_error_set(err, DIP_EMISMATCH,
                         "%s was written by an older dipscan (axes under /axes/, no dimension "
                         "scales): `dipscan limits` still reads it, but it cannot be resumed; use "
                         "--restart to start it over, or --output to write elsewhere", path);
  H5TRY(read_text_list_attr(file, "config", &text, &n_text), "read attribute config");
  char diff[DIP_ERROR_MSG_LEN / 2];
  int differs = config_diff(text[0], cfg->canonical, diff, sizeof diff);
  free_text_list(text, n_text);
  if (differs)
    return dip_error_set(err, DIP_EMISMATCH,
                         "%s was written by a different configuration (first difference: %s); "
                         "use --restart to start it over, or --output to write elsewhere",
                         path, diff);
  H5TRY(read_text_list_attr(file, "card_names", &names, &n_names), "read card_names");
  if (read_text_list_attr(file, "card_checksums", &sums, &n_sums) < 0) {
    free_text_list(names, n_names);
    return dip_error_set(err, DIP_EHDF5, "%s: HDF5 error: read card_checksums", path);
  }
  int status = DIP_SUCCESS;
  for (size_t i = 0; i < meta->n_cards && status == DIP_SUCCESS; i++)
    if (i >= n_sums || strcmp(sums[i], meta->card_checksums[i]) != 0)
      status = dip_error_set(err, DIP_EMISMATCH,
                             "%s: card %s changed since this output was started (checksum %s, "
                             "now %s); use --restart to start it over",
                             path, meta->card_names[i], i < n_sums ? sums[i] : "none",
                             meta->card_checksums[i]);
  free_text_list(names, n_names);
  free_text_list(sums, n_sums);
  return status;
}

/* The journal replay of one output, streamed so that rank 0's memory does not grow with the journal:
 * pass 1 reads the journal REPLAY_CHUNK records at a time and appends the records it keeps to
 * NAME.journal.tmp, remembering for each unit the index of its kept record; pass 2 rebuilds the
 * journaled fields REPLAY_BLOCK units at a time (one m4 row segment, one hyperslab per field) from
 * those records.  Memory: 10 bytes per unit (done, old_done, where) plus a few MB. */
#define REPLAY_CHUNK 4096 /* journal records read at once */
#define REPLAY_BLOCK 4096 /* units rebuilt at once */

typedef struct replay_state {
  size_t n_units;
  uint8_t *old_done, *done;
  uint64_t *where;         /* [n_units] index of the unit's kept record in the new journal */
  unsigned char *chunk;    /* [REPLAY_CHUNK] records */
  size_t n_records, kept;
  int tmp_fd;              /* NAME.journal.tmp: the kept records */
  char *tmp_path;
  unsigned char **block;   /* [n_fields]: REPLAY_BLOCK units of each journaled field, else NULL */
  unit_result unit;        /* scratch; its reset state holds the fill values */
  unit_result fill;
} replay_state;

static void replay_free(replay_state *rs, const result_schema *s) {
  for (size_t f = 0; rs->block && f < s->n_fields; f++)
    free(rs->block[f]);
  free(rs->block);
  free(rs->chunk);
  free(rs->old_done);
  free(rs->done);
  free(rs->where);
  if (rs->tmp_fd >= 0)
    close(rs->tmp_fd);
  if (rs->tmp_path)
    unlink(rs->tmp_path); /* renamed away on success */
  free(rs->tmp_path);
  unit_result_free(&rs->unit);
  unit_result_free(&rs->fill);
}

static size_t field_bytes(const replay_state *rs, const result_schema *s, size_t f) {
  return rs->fill.count[f] * result_type_size(s->fields[f].type);
}

static int replay_alloc(const cube *c, replay_state *rs, dip_error *err) {
  const result_schema *s = c->schema;
  rs->n_units = c->n_entries * c->n_couplings * c->n_m4;
  size_t n = rs->n_units ? rs->n_units : 1;
  DIP_TRY(unit_result_init(&rs->unit, s, c->n_mu, err));
  DIP_TRY(unit_result_init(&rs->fill, s, c->n_mu, err));
  if (!(rs->old_done = dip_calloc(n, 1, err)) || !(rs->done = dip_calloc(n, 1, err)) ||
      !(rs->where = dip_calloc(n, sizeof *rs->where, err)) ||
      !(rs->chunk = dip_calloc(REPLAY_CHUNK, c->journal.record_size, err)) ||
      !(rs->block = dip_calloc(s->n_fields ? s->n_fields : 1, sizeof *rs->block, err)) ||
      !(rs->tmp_path = with_suffix(c->journal_path, ".tmp", err)))
    return DIP_ENOMEM;
  for (size_t f = 0; f < s->n_fields; f++)
    if (s->fields[f].journal == RESULT_JOURNAL_VALUE &&
        !(rs->block[f] = dip_calloc(REPLAY_BLOCK, field_bytes(rs, s, f), err)))
      return DIP_ENOMEM;
  rs->tmp_fd = open(rs->tmp_path, O_RDWR | O_CREAT | O_TRUNC, 0666);
  if (rs->tmp_fd < 0)
    return dip_error_set(err, DIP_EIO, "%s: cannot create: %s", rs->tmp_path, strerror(errno));
  return DIP_SUCCESS;
}

/* *match: do the unit's hashed rows in the cube still hash as the record says? */
static int rows_match(const cube *c, replay_state *rs, const unsigned char *rec, size_t u,
                      int *match, dip_error *err) {
  const char *path = c->path;
  *match = 0;
  for (size_t f = 0; f < c->schema->n_fields; f++) {
    if (c->schema->fields[f].journal != RESULT_JOURNAL_HASH)
      continue;
    H5TRY(field_io(c, f, u, &rs->unit, 0), c->schema->fields[f].path);
    size_t bytes = rs->unit.count[f] * result_type_size(c->schema->fields[f].type);
    if (journal_hash(unit_result_field(&rs->unit, f), bytes) !=
        journal_field_hash(&c->journal, rec, f))
      return DIP_SUCCESS;
  }
  *match = 1;
  return DIP_SUCCESS;
}

/* Pass 1 on one chunk of n records: keep those that are intact, first for their unit and whose rows
 * hash right, and append them to the new journal. */
static int keep_records(const cube *c, replay_state *rs, size_t n, dip_error *err) {
  const size_t size = c->journal.record_size;
  size_t kept = 0;
  for (size_t i = 0; i < n; i++) {
    const unsigned char *rec = rs->chunk + i * size;
    size_t u = 0;
    if (!journal_record_valid(&c->journal, rec, rs->n_units, &u) || rs->done[u])
      continue;
    int match = 0;
    DIP_TRY(rows_match(c, rs, rec, u, &match, err));
    if (!match)
      continue;
    rs->done[u] = 1;
    rs->where[u] = rs->kept++;
    memmove(rs->chunk + kept++ * size, rec, size);
  }
  if (write(rs->tmp_fd, rs->chunk, kept * size) != (ssize_t)(kept * size))
    return dip_error_set(err, DIP_EIO, "%s: cannot write: %s", rs->tmp_path, strerror(errno));
  return DIP_SUCCESS;
}

/* Pass 1: the journal (if any), REPLAY_CHUNK whole records at a time (a torn trailing record is
 * ignored); the first chunk's format is checked. */
static int stream_journal(const cube *c, replay_state *rs, dip_error *err) {
  int fd = open(c->journal_path, O_RDONLY);
  if (fd < 0)
    return errno == ENOENT ? DIP_SUCCESS
                           : dip_error_set(err, DIP_EIO, "%s: cannot open: %s", c->journal_path,
                                           strerror(errno));
  const size_t size = c->journal.record_size, want = REPLAY_CHUNK * size;
  int status = DIP_SUCCESS, first = 1;
  for (;;) {
    size_t got = 0;
    ssize_t r = 1;
    while (got < want && (r = read(fd, rs->chunk + got, want - got)) > 0)
      got += (size_t)r;
    if (r < 0)
      status = dip_error_set(err, DIP_EIO, "%s: read: %s", c->journal_path, strerror(errno));
    if (status == DIP_SUCCESS && first)
      status = journal_check_format(&c->journal, (const char *)rs->chunk, got, c->journal_path,
                                    err);
    first = 0;
    rs->n_records += got / size;
    if (status == DIP_SUCCESS)
      status = keep_records(c, rs, got / size, err);
    if (status != DIP_SUCCESS || got < want)
      break;
  }
  close(fd);
  return status;
}

/* Reset the hashed rows of a unit without a kept record when it has any data (or was marked
 * done); counts it in info. */
static int reset_unkept(const cube *c, replay_state *rs, size_t u, cube_resume_info *info,
                        dip_error *err) {
  const char *path = c->path;
  int dirty = rs->old_done[u];
  for (size_t f = 0; f < c->schema->n_fields && !dirty; f++) {
    if (c->schema->fields[f].journal != RESULT_JOURNAL_HASH)
      continue;
    H5TRY(field_io(c, f, u, &rs->unit, 0), c->schema->fields[f].path);
    size_t bytes = rs->unit.count[f] * result_type_size(c->schema->fields[f].type);
    dirty = memcmp(unit_result_field(&rs->unit, f), unit_result_field(&rs->fill, f), bytes) != 0;
  }
  if (!dirty)
    return DIP_SUCCESS;
  info->units_reset++;
  for (size_t f = 0; f < c->schema->n_fields; f++)
    if (c->schema->fields[f].journal == RESULT_JOURNAL_HASH)
      H5TRY(field_io(c, f, u, &rs->fill, 1), "resetting an unfinished unit");
  return DIP_SUCCESS;
}

/* Pass 2 on units [u0, u0 + n) of one m4 row: the journaled fields from the kept records (fill
 * values for the others), one hyperslab write per field. */
static int write_block(const cube *c, replay_state *rs, size_t u0, size_t n, dip_error *err) {
  const char *path = c->path;
  const result_schema *s = c->schema;
  const size_t size = c->journal.record_size;
  for (size_t i = 0; i < n; i++) {
    const unit_result *from = &rs->fill;
    if (rs->done[u0 + i]) {
      if (pread(rs->tmp_fd, rs->chunk, size, (off_t)(rs->where[u0 + i] * size)) != (ssize_t)size)
        return dip_error_set(err, DIP_EIO, "%s: cannot read back: %s", rs->tmp_path,
                             strerror(errno));
      for (size_t f = 0; f < s->n_fields; f++)
        if (rs->block[f])
          journal_field_value(&c->journal, rs->chunk, f, &rs->unit);
      from = &rs->unit;
    }
    for (size_t f = 0; f < s->n_fields; f++)
      if (rs->block[f])
        memcpy(rs->block[f] + i * field_bytes(rs, s, f), unit_result_field(from, f),
               field_bytes(rs, s, f));
  }
  size_t m0 = u0 % c->n_m4, ef = u0 / c->n_m4;
  for (size_t f = 0; f < s->n_fields; f++) {
    if (!rs->block[f])
      continue;
    hsize_t start[4] = {ef / c->n_couplings, ef % c->n_couplings, m0, 0},
            count[4] = {1, 1, n, rs->fill.count[f]}, len = n * rs->fill.count[f];
    hid_t fspace = H5Dget_space(c->fields[f]), mspace = H5Screate_simple(1, &len, NULL);
    int rc = fspace >= 0 && mspace >= 0 &&
                     H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL) >= 0 &&
                     H5Dwrite(c->fields[f], result_hdf5_type(s->fields[f].type), mspace, fspace,
                              H5P_DEFAULT, rs->block[f]) >= 0
                 ? 0
                 : -1;
    if (fspace >= 0)
      H5Sclose(fspace);
    if (mspace >= 0)
      H5Sclose(mspace);
    H5TRY(rc, s->fields[f].path);
  }
  return DIP_SUCCESS;
}

/* Pass 2 over every m4 row in blocks, then /done whole. */
static int write_replayed(const cube *c, replay_state *rs, dip_error *err) {
  const char *path = c->path;
  for (size_t row = 0; row < c->n_entries * c->n_couplings; row++)
    for (size_t m = 0; m < c->n_m4; m += REPLAY_BLOCK) {
      size_t n = c->n_m4 - m < REPLAY_BLOCK ? c->n_m4 - m : REPLAY_BLOCK;
      DIP_TRY(write_block(c, rs, row * c->n_m4 + m, n, err));
    }
  H5TRY(H5Dwrite(c->done, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, rs->done),
        "write /done");
  return DIP_SUCCESS;
}

/* The new journal (exactly the kept records) replaces the old one. */
static int install_journal(const cube *c, replay_state *rs, dip_error *err) {
  int ok = fdatasync(rs->tmp_fd) == 0;
  ok = close(rs->tmp_fd) == 0 && ok;
  rs->tmp_fd = -1;
  if (!ok || rename(rs->tmp_path, c->journal_path) != 0)
    return dip_error_set(err, DIP_EIO, "%s: cannot rewrite: %s", c->journal_path,
                         strerror(errno));
  return DIP_SUCCESS;
}

static int replay(cube *c, cube_resume_info *info, dip_error *err) {
  const char *path = c->path;
  replay_state rs;
  memset(&rs, 0, sizeof rs);
  rs.tmp_fd = -1;
  int status = replay_alloc(c, &rs, err);
  if (status == DIP_SUCCESS &&
      H5Dread(c->done, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, rs.old_done) < 0)
    status = dip_error_set(err, DIP_EHDF5, "%s: HDF5 error: read /done", path);
  if (status == DIP_SUCCESS)
    status = stream_journal(c, &rs, err);
  for (size_t u = 0; status == DIP_SUCCESS && u < rs.n_units; u++)
    if (!rs.done[u])
      status = reset_unkept(c, &rs, u, info, err);
  if (status == DIP_SUCCESS)
    status = write_replayed(c, &rs, err);
  if (status == DIP_SUCCESS)
    status = install_journal(c, &rs, err);
  info->units_done = rs.kept;
  info->records_dropped = rs.n_records - rs.kept;
  replay_free(&rs, c->schema);
  return status;
}

/* Append "; note" to err's message (keeps its status). */
static int with_note(dip_error *err, const char *note) {
  char why[DIP_ERROR_MSG_LEN / 2];
  snprintf(why, sizeof why, "%s", err->msg);
  return dip_error_set(err, err->status, "%s; %s", why, note);
}

/* Remove path if it is recognisably of this kind (inspect.h); refuse anything else. */
static int remove_ours(const char *path, output_kind kind, dip_error *err) {
  int exists = 0;
  if (output_inspect(path, kind, &exists, err) != DIP_SUCCESS)
    return with_note(err, "--restart deletes only a dipscan cube, its .partial or its journal: "
                          "nothing was deleted");
  if (exists && unlink(path) != 0)
    return dip_error_set(err, DIP_EIO, "%s: cannot remove: %s", path, strerror(errno));
  return DIP_SUCCESS;
}

/* Rank 0: the existing output checked against this configuration and its journal replayed. */
static int resume(cube *c, const scan_config *cfg, const cube_meta *meta,
                  cube_resume_info *info, dip_error *err) {
  c->file = H5Fopen(cfg->output, H5F_ACC_RDWR, H5P_DEFAULT);
  if (c->file < 0)
    return dip_error_set(err, DIP_EHDF5, "%s: HDF5 cannot open it for writing", cfg->output);
  int status = check_identity(c->file, cfg, meta, err);
  if (status == DIP_SUCCESS && open_datasets(c, err) != DIP_SUCCESS) {
    char why[DIP_ERROR_MSG_LEN / 2];
    snprintf(why, sizeof why, "%s", err->msg);
    status = dip_error_set(err, DIP_EMISMATCH, "%s is a dipscan cube without a result dataset of "
                           "this version (%s); use --restart to start it over, or --output to "
                           "write elsewhere", cfg->output, why);
  }
  if (status == DIP_SUCCESS)
    status = replay(c, info, err);
  info->existed = status == DIP_SUCCESS;
  for (size_t f = 0; f < c->schema->n_fields; f++)
    if (c->fields[f] >= 0)
      H5Dclose(c->fields[f]);
  if (c->done >= 0)
    H5Dclose(c->done);
  if (H5Fclose(c->file) < 0 && status == DIP_SUCCESS)
    status = dip_error_set(err, DIP_EHDF5, "%s: HDF5 error on close", cfg->output);
  return status;
}


int cube_prepare(const scan_config *cfg, const cube_meta *meta, const scan_evaluator *ev,
                 int restart, cube_resume_info *info, dip_error *err) {
  memset(info, 0, sizeof *info);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  cube c;
  char *partial = with_suffix(cfg->output, ".partial", err);
  int status = partial ? cube_init(&c, cfg, ev->schema, err) : DIP_ENOMEM, exists = 0;
  if (status == DIP_SUCCESS)
    status = remove_ours(partial, OUTPUT_PARTIAL, err);
  if (status == DIP_SUCCESS && restart) {
    status = remove_ours(cfg->output, OUTPUT_CUBE, err);
    if (status == DIP_SUCCESS)
      status = remove_ours(c.journal_path, OUTPUT_JOURNAL, err);
  } else if (status == DIP_SUCCESS) {
    if (output_inspect(cfg->output, OUTPUT_CUBE, &exists, err) != DIP_SUCCESS)
      status = with_note(err, "nothing was changed (--restart deletes only a dipscan cube; "
                              "--output writes elsewhere)");
    else if (exists)
      status = resume(&c, cfg, meta, info, err);
  }
  if (partial)
    cube_release(&c);
  free(partial);
  return status;
}
