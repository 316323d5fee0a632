/*
 * plot.c — exclusion curves, Delta chi^2 profiles and the E_min(T) figure through gnuplot
 * (see plot.h).
 *
 * Each figure is produced in three steps: write the numbers (NAME.dat), write a script that draws
 * the same body twice, once per terminal (pngcairo, pdfcairo), and run gnuplot on it with
 * posix_spawnp (no shell, so directory names need no quoting beyond gnuplot's own strings).
 * Text uses gnuplot's enhanced mode for units and Greek letters; entry names (which may contain
 * '_') are printed noenhanced.
 */
#include "output/plot.h"

#include "stats/bands.h"
#include "stats/dipole_result.h"
#include "stats/neyman.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>


extern char **environ;

#define PATH_LEN 4096

/* ---- small helpers ---- */

/* One distinguishable colour per entry, the same in every figure (gnuplot's default fifth colour,
 * yellow, is hard to see). */
static const char *const entry_colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd",
                                           "#ff7f0e", "#000000", "#8c564b", "#e377c2"};
#define N_ENTRY_COLORS (sizeof entry_colors / sizeof *entry_colors)

static const char *entry_color(size_t e) { return entry_colors[e % N_ENTRY_COLORS]; }

/* Published limits drawn next to ours: greys and muted tones, dash-dotted. */
static const char *const overlay_colors[] = {"#555555", "#999999", "#7f6000", "#17becf"};
#define N_OVERLAY_COLORS (sizeof overlay_colors / sizeof *overlay_colors)

/* Legend text of entry e: the label the physics gave (card titles), else the cube's entry name. */
static const char *entry_label(const plot_physics *ph, const reduce_cube *c, size_t e) {
  return ph && e < ph->n_entries && ph->entry_label[e][0] ? ph->entry_label[e] : c->entries[e];
}

static void file_path(char *out, const char *dir, const char *name, const char *ext) {
  snprintf(out, PATH_LEN, "%s/%s.%s", dir, name, ext);
}

static int check_dir(const char *dir, dip_error *err) {
  if (strpbrk(dir, "'\"\n"))
    return dip_error_set(err, DIP_EINVAL, "plot directory '%s' must not contain quotes", dir);
  if (mkdir(dir, 0777) != 0 && errno != EEXIST)
    return dip_error_set(err, DIP_EIO, "%s: cannot create directory: %s", dir, strerror(errno));
  return DIP_SUCCESS;
}

static FILE *open_out(const char *path, dip_error *err) {
  FILE *fp = fopen(path, "w");
  if (!fp)
    dip_error_set(err, DIP_EIO, "%s: cannot open for writing: %s", path, strerror(errno));
  return fp;
}

static int close_out(FILE *fp, const char *path, dip_error *err) {
  if (fclose(fp) != 0)
    return dip_error_set(err, DIP_EIO, "%s: write error", path);
  return DIP_SUCCESS;
}

static int file_nonempty(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && st.st_size > 0;
}

/* Run `gnuplot SCRIPT` with stdout+stderr into LOG; check exit status and outputs (the PNG only
 * when with_png). */
static int run_gnuplot(const char *dir, const char *name, int with_png, dip_error *err) {
  char script[PATH_LEN], log[PATH_LEN], png[PATH_LEN], pdf[PATH_LEN];
  file_path(script, dir, name, "gp");
  file_path(log, dir, name, "log");
  file_path(png, dir, name, "png");
  file_path(pdf, dir, name, "pdf");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0666);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  char *argv[] = {"gnuplot", script, NULL};
  pid_t pid;
  int rc = posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0)
    return dip_error_set(err, DIP_EIO, "cannot run gnuplot: %s (install gnuplot-nox)",
                         strerror(rc));
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0)
    if (errno != EINTR)
      return dip_error_set(err, DIP_EIO, "waiting for gnuplot: %s", strerror(errno));
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0)
    return dip_error_set(err, DIP_EIO, "gnuplot failed on %s (see %s)", script, log);
  if ((with_png && !file_nonempty(png)) || !file_nonempty(pdf))
    return dip_error_set(err, DIP_EIO, "gnuplot left %s or %s empty (see %s)", png, pdf, log);
  if (!file_nonempty(log))
    unlink(log); /* kept only when gnuplot had something to say */
  return DIP_SUCCESS;
}

/* The body is emitted once per terminal. */
typedef void (*body_fn)(FILE *gp, const void *ctx, const char *dat);

/* NAME.gp draws NAME.png and NAME.pdf from NAME.dat.  The script first changes into its own
 * folder, so it names its files without a directory and reruns from anywhere:
 * `gnuplot path/to/NAME.gp`. */
static int write_and_run(const char *dir, const char *name, int width_px, int height_px,
                         body_fn body, const void *ctx, dip_error *err) {
  char script[PATH_LEN], dat[PATH_LEN];
  file_path(script, dir, name, "gp");
  snprintf(dat, sizeof dat, "%s.dat", name);
  FILE *gp = open_out(script, err);
  if (!gp)
    return DIP_EIO;
  fprintf(gp, "# %s — written by dipscan; rerun from any folder with: gnuplot %s\n", name, script);
  fprintf(gp, "cd system(\"dirname '\".ARG0.\"'\")\n");
  fprintf(gp, "set terminal pngcairo size %d,%d font 'DejaVu Sans,11' enhanced\n", width_px,
          height_px);
  fprintf(gp, "set output '%s.png'\n", name);
  body(gp, ctx, dat);
  fprintf(gp, "set output\nset terminal pdfcairo size %.2fin,%.2fin font 'DejaVu Sans,9' "
              "enhanced\n",
          width_px / 120.0, height_px / 120.0);
  fprintf(gp, "set output '%s.pdf'\n", name);
  body(gp, ctx, dat);
  fprintf(gp, "set output\n");
  DIP_TRY(close_out(gp, script, err));
  return run_gnuplot(dir, name, 1, err);
}

/* NAME.gp draws NAME.pdf alone, one panel for a single journal column: 3.4 in wide, 8 pt text
 * (legend 7 pt) at print size. */
#define COLUMN_WIDTH_IN 3.4
#define COLUMN_HEIGHT_IN 2.8
static int write_column_pdf(const char *dir, const char *name, const char *dat, body_fn body,
                            const void *ctx, dip_error *err) {
  char script[PATH_LEN];
  file_path(script, dir, name, "gp");
  FILE *gp = open_out(script, err);
  if (!gp)
    return DIP_EIO;
  fprintf(gp, "# %s — single-column figure written by dipscan; rerun from any folder with: "
              "gnuplot %s\n", name, script);
  fprintf(gp, "cd system(\"dirname '\".ARG0.\"'\")\n");
  fprintf(gp, "set terminal pdfcairo size %.2fin,%.2fin font 'DejaVu Sans,8' enhanced\n",
          COLUMN_WIDTH_IN, COLUMN_HEIGHT_IN);
  fprintf(gp, "set output '%s.pdf'\n", name);
  body(gp, ctx, dat);
  fprintf(gp, "set output\n");
  DIP_TRY(close_out(gp, script, err));
  return run_gnuplot(dir, name, 0, err);
}

/* Panels in rows of two; the figure is at least 840 px wide so that the two-line title fits. */
static void layout(size_t n_panels, int *rows, int *cols, int *width_px) {
  *cols = n_panels > 1 ? 2 : 1;
  *rows = (int)((n_panels + 1) / 2);
  *width_px = *cols == 1 ? 840 : 640 * *cols;
}

/* Panel title for a coupling name. */
static const char *coupling_title(const char *coupling) {
  if (!strcmp(coupling, "universal"))
    return "universal: μ_{e4} = μ_{μ4} = μ_{τ4}";
  if (!strcmp(coupling, "e"))
    return "ν_e → N: μ_{e4}";
  if (!strcmp(coupling, "mu"))
    return "ν_μ → N: μ_{μ4}";
  if (!strcmp(coupling, "tau"))
    return "ν_τ → N: μ_{τ4}";
  return coupling;
}

/* ---- overlays: published limits from a file ---- */

/* Two positive numbers from a data line (separators: comma, semicolon, blanks); 0 if not. */
static int parse_pair(char *line, double *a, double *b) {
  for (char *q = line; *q; q++)
    if (*q == ',' || *q == ';')
      *q = ' ';
  char *end;
  *a = strtod(line, &end);
  if (end == line)
    return 0;
  char *rest = end;
  *b = strtod(rest, &end);
  if (end == rest)
    return 0;
  while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
    end++;
  return *end == '\0' && *a > 0.0 && *b > 0.0 && isfinite(*a) && isfinite(*b);
}

static int read_overlay_points(plot_overlay *o, FILE *fp, const char *file, dip_error *err) {
  char line[1024];
  size_t cap = 0, lineno = 0, data_lines = 0;
  while (fgets(line, sizeof line, fp)) {
    lineno++;
    char *t = line + strspn(line, " \t");
    if (*t == '#' || *t == '\n' || *t == '\r' || *t == '\0')
      continue;
    double m4, mu;
    char *after;
    strtod(t, &after);
    if (after == t && data_lines++ == 0)
      continue; /* one header line (not starting with a number), e.g. "m4_MeV,mu_muB" */
    if (!parse_pair(t, &m4, &mu)) {
      return dip_error_set(err, DIP_EINVAL, "%s:%zu: expected two positive numbers, m4 [MeV] and "
                           "mu [mu_B], got '%.*s'", file, lineno, (int)strcspn(t, "\r\n"), t);
    }
    data_lines++;
    if (o->n == cap) {
      cap = cap ? 2 * cap : 64;
      double *m = realloc(o->m4, cap * sizeof *m);
      if (m)
        o->m4 = m;
      double *u = m ? realloc(o->mu, cap * sizeof *u) : NULL;
      if (!u)
        return dip_error_set(err, DIP_ENOMEM, "%s: out of memory", file);
      o->mu = u;
    }
    o->m4[o->n] = m4;
    o->mu[o->n++] = mu;
  }
  if (o->n < 2)
    return dip_error_set(err, DIP_EINVAL, "%s: an overlay needs at least 2 points (m4, mu), found %zu",
                         file, o->n);
  return DIP_SUCCESS;
}

int plot_overlay_load(plot_overlay *o, const char *spec, dip_error *err) {
  memset(o, 0, sizeof *o);
  char file[PATH_LEN];
  const char *colon = strchr(spec, ':');
  if (!colon || colon == spec || !colon[1])
    return dip_error_set(err, DIP_EINVAL, "--overlay '%s': expected FILE:LABEL[:COUPLING]", spec);
  snprintf(file, sizeof file, "%.*s", (int)(colon - spec), spec);
  const char *second = strchr(colon + 1, ':');
  snprintf(o->label, sizeof o->label, "%.*s",
           (int)(second ? (size_t)(second - colon - 1) : strlen(colon + 1)), colon + 1);
  if (second)
    snprintf(o->coupling, sizeof o->coupling, "%s", second + 1);
  if (strpbrk(o->label, "'\n"))
    return dip_error_set(err, DIP_EINVAL, "--overlay '%s': the label must not contain quotes", spec);
  FILE *fp = fopen(file, "r");
  if (!fp)
    return dip_error_set(err, DIP_EIO, "--overlay: %s: %s", file, strerror(errno));
  int status = read_overlay_points(o, fp, file, err);
  fclose(fp);
  if (status != DIP_SUCCESS)
    plot_overlay_free(o);
  return status;
}

void plot_overlay_free(plot_overlay *o) {
  free(o->m4);
  free(o->mu);
  memset(o, 0, sizeof *o);
}

/* ---- exclusion curves ---- */

typedef struct exclusion_ctx {
  const reduce_cube *c;
  const reduce_result *r;
  const plot_physics *ph;
  double ymin, ymax, off_top;
  int *has_lower; /* [E][F] */
  const plot_overlay *overlays;
  size_t n_overlays;
  size_t column_f; /* the coupling of a single-column figure */
} exclusion_ctx;

/* The frame: from the decade below the strongest limit to the decade above the weakest finite one
 * (capped at the top of the mu grid), so the rise towards each kinematic endpoint stays visible. */
static void exclusion_range(exclusion_ctx *x) {
  const reduce_result *r = x->r;
  size_t n = r->n_entries * r->n_couplings * r->n_m4;
  double lo = INFINITY, hi = 0.0;
  for (size_t u = 0; u < n; u++) {
    const double v[2] = {r->mu_1dof[u], r->mu_2dof_upper[u]};
    for (int k = 0; k < 2; k++)
      if (isfinite(v[k]) && v[k] > 0.0) {
        lo = fmin(lo, v[k]);
        hi = fmax(hi, v[k]);
      }
  }
  double grid_top = x->c->n_mu ? x->c->mu[x->c->n_mu - 1] : 1.0;
  if (!isfinite(lo))
    lo = hi = grid_top / 1e3;
  x->ymin = pow(10.0, floor(log10(lo / 1.5)));
  x->ymax = fmin(grid_top, pow(10.0, ceil(log10(hi * 1.5))));
  if (!(x->ymax > x->ymin * 10.0))
    x->ymax = x->ymin * 100.0;
  x->off_top = x->ymax * 1e3;
}

static void put_value(FILE *fp, double v, double off_top) {
  if (isnan(v))
    fprintf(fp, " NaN");
  else if (isinf(v))
    fprintf(fp, " %.6e", off_top);
  else
    fprintf(fp, " %.6e", v);
}

static int write_exclusion_data(exclusion_ctx *x, const char *path, dip_error *err) {
  const reduce_cube *c = x->c;
  const reduce_result *r = x->r;
  FILE *fp = open_out(path, err);
  if (!fp)
    return DIP_EIO;
  fprintf(fp, "# dipscan exclusion curves, cl = %g, data = %s; blocks (index f*E + e):\n"
              "# m4[MeV] mu_1dof[mu_B] mu_2dof_upper[mu_B] mu_2dof_lower[mu_B]\n"
              "# no sensitivity (inf) is written as %.3e (above the frame); NaN = not computed\n",
          r->cl, c->data, x->off_top);
  for (size_t f = 0; f < c->n_couplings; f++)
    for (size_t e = 0; e < c->n_entries; e++) {
      fprintf(fp, "# %s %s\n", c->entries[e], c->couplings[f]);
      for (size_t m = 0; m < c->n_m4; m++) {
        size_t u = reduce_unit(c, e, f, m);
        double lower = r->mu_2dof_lower[u] > 0.0 ? r->mu_2dof_lower[u] : NAN;
        x->has_lower[e * c->n_couplings + f] |= !isnan(lower);
        fprintf(fp, "%.6e", c->m4[m]);
        put_value(fp, r->mu_1dof[u], x->off_top);
        put_value(fp, r->mu_2dof_upper[u], x->off_top);
        put_value(fp, lower, x->off_top);
        fprintf(fp, "\n");
      }
      fprintf(fp, "\n\n");
    }
  return close_out(fp, path, err);
}


static void exclusion_panel(FILE *gp, const exclusion_ctx *x, size_t f, const char *dat) {
  const reduce_cube *c = x->c;
  fprintf(gp, "set title '%s'\n", coupling_title(c->couplings[f]));
  fprintf(gp, "plot ");
  for (size_t e = 0; e < c->n_entries; e++) {
    size_t block = f * c->n_entries + e;
    const char *color = entry_color(e);
    if (e + 1 == c->n_entries) /* the last entry (a joint fit, when there is one) */
      fprintf(gp, "'%s' index %zu using 1:2:(%.6e) with filledcurves lc rgb '%s' "
                  "fs transparent solid 0.12 noborder notitle, \\\n",
              dat, block, x->ymax, color);
    fprintf(gp, "%s'%s' index %zu using 1:2 with lines lw 2 lc rgb '%s' dt 1 title '%s' noenhanced, \\\n"
                "     '' index %zu using 1:3 with lines lw 2 lc rgb '%s' dt 2 notitle, \\\n",
            e || e + 1 == c->n_entries ? "     " : "", dat, block, color, entry_label(x->ph, c, e),
            block, color);
    if (x->has_lower[e * c->n_couplings + f])
      fprintf(gp, "     '' index %zu using 1:4 with lines lw 2 lc rgb '%s' dt 2 notitle, \\\n",
              block, color);
  }
  for (size_t k = 0; k < x->n_overlays; k++)
    if (!x->overlays[k].coupling[0] || !strcmp(x->overlays[k].coupling, c->couplings[f]))
      fprintf(gp, "     'overlay_%zu.dat' using 1:2 with lines lw 2 lc rgb '%s' dt 4 "
                  "title '%s' noenhanced, \\\n",
              k + 1, overlay_colors[k % N_OVERLAY_COLORS], x->overlays[k].label);
  fprintf(gp, "     NaN with lines lw 2 lc rgb 'black' dt 1 title '1 dof (shaded: excluded by the last entry)', \\\n"
              "     NaN with lines lw 2 lc rgb 'black' dt 2 title '2 dof'\n");
}

/* Axes, ranges, grid, key and the reach marks: everything but the panels. */
static void exclusion_frame(FILE *gp, const exclusion_ctx *x) {
  const reduce_cube *c = x->c;
  double xmin = c->m4[0] / 1.5, xmax = c->m4[c->n_m4 - 1] * 1.5;
  fprintf(gp, "reset\nset logscale xy\nset format x '10^{%%L}'\nset format y '10^{%%L}'\n");
  fprintf(gp, "set xrange [%.6e:%.6e]\nset yrange [%.6e:%.6e]\n", xmin, xmax, x->ymin, x->ymax);
  fprintf(gp, "set xlabel 'm_4 [MeV]'\nset ylabel 'μ_{ℓ4} upper limit [μ_B]'\n");
  fprintf(gp, "set grid xtics ytics mxtics lc rgb '#dddddd'\nset key top left Left reverse box opaque "
              "font ',8' samplen 2 spacing 1.0\nset clip two\n");
  const plot_physics *ph = x->ph;
  for (size_t s = 0; s < ph->n_reach; s++) {
    double reach = ph->reach[s].value;
    if (reach > xmin && reach < xmax)
      fprintf(gp, "set arrow from %.6e, graph 0 to %.6e, graph 1 nohead dt 3 lc rgb '#888888'\n"
                  "set label '%s' at %.6e, graph 0.03 left rotate by 90 offset 1.0,0 "
                  "tc rgb '#555555' font ',9'\n",
              reach, reach, ph->reach[s].label, reach);
  }
}

/* One coupling's panel alone, for the single-column PDF. */
static void exclusion_column_body(FILE *gp, const void *ctx, const char *dat) {
  const exclusion_ctx *x = ctx;
  exclusion_frame(gp, x);
  fprintf(gp, "set key font ',7' spacing 0.9\n");
  exclusion_panel(gp, x, x->column_f, dat);
}

static void exclusion_body(FILE *gp, const void *ctx, const char *dat) {
  const exclusion_ctx *x = ctx;
  const reduce_cube *c = x->c;
  int rows, cols, width;
  layout(c->n_couplings, &rows, &cols, &width);
  exclusion_frame(gp, x);
  const plot_physics *ph = x->ph;
  char reach_note[64] = "";
  if (ph->n_reach > 0)
    snprintf(reach_note, sizeof reach_note, "; dotted: reach at T = %g keV", ph->reach_recoil_keV);
  fprintf(gp, "set multiplot layout %d,%d title \"%g%% CL exclusion, data: %s\\n1 dof (solid) %s "
              "Δχ^2 = %.3f, 2 dof (dashed) Δχ^2 = %.3f%s\" font ',11'\n",
          rows, cols, 100.0 * x->r->cl, c->data[0] ? c->data : "unknown",
          threshold_name(x->r->kind), x->r->delta_chi2_1dof, x->r->delta_chi2_2dof, reach_note);
  for (size_t f = 0; f < c->n_couplings; f++)
    exclusion_panel(gp, x, f, dat);
  fprintf(gp, "unset multiplot\n");
}

int plot_overlay_check(const plot_overlay *overlays, size_t n, const reduce_cube *c,
                       dip_error *err) {
  for (size_t k = 0; k < n; k++) {
    const plot_overlay *o = &overlays[k];
    size_t f = 0;
    while (o->coupling[0] && f < c->n_couplings && strcmp(o->coupling, c->couplings[f]))
      f++;
    if (f == c->n_couplings)
      return dip_error_set(err, DIP_EINVAL, "--overlay '%s': coupling '%s' is not in the cube",
                           o->label, o->coupling);
  }
  return DIP_SUCCESS;
}

/* overlay_K.dat: the K-th published limit, as loaded. */
static int write_overlays(const exclusion_ctx *x, const char *dir, dip_error *err) {
  DIP_TRY(plot_overlay_check(x->overlays, x->n_overlays, x->c, err));
  for (size_t k = 0; k < x->n_overlays; k++) {
    const plot_overlay *o = &x->overlays[k];
    char path[PATH_LEN], name[32];
    snprintf(name, sizeof name, "overlay_%zu", k + 1);
    file_path(path, dir, name, "dat");
    FILE *fp = open_out(path, err);
    if (!fp)
      return DIP_EIO;
    fprintf(fp, "# %s (--overlay, coupling %s): m4[MeV] mu[mu_B]\n", o->label,
            o->coupling[0] ? o->coupling : "all");
    for (size_t i = 0; i < o->n; i++)
      fprintf(fp, "%.6e %.6e\n", o->m4[i], o->mu[i]);
    DIP_TRY(close_out(fp, path, err));
  }
  return DIP_SUCCESS;
}

static int exclusion_columns(exclusion_ctx *x, const char *dir, dip_error *err) {
  for (x->column_f = 0; x->column_f < x->c->n_couplings; x->column_f++) {
    char name[PATH_LEN];
    snprintf(name, sizeof name, "exclusion_%s_column", x->c->couplings[x->column_f]);
    DIP_TRY(write_column_pdf(dir, name, "exclusion.dat", exclusion_column_body, x, err));
  }
  return DIP_SUCCESS;
}

int plot_exclusion(const reduce_cube *c, const reduce_result *r, const plot_physics *ph,
                   const plot_overlay *overlays, size_t n_overlays, const char *dir,
                   dip_error *err) {
  DIP_TRY(check_dir(dir, err));
  if (c->n_m4 == 0 || c->n_couplings == 0 || c->n_entries == 0)
    return dip_error_set(err, DIP_EINVAL, "exclusion plot: the cube has an empty axis");
  exclusion_ctx x = {c, r, ph, 0, 0, 0, NULL, overlays, overlays ? n_overlays : 0, 0};
  DIP_TRY(write_overlays(&x, dir, err));
  x.has_lower = dip_calloc(c->n_entries * c->n_couplings, sizeof *x.has_lower, err);
  if (!x.has_lower)
    return DIP_ENOMEM;
  exclusion_range(&x);
  char dat[PATH_LEN];
  file_path(dat, dir, "exclusion", "dat");
  int rows, cols, width;
  layout(c->n_couplings, &rows, &cols, &width);
  int status = write_exclusion_data(&x, dat, err);
  if (status == DIP_SUCCESS)
    status = write_and_run(dir, "exclusion", width, 40 + 480 * rows, exclusion_body, &x, err);
  if (status == DIP_SUCCESS)
    status = exclusion_columns(&x, dir, err);
  free(x.has_lower);
  return status;
}

/* ---- Brazil bands: observed and expected 1-dof limits, one figure per entry ---- */

typedef struct brazil_ctx {
  const reduce_cube *c;
  const reduce_result *r;
  const plot_physics *ph;
  const double *band; /* [E][F][M][BANDS_N_EDGES] */
  size_t e;
  double ymin, ymax, off_top;
  size_t column_f; /* the coupling of a single-column figure */
} brazil_ctx;

/* The frame of one entry: as exclusion_range, over its observed limits and band edges. */
static void brazil_range(brazil_ctx *x) {
  const reduce_cube *c = x->c;
  double lo = INFINITY, hi = 0.0;
  for (size_t f = 0; f < c->n_couplings; f++)
    for (size_t m = 0; m < c->n_m4; m++) {
      size_t u = reduce_unit(c, x->e, f, m);
      double v[BANDS_N_EDGES + 1];
      memcpy(v, x->band + u * BANDS_N_EDGES, BANDS_N_EDGES * sizeof *v);
      int above = x->r->status_1dof && x->r->status_1dof[u] == REDUCE_ABOVE_GRID;
      v[BANDS_N_EDGES] = above ? NAN : x->r->mu_1dof[u]; /* marked, not framed */
      for (int k = 0; k <= BANDS_N_EDGES; k++)
        if (isfinite(v[k]) && v[k] > 0.0) {
          lo = fmin(lo, v[k]);
          hi = fmax(hi, v[k]);
        }
    }
  double grid_top = c->n_mu ? c->mu[c->n_mu - 1] : 1.0;
  if (!isfinite(lo))
    lo = hi = grid_top / 1e3;
  x->ymin = pow(10.0, floor(log10(lo / 1.5)));
  x->ymax = fmax(pow(10.0, ceil(log10(hi * 1.5))), x->ymin * 100.0);
  x->off_top = x->ymax * 1e3;
}

/* The observed limit as drawn: NaN (the line stops) where it is off the frame or infinite. */
static double observed_in_frame(const brazil_ctx *x, size_t u) {
  double v = x->r->mu_1dof[u];
  return isfinite(v) && v <= x->ymax ? v : NAN;
}

/* A marker for an observed limit the mu grid does not contain (status above_grid: the engine's
 * root-found value) at the value itself, or just below the top when it lies above the frame;
 * NaN elsewhere. */
static double above_frame_mark(const brazil_ctx *x, size_t u) {
  double v = x->r->mu_1dof[u];
  int off_grid = x->r->status_1dof && x->r->status_1dof[u] == REDUCE_ABOVE_GRID;
  if (isfinite(v) && v > x->ymax)
    return x->ymax / 1.6;
  return off_grid ? (isfinite(v) ? v : x->ymax / 1.6) : NAN;
}

static int write_brazil_data(const brazil_ctx *x, const char *path, dip_error *err) {
  const reduce_cube *c = x->c;
  FILE *fp = open_out(path, err);
  if (!fp)
    return DIP_EIO;
  fprintf(fp, "# dipscan expected sensitivity of %s, cl = %g, data = %s; one block per coupling:\n"
              "# m4[MeV] observed mu_1dof, expected at -2 -1 0 +1 +2 sigma [mu_B], marker of an\n"
              "# observed limit above the frame (NaN: none); the observed column is NaN where it\n"
              "# lies above the frame; an infinite band edge is written as %.3e (above the frame)\n",
          c->entries[x->e], x->r->cl, c->data, x->off_top);
  for (size_t f = 0; f < c->n_couplings; f++) {
    fprintf(fp, "# %s %s\n", c->entries[x->e], c->couplings[f]);
    for (size_t m = 0; m < c->n_m4; m++) {
      size_t u = reduce_unit(c, x->e, f, m);
      fprintf(fp, "%.6e", c->m4[m]);
      put_value(fp, observed_in_frame(x, u), x->off_top);
      for (int k = 0; k < BANDS_N_EDGES; k++)
        put_value(fp, x->band[u * BANDS_N_EDGES + k], x->off_top);
      put_value(fp, above_frame_mark(x, u), x->off_top);
      fprintf(fp, "\n");
    }
    fprintf(fp, "\n\n");
  }
  return close_out(fp, path, err);
}

static void brazil_frame(FILE *gp, const brazil_ctx *x) {
  const reduce_cube *c = x->c;
  fprintf(gp, "reset\nset logscale xy\nset format x '10^{%%L}'\nset format y '10^{%%L}'\n");
  fprintf(gp, "set xrange [%.6e:%.6e]\nset yrange [%.6e:%.6e]\n", c->m4[0] / 1.5,
          c->m4[c->n_m4 - 1] * 1.5, x->ymin, x->ymax);
  fprintf(gp, "set xlabel 'm_4 [MeV]'\nset ylabel 'μ_{ℓ4} upper limit [μ_B]'\n");
  fprintf(gp, "set grid xtics ytics mxtics lc rgb '#dddddd' front\nset key top left Left reverse "
              "box opaque font ',8' samplen 2 spacing 1.0\nset clip two\n");
}

static void brazil_panel(FILE *gp, const brazil_ctx *x, size_t f, const char *dat) {
  int marked = 0;
  for (size_t m = 0; m < x->c->n_m4; m++)
    marked |= !isnan(above_frame_mark(x, reduce_unit(x->c, x->e, f, m)));
  fprintf(gp, "set title '%s'\n"
              "plot '%s' index %zu using 1:3:7 with filledcurves lc rgb '#ffe119' title '±2σ', \\\n"
              "     '' index %zu using 1:4:6 with filledcurves lc rgb '#3cb44b' title '±1σ', \\\n"
              "     '' index %zu using 1:5 with lines lw 2 lc rgb 'black' dt 2 title 'expected "
              "(median)', \\\n"
              "     '' index %zu using 1:2 with lines lw 2 lc rgb 'black' dt 1 title 'observed'",
          coupling_title(x->c->couplings[f]), dat, f, f, f, f);
  if (marked) /* only where some observed limit lies above the frame */
    fprintf(gp, ", \\\n     '' index %zu using 1:8 with points pt 9 ps 1.2 lc rgb 'black' "
                "title 'observed, above the μ grid (root-found)'", f);
  fputc('\n', gp);
}

static void brazil_body(FILE *gp, const void *ctx, const char *dat) {
  const brazil_ctx *x = ctx;
  const reduce_cube *c = x->c;
  int rows, cols, width;
  layout(c->n_couplings, &rows, &cols, &width);
  brazil_frame(gp, x);
  fprintf(gp, "set multiplot layout %d,%d title \"%s: %g%% CL limit, data: %s\\nexpected: "
              "median (dashed), ±1σ (green), ±2σ (yellow) of background-only experiments\" "
              "font ',11' noenhanced\n",
          rows, cols, entry_label(x->ph, c, x->e), 100.0 * x->r->cl,
          c->data[0] ? c->data : "unknown");
  for (size_t f = 0; f < c->n_couplings; f++)
    brazil_panel(gp, x, f, dat);
  fprintf(gp, "unset multiplot\n");
}

/* One coupling's panel alone, for the single-column PDF. */
static void brazil_column_body(FILE *gp, const void *ctx, const char *dat) {
  const brazil_ctx *x = ctx;
  brazil_frame(gp, x);
  fprintf(gp, "set key font ',7' spacing 0.9\n");
  brazil_panel(gp, x, x->column_f, dat);
}

int plot_brazil(const reduce_cube *c, const reduce_result *r, const plot_physics *ph,
                const char *dir, dip_error *err) {
  brazil_ctx x = {c, r, ph, reduce_expected_band(c), 0, 0, 0, 0, 0};
  if (!x.band)
    return DIP_SUCCESS;
  DIP_TRY(check_dir(dir, err));
  int rows, cols, width;
  layout(c->n_couplings, &rows, &cols, &width);
  for (x.e = 0; x.e < c->n_entries; x.e++) {
    char name[PATH_LEN], dat[PATH_LEN];
    if (c->n_entries == 1)
      snprintf(name, sizeof name, "brazil");
    else
      snprintf(name, sizeof name, "brazil_%s", c->entries[x.e]);
    file_path(dat, dir, name, "dat");
    brazil_range(&x);
    DIP_TRY(write_brazil_data(&x, dat, err));
    DIP_TRY(write_and_run(dir, name, width, 40 + 480 * rows, brazil_body, &x, err));
    char dat_name[PATH_LEN];
    snprintf(dat_name, sizeof dat_name, "%s.dat", name);
    for (x.column_f = 0; x.column_f < c->n_couplings; x.column_f++) {
      char column[PATH_LEN + 64];
      snprintf(column, sizeof column, "%s_%s_column", name, c->couplings[x.column_f]);
      DIP_TRY(write_column_pdf(dir, column, dat_name, brazil_column_body, &x, err));
    }
  }
  return DIP_SUCCESS;
}

/* ---- Delta chi^2 profiles ---- */

typedef struct profile_ctx {
  const reduce_cube *c;
  const reduce_result *r;
  const plot_physics *ph;
  size_t m;             /* grid index */
  double requested;     /* requested m4 */
  double xmin, xmax, ymax;
} profile_ctx;

static size_t nearest_m4(const reduce_cube *c, double m4) {
  size_t best = 0;
  for (size_t m = 1; m < c->n_m4; m++)
    if (fabs(log(c->m4[m] / m4)) < fabs(log(c->m4[best] / m4)))
      best = m;
  return best;
}

/* mu range: a decade either side of the 1-dof limits at this m4, within the grid (the key goes
 * below the frame, so it never hides a curve). */
static void profile_range(profile_ctx *x) {
  const reduce_cube *c = x->c;
  double lo = INFINITY, hi = 0.0;
  for (size_t e = 0; e < c->n_entries; e++)
    for (size_t f = 0; f < c->n_couplings; f++) {
      double v = x->r->mu_1dof[reduce_unit(c, e, f, x->m)];
      if (isfinite(v) && v > 0.0) {
        lo = fmin(lo, v);
        hi = fmax(hi, v);
      }
    }
  double grid_lo = c->mu[0] > 0.0 ? c->mu[0] : (c->n_mu > 1 ? c->mu[1] : 1e-3);
  double grid_hi = c->mu[c->n_mu - 1];
  x->xmin = isfinite(lo) ? fmax(grid_lo, lo / 10.0) : grid_lo;
  x->xmax = isfinite(lo) ? fmin(grid_hi, hi * 10.0) : grid_hi;
  if (!(x->xmax > x->xmin))
    x->xmax = x->xmin * 10.0;
  x->ymax = 4.0 * x->r->delta_chi2_1dof;
}

static int write_profile_data(const profile_ctx *x, const char *path, dip_error *err) {
  const reduce_cube *c = x->c;
  FILE *fp = open_out(path, err);
  if (!fp)
    return DIP_EIO;
  fprintf(fp, "# dipscan Delta chi^2 profiles at m4 = %.6g MeV; blocks (index f*E + e):\n"
              "# mu[mu_B] Delta_chi2 (w.r.t. the minimum over mu at this m4); NaN = not computed\n",
          c->m4[x->m]);
  for (size_t f = 0; f < c->n_couplings; f++)
    for (size_t e = 0; e < c->n_entries; e++) {
      size_t u = reduce_unit(c, e, f, x->m);
      fprintf(fp, "# %s %s\n", c->entries[e], c->couplings[f]);
      for (size_t i = 0; i < c->n_mu; i++) {
        double d = c->done[u] ? c->chi2[u * c->n_mu + i] - x->r->chi2_row_min[u] : NAN;
        if (c->mu[i] > 0.0)
          fprintf(fp, "%.6e %.6e\n", c->mu[i], isfinite(d) ? d : NAN);
      }
      fprintf(fp, "\n\n");
    }
  fprintf(fp, "# limit marks (index F*E + f*E + e): mu_1dof[mu_B] threshold (NaN: none)\n");
  for (size_t f = 0; f < c->n_couplings; f++)
    for (size_t e = 0; e < c->n_entries; e++) {
      double lim = x->r->mu_1dof[reduce_unit(c, e, f, x->m)];
      fprintf(fp, "%.6e %.6f\n\n\n", isfinite(lim) && lim > 0.0 ? lim : NAN,
              x->r->delta_chi2_1dof);
    }
  return close_out(fp, path, err);
}

static void profile_body(FILE *gp, const void *ctx, const char *dat) {
  const profile_ctx *x = ctx;
  const reduce_cube *c = x->c;
  int rows, cols, width;
  layout(c->n_couplings, &rows, &cols, &width);
  fprintf(gp, "reset\nset logscale x\nset format x '10^{%%L}'\n");
  fprintf(gp, "set xrange [%.6e:%.6e]\nset yrange [0:%.6g]\n", x->xmin, x->xmax, x->ymax);
  fprintf(gp, "set xlabel 'μ_{ℓ4} [μ_B]'\nset ylabel 'Δχ^2'\n");
  fprintf(gp, "set grid lc rgb '#dddddd'\nset key below horizontal Left reverse font ',9'\n");
  char nearest[96] = "";
  if (fabs(c->m4[x->m] / x->requested - 1.0) > 1e-6)
    snprintf(nearest, sizeof nearest, " (grid value nearest to %g MeV)", x->requested);
  fprintf(gp, "set multiplot layout %d,%d title 'Δχ^2 profiles at m_4 = %g MeV%s, data: %s' "
              "font ',11'\n",
          rows, cols, c->m4[x->m], nearest, c->data[0] ? c->data : "unknown");
  for (size_t f = 0; f < c->n_couplings; f++) {
    fprintf(gp, "set title '%s'\nplot ", coupling_title(c->couplings[f]));
    size_t marks = c->n_couplings * c->n_entries;
    for (size_t e = 0; e < c->n_entries; e++)
      fprintf(gp, "'%s' index %zu using 1:2 with lines lw 2 lc rgb '%s' title '%s' noenhanced, \\\n"
                  "     '' index %zu using 1:2 with points pt 7 ps 0.9 lc rgb '%s' notitle, \\\n     ",
              dat, f * c->n_entries + e, entry_color(e), entry_label(x->ph, c, e),
              marks + f * c->n_entries + e, entry_color(e));
    fprintf(gp, "%.6f with lines dt 2 lw 1.5 lc rgb 'black' title '%g%% CL, 1 dof %s, "
                "Δχ^2 = %.3f (dots: limits)'\n",
            x->r->delta_chi2_1dof, 100.0 * x->r->cl, threshold_name(x->r->kind),
            x->r->delta_chi2_1dof);
  }
  fprintf(gp, "unset multiplot\n");
}

int plot_profiles(const reduce_cube *c, const reduce_result *r, const plot_physics *ph,
                  const double *m4, size_t n_m4, const char *dir, dip_error *err) {
  DIP_TRY(check_dir(dir, err));
  if (c->n_m4 == 0 || c->n_mu == 0 || c->n_couplings == 0 || c->n_entries == 0)
    return dip_error_set(err, DIP_EINVAL, "profile plot: the cube has an empty axis");
  for (size_t k = 0; k < n_m4; k++) {
    if (!(m4[k] > 0.0))
      return dip_error_set(err, DIP_EINVAL, "profile m4 %g MeV must be positive", m4[k]);
    profile_ctx x = {c, r, ph, nearest_m4(c, m4[k]), m4[k], 0, 0, 0};
    profile_range(&x);
    char name[64], dat[PATH_LEN];
    snprintf(name, sizeof name, "profile_m4_%g", c->m4[x.m]);
    file_path(dat, dir, name, "dat");
    DIP_TRY(write_profile_data(&x, dat, err));
    int rows, cols, width;
    layout(c->n_couplings, &rows, &cols, &width);
    DIP_TRY(write_and_run(dir, name, width, 60 + 500 * rows, profile_body, &x, err));
  }
  return DIP_SUCCESS;
}

/* ---- the Neyman construction: its limit next to Wilks', and t_c(mu) against 2.706 ---- */

typedef struct neyman_ctx {
  const reduce_cube *c;
  const reduce_result *r;
  const plot_physics *ph;
  size_t m;           /* t_c figure: the grid m4 index */
  double ymin, ymax, off_top;
} neyman_ctx;

/* The limits frame as exclusion_range, over the Wilks and Neyman 1-dof limits. */
static void neyman_range(neyman_ctx *x) {
  const reduce_result *r = x->r;
  double lo = INFINITY, hi = 0.0;
  for (size_t u = 0; u < r->n_units; u++) {
    const double v[2] = {r->mu_1dof[u], reduce_neyman_limit(r, x->c, u)};
    for (int k = 0; k < 2; k++)
      if (isfinite(v[k]) && v[k] > 0.0) {
        lo = fmin(lo, v[k]);
        hi = fmax(hi, v[k]);
      }
  }
  if (!isfinite(lo))
    lo = hi = x->c->n_mu ? x->c->mu[x->c->n_mu - 1] / 1e3 : 1.0;
  x->ymin = pow(10.0, floor(log10(lo / 1.5)));
  x->ymax = fmax(pow(10.0, ceil(log10(hi * 1.5))), x->ymin * 100.0);
  x->off_top = x->ymax * 1e3;
}

static int write_neyman_limits(const neyman_ctx *x, const char *path, dip_error *err) {
  const reduce_cube *c = x->c;
  FILE *fp = open_out(path, err);
  if (!fp)
    return DIP_EIO;
  fprintf(fp, "# dipscan 1-dof limits at cl = %g, data = %s: Wilks (Delta chi^2 = %.4f) and "
              "Neyman/Feldman-Cousins (t_obs <= t_c from toys);\n# blocks (index f*E + e): "
              "m4[MeV] mu_wilks[mu_B] mu_neyman[mu_B]; inf written as %.3e, NaN = none (the "
              "Neyman region ends below its mu axis, or not computed)\n",
          x->r->cl, c->data, x->r->delta_chi2_1dof, x->off_top);
  for (size_t f = 0; f < c->n_couplings; f++)
    for (size_t e = 0; e < c->n_entries; e++) {
      fprintf(fp, "# %s %s\n", c->entries[e], c->couplings[f]);
      for (size_t m = 0; m < c->n_m4; m++) {
        size_t u = reduce_unit(c, e, f, m);
        fprintf(fp, "%.6e", c->m4[m]);
        put_value(fp, x->r->mu_1dof[u], x->off_top);
        put_value(fp, reduce_neyman_limit(x->r, c, u), x->off_top);
        fprintf(fp, "\n");
      }
      fprintf(fp, "\n\n");
    }
  return close_out(fp, path, err);
}

static void neyman_limits_body(FILE *gp, const void *ctx, const char *dat) {
  const neyman_ctx *x = ctx;
  const reduce_cube *c = x->c;
  int rows, cols, width;
  layout(c->n_couplings, &rows, &cols, &width);
  fprintf(gp, "reset\nset logscale xy\nset format x '10^{%%L}'\nset format y '10^{%%L}'\n");
  fprintf(gp, "set xrange [%.6e:%.6e]\nset yrange [%.6e:%.6e]\n", c->m4[0] / 1.5,
          c->m4[c->n_m4 - 1] * 1.5, x->ymin, x->ymax);
  fprintf(gp, "set xlabel 'm_4 [MeV]'\nset ylabel 'μ_{ℓ4} upper limit [μ_B]'\n");
  fprintf(gp, "set grid xtics ytics mxtics lc rgb '#dddddd' front\nset key top left Left reverse "
              "box opaque font ',8' samplen 2 spacing 1.0\nset clip two\n");
  fprintf(gp, "set multiplot layout %d,%d title \"%g%% CL 1-dof limits, data: %s\\nWilks "
              "Δχ^2 = %.3f (solid) vs Neyman/Feldman-Cousins from toys (dashed, points)\" "
              "font ',11'\n",
          rows, cols, 100.0 * x->r->cl, c->data[0] ? c->data : "unknown", x->r->delta_chi2_1dof);
  for (size_t f = 0; f < c->n_couplings; f++) {
    fprintf(gp, "set title '%s'\nplot ", coupling_title(c->couplings[f]));
    for (size_t e = 0; e < c->n_entries; e++)
      fprintf(gp, "%s'%s' index %zu using 1:2 with lines lw 2 lc rgb '%s' title '%s Wilks' "
                  "noenhanced, \\\n     '' index %zu using 1:3 with linespoints dt 2 lw 2 pt 7 "
                  "ps 0.6 lc rgb '%s' title '%s Neyman' noenhanced",
              e ? ", \\\n     " : "", dat, f * c->n_entries + e, entry_color(e),
              entry_label(x->ph, c, e), f * c->n_entries + e, entry_color(e),
              entry_label(x->ph, c, e));
    fprintf(gp, "\n");
  }
  fprintf(gp, "unset multiplot\n");
}

static int write_neyman_tcrit(const neyman_ctx *x, const char *path, dip_error *err) {
  const reduce_cube *c = x->c;
  const double *mu = c->loaded.fields[DIPOLE_NEYMAN_MU], *tc = c->loaded.fields[DIPOLE_NEYMAN_TCRIT];
  const double *tc_err = c->loaded.fields[DIPOLE_NEYMAN_TCRIT_ERROR];
  const double *t_obs = c->loaded.fields[DIPOLE_NEYMAN_T_OBS];
  FILE *fp = open_out(path, err);
  if (!fp)
    return DIP_EIO;
  fprintf(fp, "# dipscan Neyman construction at m4 = %.6g MeV, cl = %g; blocks (index f*E + e):\n"
              "# mu[mu_B] t_crit t_crit_mc_error t_obs (t = chi^2(mu) - chi^2_min; NaN: not "
              "computed)\n", c->m4[x->m], x->r->cl);
  for (size_t f = 0; f < c->n_couplings; f++)
    for (size_t e = 0; e < c->n_entries; e++) {
      size_t u = reduce_unit(c, e, f, x->m) * NEYMAN_MAX_POINTS;
      fprintf(fp, "# %s %s\n", c->entries[e], c->couplings[f]);
      for (size_t k = 0; k < NEYMAN_MAX_POINTS && !isnan(mu[u + k]); k++)
        fprintf(fp, "%.6e %.6e %.6e %.6e\n", mu[u + k], tc[u + k], tc_err ? tc_err[u + k] : NAN,
                t_obs ? t_obs[u + k] : NAN);
      fprintf(fp, "\n\n");
    }
  return close_out(fp, path, err);
}

static void neyman_tcrit_body(FILE *gp, const void *ctx, const char *dat) {
  const neyman_ctx *x = ctx;
  const reduce_cube *c = x->c;
  int rows, cols, width;
  layout(c->n_couplings, &rows, &cols, &width);
  const double *mu = (const double *)c->loaded.fields[DIPOLE_NEYMAN_MU] +
                     reduce_unit(c, 0, 0, x->m) * NEYMAN_MAX_POINTS;
  size_t n = 0;
  while (n < NEYMAN_MAX_POINTS && !isnan(mu[n]))
    n++;
  fprintf(gp, "reset\nset logscale x\nset format x '10^{%%L}'\nset yrange [0:%.3f]\n",
          3.0 * x->r->delta_chi2_1dof);
  if (n > 1 && mu[0] > 0) /* the Neyman axis (the same in every unit) */
    fprintf(gp, "set xrange [%.6e:%.6e]\n", mu[0] / 1.3, mu[n - 1] * 1.3);
  fprintf(gp, "set xlabel 'μ_{ℓ4} [μ_B]'\nset ylabel 't(μ) = χ^2(μ) - χ^2_{min}'\n");
  fprintf(gp, "set grid lc rgb '#dddddd'\nset key below horizontal Left reverse font ',9'\n");
  fprintf(gp, "set multiplot layout %d,%d title 'Neyman critical values t_c(μ) (%g%% quantile of "
              "toys, bars: MC error) and t_{obs}(μ) at m_4 = %g MeV, data: %s' font ',11'\n",
          rows, cols, 100.0 * x->r->cl, c->m4[x->m], c->data[0] ? c->data : "unknown");
  for (size_t f = 0; f < c->n_couplings; f++) {
    fprintf(gp, "set title '%s'\nplot ", coupling_title(c->couplings[f]));
    for (size_t e = 0; e < c->n_entries; e++)
      fprintf(gp, "'%s' index %zu using 1:2:3 with yerrorlines lw 2 pt 7 ps 0.6 lc rgb '%s' "
                  "title '%s t_c' noenhanced, \\\n     '' index %zu using 1:4 with lines dt 3 "
                  "lw 1.5 lc rgb '%s' title '%s t_obs' noenhanced, \\\n     ",
              dat, f * c->n_entries + e, entry_color(e), entry_label(x->ph, c, e),
              f * c->n_entries + e, entry_color(e), entry_label(x->ph, c, e));
    fprintf(gp, "%.6f with lines dt 2 lw 1.5 lc rgb 'black' title 'Wilks, 1 dof: %.3f'\n",
            x->r->delta_chi2_1dof, x->r->delta_chi2_1dof);
  }
  fprintf(gp, "unset multiplot\n");
}

int plot_neyman(const reduce_cube *c, const reduce_result *r, const plot_physics *ph,
                const double *m4, size_t n_m4, const char *dir, dip_error *err) {
  if (!reduce_has_neyman(c))
    return DIP_SUCCESS;
  DIP_TRY(check_dir(dir, err));
  neyman_ctx x = {c, r, ph, 0, 0, 0, 0};
  int rows, cols, width;
  layout(c->n_couplings, &rows, &cols, &width);
  char dat[PATH_LEN], name[64];
  neyman_range(&x);
  file_path(dat, dir, "neyman_limits", "dat");
  DIP_TRY(write_neyman_limits(&x, dat, err));
  DIP_TRY(write_and_run(dir, "neyman_limits", width, 40 + 480 * rows, neyman_limits_body, &x, err));
  for (size_t k = 0; k < n_m4; k++) {
    if (!(m4[k] > 0.0))
      return dip_error_set(err, DIP_EINVAL, "Neyman plot: m4 %g MeV must be positive", m4[k]);
    x.m = nearest_m4(c, m4[k]);
    snprintf(name, sizeof name, "neyman_tcrit_m4_%g", c->m4[x.m]);
    file_path(dat, dir, name, "dat");
    DIP_TRY(write_neyman_tcrit(&x, dat, err));
    DIP_TRY(write_and_run(dir, name, width, 60 + 500 * rows, neyman_tcrit_body, &x, err));
  }
  return DIP_SUCCESS;
}

/* ---- E_min(T) ---- */

static int write_kinematics_data(const plot_physics *ph, const char *path, dip_error *err) {
  FILE *fp = open_out(path, err);
  if (!fp)
    return DIP_EIO;
  fprintf(fp, "# %s\n# T[keV]", ph->formula);
  for (size_t k = 0; k < ph->n_curves; k++)
    fprintf(fp, " Emin[MeV](m4=%g)", ph->m4[k]);
  fprintf(fp, "\n");
  for (size_t i = 0; i < ph->n_T; i++) {
    fprintf(fp, "%.6e", ph->T_keV[i]);
    for (size_t k = 0; k < ph->n_curves; k++)
      fprintf(fp, " %.6e", ph->E_min[k][i]);
    fprintf(fp, "\n");
  }
  return close_out(fp, path, err);
}

static void kinematics_window(FILE *gp, const plot_physics *ph) {
  if (!(ph->window_keV[0] < ph->window_keV[1]))
    return;
  fprintf(gp, "set object 1 rect from %g, graph 0 to %g, graph 1 fc rgb '#eeeeff' "
              "fillstyle solid noborder behind\n"
              "set label 'analysis window %g-%g keV' at %g, graph 0.96 tc rgb '#555599' font ',9'\n",
          ph->window_keV[0], ph->window_keV[1], ph->window_keV[0], ph->window_keV[1],
          ph->window_keV[0] * 1.2);
}

static void kinematics_body(FILE *gp, const void *ctx, const char *dat) {
  const plot_physics *ph = ctx;
  double T0 = ph->T_keV[0], T1 = ph->T_keV[ph->n_T - 1];
  fprintf(gp, "reset\nset logscale xy\nset format x '10^{%%L}'\nset format y '10^{%%L}'\n");
  fprintf(gp, "set xrange [%g:%g]\nset yrange [0.01:10]\n", T0, T1);
  fprintf(gp, "set xlabel 'electron recoil T [keV]'\nset ylabel 'E_{min} [MeV]'\n");
  fprintf(gp, "set title 'Smallest neutrino energy for a recoil T: ν e → N e'\n");
  fprintf(gp, "set grid lc rgb '#dddddd'\nset key bottom right box opaque font ',9'\n");
  kinematics_window(gp, ph);
  for (size_t s = 0; s < ph->n_sources; s++) {
    double E = ph->source[s].value;
    fprintf(gp, "set arrow from graph 0, first %.6g to graph 1, first %.6g nohead dt 3 lc rgb "
                "'#888888'\nset label '%s (%.3g MeV)' at %g, first %.6g offset 0,0.6 "
                "tc rgb '#555555' font ',9'\n",
            E, E, ph->source[s].label, E, T0 * 1.3, E);
  }
  fprintf(gp, "plot ");
  for (size_t k = 0; k < ph->n_curves; k++)
    fprintf(gp, "%s'%s' using 1:%zu with lines lw 2 lc %zu %s title 'm_4 = %g MeV%s'",
            k ? ", \\\n     " : "", dat, k + 2, k + 1, ph->m4[k] > 0 ? "dt 1" : "dt 2",
            ph->m4[k], ph->m4[k] > 0 ? "" : " (massless)");
  fprintf(gp, "\n");
}

int plot_kinematics(const plot_physics *ph, const char *dir, dip_error *err) {
  DIP_TRY(check_dir(dir, err));
  if (ph->n_T < 2 || ph->n_curves == 0)
    return dip_error_set(err, DIP_EINVAL, "kinematics plot: no E_min curves were given");
  char dat[PATH_LEN];
  file_path(dat, dir, "kinematics", "dat");
  DIP_TRY(write_kinematics_data(ph, dat, err));
  return write_and_run(dir, "kinematics", 900, 640, kinematics_body, ph, err);
}
