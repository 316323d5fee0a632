/*
 * test_options.c — the one options path (stats/options.h): analysis_option_set sets every key from
 * a word, refuses a bad word with the allowed values and leaves the options untouched, and a scan
 * YAML's physics:/statistics: sections (read through the same setter) give exactly the options the
 * setter gives for the same words.
 */
#include <math.h>
#include <string.h>

#include "engine/config.h"
#include "physics/oscillation.h"
#include "physics/solar.h"
#include "stats/options.h"
#include "test.h"

static int same_options(const analysis_options *a, const analysis_options *b) {
  return a->electrons == b->electrons && a->split == b->split && a->metallicity == b->metallicity &&
         a->source_mask == b->source_mask && a->data == b->data && a->cl == b->cl &&
         a->threshold == b->threshold && a->day_night == b->day_night &&
         a->background == b->background;
}

static void test_setter(void) {
  analysis_options o;
  analysis_options_default(&o);
  dip_error err;
  test_true(analysis_option_set(&o, "electrons", "stepping", &err) == DIP_SUCCESS &&
                o.electrons == ELECTRONS_STEPPING, "electrons: stepping");
  test_true(analysis_option_set(&o, "split", "full", &err) == DIP_SUCCESS &&
                o.split == OSC_SPLIT_FULL, "split: full");
  test_true(analysis_option_set(&o, "solar_model", "b16-agss09met", &err) == DIP_SUCCESS &&
                o.metallicity == SOLAR_B16_AGSS09MET, "solar_model: b16-agss09met");
  test_true(analysis_option_set(&o, "sources", "pp, 7Be", &err) == DIP_SUCCESS &&
                o.source_mask == ((1u << SOLAR_PP) | (1u << SOLAR_BE7)), "sources: pp, 7Be");
  test_true(analysis_option_set(&o, "data", "asimov", &err) == DIP_SUCCESS && o.data == DATA_ASIMOV,
            "data: asimov");
  test_true(analysis_option_set(&o, "threshold", "one-sided", &err) == DIP_SUCCESS &&
                o.threshold == THRESHOLD_ONE_SIDED, "threshold: one-sided");
  test_true(analysis_option_set(&o, "cl", "0.95", &err) == DIP_SUCCESS && o.cl == 0.95, "cl: 0.95");
  test_true(o.day_night == 1, "day_night is on by default (docs/physics.md §3.4)");
  test_true(analysis_option_set(&o, "day_night", "off", &err) == DIP_SUCCESS && o.day_night == 0,
            "day_night: off");
  test_true(o.background == BACKGROUND_FREE, "background is free by default (docs/physics.md §6.1)");
  test_true(analysis_option_set(&o, "background", "card", &err) == DIP_SUCCESS &&
                o.background == BACKGROUND_CARD, "background: card");
  analysis_options before = o;
  test_true(analysis_option_set(&o, "day_night", "yes", &err) == DIP_EINVAL &&
                strstr(err.msg, "allowed: off, on") != NULL,
            "day_night accepts only on and off");
  test_true(analysis_option_set(&o, "split", "partial", &err) == DIP_EINVAL &&
                strstr(err.msg, "allowed: simple, full") != NULL,
            "a bad word is refused with the allowed values");
  test_true(analysis_option_set(&o, "sources", "pp,bogus", &err) == DIP_EINVAL &&
                strstr(err.msg, "'bogus'") != NULL, "a bad source is named");
  test_true(analysis_option_set(&o, "cl", "1", &err) == DIP_EINVAL &&
                analysis_option_set(&o, "cl", "0.9x", &err) == DIP_EINVAL,
            "cl outside (0, 1) or not a number is refused");
  test_true(analysis_option_set(&o, "colour", "red", &err) == DIP_EINVAL, "an unknown key is refused");
  test_true(same_options(&before, &o), "refused values leave the options untouched");
}

/* The YAML sections go through the same setter: same words, same options. */
static void test_yaml_agrees(void) {
  static const char text[] =
      "physics: {electrons: stepping, split: full, solar_model: b16-agss09met, sources: [pp, 7Be],\n"
      "          day_night: off, background: card}\n"
      "statistics: {data: asimov, cl: 0.95, threshold: one-sided}\n";
  analysis_options from_yaml, from_words;
  config_model model;
  options_config_model(&model, &from_yaml);
  scan_config cfg;
  dip_error err;
  int st = config_load_string(&cfg, text, strlen(text), "scans/t.yaml", &model, &err);
  test_true(st == DIP_SUCCESS, st ? err.msg : "a configuration with every option loads");
  analysis_options_default(&from_words);
  const char *words[][2] = {{"electrons", "stepping"}, {"split", "full"},
                            {"solar_model", "b16-agss09met"}, {"sources", "pp,7Be"},
                            {"data", "asimov"}, {"cl", "0.95"}, {"threshold", "one-sided"},
                            {"day_night", "off"}, {"background", "card"}};
  for (size_t i = 0; i < sizeof words / sizeof *words; i++)
    analysis_option_set(&from_words, words[i][0], words[i][1], &err);
  test_true(st == DIP_SUCCESS && same_options(&from_yaml, &from_words),
            "YAML sections and the setter give identical options");
  if (st == DIP_SUCCESS)
    config_free(&cfg);
  static const char bad[] = "physics: {split: partial}\n";
  options_config_model(&model, &from_yaml);
  st = config_load_string(&cfg, bad, strlen(bad), "scans/t.yaml", &model, &err);
  test_true(st == DIP_EINVAL && strstr(err.msg, "scans/t.yaml:1:18: physics.split:") &&
                strstr(err.msg, "allowed: simple, full"),
            "a bad YAML word gets FILE:LINE:COL, the key and the allowed values");
}

int main(void) {
  test_suite("options");
  dip_gsl_quiet();
  test_setter();
  test_yaml_agrees();
  return test_summary();
}
