/*
 * fuzz_yamlx.c — libFuzzer harness for the strict YAML reader (src/util/yamlx.c).
 *
 * The input bytes are parsed with yamlx_load_string(); a document that loads is then walked
 * completely, and every node is pushed through every typed getter (double, long, bool, string,
 * enum, double array, key check, lookups of present and absent keys).  Getters may refuse a node,
 * but must then say why in one line; lookups must find exactly the value stored under each key.
 */
#include <stdlib.h>

#include "fuzz.h"
#include "util/yamlx.h"

static const char *const fuzz_yamlx_words[] = {"free", "stepping", "true", "1"};

/* Scalar getters: on a scalar they may refuse the text; on a container they must refuse the kind. */
static void fuzz_yamlx_scalar_getters(const yamlx_doc *doc, const yamlx_node *node) {
  dip_error err;
  double d;
  long l;
  int b, which;
  const char *s;
  int status;
  dip_error_clear(&err);
  if ((status = yamlx_to_double(doc, node, "x", &d, &err)) != DIP_SUCCESS)
    FUZZ_CHECK(fuzz_message_ok(status, &err), "yamlx_to_double message");
  if ((status = yamlx_to_long(doc, node, "x", &l, &err)) != DIP_SUCCESS)
    FUZZ_CHECK(fuzz_message_ok(status, &err), "yamlx_to_long message");
  if ((status = yamlx_to_bool(doc, node, "x", &b, &err)) != DIP_SUCCESS)
    FUZZ_CHECK(fuzz_message_ok(status, &err), "yamlx_to_bool message");
  status = yamlx_to_string(doc, node, "x", &s, &err);
  if (node->kind != YAMLX_SCALAR) {
    FUZZ_CHECK(status == DIP_EINVAL && fuzz_message_ok(status, &err), "container is no string");
    return;
  }
  FUZZ_CHECK(status == DIP_SUCCESS && s == node->scalar, "yamlx_to_string of a scalar");
  status = yamlx_to_enum(doc, node, "x", fuzz_yamlx_words, 4, &which, &err);
  if (status != DIP_SUCCESS)
    FUZZ_CHECK(fuzz_message_ok(status, &err), "yamlx_to_enum message");
  else
    FUZZ_CHECK(which >= 0 && which < 4 && !strcmp(s, fuzz_yamlx_words[which]), "enum index");
}

/* Container getters: on the wrong kind they must refuse with a message. */
static void fuzz_yamlx_container_getters(const yamlx_doc *doc, const yamlx_node *node) {
  dip_error err;
  double *v = NULL;
  size_t n = 0;
  int status = yamlx_to_double_array(doc, node, "x", &v, &n, &err);
  if (status != DIP_SUCCESS)
    FUZZ_CHECK(fuzz_message_ok(status, &err) && v == NULL, "yamlx_to_double_array failure");
  else
    FUZZ_CHECK(node->kind == YAMLX_SEQUENCE && n == node->n, "double array length");
  free(v);
  static const char *const allowed[] = {"a", "name", "bins"};
  status = yamlx_check_keys(doc, node, "the fuzz input", allowed, 3, &err);
  if (status != DIP_SUCCESS)
    FUZZ_CHECK(fuzz_message_ok(status, &err), "yamlx_check_keys message");
  if (node->kind != YAMLX_MAPPING)
    return;
  for (size_t i = 0; i < node->n; i++)
    FUZZ_CHECK(node->keys[i]->kind == YAMLX_SCALAR &&
                   yamlx_get(node, node->keys[i]->scalar) == node->items[i],
               "yamlx_get finds the value of every (unique) key");
  const char *probe = "no_such_key";
  const yamlx_node *found = yamlx_get(node, probe), *required = NULL;
  status = yamlx_require(doc, node, probe, &required, &err);
  FUZZ_CHECK(required == found, "yamlx_require agrees with yamlx_get");
  if (!found)
    FUZZ_CHECK(status == DIP_EINVAL && fuzz_message_ok(status, &err), "absent key reported");
}

static void fuzz_yamlx_walk(const yamlx_doc *doc, const yamlx_node *node) {
  FUZZ_CHECK(node->line >= 1 && node->column >= 1, "node position is 1-based");
  if (node->kind == YAMLX_SCALAR) {
    FUZZ_CHECK(node->scalar != NULL && node->n == 0, "scalar node shape");
  } else {
    FUZZ_CHECK(node->items != NULL || node->n == 0, "container node shape");
  }
  fuzz_yamlx_scalar_getters(doc, node);
  fuzz_yamlx_container_getters(doc, node);
  for (size_t i = 0; i < node->n; i++)
    fuzz_yamlx_walk(doc, node->items[i]);
}

FUZZ_TARGET(fuzz_yamlx) {
  yamlx_doc doc;
  dip_error err;
  dip_error_clear(&err);
  int status = yamlx_load_string(&doc, (const char *)data, size, "fuzz.yaml", &err);
  if (status != DIP_SUCCESS) {
    FUZZ_CHECK(fuzz_message_ok(status, &err), "yamlx_load_string failure message");
    FUZZ_CHECK(doc.root == NULL && doc.name == NULL && doc.text == NULL, "failed load frees all");
    return 0;
  }
  FUZZ_CHECK(doc.text_len == size && !memcmp(doc.text, data, size), "raw text kept");
  if (doc.root)
    fuzz_yamlx_walk(&doc, doc.root);
  yamlx_free(&doc);
  return 0;
}
