/*
 * main.c — the `dipscan` entry point: dispatches to subcommands (see cmd.h).
 *
 * `dipscan --help`, `dipscan --version`, `dipscan SUBCOMMAND --help`.  Unknown subcommands and
 * options are usage errors (exit 2).  GSL's aborting error handler is switched off here, once.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "util/common.h"
#include "version.h"

static const dip_command commands[] = {
    {"rates", "expected counts per analysis bin for one experiment", cmd_rates},
    {"limit", "profiled chi^2 limits on mu at fixed m4 values", cmd_limit},
    {"scan", "run or resume a scan (MPI; parallel HDF5 output)", cmd_scan},
    {"limits", "reduce a scan cube to limit tables (CSV) and exclusion plots", cmd_limits},
    {"coverage", "coverage of the Wilks and Neyman 90% regions from pseudo-experiments",
     cmd_coverage},
    {NULL, NULL, NULL},
};

static void print_usage(FILE *out) {
  fprintf(out, "usage: dipscan [--help] [--version] SUBCOMMAND [options]\n\n"
               "Limits on the sterile-neutrino dipole portal from solar-neutrino electron recoils\n"
               "in xenon detectors (mu in Bohr magnetons, masses in MeV, energies in keV).\n\n"
               "subcommands:\n");
  for (const dip_command *c = commands; c->name; c++)
    fprintf(out, "  %-10s %s\n", c->name, c->summary);
  fprintf(out, "\nRun 'dipscan SUBCOMMAND --help' for the options of one subcommand.\n");
}

/* A full disk or a closed pipe must not pass for success: results go to stdout, so a failed write
 * or flush turns exit status 0 into 1 with one line naming the problem. */
static int finish_stdout(int rc) {
  errno = 0;
  if (fflush(stdout) == 0 && !ferror(stdout))
    return rc;
  fprintf(stderr, "dipscan: error writing standard output: %s\n",
          errno ? strerror(errno) : "write failed");
  return rc != DIP_EXIT_OK ? rc : DIP_EXIT_ERROR;
}

int main(int argc, char **argv) {
  dip_gsl_quiet();
  if (argc < 2) {
    print_usage(stderr);
    return DIP_EXIT_USAGE;
  }
  const char *sub = argv[1];
  if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
    print_usage(stdout);
    return finish_stdout(DIP_EXIT_OK);
  }
  if (!strcmp(sub, "--version") || !strcmp(sub, "-V")) {
    printf("dipscan %s\n", DIPSCAN_VERSION);
    return finish_stdout(DIP_EXIT_OK);
  }
  for (const dip_command *c = commands; c->name; c++)
    if (!strcmp(sub, c->name))
      return finish_stdout(c->run(argc - 1, argv + 1));
  if (sub[0] == '-')
    fprintf(stderr, "dipscan: unknown option '%s' (try 'dipscan --help')\n", sub);
  else
    fprintf(stderr, "dipscan: unknown subcommand '%s' (try 'dipscan --help')\n", sub);
  return DIP_EXIT_USAGE;
}
