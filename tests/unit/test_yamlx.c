/*
 * test_yamlx.c — the strict YAML reader: values, positions in messages, rejected constructs.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "util/yamlx.h"

static int load(yamlx_doc *doc, const char *text, dip_error *err) {
  return yamlx_load_string(doc, text, strlen(text), "t.yaml", err);
}

/* Loading must fail and the message must contain `needle`. */
static void expect_load_error(const char *text, const char *needle, const char *name) {
  yamlx_doc doc;
  dip_error err;
  dip_error_clear(&err);
  int status = load(&doc, text, &err);
  if (status == DIP_SUCCESS)
    yamlx_free(&doc);
  test_report(status != DIP_SUCCESS && strstr(err.msg, needle) != NULL, name,
              "status %d, message '%s', wanted '%s'", status, err.msg, needle);
}

static void test_values(void) {
  const char *text = "name: demo\nexposure: 1.16\nbins: [1, 2, 3.5]\nflag: true\n"
                     "nested:\n  count: 7\n  word: free\n";
  yamlx_doc doc;
  dip_error err;
  int status = load(&doc, text, &err);
  test_true(status == DIP_SUCCESS, "valid document loads");
  if (status != DIP_SUCCESS)
    return;
  const char *name = NULL;
  double exposure = 0, *bins = NULL;
  size_t n = 0;
  long count = 0;
  int flag = 0, which = -1;
  static const char *const words[] = {"fixed", "free"};
  const yamlx_node *nested = yamlx_get(doc.root, "nested");
  status = yamlx_req_string(&doc, doc.root, "name", &name, &err) ||
           yamlx_req_double(&doc, doc.root, "exposure", &exposure, &err) ||
           yamlx_to_double_array(&doc, yamlx_get(doc.root, "bins"), "bins", &bins, &n, &err) ||
           yamlx_opt_bool(&doc, doc.root, "flag", &flag, &err) ||
           yamlx_opt_long(&doc, nested, "count", &count, &err) ||
           yamlx_to_enum(&doc, yamlx_get(nested, "word"), "word", words, 2, &which, &err);
  test_true(status == DIP_SUCCESS, "typed getters succeed");
  test_true(name && !strcmp(name, "demo"), "string value");
  test_rel(exposure, 1.16, 1e-15, "double value");
  test_true(n == 3 && bins && bins[2] == 3.5, "double array");
  test_true(flag == 1 && count == 7 && which == 1, "bool, long and enum values");
  static const char *const top[] = {"name", "exposure", "bins", "flag", "nested"};
  test_true(yamlx_check_keys(&doc, doc.root, "the test", top, 5, &err) == DIP_SUCCESS,
            "all keys allowed");
  test_true(yamlx_check_keys(&doc, doc.root, "the test", top, 4, &err) == DIP_EINVAL &&
                strstr(err.msg, "t.yaml:5:1: unknown key 'nested'") != NULL,
            "unknown key reported with line:col");
  free(bins);
  yamlx_free(&doc);
}

static void test_conversion_errors(void) {
  yamlx_doc doc;
  dip_error err;
  if (load(&doc, "a: abc\nb: nan\nc: 1e999\nd: '3'\ne: [1, x]\nf: maybe\ng: other\n", &err)) {
    test_true(0, "conversion fixture loads");
    return;
  }
  double v;
  double *arr;
  size_t n;
  int flag, which;
  static const char *const words[] = {"free", "stepping"};
  test_true(yamlx_req_double(&doc, doc.root, "a", &v, &err) == DIP_EINVAL &&
                strstr(err.msg, "t.yaml:1:4: 'a' expects a finite number, got 'abc'"),
            "non-number rejected with position");
  test_true(yamlx_req_double(&doc, doc.root, "b", &v, &err) == DIP_EINVAL, "nan rejected");
  test_true(yamlx_req_double(&doc, doc.root, "c", &v, &err) == DIP_EINVAL, "overflow rejected");
  test_true(yamlx_req_double(&doc, doc.root, "d", &v, &err) == DIP_EINVAL,
            "quoted number rejected");
  test_true(yamlx_to_double_array(&doc, yamlx_get(doc.root, "e"), "e", &arr, &n, &err) == DIP_EINVAL &&
                strstr(err.msg, "e[1]"),
            "bad array item named");
  test_true(yamlx_opt_bool(&doc, doc.root, "f", &flag, &err) == DIP_EINVAL, "bad bool");
  test_true(yamlx_to_enum(&doc, yamlx_get(doc.root, "g"), "g", words, 2, &which, &err) ==
                    DIP_EINVAL &&
                strstr(err.msg, "must be one of: free, stepping"),
            "enum error lists allowed values");
  test_true(yamlx_req_double(&doc, doc.root, "zz", &v, &err) == DIP_EINVAL &&
                strstr(err.msg, "missing required key 'zz'"),
            "missing key");
  test_true(yamlx_to_double_array(&doc, yamlx_get(doc.root, "a"), "a", &arr, &n, &err) == DIP_EINVAL &&
                strstr(err.msg, "expects a sequence, found a scalar"),
            "wrong kind");
  yamlx_free(&doc);
}

int main(void) {
  test_suite("yamlx");
  test_values();
  test_conversion_errors();
  expect_load_error("a: 1\na: 2\n", "t.yaml:2:1: duplicate key 'a'", "duplicate key");
  expect_load_error("a: &x 1\nb: *x\n", "anchors", "anchors rejected");
  expect_load_error("a: !!float 1\n", "explicit tags", "tags rejected");
  expect_load_error("a: [1, 2\n", "YAML syntax error", "syntax error reported");
  expect_load_error("a: 1\n---\nb: 2\n", "only one YAML document", "multiple documents");
  expect_load_error("? [1, 2]\n: 3\n", "mapping keys must be plain scalars", "complex key");
  yamlx_doc doc;
  dip_error err;
  test_true(load(&doc, "", &err) == DIP_SUCCESS && doc.root == NULL, "empty document loads");
  yamlx_free(&doc);
  test_true(yamlx_load_file(&doc, "/nonexistent/x.yaml", &err) == DIP_EIO &&
                strstr(err.msg, "cannot open"),
            "missing file is an I/O error");
  return test_summary();
}
