/*
 * test_card.c — experiment cards: the shipped cards' totals (against the sums of the reference
 * files named in the cards' provenance blocks), interpolation and resolution, range selection, and a set of bad
 * cards that must each fail with a message naming the problem at the right FILE:LINE:COL.
 *
 * Paths are relative to $DIPSCAN_ROOT (set by tests/run.sh; default: the current directory).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detector/card.h"
#include "test.h"

static char root[2048];
static char data_dir[2300];

static int load(card *c, const char *rel, dip_error *err) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", root, rel);
  return card_load(c, path, NULL, err);
}

/* One shipped card by name: n bins, observed and background totals. */
static void check_shipped(const char *name, size_t n_bins, double observed, double obs_tol,
                          double background, double bkg_tol, double sm_quoted, int digitised) {
  card c;
  dip_error err;
  char label[256];
  int status = card_load(&c, name, data_dir, &err);
  snprintf(label, sizeof label, "%s loads by name", name);
  test_report(status == DIP_SUCCESS, label, "%s", err.msg);
  if (status != DIP_SUCCESS)
    return;
  snprintf(label, sizeof label, "%s has %zu bins", name, n_bins);
  test_true(c.n_bins == n_bins, label);
  snprintf(label, sizeof label, "%s observed total", name);
  test_abs(card_total_observed(&c), observed, obs_tol, label);
  snprintf(label, sizeof label, "%s background total", name);
  test_abs(card_total_background(&c), background, bkg_tol, label);
  snprintf(label, sizeof label, "%s quoted SM solar-nu events", name);
  test_abs(c.sm_quoted_events, sm_quoted, 1e-9, label);
  snprintf(label, sizeof label, "%s digitised flag", name);
  test_true(c.has_digitised == digitised, label);
  snprintf(label, sizeof label, "%s background contains SM and has a checksum", name);
  test_true(c.n_bkg >= 1 && c.bkg[0].includes_sm && strlen(c.checksum) == 16, label);
  card_free(&c);
}

static void test_shipped_cards(void) {
  /* XENONnT: 433 events, B0 x 1.16 t yr = 426.5 (docs/physics.md §5.4). */
  check_shipped("xenonnt_sr0", 29, 433, 0, 426.5, 0.2, 300, 0);
  /* PandaX-4T Run1: digitised counts rounded (1431; unrounded 1429.8), background 1438.3. */
  check_shipped("pandax4t_run1", 29, 1430, 2.0, 1438.3, 0.5, 72.6, 1);
  /* LZ: 471 / 463.3 and 1787 / 1765.6 in 1-20 keV. */
  check_shipped("lz_ws2022", 19, 471, 0, 463.3, 0.2, 38.1, 0);
  check_shipped("lz_ws2024", 19, 1787, 0, 1765.6, 0.5, 151, 1);
  /* Sites (docs/physics.md §3.4): LNGS 42.45 N, CJPL 28.15 N, SURF 44.35 N. */
  static const struct {
    const char *card, *site;
    double lat;
  } sites[] = {{"xenonnt_sr0", "LNGS", 42.45}, {"pandax4t_run1", "CJPL", 28.15},
               {"lz_ws2022", "SURF", 44.35}, {"lz_ws2024", "SURF", 44.35}};
  for (size_t i = 0; i < sizeof sites / sizeof *sites; i++) {
    card c;
    dip_error err;
    int ok = card_load(&c, sites[i].card, data_dir, &err) == DIP_SUCCESS;
    char name[96];
    snprintf(name, sizeof name, "%s sits at %s, latitude %.2f", sites[i].card, sites[i].site, sites[i].lat);
    test_true(ok && c.site_name && !strcmp(c.site_name, sites[i].site) && c.site_latitude_deg == sites[i].lat,
              name);
    if (ok)
      card_free(&c);
  }
}

static void test_xenonnt_details(void) {
  card c;
  dip_error err;
  if (card_load(&c, "xenonnt_sr0", data_dir, &err) != DIP_SUCCESS)
    return;
  /* Resolution sigma(E) = E (0.3171/sqrt(E) + 0.0015): at 10 keV 0.3171 sqrt(10) + 0.015. */
  test_rel(card_resolution_sigma(&c, 10.0), 0.3171 * sqrt(10.0) + 0.015, 1e-12,
           "XENONnT sigma(10 keV)");
  test_true(card_resolution_sigma(&c, 0.0) == 0.0, "sigma(0) = 0");
  /* Efficiency: ~50% near 1.58 keV, plateau ~0.815 at 29.9 keV, end value beyond the table. */
  test_abs(card_efficiency(&c, 1.58), 0.5, 0.03, "XENONnT efficiency ~50% at 1.58 keV");
  test_abs(card_efficiency(&c, 29.877), 0.8151, 5e-4, "XENONnT efficiency at the table end");
  test_true(card_efficiency(&c, 35.0) == card_efficiency(&c, 29.877),
            "efficiency constant beyond the table end");
  test_true(c.bkg[0].sigma_rel == 0.08,
            "XENONnT documents an 8% background width (used with background: card)");
  test_true(c.edges[0] == 1.0 && c.edges[29] == 30.0, "XENONnT edges 1..30 keV");
  /* Range selection: drop the top bins, keep totals consistent. */
  double first_bkg = c.bkg[0].counts[0], obs_before = c.observed[3];
  test_true(card_select_range(&c, 1.0, 20.0, &err) == DIP_SUCCESS && c.n_bins == 19,
            "range [1, 20] keeps 19 bins");
  test_true(c.bkg[0].counts[0] == first_bkg && c.observed[3] == obs_before,
            "range keeps the low bins in place");
  test_true(card_select_range(&c, 3.0, 20.0, &err) == DIP_SUCCESS && c.n_bins == 17 &&
                c.edges[0] == 3.0 && c.observed[1] == obs_before,
            "range [3, 20] shifts the bins");
  test_true(card_select_range(&c, 2.0, 20.0, &err) != DIP_SUCCESS,
            "range outside the current selection is refused");
  card_free(&c);
}

/* Efficiency interpolation is linear between the knots (fixture: constant 1). */
static void test_fixture(void) {
  card c;
  dip_error err;
  int status = load(&c, "tests/data/cards/flat_unit.yaml", &err);
  test_report(status == DIP_SUCCESS, "fixture card loads", "%s", err.msg);
  if (status != DIP_SUCCESS)
    return;
  test_true(c.n_bkg == 2 && isinf(c.bkg[1].sigma_rel) && c.bkg[0].sigma_rel == 0.1,
            "two background components, one free");
  test_true(!c.site_name && isnan(c.site_latitude_deg), "no site: name NULL, latitude NAN");
  test_true(c.bkg[1].includes_sm && !c.bkg[0].includes_sm, "includes_sm flags");
  test_true(c.sm_quoted_window[0] == 1.0 && c.sm_quoted_window[1] == 60.0 &&
                isnan(c.sm_quoted_sigma),
            "quoted SM window; sigma NAN when not given");
  card_free(&c);
  /* A card by path without a data dir, and a bare name without one, fail cleanly. */
  test_true(card_load(&c, "no_such_card", NULL, &err) != DIP_SUCCESS, "bare name needs data dir");
  status = card_load(&c, "TEMPLATE", data_dir, &err);
  test_report(status == DIP_SUCCESS, "TEMPLATE.yaml is a valid card", "%s", err.msg);
  if (status == DIP_SUCCESS)
    card_free(&c);
  test_true(card_load(&c, "missing/none.yaml", NULL, &err) != DIP_SUCCESS,
            "missing file is an error");
}

/* Each bad card: the message contains FILE:LINE:COL and a phrase naming the problem. */
typedef struct bad_case {
  const char *file;
  int line, column;
  const char *needle;
} bad_case;

static const bad_case BAD[] = {
    {"unknown_key", 7, 1, "unknown key 'expsure'"},
    {"unknown_background_key", 19, 5, "unknown key 'include_sm' in background component"},
    {"wrong_type", 8, 9, "'t_yr' expects a finite number, got 'two'"},
    {"missing_key", 3, 1, "missing required key 'observed'"},
    {"missing_provenance", 31, 3, "missing required key 'provenance' in efficiency"},
    {"nonmonotonic_bins", 11, 25, "must be strictly increasing"},
    {"negative_counts", 13, 20, "'counts' item 2 must be >= 0, got -20"},
    {"nan_count", 17, 23, "expects a finite number, got '.nan'"},
    {"inf_exposure", 8, 9, "expects a finite number, got '.inf'"},
    {"negative_exposure", 8, 9, "'t_yr' must be > 0"},
    {"length_mismatch", 13, 11, "'counts' has 4 items, expected 5 (one per bin)"},
    {"efficiency_length_mismatch", 33, 10, "'value' has 1 items, expected 2"},
    {"efficiency_above_one", 33, 14, "must lie in [0, 1], got 1.2"},
    {"unknown_target", 6, 9, "'target' must be one of: xenon (got 'argon')"},
    {"unknown_resolution_model", 36, 10, "one of: sqrt_linear, fractional, polynomial"},
    {"unknown_interpolation", 31, 18, "'interpolation' must be one of: linear"},
    {"bad_sigma_rel", 18, 16, "'sigma_rel' expects a relative uncertainty >= 0 or the word 'free'"},
    {"range_not_edge", 10, 12, "must run between two bin edges"},
    {"digitised_not_bool", 25, 81, "'digitised' expects true or false"},
    {"no_backgrounds", 15, 14, "'backgrounds' needs at least one component"},
    {"bad_latitude", 7, 37, "'latitude_deg' must lie strictly between -90 and 90"},
};

static void test_bad_cards(void) {
  for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
    char rel[256], where[512], label[256];
    snprintf(rel, sizeof rel, "tests/data/bad_cards/%s.yaml", BAD[i].file);
    snprintf(where, sizeof where, "%s.yaml:%d:%d: ", BAD[i].file, BAD[i].line, BAD[i].column);
    snprintf(label, sizeof label, "bad card %s", BAD[i].file);
    card c;
    dip_error err;
    dip_error_clear(&err);
    int status = load(&c, rel, &err);
    if (status == DIP_SUCCESS)
      card_free(&c);
    test_report(status == DIP_EINVAL && strstr(err.msg, where) && strstr(err.msg, BAD[i].needle),
                label, "status %d, message '%s', wanted '%s' and '%s'", status, err.msg, where,
                BAD[i].needle);
  }
}

int main(void) {
  test_suite("card");
  const char *env = getenv("DIPSCAN_ROOT");
  snprintf(root, sizeof root, "%s", env ? env : ".");
  snprintf(data_dir, sizeof data_dir, "%s/data", root);
  test_shipped_cards();
  test_xenonnt_details();
  test_fixture();
  test_bad_cards();
  return test_summary();
}
