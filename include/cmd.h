/*
 * cmd.h — the subcommands of the `dipscan` binary (git style: `dipscan SUBCOMMAND [options]`).
 *
 * Each subcommand parses its own options, calls library modules, prints results, and returns the
 * process exit status: 0 success, 1 runtime error (message already printed to stderr), 2 usage
 * error (unknown option, bad value).  Commands that use MPI call MPI_Init/Finalize themselves.
 */
#ifndef DIPSCAN_CMD_H
#define DIPSCAN_CMD_H

typedef struct dip_command {
  const char *name;
  const char *summary;
  int (*run)(int argc, char **argv); /* argv[0] is the subcommand name */
} dip_command;

/* Subcommands. */
int cmd_scan(int argc, char **argv);

/* Exit codes. */
enum { DIP_EXIT_OK = 0, DIP_EXIT_ERROR = 1, DIP_EXIT_USAGE = 2 };

#endif /* DIPSCAN_CMD_H */
