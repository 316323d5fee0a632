/*
 * yamlx.h — strict YAML reader shared by experiment cards, solar data files and scan configs.
 *
 * The whole document is parsed with libyaml into a small tree (mapping / sequence / scalar), each
 * node remembering its file:line:column.  Readers first call yamlx_check_keys() on every mapping
 * with the schema's list of allowed keys, then pull the keys they know; a typo such as `expsure:`
 * is an error, not a silently ignored line (CLASS input.c style).
 *
 * Every error message starts with "FILE:LINE:COL: " (1-based) and says what was expected.
 * Anchors/aliases, tags and duplicate keys are rejected.  Ownership: yamlx_doc owns every node and
 * string; pointers returned by getters live until yamlx_free().
 */
#ifndef DIPSCAN_YAMLX_H
#define DIPSCAN_YAMLX_H

#include <stddef.h>

#include "util/common.h"

typedef enum { YAMLX_SCALAR, YAMLX_SEQUENCE, YAMLX_MAPPING } yamlx_kind;

typedef struct yamlx_node yamlx_node;
struct yamlx_node {
  yamlx_kind kind;
  int line, column;        /* 1-based position of the node's start */
  char *scalar;            /* YAMLX_SCALAR: the text (never NULL for scalars) */
  int quoted;              /* scalar was quoted ('...' or "...") */
  size_t n;                /* number of items (sequence) or key/value pairs (mapping) */
  yamlx_node **items;      /* sequence items, or mapping values */
  yamlx_node **keys;       /* mapping keys (scalars), parallel to items */
};

typedef struct yamlx_doc {
  char *name;              /* file name used in messages */
  yamlx_node *root;        /* NULL for an empty document */
  char *text;              /* the raw text (for checksums) */
  size_t text_len;
} yamlx_doc;

/* Parse a file / an in-memory buffer (`name` is used in messages). */
int yamlx_load_file(yamlx_doc *doc, const char *path, dip_error *err);
int yamlx_load_string(yamlx_doc *doc, const char *text, size_t len, const char *name,
                      dip_error *err);
void yamlx_free(yamlx_doc *doc);

/* Error helper: sets err to "NAME:LINE:COL: <message>" for node (or the document start if NULL). */
int yamlx_error(const yamlx_doc *doc, const yamlx_node *node, dip_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Require the node to be of a kind ("expected a mapping, found a sequence"). */
int yamlx_expect_kind(const yamlx_doc *doc, const yamlx_node *node, yamlx_kind kind,
                      const char *what, dip_error *err);

/* Mapping lookup.  Returns NULL when absent (no error). */
const yamlx_node *yamlx_get(const yamlx_node *map, const char *key);
/* As yamlx_get but absence is an error ("missing required key 'x' in <context>"). */
int yamlx_require(const yamlx_doc *doc, const yamlx_node *map, const char *key,
                  const yamlx_node **out, dip_error *err);

/* Scalar conversions with full validation (whole string consumed, finite, in range).
 * They name the key/node in the message, e.g. "3:12: 'exposure' expects a finite number, got 'abc'". */
int yamlx_to_double(const yamlx_doc *doc, const yamlx_node *node, const char *what, double *out,
                    dip_error *err);
int yamlx_to_long(const yamlx_doc *doc, const yamlx_node *node, const char *what, long *out,
                  dip_error *err);
int yamlx_to_bool(const yamlx_doc *doc, const yamlx_node *node, const char *what, int *out,
                  dip_error *err);
/* The scalar's text (not copied). */
int yamlx_to_string(const yamlx_doc *doc, const yamlx_node *node, const char *what,
                    const char **out, dip_error *err);
/* One of a fixed set of words; the error lists the allowed values.  *out = index in allowed[]. */
int yamlx_to_enum(const yamlx_doc *doc, const yamlx_node *node, const char *what,
                  const char *const *allowed, size_t n_allowed, int *out, dip_error *err);
/* Sequence of numbers -> newly allocated array (caller frees); *n = length. */
int yamlx_to_double_array(const yamlx_doc *doc, const yamlx_node *node, const char *what,
                          double **out, size_t *n, dip_error *err);

/* Convenience: required / optional typed keys of a mapping.  The optional forms leave *out unchanged
 * when the key is absent (so callers set defaults first). */
int yamlx_req_double(const yamlx_doc *doc, const yamlx_node *map, const char *key, double *out,
                     dip_error *err);
int yamlx_opt_double(const yamlx_doc *doc, const yamlx_node *map, const char *key, double *out,
                     dip_error *err);
int yamlx_opt_long(const yamlx_doc *doc, const yamlx_node *map, const char *key, long *out,
                   dip_error *err);
int yamlx_req_string(const yamlx_doc *doc, const yamlx_node *map, const char *key,
                     const char **out, dip_error *err);
int yamlx_opt_string(const yamlx_doc *doc, const yamlx_node *map, const char *key,
                     const char **out, dip_error *err);
int yamlx_opt_bool(const yamlx_doc *doc, const yamlx_node *map, const char *key, int *out,
                   dip_error *err);
int yamlx_req_double_array(const yamlx_doc *doc, const yamlx_node *map, const char *key,
                           double **out, size_t *n, dip_error *err);

/* Every key of `map` must be one of allowed[]; otherwise "L:C: unknown key 'x' in <context>;
 * allowed keys: a, b, c".  Also fails if `map` is not a mapping. */
int yamlx_check_keys(const yamlx_doc *doc, const yamlx_node *map, const char *context,
                     const char *const *allowed, size_t n_allowed, dip_error *err);

#endif /* DIPSCAN_YAMLX_H */
