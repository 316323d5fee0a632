/*
 * cube.c — the scan's parallel-HDF5 output and its journal (layout and crash-safety design in
 * cube.h).
 *
 * Three phases: cube_prepare (rank 0 alone, serial HDF5) checks an existing output against the
 * configuration and replays the journal; cube_open (collective) creates the file if needed —
 * under NAME.partial, renamed when complete — and opens it for independent writes; during the
 * scan each rank calls cube_write_unit for its own units, touching only raw data; cube_close
 * (collective) records the end of the run.  HDF5's own error printing is switched off: every call
 * is checked and turned into a dip_error naming the file and the operation.
 */
#include "engine/cube.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "physics/oscillation.h"

#define TEXT_ATTR_CAPACITY 32 /* bytes of the rewritable attributes (times, status) */

/* The dipole cross-section convention (physics.md §1), recorded in every output. */
static const char xsec_convention[] =
    "dsigma/dT = (pi alpha^2/m_e^2) (mu/mu_B)^2 [1/T - 1/E - m4^2/(2 E T m_e)(1 - T/(2E) + "
    "m_e/(2E)) + m4^4 (T - m_e)/(8 E^2 T^2 m_e^2)]; mu is the transition moment in mu_B "
    "(XENONnT normalisation, not d = mu/2)";

#define NUISANCES_DATASET "units/nuisances_best"
static const char *const summary_names[] = {"limits/mu_1dof", "limits/chi2_min",
                                            "limits/mu_best", "units/chi2_zero",
                                            "units/signal_total"};
enum { N_SUMMARY_DOUBLES = 5 };

#define H5TRY(expr, what)                                                        \
  do {                                                                           \
    if ((expr) < 0)                                                              \
      return dip_error_set(err, DIP_EHDF5, "%s: HDF5 error: %s", path, (what));  \
  } while (0)

/* ---- small helpers ---- */

static uint64_t hash64(const void *data, size_t len) {
  char hex[17];
  dip_hash_hex(data, len, hex);
  return (uint64_t)strtoull(hex, NULL, 16);
}

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

/* A dataset whose contents rank 0 writes alone (independent I/O after the collective create). */
static int create_written(hid_t loc, const char *name, hid_t type, hsize_t n, const void *buf,
                          int rank) {
  hid_t d = create_dataset(loc, name, type, 1, &n, NULL);
  int ok = d >= 0 && (rank != 0 || H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
  if (d >= 0)
    H5Dclose(d);
  return ok ? 0 : -1;
}

static int create_string_axis(hid_t axes, const char *name, const char *const *list, size_t n,
                              int rank) {
  size_t width = max_length(list, n);
  char *buf = pack_strings(list, n, width);
  hid_t t = string_type(width);
  int rc = buf && t >= 0 ? create_written(axes, name, t, n, buf, rank) : -1;
  if (t >= 0)
    H5Tclose(t);
  free(buf);
  return rc;
}

static int create_number_axis(hid_t axes, const char *name, const double *v, size_t n,
                              const char *unit, int rank) {
  if (create_written(axes, name, H5T_NATIVE_DOUBLE, n, v, rank) < 0)
    return -1;
  hid_t d = H5Dopen2(axes, name, H5P_DEFAULT);
  int rc = d >= 0 ? write_text_attr(d, "units", unit, strlen(unit) + 1) : -1;
  if (d >= 0)
    H5Dclose(d);
  return rc;
}

/* /axes/nuisance [E][ANALYSIS_MAX_NUISANCES]: the names of /units/nuisances_best's last index
 * ("" for unused slots; all "" when the metadata carries no names). */
static int create_nuisance_axis(hid_t axes, const cube_meta *meta, size_t n_entries, int rank) {
  size_t n = n_entries * ANALYSIS_MAX_NUISANCES;
  const char **names = calloc(n ? n : 1, sizeof *names);
  if (!names)
    return -1;
  for (size_t i = 0; i < n; i++)
    names[i] = meta->nuisance_names && meta->nuisance_names[i] ? meta->nuisance_names[i] : "";
  size_t width = max_length(names, n);
  char *buf = pack_strings(names, n, width);
  hid_t t = string_type(width);
  hsize_t dims[2] = {n_entries, ANALYSIS_MAX_NUISANCES};
  hid_t d = buf && t >= 0 ? create_dataset(axes, "nuisance", t, 2, dims, NULL) : -1;
  int ok = d >= 0 && (rank != 0 || H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
  if (d >= 0)
    H5Dclose(d);
  if (t >= 0)
    H5Tclose(t);
  free(buf);
  free(names);
  return ok ? 0 : -1;
}

static int create_axes(hid_t file, const scan_config *cfg, const cube_meta *meta, int rank) {
  const char *flavors[N_COUPLINGS];
  for (size_t f = 0; f < cfg->n_couplings; f++)
    flavors[f] = coupling_name(cfg->couplings[f]);
  hid_t axes = H5Gcreate2(file, "axes", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  int rc = axes >= 0 &&
                   create_string_axis(axes, "experiment", meta->entry_names,
                                      config_n_entries(cfg), rank) == 0 &&
                   create_string_axis(axes, "flavor", flavors, cfg->n_couplings, rank) == 0 &&
                   create_number_axis(axes, "m4", cfg->m4, cfg->n_m4, "MeV", rank) == 0 &&
                   create_number_axis(axes, "mu", cfg->mu, cfg->n_mu, "mu_B", rank) == 0 &&
                   create_nuisance_axis(axes, meta, config_n_entries(cfg), rank) == 0
               ? 0
               : -1;
  if (axes >= 0)
    H5Gclose(axes);
  return rc;
}

static int create_results(hid_t file, const scan_config *cfg) {
  hsize_t dims[4] = {config_n_entries(cfg), cfg->n_couplings, cfg->n_m4, cfg->n_mu};
  const double nan = NAN;
  const int64_t zero64 = 0;
  const uint8_t zero8 = 0;
  hid_t g1 = H5Gcreate2(file, "limits", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  hid_t g2 = H5Gcreate2(file, "units", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  hid_t ds[N_SUMMARY_DOUBLES + 5];
  int n = 0;
  ds[n++] = create_dataset(file, "chi2", H5T_NATIVE_DOUBLE, 4, dims, &nan);
  for (int i = 0; i < N_SUMMARY_DOUBLES; i++)
    ds[n++] = create_dataset(file, summary_names[i], H5T_NATIVE_DOUBLE, 3, dims, &nan);
  ds[n++] = create_dataset(file, "units/n_profiles", H5T_NATIVE_INT64, 3, dims, &zero64);
  ds[n++] = create_dataset(file, "units/n_fallbacks", H5T_NATIVE_INT64, 3, dims, &zero64);
  hsize_t nuisance_dims[4] = {dims[0], dims[1], dims[2], ANALYSIS_MAX_NUISANCES};
  ds[n++] = create_dataset(file, NUISANCES_DATASET, H5T_NATIVE_DOUBLE, 4, nuisance_dims, &nan);
  ds[n++] = create_dataset(file, "done", H5T_NATIVE_UINT8, 3, dims, &zero8);
  int rc = g1 >= 0 && g2 >= 0 ? 0 : -1;
  for (int i = 0; i < n; i++) {
    rc = ds[i] < 0 ? -1 : rc;
    if (ds[i] >= 0)
      H5Dclose(ds[i]);
  }
  if (g1 >= 0)
    H5Gclose(g1);
  if (g2 >= 0)
    H5Gclose(g2);
  return rc;
}

static int create_attributes(hid_t file, const scan_config *cfg, const cube_meta *meta,
                             const char *start_time) {
  const analysis_options *o = &cfg->options;
  int runs = 0, ranks = 0;
  int rc = 0;
  rc |= write_text_attr(file, "config", cfg->canonical, strlen(cfg->canonical) + 1);
  rc |= write_text_attr(file, "config_run", cfg->run_text, strlen(cfg->run_text) + 1);
  rc |= write_text_attr(file, "config_hash", cfg->hash, 17);
  rc |= write_text_attr(file, "dipscan_version", meta->version, strlen(meta->version) + 1);
  rc |= write_text_list_attr(file, "card_names", meta->card_names, meta->n_cards);
  rc |= write_text_list_attr(file, "card_checksums", meta->card_checksums, meta->n_cards);
  rc |= write_text_attr(file, "mu_unit", "mu_B", 5);
  rc |= write_text_attr(file, "m4_unit", "MeV", 4);
  rc |= write_text_attr(file, "xsec_normalisation", xsec_convention, sizeof xsec_convention);
  rc |= write_attr(file, "cl", H5T_NATIVE_DOUBLE, 0, &o->cl);
  rc |= write_text_attr(file, "threshold", threshold_name(o->threshold), 16);
  rc |= write_attr(file, "threshold_delta_chi2", H5T_NATIVE_DOUBLE, 0,
                   &meta->threshold_delta_chi2);
  rc |= write_text_attr(file, "data", data_mode_name(o->data), 16);
  rc |= write_text_attr(file, "electrons", electrons_name(o->electrons), 16);
  rc |= write_text_attr(file, "split", osc_split_name((osc_split)o->split), 16);
  rc |= write_text_attr(file, "solar_model", cfg->solar_model, strlen(cfg->solar_model) + 1);
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
                       MPI_Comm comm, dip_error *err) {
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
  int rc = create_axes(file, cfg, meta, rank) | create_results(file, cfg) |
           create_attributes(file, cfg, meta, start);
  rc |= H5Fclose(file) < 0 ? -1 : 0;
  H5TRY(rc, "creating the datasets and attributes");
  return DIP_SUCCESS;
}

/* Make sure the directory part of path exists (one level, like results/). */
static void make_parent_dir(const char *path) {
  char dir[4096];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (slash && slash != dir) {
    *slash = '\0';
    mkdir(dir, 0777);
  }
}

/* ---- open / write / close ---- */

static int open_datasets(cube *c, dip_error *err) {
  const char *path = c->path;
  hid_t *doubles[N_SUMMARY_DOUBLES] = {&c->mu_1dof, &c->chi2_min, &c->mu_best, &c->chi2_zero,
                                       &c->signal_total};
  H5TRY(c->chi2 = H5Dopen2(c->file, "chi2", H5P_DEFAULT), "open /chi2");
  for (int i = 0; i < N_SUMMARY_DOUBLES; i++)
    H5TRY(*doubles[i] = H5Dopen2(c->file, summary_names[i], H5P_DEFAULT), summary_names[i]);
  H5TRY(c->n_profiles = H5Dopen2(c->file, "units/n_profiles", H5P_DEFAULT), "open n_profiles");
  H5TRY(c->n_fallbacks = H5Dopen2(c->file, "units/n_fallbacks", H5P_DEFAULT), "open n_fallbacks");
  H5TRY(c->nuisances = H5Dopen2(c->file, NUISANCES_DATASET, H5P_DEFAULT), "open nuisances_best");
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
static int check_free_space(const scan_config *cfg, dip_error *err) {
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
  double units = (double)config_n_units(cfg);
  double need = units * (double)cfg->n_mu * sizeof(double) + units * 64.0 + 262144.0;
  double avail = (double)fs.f_bavail * (double)fs.f_frsize;
  if (avail >= need)
    return DIP_SUCCESS;
  return dip_error_set(err, DIP_EIO, "%s: not enough disk space for the output: it needs about "
                       "%.3g MB, %.3g MB are free in %s", cfg->output, need / 1048576.0,
                       avail / 1048576.0, dir);
}

/* Rank 0 creates the file if needed; everyone learns the outcome. */
static int ensure_file(const scan_config *cfg, const cube_meta *meta, MPI_Comm comm,
                       dip_error *err) {
  int rank = 0, exists = 0;
  MPI_Comm_rank(comm, &rank);
  if (rank == 0) {
    make_parent_dir(cfg->output);
    exists = file_exists(cfg->output);
  }
  MPI_Bcast(&exists, 1, MPI_INT, 0, comm);
  if (exists)
    return DIP_SUCCESS;
  int status = rank == 0 ? check_free_space(cfg, err) : DIP_SUCCESS;
  MPI_Bcast(&status, 1, MPI_INT, 0, comm);
  if (status != DIP_SUCCESS) {
    if (rank != 0)
      dip_error_set(err, status, "%s: not enough disk space (see rank 0)", cfg->output);
    return status;
  }
  char *partial = with_suffix(cfg->output, ".partial", err);
  char *journal = with_suffix(cfg->output, ".journal", err);
  status = partial && journal ? create_file(partial, cfg, meta, comm, err) : DIP_ENOMEM;
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

int cube_open(cube *c, const scan_config *cfg, const cube_meta *meta, MPI_Comm comm,
              dip_error *err) {
  memset(c, 0, sizeof *c);
  c->file = c->chi2 = c->mu_1dof = c->chi2_min = c->mu_best = c->chi2_zero = c->signal_total =
      c->n_profiles = c->n_fallbacks = c->nuisances = c->done = -1;
  c->journal_fd = -1;
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  MPI_Comm_rank(comm, &c->rank);
  c->comm = comm;
  c->n_entries = config_n_entries(cfg);
  c->n_couplings = cfg->n_couplings;
  c->n_m4 = cfg->n_m4;
  c->n_mu = cfg->n_mu;
  memcpy(c->config_hash, cfg->hash, 17);
  if (!(c->path = dip_strdup(cfg->output, err)) ||
      !(c->journal_path = with_suffix(cfg->output, ".journal", err)))
    return DIP_ENOMEM;
  DIP_TRY(ensure_file(cfg, meta, comm, err));
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

/* Select element `unit` of a [E][F][M] dataset (row_len 0), or its row of row_len values in an
 * [E][F][M][row_len] dataset (/chi2: U, /units/nuisances_best: ANALYSIS_MAX_NUISANCES). */
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

static int write_unit_value(hid_t dset, const cube *c, size_t unit, size_t row_len, hid_t type,
                            const void *buf) {
  hsize_t n = row_len ? row_len : 1;
  hid_t fspace = unit_space(dset, c, unit, row_len), mspace = H5Screate_simple(1, &n, NULL);
  int rc = fspace >= 0 && mspace >= 0 &&
                   H5Dwrite(dset, type, mspace, fspace, H5P_DEFAULT, buf) >= 0
               ? 0
               : -1;
  if (fspace >= 0)
    H5Sclose(fspace);
  if (mspace >= 0)
    H5Sclose(mspace);
  return rc;
}

static int read_row(hid_t dset, const cube *c, size_t unit, double *row) {
  hsize_t n = c->n_mu;
  hid_t fspace = unit_space(dset, c, unit, c->n_mu), mspace = H5Screate_simple(1, &n, NULL);
  int rc = fspace >= 0 && mspace >= 0 &&
                   H5Dread(dset, H5T_NATIVE_DOUBLE, mspace, fspace, H5P_DEFAULT, row) >= 0
               ? 0
               : -1;
  if (fspace >= 0)
    H5Sclose(fspace);
  if (mspace >= 0)
    H5Sclose(mspace);
  return rc;
}

static void fill_record(cube_journal_record *r, const cube *c, size_t unit, const double *chi2,
                        const unit_summary *s) {
  memset(r, 0, sizeof *r);
  memcpy(r->magic, CUBE_JOURNAL_MAGIC, 8);
  r->unit = unit;
  r->mu_1dof = s->mu_limit;
  r->chi2_min = s->chi2_min;
  r->mu_best = s->mu_best;
  r->chi2_zero = s->chi2_zero;
  r->signal_total = s->signal_total;
  r->n_profiles = s->n_profiles;
  r->n_fallbacks = s->n_fallbacks;
  r->chi2_hash = hash64(chi2, c->n_mu * sizeof *chi2);
  memcpy(r->config_hash, c->config_hash, 16);
  r->rank = c->rank;
  r->record_hash = hash64(r, offsetof(cube_journal_record, record_hash));
}

int cube_write_unit(cube *c, size_t unit, const double *chi2, const unit_summary *s,
                    dip_error *err) {
  const char *path = c->path;
  const double v[N_SUMMARY_DOUBLES] = {s->mu_limit, s->chi2_min, s->mu_best, s->chi2_zero,
                                       s->signal_total};
  const hid_t d[N_SUMMARY_DOUBLES] = {c->mu_1dof, c->chi2_min, c->mu_best, c->chi2_zero,
                                      c->signal_total};
  const int64_t np = s->n_profiles, nf = s->n_fallbacks;
  const uint8_t one = 1;
  double nuisances[ANALYSIS_MAX_NUISANCES];
  for (size_t p = 0; p < ANALYSIS_MAX_NUISANCES; p++)
    nuisances[p] = p < s->n_nuisances ? s->nuisances[p] : NAN;
  H5TRY(write_unit_value(c->chi2, c, unit, c->n_mu, H5T_NATIVE_DOUBLE, chi2), "write /chi2 row");
  H5TRY(write_unit_value(c->nuisances, c, unit, ANALYSIS_MAX_NUISANCES, H5T_NATIVE_DOUBLE,
                         nuisances),
        "write /units/nuisances_best row");
  for (int i = 0; i < N_SUMMARY_DOUBLES; i++)
    H5TRY(write_unit_value(d[i], c, unit, 0, H5T_NATIVE_DOUBLE, &v[i]), summary_names[i]);
  H5TRY(write_unit_value(c->n_profiles, c, unit, 0, H5T_NATIVE_INT64, &np), "n_profiles");
  H5TRY(write_unit_value(c->n_fallbacks, c, unit, 0, H5T_NATIVE_INT64, &nf), "n_fallbacks");
  H5TRY(write_unit_value(c->done, c, unit, 0, H5T_NATIVE_UINT8, &one), "write /done");
  cube_journal_record r;
  fill_record(&r, c, unit, chi2, s);
  if (write(c->journal_fd, &r, sizeof r) != (ssize_t)sizeof r)
    return dip_error_set(err, DIP_EIO, "%s: cannot append: %s", c->journal_path, strerror(errno));
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
  return DIP_SUCCESS;
}

int cube_close(cube *c, int complete, int n_ranks, dip_error *err) {
  const char *path = c->path ? c->path : "(output)";
  int rc = 0;
  if (c->journal_fd >= 0) {
    rc |= fdatasync(c->journal_fd) | close(c->journal_fd);
    c->journal_fd = -1;
  }
  hid_t *ds[] = {&c->chi2,         &c->mu_1dof,    &c->chi2_min,    &c->mu_best, &c->chi2_zero,
                 &c->signal_total, &c->n_profiles, &c->n_fallbacks, &c->nuisances, &c->done};
  for (size_t i = 0; i < sizeof ds / sizeof *ds; i++)
    if (*ds[i] >= 0) {
      H5Dclose(*ds[i]);
      *ds[i] = -1;
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
  if (hrc)
    status = dip_error_set(err, DIP_EHDF5, "%s: HDF5 error closing the output", path);
  else if (rc)
    status = dip_error_set(err, DIP_EIO, "%s: error closing the journal", path);
  free(c->path);
  free(c->journal_path);
  c->path = c->journal_path = NULL;
  return status;
}

void cube_abandon(cube *c) {
  if (c->journal_fd >= 0)
    close(c->journal_fd);
  c->journal_fd = -1;
  free(c->path);
  free(c->journal_path);
  c->path = c->journal_path = NULL;
}

/* ---- prepare: identity check and journal replay (rank 0, serial) ---- */

static int check_identity(hid_t file, const scan_config *cfg, const cube_meta *meta,
                          dip_error *err) {
  const char *path = cfg->output;
  char **text = NULL, **names = NULL, **sums = NULL;
  size_t n_text = 0, n_names = 0, n_sums = 0;
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

/* The per-unit arrays of the cube, read and rewritten whole during replay. */
typedef struct unit_arrays {
  double *v[N_SUMMARY_DOUBLES];
  int64_t *n_profiles, *n_fallbacks;
  uint8_t *done;
  double *nuisances;  /* [n][ANALYSIS_MAX_NUISANCES] */
} unit_arrays;

static void unit_arrays_free(unit_arrays *a) {
  for (int i = 0; i < N_SUMMARY_DOUBLES; i++)
    free(a->v[i]);
  free(a->n_profiles);
  free(a->n_fallbacks);
  free(a->done);
  free(a->nuisances);
}

static int unit_arrays_io(hid_t file, unit_arrays *a, int writing) {
  int rc = 0;
  for (int i = 0; i < N_SUMMARY_DOUBLES; i++) {
    hid_t d = H5Dopen2(file, summary_names[i], H5P_DEFAULT);
    rc |= d < 0 ? -1
          : writing ? H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, a->v[i])
                    : H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, a->v[i]);
    if (d >= 0)
      H5Dclose(d);
  }
  const char *names[4] = {"units/n_profiles", "units/n_fallbacks", "done", NUISANCES_DATASET};
  void *bufs[4] = {a->n_profiles, a->n_fallbacks, a->done, a->nuisances};
  hid_t types[4] = {H5T_NATIVE_INT64, H5T_NATIVE_INT64, H5T_NATIVE_UINT8, H5T_NATIVE_DOUBLE};
  for (int i = 0; i < 4; i++) {
    hid_t d = H5Dopen2(file, names[i], H5P_DEFAULT);
    rc |= d < 0 ? -1
          : writing ? H5Dwrite(d, types[i], H5S_ALL, H5S_ALL, H5P_DEFAULT, bufs[i])
                    : H5Dread(d, types[i], H5S_ALL, H5S_ALL, H5P_DEFAULT, bufs[i]);
    if (d >= 0)
      H5Dclose(d);
  }
  return rc < 0 ? -1 : 0;
}

static int unit_arrays_alloc(unit_arrays *a, size_t n, dip_error *err) {
  memset(a, 0, sizeof *a);
  for (int i = 0; i < N_SUMMARY_DOUBLES; i++)
    if (!(a->v[i] = dip_calloc(n, sizeof(double), err)))
      return DIP_ENOMEM;
  if (!(a->n_profiles = dip_calloc(n, sizeof(int64_t), err)) ||
      !(a->n_fallbacks = dip_calloc(n, sizeof(int64_t), err)) ||
      !(a->done = dip_calloc(n, 1, err)) ||
      !(a->nuisances = dip_calloc(n * ANALYSIS_MAX_NUISANCES, sizeof(double), err)))
    return DIP_ENOMEM;
  return DIP_SUCCESS;
}

static int record_valid(const cube_journal_record *r, const cube *c, size_t n_units) {
  return memcmp(r->magic, CUBE_JOURNAL_MAGIC, 8) == 0 &&
         r->record_hash == hash64(r, offsetof(cube_journal_record, record_hash)) &&
         memcmp(r->config_hash, c->config_hash, 16) == 0 && r->unit < n_units;
}

static void apply_record(unit_arrays *a, const cube_journal_record *r) {
  size_t u = (size_t)r->unit;
  const double v[N_SUMMARY_DOUBLES] = {r->mu_1dof, r->chi2_min, r->mu_best, r->chi2_zero,
                                       r->signal_total};
  for (int i = 0; i < N_SUMMARY_DOUBLES; i++)
    a->v[i][u] = v[i];
  a->n_profiles[u] = r->n_profiles;
  a->n_fallbacks[u] = r->n_fallbacks;
  a->done[u] = 1;
}

static void reset_unit(unit_arrays *a, size_t u) {
  for (int i = 0; i < N_SUMMARY_DOUBLES; i++)
    a->v[i][u] = NAN;
  a->n_profiles[u] = a->n_fallbacks[u] = 0;
  a->done[u] = 0;
  for (size_t p = 0; p < ANALYSIS_MAX_NUISANCES; p++)
    a->nuisances[u * ANALYSIS_MAX_NUISANCES + p] = NAN;
}

static int row_is_empty(const double *row, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!isnan(row[i]))
      return 0;
  return 1;
}

/* Keep the journal records that are intact, unique and whose chi^2 row hashes right; returns
 * them compacted at the front of recs, their number in *kept. */
static int filter_records(const cube *c, cube_journal_record *recs, size_t n_recs,
                          size_t n_units, double *row, uint8_t *seen, size_t *kept,
                          dip_error *err) {
  const char *path = c->path;
  size_t k = 0;
  for (size_t i = 0; i < n_recs; i++) {
    cube_journal_record r = recs[i];
    if (!record_valid(&r, c, n_units) || seen[r.unit])
      continue;
    H5TRY(read_row(c->chi2, c, (size_t)r.unit, row), "read /chi2 row");
    if (hash64(row, c->n_mu * sizeof *row) != r.chi2_hash)
      continue;
    seen[r.unit] = 1;
    recs[k++] = r;
  }
  *kept = k;
  return DIP_SUCCESS;
}

/* Replace the journal by exactly the kept records (write a temporary file, then rename). */
static int rewrite_journal(const char *journal, const cube_journal_record *recs, size_t n,
                           dip_error *err) {
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.tmp", journal);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0666);
  if (fd < 0)
    return dip_error_set(err, DIP_EIO, "%s: cannot create: %s", tmp, strerror(errno));
  size_t bytes = n * sizeof *recs;
  int ok = (size_t)write(fd, recs, bytes) == bytes && fdatasync(fd) == 0;
  ok = close(fd) == 0 && ok;
  if (!ok || rename(tmp, journal) != 0)
    return dip_error_set(err, DIP_EIO, "%s: cannot rewrite: %s", journal, strerror(errno));
  return DIP_SUCCESS;
}

static int load_journal(const char *journal, cube_journal_record **recs, size_t *n,
                        dip_error *err) {
  *recs = NULL;
  *n = 0;
  if (!file_exists(journal))
    return DIP_SUCCESS;
  char *bytes = NULL;
  size_t len = 0;
  DIP_TRY(dip_read_file(journal, &bytes, &len, err));
  *n = len / sizeof **recs; /* a torn trailing record is ignored */
  *recs = dip_calloc(*n, sizeof **recs, err);
  if (*recs)
    memcpy(*recs, bytes, *n * sizeof **recs);
  free(bytes);
  return *recs ? DIP_SUCCESS : DIP_ENOMEM;
}

static int replay(cube *c, size_t n_units, cube_resume_info *info, dip_error *err) {
  const char *path = c->path;
  cube_journal_record *recs = NULL;
  size_t n_recs = 0, kept = 0;
  unit_arrays a;
  double *row = dip_calloc(c->n_mu, sizeof *row, err), *nan_row = dip_calloc(c->n_mu, sizeof *row, err);
  uint8_t *seen = dip_calloc(n_units, 1, err);
  int status = row && nan_row && seen ? unit_arrays_alloc(&a, n_units, err) : DIP_ENOMEM;
  if (status == DIP_SUCCESS)
    status = unit_arrays_io(c->file, &a, 0) < 0
                 ? dip_error_set(err, DIP_EHDF5, "%s: HDF5 error reading the unit summaries", path)
                 : load_journal(c->journal_path, &recs, &n_recs, err);
  if (status == DIP_SUCCESS)
    status = filter_records(c, recs, n_recs, n_units, row, seen, &kept, err);
  for (size_t i = 0; nan_row && i < c->n_mu; i++)
    nan_row[i] = NAN;
  for (size_t i = 0; status == DIP_SUCCESS && i < kept; i++)
    apply_record(&a, &recs[i]);
  for (size_t u = 0; status == DIP_SUCCESS && u < n_units; u++) {
    if (seen[u])
      continue;
    if (read_row(c->chi2, c, u, row) < 0)
      status = dip_error_set(err, DIP_EHDF5, "%s: HDF5 error reading /chi2", path);
    else if (a.done[u] || !row_is_empty(row, c->n_mu)) {
      info->units_reset++;
      if (write_unit_value(c->chi2, c, u, c->n_mu, H5T_NATIVE_DOUBLE, nan_row) < 0)
        status = dip_error_set(err, DIP_EHDF5, "%s: HDF5 error resetting /chi2", path);
    }
    reset_unit(&a, u);
  }
  if (status == DIP_SUCCESS && unit_arrays_io(c->file, &a, 1) < 0)
    status = dip_error_set(err, DIP_EHDF5, "%s: HDF5 error writing the unit summaries", path);
  if (status == DIP_SUCCESS)
    status = rewrite_journal(c->journal_path, recs, kept, err);
  info->units_done = kept;
  info->records_dropped = n_recs - kept;
  if (row && nan_row && seen)
    unit_arrays_free(&a);
  free(recs);
  free(row);
  free(nan_row);
  free(seen);
  return status;
}

static int remove_file(const char *path, dip_error *err) {
  if (unlink(path) != 0 && errno != ENOENT)
    return dip_error_set(err, DIP_EIO, "%s: cannot remove: %s", path, strerror(errno));
  return DIP_SUCCESS;
}

int cube_prepare(const scan_config *cfg, const cube_meta *meta, int restart,
                 cube_resume_info *info, dip_error *err) {
  memset(info, 0, sizeof *info);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  cube c;
  memset(&c, 0, sizeof c);
  c.n_entries = config_n_entries(cfg);
  c.n_couplings = cfg->n_couplings;
  c.n_m4 = cfg->n_m4;
  c.n_mu = cfg->n_mu;
  memcpy(c.config_hash, cfg->hash, 17);
  c.path = cfg->output;
  char *journal = with_suffix(cfg->output, ".journal", err);
  char *partial = with_suffix(cfg->output, ".partial", err);
  int status = journal && partial ? remove_file(partial, err) : DIP_ENOMEM;
  if (status == DIP_SUCCESS && restart) {
    status = remove_file(cfg->output, err);
    if (status == DIP_SUCCESS)
      status = remove_file(journal, err);
  } else if (status == DIP_SUCCESS && file_exists(cfg->output)) {
    c.journal_path = journal;
    c.file = H5Fopen(cfg->output, H5F_ACC_RDWR, H5P_DEFAULT);
    c.chi2 = c.file >= 0 ? H5Dopen2(c.file, "chi2", H5P_DEFAULT) : -1;
    if (c.chi2 < 0)
      status = dip_error_set(err, DIP_EHDF5,
                             "%s exists but cannot be read as a dipscan output; use --restart to "
                             "start over, or --output to write elsewhere", cfg->output);
    if (status == DIP_SUCCESS)
      status = check_identity(c.file, cfg, meta, err);
    if (status == DIP_SUCCESS)
      status = replay(&c, config_n_units(cfg), info, err);
    info->existed = status == DIP_SUCCESS;
    if (c.chi2 >= 0)
      H5Dclose(c.chi2);
    if (c.file >= 0 && H5Fclose(c.file) < 0 && status == DIP_SUCCESS)
      status = dip_error_set(err, DIP_EHDF5, "%s: HDF5 error on close", cfg->output);
  }
  free(journal);
  free(partial);
  return status;
}

/* ---- serial reader ---- */

static int read_dataset(hid_t file, const char *name, hid_t type, void *buf) {
  hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
  int rc = d >= 0 && H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0 ? 0 : -1;
  if (d >= 0)
    H5Dclose(d);
  return rc;
}

static int read_strings(hid_t file, const char *name, char ***out, size_t *n) {
  hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
  if (d < 0)
    return -1;
  hid_t ftype = H5Dget_type(d), space = H5Dget_space(d);
  hssize_t count = H5Sget_simple_extent_npoints(space);
  size_t width = H5Tget_size(ftype);
  hid_t mtype = string_type(width);
  char *buf = count > 0 ? calloc((size_t)count, width) : NULL;
  char **list = buf && mtype >= 0 && H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0
                    ? unpack_strings(buf, (size_t)count, width)
                    : NULL;
  int ok = list != NULL;
  if (mtype >= 0)
    H5Tclose(mtype);
  H5Tclose(ftype);
  H5Sclose(space);
  H5Dclose(d);
  free(buf);
  *out = list;
  *n = list ? (size_t)count : 0;
  return ok ? 0 : -1;
}

static hsize_t dataset_length(hid_t file, const char *name) {
  hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
  hid_t s = d >= 0 ? H5Dget_space(d) : -1;
  hssize_t n = s >= 0 ? H5Sget_simple_extent_npoints(s) : 0;
  if (s >= 0)
    H5Sclose(s);
  if (d >= 0)
    H5Dclose(d);
  return n > 0 ? (hsize_t)n : 0;
}

static int read_all(cube_data *d, hid_t file, dip_error *err) {
  const char *path = "cube";
  H5TRY(read_strings(file, "axes/experiment", &d->entry_names, &d->n_entries), "axes/experiment");
  H5TRY(read_strings(file, "axes/flavor", &d->flavor_names, &d->n_couplings), "axes/flavor");
  d->n_m4 = dataset_length(file, "axes/m4");
  d->n_mu = dataset_length(file, "axes/mu");
  size_t n_units = d->n_entries * d->n_couplings * d->n_m4;
  if (!(d->m4 = dip_calloc(d->n_m4, sizeof(double), err)) ||
      !(d->mu = dip_calloc(d->n_mu, sizeof(double), err)) ||
      !(d->chi2 = dip_calloc(n_units * d->n_mu, sizeof(double), err)) ||
      !(d->mu_1dof = dip_calloc(n_units, sizeof(double), err)) ||
      !(d->chi2_min = dip_calloc(n_units, sizeof(double), err)) ||
      !(d->mu_best = dip_calloc(n_units, sizeof(double), err)) ||
      !(d->done = dip_calloc(n_units, 1, err)))
    return DIP_ENOMEM;
  H5TRY(read_dataset(file, "axes/m4", H5T_NATIVE_DOUBLE, d->m4), "axes/m4");
  H5TRY(read_dataset(file, "axes/mu", H5T_NATIVE_DOUBLE, d->mu), "axes/mu");
  H5TRY(read_dataset(file, "chi2", H5T_NATIVE_DOUBLE, d->chi2), "chi2");
  H5TRY(read_dataset(file, "limits/mu_1dof", H5T_NATIVE_DOUBLE, d->mu_1dof), "mu_1dof");
  H5TRY(read_dataset(file, "limits/chi2_min", H5T_NATIVE_DOUBLE, d->chi2_min), "chi2_min");
  H5TRY(read_dataset(file, "limits/mu_best", H5T_NATIVE_DOUBLE, d->mu_best), "mu_best");
  H5TRY(read_dataset(file, "done", H5T_NATIVE_UINT8, d->done), "done");
  hid_t a = H5Aopen(file, "threshold_delta_chi2", H5P_DEFAULT);
  int rc = a >= 0 ? H5Aread(a, H5T_NATIVE_DOUBLE, &d->threshold_delta_chi2) : -1;
  if (a >= 0)
    H5Aclose(a);
  H5TRY(rc, "attribute threshold_delta_chi2");
  char **text = NULL;
  size_t n = 0;
  H5TRY(read_text_list_attr(file, "config_hash", &text, &n), "attribute config_hash");
  snprintf(d->config_hash, sizeof d->config_hash, "%s", text[0]);
  free_text_list(text, n);
  H5TRY(read_text_list_attr(file, "status", &text, &n), "attribute status");
  snprintf(d->status, sizeof d->status, "%s", text[0]);
  free_text_list(text, n);
  return DIP_SUCCESS;
}

int cube_read(cube_data *d, const char *path, dip_error *err) {
  memset(d, 0, sizeof *d);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  H5TRY(file, "cannot open");
  int status = read_all(d, file, err);
  H5Fclose(file);
  if (status != DIP_SUCCESS) {
    dip_error_prefix(err, "%s", path);
    cube_data_free(d);
  }
  return status;
}

void cube_data_free(cube_data *d) {
  free_text_list(d->entry_names, d->n_entries);
  free_text_list(d->flavor_names, d->n_couplings);
  free(d->m4);
  free(d->mu);
  free(d->chi2);
  free(d->mu_1dof);
  free(d->chi2_min);
  free(d->mu_best);
  free(d->done);
  memset(d, 0, sizeof *d);
}
