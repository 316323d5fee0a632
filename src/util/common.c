/*
 * common.c — error context, checked allocation, file slurping and hashing (see common.h).
 */
#include "util/common.h"

#include <errno.h>
#include <gsl/gsl_errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void dip_error_clear(dip_error *err) {
  if (!err)
    return;
  err->status = DIP_SUCCESS;
  err->msg[0] = '\0';
}

/* Keep a message on one printable line: input text quoted in a message (a YAML scalar with an escaped
 * newline, a path with a control character) must not break the line or drive the terminal. */
static void make_one_line(char *msg) {
  for (char *p = msg; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f)
      *p = '?';
}

int dip_error_set(dip_error *err, int status, const char *fmt, ...) {
  if (!err)
    return status;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  va_end(ap);
  make_one_line(err->msg);
  err->status = status;
  return status;
}

int dip_error_prefix(dip_error *err, const char *fmt, ...) {
  if (!err)
    return DIP_EINVAL;
  char prefix[DIP_ERROR_MSG_LEN];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  char joined[DIP_ERROR_MSG_LEN];
  snprintf(joined, sizeof joined, "%s: %s", prefix, err->msg);
  make_one_line(joined);
  memcpy(err->msg, joined, sizeof joined);
  return err->status;
}

const char *dip_status_name(int status) {
  switch (status) {
  case DIP_SUCCESS: return "success";
  case DIP_EINVAL: return "invalid input";
  case DIP_EIO: return "I/O error";
  case DIP_ENOMEM: return "out of memory";
  case DIP_ENUMERIC: return "numerical failure";
  case DIP_EMISMATCH: return "configuration mismatch";
  case DIP_EMPI: return "MPI error";
  case DIP_EHDF5: return "HDF5 error";
  case DIP_ESTOPPED: return "stopped on request";
  default: return "unknown error";
  }
}

void dip_gsl_quiet(void) { gsl_set_error_handler_off(); }

void *dip_calloc(size_t n, size_t size, dip_error *err) {
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (!p)
    dip_error_set(err, DIP_ENOMEM, "out of memory allocating %zu x %zu bytes", n, size);
  return p;
}

char *dip_strdup(const char *s, dip_error *err) {
  size_t n = strlen(s) + 1;
  char *p = dip_calloc(n, 1, err);
  if (p)
    memcpy(p, s, n);
  return p;
}

int dip_read_file(const char *path, char **text, size_t *len, dip_error *err) {
  *text = NULL;
  FILE *fp = fopen(path, "rb");
  if (!fp)
    return dip_error_set(err, DIP_EIO, "%s: cannot open: %s", path, strerror(errno));
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  while (buf) {
    size_t got = fread(buf + n, 1, cap - n - 1, fp);
    n += got;
    if (got == 0)
      break;
    if (n + 1 == cap) {
      char *bigger = realloc(buf, cap * 2);
      if (!bigger) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = bigger;
      cap *= 2;
    }
  }
  int read_error = ferror(fp), read_errno = errno;
  fclose(fp);
  if (!buf)
    return dip_error_set(err, DIP_ENOMEM, "%s: out of memory reading file", path);
  if (read_error) {
    free(buf);
    return dip_error_set(err, DIP_EIO, "%s: read error: %s", path, read_errno ? strerror(read_errno) : "unknown cause");
  }
  buf[n] = '\0';
  *text = buf;
  if (len)
    *len = n;
  return DIP_SUCCESS;
}

void dip_join(const char *const *items, size_t n, char *out, size_t size) {
  if (size == 0)
    return;
  out[0] = '\0';
  for (size_t i = 0; i < n; i++) {
    size_t used = strlen(out);
    snprintf(out + used, size - used, "%s%s", i ? ", " : "", items[i]);
  }
}

int dip_names_index(const dip_names *t, const char *name) {
  for (size_t i = 0; i < t->n; i++)
    if (!strcmp(name, t->names[i]))
      return (int)i;
  return -1;
}

void dip_names_list(const dip_names *t, char *out, size_t size) {
  dip_join(t->names, t->n, out, size);
}

int dip_names_find(const dip_names *t, const char *name, int *out, dip_error *err) {
  int i = dip_names_index(t, name);
  if (i >= 0) {
    *out = i;
    return DIP_SUCCESS;
  }
  char list[512];
  dip_names_list(t, list, sizeof list);
  return dip_error_set(err, DIP_EINVAL, "unknown %s '%s' (allowed: %s)", t->what, name, list);
}

const char *dip_names_get(const dip_names *t, int v) {
  return v >= 0 && (size_t)v < t->n ? t->names[v] : "?";
}

void dip_hash_hex(const void *data, size_t len, char out[17]) {
  const unsigned char *p = data;
  uint64_t h = 1469598103934665603ULL; /* FNV-1a offset basis */
  for (size_t i = 0; i < len; i++) {
    h ^= p[i];
    h *= 1099511628211ULL; /* FNV prime */
  }
  snprintf(out, 17, "%016llx", (unsigned long long)h);
}

static int dir_has_solar(const char *dir) {
  char probe[4200];
  snprintf(probe, sizeof probe, "%s/solar", dir);
  FILE *fp = fopen(probe, "r");
  if (fp)
    fclose(fp);
  return fp != NULL;
}

int dip_data_dir(char *out, size_t n, dip_error *err) {
  const char *env = getenv("DIPSCAN_DATA");
  if (env && *env) {
    if (!dir_has_solar(env))
      return dip_error_set(err, DIP_EIO, "DIPSCAN_DATA=%s does not contain solar/", env);
    snprintf(out, n, "%s", env);
    return DIP_SUCCESS;
  }
  char exe[4096];
  ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (len > 0) {
    exe[len] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash)
      *slash = '\0';
    static const char *const candidates[] = {"../data", "../../data", "../share/dipscan/data"};
    for (size_t i = 0; i < sizeof candidates / sizeof *candidates; i++) {
      char dir[4200];
      snprintf(dir, sizeof dir, "%s/%s", exe, candidates[i]);
      if (dir_has_solar(dir)) {
        char *real = realpath(dir, NULL);
        snprintf(out, n, "%s", real ? real : dir);
        free(real);
        return DIP_SUCCESS;
      }
    }
  }
  if (dir_has_solar("data")) {
    snprintf(out, n, "data");
    return DIP_SUCCESS;
  }
  return dip_error_set(err, DIP_EIO,
                       "cannot find the dipscan data directory (set DIPSCAN_DATA=/path/to/data)");
}
