/*
 * options.h — the dipole analysis' part of a scan configuration: the `physics:` and `statistics:`
 * sections, read into analysis_options, and the couplings the analysis can scan.
 *
 *   physics:    electrons (free | stepping), split (simple | full), solar_model (b16-gs98 |
 *               b16-agss09met), sources (all | list of pp, pep, hep, 7Be, 8B, 13N, 15O, 17F),
 *               day_night (on | off; default on, docs/physics.md §3.4),
 *               background (free | card; default free, docs/physics.md §6.1)
 *   statistics: data (observed | asimov), cl (0 < cl < 1), threshold (two-sided | one-sided),
 *               expected (none | asimov | toys; default asimov), toys (default 1000), seed
 *               (default 1), power_threshold (0 < p < 1; default 0.32) — stats/bands.h;
 *               neyman: {toys (0 = off, default), mu: {from, to, points, spacing: log | linear}}
 *               — the Neyman construction's own mu axis (stats/neyman.h)
 *
 * options_config_model() wires these into the engine's configuration reader (engine/config.h):
 * the engine reads everything else and appends the lines rendered here to the canonical text.
 */
#ifndef DIPSCAN_OPTIONS_H
#define DIPSCAN_OPTIONS_H

#include "engine/config.h"
#include "stats/analysis.h"

/* The one way an option is set, from a scan YAML section or a command-line flag alike: key is
 * electrons, split, solar_model, day_night, background, data, threshold, expected (a name from
 * the owning module's registry), sources ("all" or a comma-separated list of source names), cl or
 * power_threshold (a number in (0, 1)), toys (a whole number in [1, 1e8]) or seed (a whole number
 * in [0, 2^64)), neyman.toys (a whole number in [0, 1e8]), neyman.mu.from / neyman.mu.to (mu >= 0),
 * neyman.mu.points ([2, NEYMAN_MAX_POINTS]) or neyman.mu.spacing (linear | log).
 * DIP_EINVAL with the allowed values otherwise; *opt is unchanged on failure. */
int analysis_option_set(analysis_options *opt, const char *key, const char *value,
                        dip_error *err);

/* A config_model whose options are *opt (filled when a configuration is loaded with it). */
void options_config_model(config_model *model, analysis_options *opt);

#endif /* DIPSCAN_OPTIONS_H */
