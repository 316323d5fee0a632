/*
 * cmd.h — the subcommands of the `dipscan` binary (git style: `dipscan SUBCOMMAND [options]`).
 *
 * Each subcommand parses its own options, calls library modules, prints results, and returns the
 * process exit status: 0 success, 1 runtime error (message already printed to stderr), 2 usage
 * error (unknown option, bad value).  Commands that use MPI call MPI_Init/Finalize themselves.
 */
#ifndef DIPSCAN_CMD_H
#define DIPSCAN_CMD_H

#include <stdio.h>

#include "stats/analysis.h"

typedef struct dip_command {
  const char *name;
  const char *summary;
  int (*run)(int argc, char **argv); /* argv[0] is the subcommand name */
} dip_command;

/* Subcommands. */
int cmd_scan(int argc, char **argv);

/* Exit codes. */
enum { DIP_EXIT_OK = 0, DIP_EXIT_ERROR = 1, DIP_EXIT_USAGE = 2 };

/* Option parsing shared by the subcommands: `--name VALUE`, `--name=VALUE`, and flags `--name`.
 * `--help`/-h sets *help.  Unknown options, missing values and surplus positionals print one line
 * to stderr and return DIP_EXIT_USAGE. */
typedef struct cli_option {
  const char *name;     /* without the leading "--" */
  const char **value;   /* receives the value (options with a value), or NULL for a flag */
  int *flag;            /* set to 1 when a flag is present (value == NULL) */
} cli_option;

int cli_parse(const char *cmd, int argc, char **argv, const cli_option *opts, int n_opts,
              const char **positional, int max_positional, int *n_positional, int *help);
/* Strict number parsing for an option value (finite, whole string); prints an error. */
int cli_double(const char *cmd, const char *opt, const char *text, double *out);
/* Split "a,b,c" into a newly allocated array of newly allocated strings (free with cli_list_free). */
int cli_list(const char *text, char ***items, int *n);
void cli_list_free(char **items, int n);

/* Print each card's background warning (analysis_card_warning) as "dipscan CMD: warning: ...". */
void cli_card_warnings(const char *cmd, const analysis *an, FILE *out);

/* The physics (--electrons --split --solar-model --sources --day-night) and, for commands that
 * fit, statistics (--data --cl --threshold --background) flags: set through analysis_option_set,
 * the same path as the scan YAML's physics: and statistics: sections, so both accept the same
 * words. */
#define CLI_N_PHYSICS 9
typedef struct cli_physics {
  const char *value[CLI_N_PHYSICS]; /* NULL = not given */
} cli_physics;
/* Fill opts[] with the flags (all CLI_N_PHYSICS, or the 5 physics ones without statistics);
 * returns how many. */
int cli_physics_options(cli_physics *p, int with_statistics, cli_option *opts);
/* Apply the given flags to *opt; DIP_EINVAL "--FLAG: <why>" on a bad value. */
int cli_physics_apply(const cli_physics *p, analysis_options *opt, dip_error *err);

int cmd_rates(int argc, char **argv);
int cmd_limit(int argc, char **argv);
/* dipscan limits CUBE.h5 [...]: reduce a cube to limits (CSV, /limits_reduced) and plots. */
int cmd_limits(int argc, char **argv);
/* dipscan coverage: Wilks vs Neyman coverage from pseudo-experiments (cmd_coverage.c). */
int cmd_coverage(int argc, char **argv);

#endif /* DIPSCAN_CMD_H */
