/*
 * provenance.c — the (key, value) list a table of limits carries, and its JSON sidecar (see
 * provenance.h).  Values come from the reduction (its conventions) and from the cube's root
 * attributes and resolved configuration text; nothing is recomputed here.
 */
#include "output/provenance.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int add(provenance *p, const char *key, const char *fmt, ...) {
  if (p->n >= PROVENANCE_MAX_ITEMS)
    return DIP_EINVAL;
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  p->key[p->n] = strdup(key);
  p->value[p->n] = strdup(buf);
  if (!p->key[p->n] || !p->value[p->n]) {
    free(p->key[p->n]);
    free(p->value[p->n]);
    return DIP_ENOMEM;
  }
  p->n++;
  return DIP_SUCCESS;
}

/* The value of `key: value` in the cube's resolved configuration text ("" if absent). */
static void config_value(const reduce_cube *c, const char *key, char *out, size_t n) {
  const char *text = cube_data_text(&c->loaded, "config");
  size_t len = strlen(key);
  out[0] = '\0';
  for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
    if (!strncmp(line, key, len) && line[len] == ':' && line[len + 1] == ' ') {
      const char *end = strchr(line, '\n');
      snprintf(out, n, "%.*s", (int)(end ? (size_t)(end - line) - len - 2 : strlen(line + len + 2)),
               line + len + 2);
      return;
    }
}

/* A root attribute of the cube, or the configuration key when the cube has no such attribute. */
static int add_choice(provenance *p, const reduce_cube *c, const char *name, const char *config_key) {
  char v[512];
  snprintf(v, sizeof v, "%s", cube_data_text(&c->loaded, name));
  if (!v[0])
    config_value(c, config_key, v, sizeof v);
  return add(p, name, "%s", v[0] ? v : "unknown");
}

int provenance_init(provenance *p, const reduce_result *r, const reduce_cube *c,
                    const char *cube_path, const char *version, dip_error *err) {
  memset(p, 0, sizeof *p);
  p->cube = c;
  char when[32];
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  int rc = add(p, "cube", "%s", cube_path);
  rc |= add(p, "reduced_by", "%s", version);
  rc |= add(p, "reduced_at", "%s", when);
  rc |= add(p, "cl", "%.6g", r->cl);
  rc |= add(p, "threshold", "%s", threshold_name(r->kind));
  rc |= add(p, "delta_chi2_1dof", "%.6f", r->delta_chi2_1dof);
  rc |= add(p, "delta_chi2_2dof", "%.6f", r->delta_chi2_2dof);
  rc |= add_choice(p, c, "data", "statistics.data");
  rc |= add_choice(p, c, "split", "physics.split");
  rc |= add_choice(p, c, "electrons", "physics.electrons");
  rc |= add_choice(p, c, "solar_model", "physics.solar_model");
  rc |= add_choice(p, c, "sources", "physics.sources");
  rc |= add_choice(p, c, "day_night", "physics.day_night");
  rc |= add_choice(p, c, "background", "physics.background");
  rc |= add_choice(p, c, "expected", "statistics.expected");
  rc |= add_choice(p, c, "mu_unit", "mu_unit");
  rc |= add_choice(p, c, "m4_unit", "m4_unit");
  const char *scan_version = cube_data_text(&c->loaded, "dipscan_version");
  rc |= add(p, "scan_version", "%s", scan_version[0] ? scan_version : "unknown");
  const char *hash = cube_data_text(&c->loaded, "config_hash");
  rc |= add(p, "config_hash", "%s", hash[0] ? hash : "unknown");
  rc |= add(p, "cube_status", "%s", c->status[0] ? c->status : "unknown");
  if (rc != DIP_SUCCESS) {
    provenance_free(p);
    return dip_error_set(err, DIP_ENOMEM, "provenance: out of memory");
  }
  return DIP_SUCCESS;
}

void provenance_free(provenance *p) {
  for (size_t i = 0; i < p->n; i++) {
    free(p->key[i]);
    free(p->value[i]);
  }
  memset(p, 0, sizeof *p);
}

const char *provenance_get(const provenance *p, const char *key) {
  for (size_t i = 0; i < p->n; i++)
    if (!strcmp(p->key[i], key))
      return p->value[i];
  return "";
}

void provenance_json_string(FILE *fp, const char *text) {
  fputc('"', fp);
  for (const unsigned char *s = (const unsigned char *)text; *s; s++) {
    if (*s == '"' || *s == '\\')
      fprintf(fp, "\\%c", *s);
    else if (*s == '\n')
      fputs("\\n", fp);
    else if (*s < 0x20)
      fprintf(fp, "\\u%04x", *s);
    else
      fputc(*s, fp);
  }
  fputc('"', fp);
}

/* A value that is a finite number is written as a JSON number, anything else as a string. */
static void json_value(FILE *fp, const char *v) {
  char *end;
  errno = 0;
  double x = strtod(v, &end);
  if (v[0] && !*end && !errno && isfinite(x) && strspn(v, "0123456789.eE+-") == strlen(v))
    fputs(v, fp);
  else
    provenance_json_string(fp, v);
}

static void json_cards(FILE *fp, const reduce_cube *c) {
  const cube_data *d = &c->loaded;
  fputs("  \"cards\": [", fp);
  for (size_t i = 0; i < d->n_cards; i++) {
    fprintf(fp, "%s\n    {\"name\": ", i ? "," : "");
    provenance_json_string(fp, d->card_names[i]);
    fputs(", \"checksum\": ", fp);
    provenance_json_string(fp, d->card_checksums ? d->card_checksums[i] : "unknown");
    fputs(", \"title\": ", fp);
    provenance_json_string(fp, d->card_titles ? d->card_titles[i] : d->card_names[i]);
    fputs(", \"flags\": ", fp);
    provenance_json_string(fp, d->card_flags ? d->card_flags[i] : "unknown");
    fputc('}', fp);
  }
  fputs(d->n_cards ? "\n  ],\n" : "],\n", fp);
}

static const char *const columns[][2] = {
    {"experiment", "entry: a card name, or a joint fit a+b"},
    {"coupling", "universal, e, mu or tau: which transition moment is on"},
    {"m4_MeV", "sterile-state mass [MeV]"},
    {"data", "observed or asimov"},
    {"cl", "confidence level"},
    {"dof", "1: Delta chi^2 w.r.t. the minimum over mu at fixed m4; 2: w.r.t. the plane's minimum"},
    {"mu_limit_muB", "upper limit on the transition moment [mu_B]; 2 dof: upper edge"},
    {"expected_m2_muB .. expected_p2_muB", "expected 1-dof limit at -2..+2 sigma [mu_B] (scans "
                                           "with an expected sensitivity)"},
    {"mu_limit_pcl_muB", "power-constrained limit [mu_B]"},
    {"z_local", "local significance of the best fit"},
    {"status", "what mu_limit_muB is (see \"status\")"}};

static const char *const statuses[][2] = {
    {"ok", "crossed inside the mu grid"},
    {"above_grid", "above the largest mu of the grid: 1 dof the engine's root-found value, 2 dof inf"},
    {"below_grid", "below the smallest mu of the grid (engine value or mu^2 interpolation)"},
    {"no_sensitivity", "chi^2 never rises by the threshold: inf"},
    {"all_excluded", "2 dof: no mu >= 0 allowed at this m4: 0"},
    {"failed", "the unit's chi^2 profile or limit search failed: nan"}};

static void json_table(FILE *fp, const char *name, const char *const (*rows)[2], size_t n, int last) {
  fprintf(fp, "  \"%s\": {", name);
  for (size_t i = 0; i < n; i++) {
    fprintf(fp, "%s\n    ", i ? "," : "");
    provenance_json_string(fp, rows[i][0]);
    fputs(": ", fp);
    provenance_json_string(fp, rows[i][1]);
  }
  fprintf(fp, "\n  }%s\n", last ? "" : ",");
}

int provenance_write_json(const provenance *p, const char *csv_path, dip_error *err) {
  char path[4200], tmp[4300];
  snprintf(path, sizeof path, "%s.json", csv_path);
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *fp = fopen(tmp, "w");
  if (!fp)
    return dip_error_set(err, DIP_EIO, "%s: cannot open for writing: %s", tmp, strerror(errno));
  fputs("{\n  \"format\": \"dipscan limits CSV provenance, version 1 (docs/output.md)\",\n", fp);
  for (size_t i = 0; i < p->n; i++) {
    fprintf(fp, "  \"%s\": ", p->key[i]);
    json_value(fp, p->value[i]);
    fputs(",\n", fp);
  }
  fputs("  \"config\": ", fp);
  provenance_json_string(fp, cube_data_text(&p->cube->loaded, "config"));
  fputs(",\n", fp);
  json_cards(fp, p->cube);
  json_table(fp, "columns", columns, sizeof columns / sizeof *columns, 0);
  json_table(fp, "status", statuses, sizeof statuses / sizeof *statuses, 1);
  fputs("}\n", fp);
  int failed = fflush(fp) != 0 || ferror(fp);
  failed |= fclose(fp) != 0;
  if (failed || rename(tmp, path) != 0) {
    unlink(tmp);
    return dip_error_set(err, DIP_EIO, "%s: write error: %s", path, strerror(errno));
  }
  return DIP_SUCCESS;
}
