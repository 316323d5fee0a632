/*
 * scan.h — the MPI scan engine: master/worker distribution of work units, graceful stop, progress.
 *
 * A work unit (entry, coupling, m4) is evaluated by a caller-supplied evaluator (evaluator.h;
 * cmd_scan binds the dipole analysis, tests bind synthetic ones), so nothing here depends on the
 * physics: the evaluator's result schema says what each unit produces.
 * scan_run is collective over comm; it takes the output lock (lock.h: one run per output, held
 * until it returns), prepares/resumes the cube, hands out the pending units and closes the cube.  See scan.c for the distribution scheme and how rank 0 computes too.
 *
 * Errors.  Failures in the collective phases (preparing, opening, closing the output) are agreed
 * on: every rank returns the same status and message (that of the lowest failing rank), and the
 * caller just prints it once on rank 0.  A failure inside the work loop (an evaluator error, an
 * I/O error) happens on one rank while the others may be blocked in MPI: scan_run then returns it
 * with report->fatal = 1, and the caller must print it and MPI_Abort (cmd_scan does).
 */
#ifndef DIPSCAN_SCAN_H
#define DIPSCAN_SCAN_H

#include <mpi.h>
#include <stddef.h>
#include <stdio.h>

#include "util/common.h"
#include "engine/config.h"
#include "engine/cube.h"
#include "engine/evaluator.h"

typedef struct scan_report {
  size_t units_total;      /* units in the plan */
  size_t units_before;     /* already finished when this run started (resume) */
  size_t units_computed;   /* finished by this run, all ranks */
  double seconds;          /* wall time of the work loop */
  double points_per_second;/* units_computed * n_mu / seconds */
  /* Where the ranks' time went (all ranks together, from opening the output to closing it):
   * rank_seconds = ranks x that wall time; io_seconds in HDF5 and journal calls (prepare, open,
   * unit writes, syncs, close); mpi_seconds in MPI calls (dispatch, waiting for work,
   * agreements and reductions).  The rest is compute (and, on rank 0, the idle polls).
   * cpu_seconds is the CPU time the ranks got in that span: well below rank_seconds with little
   * MPI time means other processes shared the cores. */
  double rank_seconds, io_seconds, mpi_seconds, cpu_seconds;
  long peak_rss_kb;        /* largest peak resident set size of any rank (getrusage) [KiB] */
  /* Dispatch and writes (docs/scaling.md): rank 0 answered `requests` requests in serve_seconds
   * (its service time per request, the capacity model's t_s), the workers spent wait_seconds
   * blocked for replies (all workers); unit_seconds is the mean evaluator time of one unit and
   * batches / batched_units the batches handed out (rank 0's own included).  io sums every
   * rank's per-unit write path (cube_io_count). */
  size_t requests, batches, batched_units;
  double serve_seconds, wait_seconds, unit_seconds;
  cube_io_count io;
  int stopped;             /* stopped on a signal before the plan was complete */
  int fatal;               /* see the header comment: the caller must MPI_Abort */
  cube_resume_info resume; /* what rank 0 found in an existing output */
} scan_report;

/* Collective.  progress (rank 0 only, may be NULL) receives progress lines. */
int scan_run(const scan_config *cfg, const cube_meta *meta, int restart,
             const scan_evaluator *ev, MPI_Comm comm, FILE *progress, scan_report *report,
             dip_error *err);

/* What a scan of `units` units of unit_seconds each (evaluator time, measured by a calibration)
 * costs on `ranks` ranks under this engine's dispatch scheme (scan.c): every rank computes below
 * the dispatch-only threshold, all but rank 0 above it; the ranks finish within half a minimal
 * batch of each other; setup_seconds (building the model, once per rank, in parallel) comes on
 * top.  Per-unit I/O is left out: batched writes make it ~1% of the rank time (docs/scaling.md). */
typedef struct scan_estimate {
  int ranks, computing_ranks;
  size_t units;
  double unit_seconds, setup_seconds;
  double core_seconds;     /* units x unit_seconds */
  double wall_seconds;     /* setup + the work loop on `ranks` ranks */
  double efficiency;       /* core_seconds / (ranks x wall_seconds) */
} scan_estimate;

void scan_estimate_cost(size_t units, double unit_seconds, double setup_seconds, int ranks,
                        scan_estimate *out);

/* Collective agreement on a status: returns the status of the lowest failing rank (DIP_SUCCESS if
 * none) and copies that rank's message into err on every rank. */
int scan_agree(int status, dip_error *err, MPI_Comm comm);

/* SIGTERM, SIGUSR1, SIGINT: the first one requests a graceful stop (scan_stop_requested() turns
 * true); a second one restores the default action and re-raises it, ending the process at once. */
void scan_signals_install(void);
void scan_signals_restore(void);
int scan_stop_requested(void);

#endif /* DIPSCAN_SCAN_H */
