/*
 * cmd_common.c — option parsing shared by the subcommands (see cmd.h).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "stats/options.h"
#include "util/common.h"

static int usage_error(const char *cmd, const char *what, const char *arg) {
  fprintf(stderr, "dipscan %s: %s '%s' (try 'dipscan %s --help')\n", cmd, what, arg, cmd);
  return DIP_EXIT_USAGE;
}

static int apply_option(const char *cmd, const cli_option *opt, const char *inline_value,
                        int argc, char **argv, int *i) {
  if (!opt->value) {
    if (inline_value)
      return usage_error(cmd, "option takes no value", argv[*i]);
    *opt->flag = 1;
    return DIP_EXIT_OK;
  }
  if (inline_value) {
    *opt->value = inline_value;
    return DIP_EXIT_OK;
  }
  if (*i + 1 >= argc)
    return usage_error(cmd, "missing value for option", argv[*i]);
  *opt->value = argv[++*i];
  return DIP_EXIT_OK;
}

int cli_parse(const char *cmd, int argc, char **argv, const cli_option *opts, int n_opts,
              const char **positional, int max_positional, int *n_positional, int *help) {
  *help = 0;
  if (n_positional)
    *n_positional = 0;
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
      *help = 1;
      return DIP_EXIT_OK;
    }
    if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
      if (arg[0] == '-' && arg[1] != '\0')
        return usage_error(cmd, "unknown option", arg);
      if (!n_positional || *n_positional >= max_positional)
        return usage_error(cmd, "unexpected argument", arg);
      positional[(*n_positional)++] = arg;
      continue;
    }
    const char *name = arg + 2, *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    int k = 0;
    while (k < n_opts && !(strlen(opts[k].name) == len && !strncmp(opts[k].name, name, len)))
      k++;
    if (k == n_opts)
      return usage_error(cmd, "unknown option", arg);
    int rc = apply_option(cmd, &opts[k], eq ? eq + 1 : NULL, argc, argv, &i);
    if (rc != DIP_EXIT_OK)
      return rc;
  }
  return DIP_EXIT_OK;
}

void cli_card_warnings(const char *cmd, const analysis *an, FILE *out) {
  for (size_t c = 0; c < analysis_n_cards(an); c++)
    if (analysis_card_warning(an, c)[0])
      fprintf(out, "dipscan %s: warning: %s\n", cmd, analysis_card_warning(an, c));
}

/* Flag names and the analysis_option_set keys they set; the physics ones first. */
static const char *const physics_flags[CLI_N_PHYSICS] = {
    "electrons", "split", "solar-model", "sources", "day-night", "data", "cl", "threshold", "background"};
static const char *const physics_keys[CLI_N_PHYSICS] = {
    "electrons", "split", "solar_model", "sources", "day_night", "data", "cl", "threshold", "background"};
enum { CLI_N_PHYSICS_ONLY = 5 };

int cli_physics_options(cli_physics *p, int with_statistics, cli_option *opts) {
  int n = with_statistics ? CLI_N_PHYSICS : CLI_N_PHYSICS_ONLY;
  for (int i = 0; i < CLI_N_PHYSICS; i++)
    p->value[i] = NULL;
  for (int i = 0; i < n; i++)
    opts[i] = (cli_option){physics_flags[i], &p->value[i], NULL};
  return n;
}

int cli_physics_apply(const cli_physics *p, analysis_options *opt, dip_error *err) {
  for (int i = 0; i < CLI_N_PHYSICS; i++)
    if (p->value[i] && analysis_option_set(opt, physics_keys[i], p->value[i], err) != DIP_SUCCESS)
      return dip_error_prefix(err, "--%s", physics_flags[i]);
  return DIP_SUCCESS;
}

int cli_double(const char *cmd, const char *opt, const char *text, double *out) {
  char *end = NULL;
  errno = 0;
  double v = strtod(text, &end);
  if (end == text || *end != '\0' || !isfinite(v) || errno == ERANGE) {
    fprintf(stderr, "dipscan %s: --%s expects a finite number, got '%s'\n", cmd, opt, text);
    return DIP_EXIT_USAGE;
  }
  *out = v;
  return DIP_EXIT_OK;
}

int cli_list(const char *text, char ***items, int *n) {
  *items = NULL;
  *n = 0;
  int cap = 1;
  for (const char *p = text; *p; p++)
    cap += *p == ',';
  char **v = calloc((size_t)cap, sizeof *v);
  if (!v)
    return DIP_ENOMEM;
  const char *start = text;
  for (int k = 0; k < cap; k++) {
    const char *end = strchr(start, ',');
    size_t len = end ? (size_t)(end - start) : strlen(start);
    v[k] = calloc(len + 1, 1);
    if (!v[k]) {
      cli_list_free(v, k);
      return DIP_ENOMEM;
    }
    memcpy(v[k], start, len);
    start = end ? end + 1 : start + len;
  }
  *items = v;
  *n = cap;
  return DIP_SUCCESS;
}

void cli_list_free(char **items, int n) {
  for (int k = 0; k < n; k++)
    free(items[k]);
  free(items);
}
