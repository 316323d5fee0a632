/*
 * hepdata.c — the HEPData export of a reduction (format and contents in hepdata.h).
 *
 * YAML is written by hand in the small subset the format needs: mappings, sequences, single-quoted
 * strings (a quote doubled inside) and numbers in %e notation (with a '.' and a signed exponent, so
 * every YAML 1.1 reader, PyYAML included, reads them as floats).
 */
#include "output/hepdata.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stats/bands.h"

static void put_quoted(FILE *fp, const char *text) {
  fputc('\'', fp);
  for (const char *s = text; *s; s++) {
    if (*s == '\'')
      fputc('\'', fp);
    fputc(*s == '\n' ? ' ' : *s, fp);
  }
  fputc('\'', fp);
}

/* A value: a number, 'inf' (no sensitivity) or '-' (not available). */
static void put_number(FILE *fp, double v) {
  if (isnan(v))
    fputs("'-'", fp);
  else if (isinf(v))
    fputs("'inf'", fp);
  else
    fprintf(fp, "%.6e", v);
}

/* The card titles and "name=checksum" of an entry's members ("a+b" is cards a and b). */
static void entry_cards(const reduce_cube *c, size_t e, char *titles, size_t nt, char *sums,
                        size_t ns) {
  const cube_data *d = &c->loaded;
  titles[0] = sums[0] = '\0';
  char name[512];
  snprintf(name, sizeof name, "%s", c->entries[e]);
  for (char *save = NULL, *tok = strtok_r(name, "+", &save); tok; tok = strtok_r(NULL, "+", &save)) {
    size_t k = 0;
    while (k < d->n_cards && strcmp(d->card_names[k], tok))
      k++;
    const char *title = k < d->n_cards && d->card_titles ? d->card_titles[k] : tok;
    const char *sum = k < d->n_cards && d->card_checksums ? d->card_checksums[k] : "unknown";
    snprintf(titles + strlen(titles), nt - strlen(titles), "%s%s", titles[0] ? " + " : "", title);
    snprintf(sums + strlen(sums), ns - strlen(sums), "%s%s=%s", sums[0] ? ", " : "", tok, sum);
  }
}

typedef struct table_ctx {
  FILE *fp;
  const reduce_result *r;
  const reduce_cube *c;
  const provenance *p;
  size_t e, f;
} table_ctx;

static void put_qualifiers(const table_ctx *t, int dof) {
  FILE *fp = t->fp;
  char titles[2048], sums[2048];
  entry_cards(t->c, t->e, titles, sizeof titles, sums, sizeof sums);
  const char *const from_list[][2] = {{"threshold", "threshold"},
                                      {"data", "data"},
                                      {"dipscan version", "reduced_by"},
                                      {"config hash", "config_hash"}};
  fputs("  qualifiers:\n", fp);
  for (size_t i = 0; i < sizeof from_list / sizeof *from_list; i++) {
    fprintf(fp, "  - {name: '%s', value: ", from_list[i][0]);
    put_quoted(fp, provenance_get(t->p, from_list[i][1]));
    fputs("}\n", fp);
  }
  fprintf(fp, "  - {name: 'CL', value: %s}\n", provenance_get(t->p, "cl"));
  fprintf(fp, "  - {name: 'dof', value: %d}\n", dof);
  fprintf(fp, "  - {name: 'Delta chi2', value: %s}\n",
          provenance_get(t->p, dof == 1 ? "delta_chi2_1dof" : "delta_chi2_2dof"));
  fputs("  - {name: 'experiment', value: ", fp);
  put_quoted(fp, titles);
  fputs("}\n  - {name: 'coupling', value: ", fp);
  put_quoted(fp, t->c->couplings[t->f]);
  fputs("}\n  - {name: 'card checksums', value: ", fp);
  put_quoted(fp, sums);
  fputs("}\n", fp);
}

static size_t unit_of(const table_ctx *t, size_t m) { return reduce_unit(t->c, t->e, t->f, m); }

/* One dependent variable of plain values v[unit] (NULL: the 1-dof statuses as text). */
static void put_column(const table_ctx *t, const char *name, int dof, const double *v) {
  FILE *fp = t->fp;
  fprintf(fp, "- header: {name: '%s', units: '%s'}\n", name, v ? "mu_B" : "");
  put_qualifiers(t, dof);
  fputs("  values:\n", fp);
  for (size_t m = 0; m < t->c->n_m4; m++) {
    size_t u = unit_of(t, m);
    if (!t->c->done[u])
      continue;
    fputs("  - value: ", fp);
    if (!v)
      put_quoted(fp, reduce_status_name(t->r->status_1dof[u]));
    else
      put_number(fp, dof == 2 && t->r->status_2dof[u] == REDUCE_ALL_EXCLUDED ? 0.0 : v[u]);
    fputc('\n', fp);
  }
}

/* The expected median with the 1- and 2-sigma bands as asymmetric errors. */
static void put_expected(const table_ctx *t, const double *band) {
  FILE *fp = t->fp;
  fputs("- header: {name: 'mu upper limit, expected median (1 dof)', units: 'mu_B'}\n", fp);
  put_qualifiers(t, 1);
  fputs("  values:\n", fp);
  for (size_t m = 0; m < t->c->n_m4; m++) {
    size_t u = unit_of(t, m);
    if (!t->c->done[u])
      continue;
    const double *b = band + u * BANDS_N_EDGES; /* -2, -1, 0, +1, +2 sigma */
    fputs("  - value: ", fp);
    put_number(fp, t->r->engine_comparable ? b[2] : NAN);
    int errors = t->r->engine_comparable && isfinite(b[0]) && isfinite(b[4]) && isfinite(b[2]);
    if (errors)
      fprintf(fp, "\n    errors:\n"
                  "    - {asymerror: {minus: %.6e, plus: %.6e}, label: '1 sigma'}\n"
                  "    - {asymerror: {minus: %.6e, plus: %.6e}, label: '2 sigma'}",
              b[1] - b[2], b[3] - b[2], b[0] - b[2], b[4] - b[2]);
    fputc('\n', fp);
  }
}

static int write_table(const table_ctx *t0, const char *path, dip_error *err) {
  table_ctx t = *t0;
  if (!(t.fp = fopen(path, "w")))
    return dip_error_set(err, DIP_EIO, "%s: cannot open for writing: %s", path, strerror(errno));
  FILE *fp = t.fp;
  fputs("independent_variables:\n- header: {name: 'm4', units: 'MeV'}\n  values:\n", fp);
  for (size_t m = 0; m < t.c->n_m4; m++)
    if (t.c->done[unit_of(&t, m)])
      fprintf(fp, "  - {value: %.6e}\n", t.c->m4[m]);
  fputs("dependent_variables:\n", fp);
  put_column(&t, "mu upper limit, observed (1 dof)", 1, t.r->mu_1dof);
  const double *band = reduce_expected_band(t.c);
  if (band) {
    put_expected(&t, band);
    double *pcl = malloc(t.r->n_units * sizeof *pcl);
    for (size_t u = 0; pcl && u < t.r->n_units; u++)
      pcl[u] = reduce_pcl(t.r, t.c, u);
    if (pcl)
      put_column(&t, "mu upper limit, power-constrained (1 dof)", 1, pcl);
    free(pcl);
  }
  put_column(&t, "mu upper limit, observed (2 dof)", 2, t.r->mu_2dof_upper);
  put_column(&t, "status of the observed 1-dof limit", 1, NULL);
  int failed = fflush(fp) != 0 || ferror(fp);
  failed |= fclose(fp) != 0;
  return failed ? dip_error_set(err, DIP_EIO, "%s: write error", path) : DIP_SUCCESS;
}

static void put_table_document(FILE *fp, const table_ctx *t, size_t index, const char *file) {
  char name[65], description[1024], titles[2048], sums[2048];
  entry_cards(t->c, t->e, titles, sizeof titles, sums, sizeof sums);
  snprintf(name, sizeof name, "T%zu: %s, %s", index, t->c->entries[t->e], t->c->couplings[t->f]);
  snprintf(description, sizeof description,
           "Upper limits at %s CL on the transition magnetic moment [mu_B] of the sterile-neutrino "
           "dipole portal versus the sterile mass m4, from %s, coupling %s, %s data (dipscan).",
           provenance_get(t->p, "cl"), titles, t->c->couplings[t->f], provenance_get(t->p, "data"));
  fputs("---\nname: ", fp);
  put_quoted(fp, name);
  fputs("\ndescription: ", fp);
  put_quoted(fp, description);
  fputs("\nkeywords:\n- {name: 'observables', values: ['mu_nu4 upper limit']}\n"
        "- {name: 'phrases', values: ['Sterile neutrino', 'Dipole portal', 'Solar neutrinos', "
        "'Electron recoil']}\n", fp);
  fprintf(fp, "data_file: '%s'\n", file);
}

int hepdata_write(const reduce_result *r, const reduce_cube *c, const provenance *p,
                  const char *dir, dip_error *err) {
  if (mkdir(dir, 0777) != 0 && errno != EEXIST)
    return dip_error_set(err, DIP_EIO, "%s: cannot create the folder: %s", dir, strerror(errno));
  char path[4200];
  snprintf(path, sizeof path, "%s/submission.yaml", dir);
  FILE *sub = fopen(path, "w");
  if (!sub)
    return dip_error_set(err, DIP_EIO, "%s: cannot open for writing: %s", path, strerror(errno));
  fputs("comment: ", sub);
  char comment[1024];
  snprintf(comment, sizeof comment,
           "Limits on the sterile-neutrino dipole portal from solar-neutrino electron recoils in "
           "xenon detectors, computed by %s from the scan cube %s (config hash %s). mu in Bohr "
           "magnetons (dsigma/dT normalised as XENONnT's magnetic moment), m4 in MeV.",
           provenance_get(p, "reduced_by"), provenance_get(p, "cube"),
           provenance_get(p, "config_hash"));
  put_quoted(sub, comment);
  fputc('\n', sub);
  int status = DIP_SUCCESS;
  size_t index = 0;
  for (size_t e = 0; e < c->n_entries && status == DIP_SUCCESS; e++)
    for (size_t f = 0; f < c->n_couplings && status == DIP_SUCCESS; f++) {
      table_ctx t = {NULL, r, c, p, e, f};
      char file[64];
      snprintf(file, sizeof file, "table_%zu.yaml", ++index);
      snprintf(path, sizeof path, "%s/%s", dir, file);
      status = write_table(&t, path, err);
      if (status == DIP_SUCCESS)
        put_table_document(sub, &t, index, file);
    }
  int failed = fflush(sub) != 0 || ferror(sub);
  failed |= fclose(sub) != 0;
  if (status == DIP_SUCCESS && failed)
    status = dip_error_set(err, DIP_EIO, "%s/submission.yaml: write error", dir);
  return status;
}
