/*
 * test_config.c — the scan configuration: defaults, axes, canonical text and hash, the unit
 * index, config_diff, the `couplings:` key and its alias `flavors:`, and bad configurations
 * (fixtures tests/data/scan_bad_*.yaml) that must be refused with FILE:LINE:COL and the offending
 * key.  The model's sections are those of the dipole analysis (stats/options.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/config.h"
#include "stats/options.h"
#include "test.h"

static analysis_options options;
static config_model model;

static const char *root(void) {
  const char *r = getenv("DIPSCAN_ROOT");
  return r && *r ? r : ".";
}

static int load_text(scan_config *cfg, const char *text, dip_error *err) {
  return config_load_string(cfg, text, strlen(text), "scans/t.yaml", &model, err);
}

static void test_defaults(void) {
  scan_config cfg;
  dip_error err;
  int st = load_text(&cfg, "", &err);
  test_true(st == DIP_SUCCESS, "an empty configuration is all defaults");
  if (st != DIP_SUCCESS)
    return;
  test_true(!strcmp(cfg.name, "t") && !strcmp(cfg.output, "results/t.h5"),
            "default name from the file name, output results/NAME.h5");
  test_true(cfg.n_experiments == 1 && !strcmp(cfg.experiments[0], "xenonnt_sr0") &&
                cfg.n_joint == 0 && cfg.n_couplings == 4,
            "default experiments [xenonnt_sr0], no joint fit, four couplings");
  test_true(cfg.n_m4 == 120 && cfg.n_mu == 600, "default grid 120 m4 x 600 mu");
  test_rel(cfg.mu[0], 1e-13, 0, "mu axis starts at 1e-13 mu_B (below every shipped card's band)");
  test_rel(cfg.mu[599], 0.1, 1e-15, "mu axis ends at 0.1 mu_B (above the limits up to m4 = 2.2 MeV)");
  test_rel(cfg.m4[0], 0.001, 0, "m4 axis starts exactly at 0.001 MeV");
  test_rel(cfg.m4[119], 0.6, 0, "m4 axis ends exactly at 0.6 MeV");
  test_rel(cfg.m4[1] / cfg.m4[0], pow(600.0, 1.0 / 119.0), 1e-12, "m4 axis is log-spaced");
  test_rel(options.cl, 0.90, 0, "default cl 0.90");
  test_true(options.threshold == THRESHOLD_TWO_SIDED && options.data == DATA_OBSERVED,
            "default two-sided threshold, observed data");
  test_true(strlen(cfg.hash) == 16, "hash is 16 hex digits");
  config_free(&cfg);
}

static void test_axes_and_units(void) {
  scan_config cfg;
  dip_error err;
  int st = load_text(&cfg,
                     "experiments: [a, b, c]\njoint: [[a, c], [a, b, c]]\ncouplings: [tau, e]\n"
                     "m4: {values: [0, 0.01, 0.3]}\nmu: {from: 1, to: 3, points: 3, spacing: linear}\n",
                     &err);
  test_true(st == DIP_SUCCESS, "values list, linear axis and joint fits are accepted");
  if (st != DIP_SUCCESS) {
    printf("# %s\n", err.msg);
    return;
  }
  test_true(cfg.n_m4 == 3 && cfg.m4[0] == 0.0 && cfg.m4[2] == 0.3, "m4 values kept as given");
  test_true(cfg.mu[1] == 2.0, "linear mu axis midpoint");
  test_true(config_n_entries(&cfg) == 5 && config_n_units(&cfg) == 30, "5 entries x 2 x 3 units");
  char label[256];
  config_entry_label(&cfg, 4, label, sizeof label);
  test_true(!strcmp(label, "a+b+c"), "joint entry label joins card names with '+'");
  int roundtrip = 1;
  for (size_t u = 0; u < config_n_units(&cfg); u++) {
    size_t e, f, m;
    config_unit_coords(&cfg, u, &e, &f, &m);
    roundtrip = roundtrip && config_unit_index(&cfg, e, f, m) == u;
  }
  test_true(roundtrip, "unit index <-> (entry, flavor, m4) round trip");
  test_true(strstr(cfg.canonical, "m4.values: [0, 0.01, 0.3]\n") != NULL,
            "canonical text lists the m4 values with shortest round-trip formatting");
  config_free(&cfg);
}

static void test_hash(void) {
  scan_config a, b, c;
  dip_error err;
  load_text(&a, "name: x\nstatistics: {cl: 0.9}\n", &err);
  load_text(&b, "name: y\noutput: elsewhere.h5\nrun: {batch: 7}\n", &err);
  load_text(&c, "statistics: {cl: 0.95}\n", &err);
  test_true(!strcmp(a.hash, b.hash), "name, output and run options do not change the hash");
  test_true(strcmp(a.hash, c.hash) != 0, "a different cl changes the hash");
  char diff[512];
  test_true(config_diff(a.canonical, c.canonical, diff, sizeof diff) == 1 &&
                !strcmp(diff, "statistics.cl: 0.9 (existing output) vs 0.95 (this configuration)"),
            "config_diff names the first differing key with both values");
  test_true(config_diff(a.canonical, b.canonical, diff, sizeof diff) == 0,
            "config_diff of equal texts is 0");
  config_free(&a);
  config_free(&b);
  config_free(&c);
}

/* `couplings:` is the key, `flavors:` its alias: same configuration, same canonical text (which
 * says `couplings:`); both at once are refused naming both. */
static void test_couplings_alias(void) {
  scan_config a, b, both;
  dip_error err;
  int ok = load_text(&a, "couplings: [mu, e]\n", &err) == DIP_SUCCESS &&
           load_text(&b, "flavors: [mu, e]\n", &err) == DIP_SUCCESS;
  test_true(ok && !strcmp(a.canonical, b.canonical) && !strcmp(a.hash, b.hash) &&
                strstr(a.canonical, "\ncouplings: [mu, e]\n") && a.n_couplings == 2 &&
                !strcmp(config_coupling_name(&a, 0), "mu"),
            "'couplings' and its alias 'flavors' give the same configuration");
  int st = load_text(&both, "couplings: [e]\nflavors: [e]\n", &err);
  test_true(st == DIP_EINVAL && strstr(err.msg, "'couplings'") && strstr(err.msg, "'flavors'"),
            "'couplings' and 'flavors' together are refused naming both");
  printf("# %s\n", err.msg);
  st = load_text(&both, "couplings: [e, nue]\n", &err);
  test_true(st == DIP_EINVAL && strstr(err.msg, "unknown coupling 'nue'") &&
                strstr(err.msg, "universal, e, mu, tau"),
            "an unknown coupling is refused listing the model's names");
  config_free(&a);
  config_free(&b);
}

/* A bad fixture must fail with "PATH:LINE:COL: ..." mentioning `word`. */
static void test_bad(const char *fixture, int line, const char *word) {
  char path[1024], where[1100];
  snprintf(path, sizeof path, "%s/tests/data/%s", root(), fixture);
  snprintf(where, sizeof where, "%s:%d:", path, line);
  scan_config cfg;
  dip_error err;
  dip_error_clear(&err);
  int st = config_load_file(&cfg, path, &model, &err);
  int ok = st == DIP_EINVAL && strncmp(err.msg, where, strlen(where)) == 0 && strstr(err.msg, word);
  char name[256];
  snprintf(name, sizeof name, "%s refused at line %d mentioning '%s'", fixture, line, word);
  test_report(ok, name, "status %d, message: %s", st, err.msg);
  if (st == DIP_SUCCESS)
    config_free(&cfg);
}

/* Relative card files and output resolve against the configuration file's folder. */
static void test_relative_paths(void) {
  char dir[] = "/tmp/dipscan_test_config_XXXXXX", path[128], out[256];
  if (!mkdtemp(dir))
    return;
  snprintf(path, sizeof path, "%s/x.yaml", dir);
  FILE *fp = fopen(path, "w");
  if (!fp)
    return;
  fputs("experiments: [cards/a.yaml, xenonnt_sr0, /abs/b.yaml]\noutput: ../out/x.h5\n", fp);
  fclose(fp);
  scan_config cfg;
  dip_error err;
  int st = config_load_file(&cfg, path, &model, &err);
  test_true(st == DIP_SUCCESS, "config with relative paths loads");
  if (st == DIP_SUCCESS) {
    char want[256];
    snprintf(want, sizeof want, "%s/../out/x.h5", dir);
    test_true(!strcmp(cfg.output, want), "output resolved against the config's folder");
    snprintf(want, sizeof want, "%s/cards/a.yaml", dir);
    test_true(config_experiment_path(&cfg, 0, out, sizeof out) == 0 && !strcmp(out, want),
              "a relative card file resolved against the config's folder");
    test_true(config_experiment_path(&cfg, 1, out, sizeof out) == 0 && !strcmp(out, "xenonnt_sr0"),
              "a card name is left alone");
    test_true(config_experiment_path(&cfg, 2, out, sizeof out) == 0 && !strcmp(out, "/abs/b.yaml"),
              "an absolute card path is left alone");
    test_true(strstr(cfg.canonical, "experiments: [cards/a.yaml, xenonnt_sr0, /abs/b.yaml]") != NULL,
              "the hashed text keeps the paths as written (independent of the working directory)");
    config_free(&cfg);
  }
  remove(path);
  rmdir(dir);
}

int main(void) {
  dip_gsl_quiet();
  test_suite("config");
  options_config_model(&model, &options);
  test_defaults();
  test_axes_and_units();
  test_hash();
  test_couplings_alias();
  test_relative_paths();
  test_bad("scan_bad_unknown_key.yaml", 3, "flavours");
  test_bad("scan_bad_type.yaml", 2, "points");
  test_bad("scan_bad_axis.yaml", 1, "m4.to");
  test_bad("scan_bad_values.yaml", 1, "strictly increasing");
  test_bad("scan_bad_joint.yaml", 2, "lz_ws2024");
  test_bad("scan_bad_flavor.yaml", 1, "electron");
  test_bad("scan_bad_cl.yaml", 1, "statistics.cl");
  test_bad("scan_bad_source.yaml", 4, "boron");
  return test_summary();
}
