/*
 * common.h — status codes, error context and small helpers shared by every dipscan module.
 *
 * Error model (GSL-style integer status codes + CLASS-style context): every fallible function
 * returns an int status (DIP_SUCCESS == 0) and, on failure, fills a caller-owned `dip_error`
 * with a one-line human-readable message.  Callers that add context use dip_error_prefix(), so a
 * message reads outermost-first, e.g.
 *     "card data/experiments/x.yaml: data/experiments/x.yaml:12:5: key 'bins' expects a sequence"
 * Library code never calls exit() or MPI_Abort(); only the top-level command does, after the
 * message has been printed once.  GSL's aborting error handler is switched off by
 * dip_gsl_quiet() (called once from main and from each test program).
 */
#ifndef DIPSCAN_COMMON_H
#define DIPSCAN_COMMON_H

#include <stddef.h>

/* Active-neutrino flavours, and the couplings scanned: one mu_l4 switched on (e, mu, tau), or all
 * three equal (universal: the signal uses the full solar flux). */
typedef enum { FLAVOR_E = 0, FLAVOR_MU = 1, FLAVOR_TAU = 2, N_FLAVORS = 3 } dip_flavor;
typedef enum {
  COUPLING_UNIVERSAL = 0,
  COUPLING_E = 1,
  COUPLING_MU = 2,
  COUPLING_TAU = 3,
  N_COUPLINGS = 4
} dip_coupling;

enum dip_status {
  DIP_SUCCESS = 0,
  DIP_EINVAL = 1,   /* invalid argument or input value (bad card, bad config, bad CLI option) */
  DIP_EIO = 2,      /* file cannot be opened / read / written                                  */
  DIP_ENOMEM = 3,   /* allocation failed                                                       */
  DIP_ENUMERIC = 4, /* numerical failure (no convergence, non-finite result)                  */
  DIP_EMISMATCH = 5,/* existing output belongs to a different configuration                    */
  DIP_EMPI = 6,     /* MPI error                                                               */
  DIP_EHDF5 = 7,    /* HDF5 error                                                              */
  DIP_ESTOPPED = 8  /* stopped on request (signal); results are consistent and resumable       */
};

#define DIP_ERROR_MSG_LEN 1024

typedef struct dip_error {
  int status;                     /* last status stored (DIP_SUCCESS if none) */
  char msg[DIP_ERROR_MSG_LEN];    /* one line, no trailing newline            */
} dip_error;

/* Reset to "no error". */
void dip_error_clear(dip_error *err);

/* Store status and a printf-style message; returns status so callers can `return dip_error_set(...)`.
 * err may be NULL (the message is then dropped). */
int dip_error_set(dip_error *err, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepend context "<prefix>: " to the stored message; returns err->status. */
int dip_error_prefix(dip_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Name of a status code ("invalid input", "I/O error", ...). */
const char *dip_status_name(int status);

/* Switch off GSL's default aborting error handler (library code checks GSL return codes). */
void dip_gsl_quiet(void);

/* Propagate a non-zero status unchanged (context already in err). */
#define DIP_TRY(expr)                  \
  do {                                 \
    int dip_try_status_ = (expr);      \
    if (dip_try_status_ != DIP_SUCCESS) \
      return dip_try_status_;          \
  } while (0)

/* Checked allocation helpers: return NULL and set err on failure. */
void *dip_calloc(size_t n, size_t size, dip_error *err);
char *dip_strdup(const char *s, dip_error *err);

/* Read a whole file into a NUL-terminated buffer (caller frees); sets *len if non-NULL. */
int dip_read_file(const char *path, char **text, size_t *len, dip_error *err);

/* Join words as "a, b, c" into out[size] (truncated if too long), e.g. for "allowed: ..." messages. */
void dip_join(const char *const *items, size_t n, char *out, size_t size);

/* The one name <-> enum registry.  An enum whose values are 0..n-1 is described by the table of its
 * names (names[v] names value v); every module that turns a user's word into an enum (couplings,
 * data modes, electron models, flavour splits, solar models, thresholds, solar sources, card
 * fields) looks it up here, so every error lists the allowed values the same way. */
typedef struct dip_names {
  const char *what;           /* what the names are, for messages: "coupling", "solar model" */
  const char *const *names;   /* [n] */
  size_t n;
} dip_names;
#define DIP_NAMES(what, table) {(what), (table), sizeof(table) / sizeof *(table)}

/* Index of name in t, or -1. */
int dip_names_index(const dip_names *t, const char *name);
/* *out = the value named name; otherwise DIP_EINVAL "unknown WHAT 'NAME' (allowed: a, b, c)". */
int dip_names_find(const dip_names *t, const char *name, int *out, dip_error *err);
/* Name of value v ("?" when out of range). */
const char *dip_names_get(const dip_names *t, int v);
/* "a, b, c" into out[size]. */
void dip_names_list(const dip_names *t, char *out, size_t size);

/* FNV-1a 64-bit hash of a byte buffer, printed as 16 hex digits into out[17]
 * (used for config hashes and data-card checksums; not cryptographic). */
void dip_hash_hex(const void *data, size_t len, char out[17]);

/* Locate the data directory (the one holding solar/ and experiments/): $DIPSCAN_DATA if set,
 * else ../data, ../../data or ../share/dipscan/data relative to the running executable.
 * Writes the path (no trailing slash) into out[n]. */
int dip_data_dir(char *out, size_t n, dip_error *err);

#endif /* DIPSCAN_COMMON_H */
