/*
 * yamlx.c — strict YAML reader (see yamlx.h).
 *
 * libyaml's event parser feeds a recursive builder that turns the event stream into a tree of
 * yamlx_node.  Only plain YAML is accepted: one document, no anchors/aliases, no explicit tags,
 * no duplicate keys, scalar keys only.  All positions are reported 1-based as FILE:LINE:COL.
 */
#include "util/yamlx.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define YAMLX_MAX_DEPTH 64

typedef struct builder {
  yaml_parser_t parser;
  yamlx_doc *doc;
  dip_error *err;
} builder;

static void node_free(yamlx_node *node) {
  if (!node)
    return;
  for (size_t i = 0; i < node->n; i++) {
    node_free(node->items[i]);
    if (node->keys)
      node_free(node->keys[i]);
  }
  free(node->items);
  free(node->keys);
  free(node->scalar);
  free(node);
}

static const char *kind_name(yamlx_kind kind) {
  switch (kind) {
  case YAMLX_SCALAR: return "a scalar";
  case YAMLX_SEQUENCE: return "a sequence";
  default: return "a mapping";
  }
}

static int error_at(const builder *b, yaml_mark_t mark, const char *fmt, const char *detail) {
  char what[512];
  snprintf(what, sizeof what, fmt, detail);
  return dip_error_set(b->err, DIP_EINVAL, "%s:%lu:%lu: %s", b->doc->name,
                       (unsigned long)mark.line + 1, (unsigned long)mark.column + 1, what);
}

static int next_event(builder *b, yaml_event_t *ev) {
  if (yaml_parser_parse(&b->parser, ev))
    return DIP_SUCCESS;
  yaml_mark_t mark = b->parser.problem_mark;
  const char *problem = b->parser.problem ? b->parser.problem : "syntax error";
  char detail[400];
  if (b->parser.context)
    snprintf(detail, sizeof detail, "YAML syntax error: %s (%s)", problem, b->parser.context);
  else
    snprintf(detail, sizeof detail, "YAML syntax error: %s", problem);
  return error_at(b, mark, "%s", detail);
}

static yamlx_node *node_new(yamlx_kind kind, yaml_mark_t mark, dip_error *err) {
  yamlx_node *node = dip_calloc(1, sizeof *node, err);
  if (node) {
    node->kind = kind;
    node->line = (int)mark.line + 1;
    node->column = (int)mark.column + 1;
  }
  return node;
}

static int push_child(yamlx_node *parent, yamlx_node *key, yamlx_node *value, dip_error *err) {
  yamlx_node **items = realloc(parent->items, (parent->n + 1) * sizeof *items);
  if (!items)
    return dip_error_set(err, DIP_ENOMEM, "out of memory while parsing YAML");
  parent->items = items;
  if (parent->kind == YAMLX_MAPPING) {
    yamlx_node **keys = realloc(parent->keys, (parent->n + 1) * sizeof *keys);
    if (!keys)
      return dip_error_set(err, DIP_ENOMEM, "out of memory while parsing YAML");
    parent->keys = keys;
    parent->keys[parent->n] = key;
  }
  parent->items[parent->n++] = value;
  return DIP_SUCCESS;
}

static int build_node(builder *b, yaml_event_t *ev, int depth, yamlx_node **out);

static int reject_decorations(builder *b, const yaml_event_t *ev) {
  const yaml_char_t *anchor = NULL, *tag = NULL;
  int implicit = 1;
  if (ev->type == YAML_SCALAR_EVENT) {
    anchor = ev->data.scalar.anchor;
    tag = ev->data.scalar.tag;
    implicit = ev->data.scalar.plain_implicit || ev->data.scalar.quoted_implicit;
  } else if (ev->type == YAML_SEQUENCE_START_EVENT) {
    anchor = ev->data.sequence_start.anchor;
    tag = ev->data.sequence_start.tag;
  } else if (ev->type == YAML_MAPPING_START_EVENT) {
    anchor = ev->data.mapping_start.anchor;
    tag = ev->data.mapping_start.tag;
  }
  if (anchor)
    return error_at(b, ev->start_mark, "anchors (&%s) are not supported", (const char *)anchor);
  if (tag && !implicit)
    return error_at(b, ev->start_mark, "explicit tags (%s) are not supported", (const char *)tag);
  if (tag && ev->type != YAML_SCALAR_EVENT)
    return error_at(b, ev->start_mark, "explicit tags (%s) are not supported", (const char *)tag);
  return DIP_SUCCESS;
}

static int build_children(builder *b, yamlx_node *parent, int depth) {
  yaml_event_type_t end =
      parent->kind == YAMLX_MAPPING ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;
  for (;;) {
    yaml_event_t ev;
    DIP_TRY(next_event(b, &ev));
    if (ev.type == end) {
      yaml_event_delete(&ev);
      return DIP_SUCCESS;
    }
    yamlx_node *key = NULL, *value = NULL;
    int status;
    if (parent->kind == YAMLX_MAPPING) {
      status = build_node(b, &ev, depth + 1, &key);
      if (status == DIP_SUCCESS && key->kind != YAMLX_SCALAR)
        status = dip_error_set(b->err, DIP_EINVAL, "%s:%d:%d: mapping keys must be plain scalars",
                               b->doc->name, key->line, key->column);
      for (size_t i = 0; status == DIP_SUCCESS && i < parent->n; i++)
        if (!strcmp(parent->keys[i]->scalar, key->scalar))
          status = dip_error_set(b->err, DIP_EINVAL,
                                 "%s:%d:%d: duplicate key '%s' (first defined at line %d)",
                                 b->doc->name, key->line, key->column, key->scalar,
                                 parent->keys[i]->line);
      if (status == DIP_SUCCESS) {
        yaml_event_t vev;
        status = next_event(b, &vev);
        if (status == DIP_SUCCESS)
          status = build_node(b, &vev, depth + 1, &value);
      }
    } else {
      status = build_node(b, &ev, depth + 1, &value);
    }
    if (status == DIP_SUCCESS)
      status = push_child(parent, key, value, b->err);
    if (status != DIP_SUCCESS) {
      node_free(key);
      node_free(value);
      return status;
    }
  }
}

/* Consumes ev (deletes it). */
static int build_node(builder *b, yaml_event_t *ev, int depth, yamlx_node **out) {
  *out = NULL;
  int status = reject_decorations(b, ev);
  if (status == DIP_SUCCESS && depth > YAMLX_MAX_DEPTH)
    status = error_at(b, ev->start_mark, "nesting deeper than %s levels", "64");
  if (status == DIP_SUCCESS && ev->type == YAML_ALIAS_EVENT)
    status = error_at(b, ev->start_mark, "aliases (*%s) are not supported",
                      (const char *)ev->data.alias.anchor);
  yamlx_node *node = NULL;
  if (status == DIP_SUCCESS) {
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
      node = node_new(YAMLX_SCALAR, ev->start_mark, b->err);
      if (node) {
        node->scalar = dip_strdup((const char *)ev->data.scalar.value, b->err);
        node->quoted = ev->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
                       ev->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
        if (!node->scalar)
          status = DIP_ENOMEM;
      } else {
        status = DIP_ENOMEM;
      }
      break;
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
      node = node_new(ev->type == YAML_MAPPING_START_EVENT ? YAMLX_MAPPING : YAMLX_SEQUENCE,
                      ev->start_mark, b->err);
      status = node ? build_children(b, node, depth) : DIP_ENOMEM;
      break;
    default:
      status = error_at(b, ev->start_mark, "unexpected YAML event %s", "(structure)");
    }
  }
  yaml_event_delete(ev);
  if (status != DIP_SUCCESS) {
    node_free(node);
    return status;
  }
  *out = node;
  return DIP_SUCCESS;
}

static int expect_event(builder *b, yaml_event_type_t type, const char *what) {
  yaml_event_t ev;
  DIP_TRY(next_event(b, &ev));
  int ok = ev.type == type;
  yaml_mark_t mark = ev.start_mark;
  yaml_event_delete(&ev);
  return ok ? DIP_SUCCESS : error_at(b, mark, "expected %s", what);
}

static int build_document(builder *b) {
  DIP_TRY(expect_event(b, YAML_STREAM_START_EVENT, "the start of the stream"));
  yaml_event_t ev;
  DIP_TRY(next_event(b, &ev));
  if (ev.type == YAML_STREAM_END_EVENT) { /* empty file */
    yaml_event_delete(&ev);
    return DIP_SUCCESS;
  }
  yaml_event_delete(&ev); /* DOCUMENT-START */
  DIP_TRY(next_event(b, &ev));
  DIP_TRY(build_node(b, &ev, 0, &b->doc->root));
  DIP_TRY(expect_event(b, YAML_DOCUMENT_END_EVENT, "the end of the document"));
  DIP_TRY(next_event(b, &ev));
  int more = ev.type != YAML_STREAM_END_EVENT;
  yaml_mark_t mark = ev.start_mark;
  yaml_event_delete(&ev);
  return more ? error_at(b, mark, "%s", "only one YAML document per file is allowed")
              : DIP_SUCCESS;
}

int yamlx_load_string(yamlx_doc *doc, const char *text, size_t len, const char *name,
                      dip_error *err) {
  memset(doc, 0, sizeof *doc);
  doc->name = dip_strdup(name ? name : "<string>", err);
  doc->text = dip_calloc(len + 1, 1, err);
  if (!doc->name || !doc->text) {
    yamlx_free(doc);
    return DIP_ENOMEM;
  }
  memcpy(doc->text, text, len);
  doc->text_len = len;
  builder b = {.doc = doc, .err = err};
  if (!yaml_parser_initialize(&b.parser)) {
    yamlx_free(doc);
    return dip_error_set(err, DIP_ENOMEM, "%s: cannot initialise the YAML parser", name);
  }
  yaml_parser_set_input_string(&b.parser, (const unsigned char *)doc->text, len);
  int status = build_document(&b);
  yaml_parser_delete(&b.parser);
  if (status != DIP_SUCCESS)
    yamlx_free(doc);
  return status;
}

int yamlx_load_file(yamlx_doc *doc, const char *path, dip_error *err) {
  char *text = NULL;
  size_t len = 0;
  memset(doc, 0, sizeof *doc);
  DIP_TRY(dip_read_file(path, &text, &len, err));
  int status = yamlx_load_string(doc, text, len, path, err);
  free(text);
  return status;
}

void yamlx_free(yamlx_doc *doc) {
  if (!doc)
    return;
  node_free(doc->root);
  free(doc->name);
  free(doc->text);
  memset(doc, 0, sizeof *doc);
}

int yamlx_error(const yamlx_doc *doc, const yamlx_node *node, dip_error *err, const char *fmt,
                ...) {
  char what[DIP_ERROR_MSG_LEN];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  int line = node ? node->line : 1, column = node ? node->column : 1;
  return dip_error_set(err, DIP_EINVAL, "%s:%d:%d: %s", doc->name, line, column, what);
}

int yamlx_expect_kind(const yamlx_doc *doc, const yamlx_node *node, yamlx_kind kind,
                      const char *what, dip_error *err) {
  if (!node)
    return yamlx_error(doc, NULL, err, "'%s' expects %s, but the document is empty", what,
                       kind_name(kind));
  if (node->kind != kind)
    return yamlx_error(doc, node, err, "'%s' expects %s, found %s", what, kind_name(kind),
                       kind_name(node->kind));
  return DIP_SUCCESS;
}

const yamlx_node *yamlx_get(const yamlx_node *map, const char *key) {
  if (!map || map->kind != YAMLX_MAPPING)
    return NULL;
  for (size_t i = 0; i < map->n; i++)
    if (!strcmp(map->keys[i]->scalar, key))
      return map->items[i];
  return NULL;
}

int yamlx_require(const yamlx_doc *doc, const yamlx_node *map, const char *key,
                  const yamlx_node **out, dip_error *err) {
  *out = yamlx_get(map, key);
  if (!*out)
    return yamlx_error(doc, map, err, "missing required key '%s'", key);
  return DIP_SUCCESS;
}

int yamlx_to_string(const yamlx_doc *doc, const yamlx_node *node, const char *what,
                    const char **out, dip_error *err) {
  DIP_TRY(yamlx_expect_kind(doc, node, YAMLX_SCALAR, what, err));
  *out = node->scalar;
  return DIP_SUCCESS;
}

int yamlx_to_double(const yamlx_doc *doc, const yamlx_node *node, const char *what, double *out,
                    dip_error *err) {
  DIP_TRY(yamlx_expect_kind(doc, node, YAMLX_SCALAR, what, err));
  const char *s = node->scalar;
  char *end = NULL;
  errno = 0;
  double v = strtod(s, &end);
  if (node->quoted || end == s || *end != '\0' || !isfinite(v) || errno == ERANGE)
    return yamlx_error(doc, node, err, "'%s' expects a finite number, got '%s'", what, s);
  *out = v;
  return DIP_SUCCESS;
}

int yamlx_to_long(const yamlx_doc *doc, const yamlx_node *node, const char *what, long *out,
                  dip_error *err) {
  DIP_TRY(yamlx_expect_kind(doc, node, YAMLX_SCALAR, what, err));
  const char *s = node->scalar;
  char *end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (node->quoted || end == s || *end != '\0' || errno == ERANGE)
    return yamlx_error(doc, node, err, "'%s' expects an integer, got '%s'", what, s);
  *out = v;
  return DIP_SUCCESS;
}

int yamlx_to_bool(const yamlx_doc *doc, const yamlx_node *node, const char *what, int *out,
                  dip_error *err) {
  DIP_TRY(yamlx_expect_kind(doc, node, YAMLX_SCALAR, what, err));
  const char *s = node->scalar;
  if (!node->quoted && (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "yes"))) {
    *out = 1;
    return DIP_SUCCESS;
  }
  if (!node->quoted && (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "no"))) {
    *out = 0;
    return DIP_SUCCESS;
  }
  return yamlx_error(doc, node, err, "'%s' expects true or false, got '%s'", what, s);
}

int yamlx_to_enum(const yamlx_doc *doc, const yamlx_node *node, const char *what,
                  const char *const *allowed, size_t n_allowed, int *out, dip_error *err) {
  const char *s;
  DIP_TRY(yamlx_to_string(doc, node, what, &s, err));
  dip_names table = {what, allowed, n_allowed};
  if ((*out = dip_names_index(&table, s)) >= 0)
    return DIP_SUCCESS;
  char list[512];
  dip_names_list(&table, list, sizeof list);
  return yamlx_error(doc, node, err, "'%s' must be one of: %s (got '%s')", what, list, s);
}

int yamlx_to_double_array(const yamlx_doc *doc, const yamlx_node *node, const char *what,
                          double **out, size_t *n, dip_error *err) {
  *out = NULL;
  *n = 0;
  DIP_TRY(yamlx_expect_kind(doc, node, YAMLX_SEQUENCE, what, err));
  double *v = dip_calloc(node->n, sizeof *v, err);
  if (!v)
    return DIP_ENOMEM;
  for (size_t i = 0; i < node->n; i++) {
    char item[256];
    snprintf(item, sizeof item, "%s[%zu]", what, i);
    int status = yamlx_to_double(doc, node->items[i], item, &v[i], err);
    if (status != DIP_SUCCESS) {
      free(v);
      return status;
    }
  }
  *out = v;
  *n = node->n;
  return DIP_SUCCESS;
}

int yamlx_req_double(const yamlx_doc *doc, const yamlx_node *map, const char *key, double *out,
                     dip_error *err) {
  const yamlx_node *node;
  DIP_TRY(yamlx_require(doc, map, key, &node, err));
  return yamlx_to_double(doc, node, key, out, err);
}

int yamlx_opt_double(const yamlx_doc *doc, const yamlx_node *map, const char *key, double *out,
                     dip_error *err) {
  const yamlx_node *node = yamlx_get(map, key);
  return node ? yamlx_to_double(doc, node, key, out, err) : DIP_SUCCESS;
}

int yamlx_opt_long(const yamlx_doc *doc, const yamlx_node *map, const char *key, long *out,
                   dip_error *err) {
  const yamlx_node *node = yamlx_get(map, key);
  return node ? yamlx_to_long(doc, node, key, out, err) : DIP_SUCCESS;
}

int yamlx_req_string(const yamlx_doc *doc, const yamlx_node *map, const char *key,
                     const char **out, dip_error *err) {
  const yamlx_node *node;
  DIP_TRY(yamlx_require(doc, map, key, &node, err));
  return yamlx_to_string(doc, node, key, out, err);
}

int yamlx_opt_string(const yamlx_doc *doc, const yamlx_node *map, const char *key,
                     const char **out, dip_error *err) {
  const yamlx_node *node = yamlx_get(map, key);
  return node ? yamlx_to_string(doc, node, key, out, err) : DIP_SUCCESS;
}

int yamlx_opt_bool(const yamlx_doc *doc, const yamlx_node *map, const char *key, int *out,
                   dip_error *err) {
  const yamlx_node *node = yamlx_get(map, key);
  return node ? yamlx_to_bool(doc, node, key, out, err) : DIP_SUCCESS;
}

int yamlx_req_double_array(const yamlx_doc *doc, const yamlx_node *map, const char *key,
                           double **out, size_t *n, dip_error *err) {
  const yamlx_node *node;
  DIP_TRY(yamlx_require(doc, map, key, &node, err));
  return yamlx_to_double_array(doc, node, key, out, n, err);
}

int yamlx_check_keys(const yamlx_doc *doc, const yamlx_node *map, const char *context,
                     const char *const *allowed, size_t n_allowed, dip_error *err) {
  DIP_TRY(yamlx_expect_kind(doc, map, YAMLX_MAPPING, context, err));
  for (size_t i = 0; i < map->n; i++) {
    const char *key = map->keys[i]->scalar;
    size_t j = 0;
    while (j < n_allowed && strcmp(key, allowed[j]))
      j++;
    if (j < n_allowed)
      continue;
    char list[768];
    dip_join(allowed, n_allowed, list, sizeof list);
    return yamlx_error(doc, map->keys[i], err, "unknown key '%s' in %s; allowed keys: %s", key,
                       context, list);
  }
  return DIP_SUCCESS;
}
