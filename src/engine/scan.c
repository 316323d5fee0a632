/*
 * scan.c — the MPI master/worker scan (scan.h).
 *
 * Work distribution.  Rank 0 keeps the queue of pending units in dispatch order: m4 outermost,
 * then entry, then coupling, so that consecutive units share m4 (an evaluator may cache per-m4
 * work, as the dipole analysis does) while every entry and coupling is interleaved through the
 * run (balance).  Workers ask for a batch of consecutive units (request = {units finished since
 * the last request, flags}; reply = the unit indices, empty = no more work).  A worker keeps one
 * request in flight: it asks for its next batch as soon as it starts the current one, so it never
 * waits for rank 0 as long as one batch takes longer than one unit on rank 0.
 *
 * Rank 0 does not sit idle as a dispatcher: it takes batches from the same queue and computes
 * them itself, one unit at a time, and between two of its units it answers every pending request
 * (MPI_Iprobe).  A request therefore waits at most one unit of rank-0 compute, which the
 * prefetch above hides; with N ranks on N cores all N cores compute.  The batch size defaults to
 * the units of one m4 value (entries x couplings), reduced so that each rank gets several batches.
 *
 * Results do not depend on the number of ranks or the order of completion: each unit is computed
 * from the configuration alone and written to its own hyperslab.
 *
 * Cost accounting.  Every HDF5/journal call and every MPI call of the run is bracketed by
 * MPI_Wtime (a few per unit, negligible next to a unit), so the final report can say which
 * fraction of the ranks' time went to I/O and to communication (scan_report).
 *
 * Stop.  On the first SIGTERM/SIGUSR1/SIGINT rank 0 stops handing out units (empty replies);
 * a worker that got the signal finishes its current unit, skips the rest of its batch and tells
 * rank 0, which then stops everyone.  Units in flight are finished and journaled; the others stay
 * pending for the next run.
 */
#include "engine/scan.h"

#include "engine/lock.h"

#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

enum { TAG_REQUEST = 11, TAG_BATCH = 12 };
enum { REQUEST_STOPPING = 1 };
#define SYNC_SECONDS 10.0 /* journal fdatasync period */

/* ---- signals ---- */

static volatile sig_atomic_t stop_signals = 0;
static struct sigaction previous[3];
static const int stop_signal_ids[3] = {SIGTERM, SIGUSR1, SIGINT};

static void on_stop_signal(int sig) {
  stop_signals++;
  if (stop_signals >= 2) {
    signal(sig, SIG_DFL);
    raise(sig);
  }
}

void scan_signals_install(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop_signal;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  stop_signals = 0;
  for (int i = 0; i < 3; i++)
    sigaction(stop_signal_ids[i], &sa, &previous[i]);
}

void scan_signals_restore(void) {
  for (int i = 0; i < 3; i++)
    sigaction(stop_signal_ids[i], &previous[i], NULL);
}

int scan_stop_requested(void) { return stop_signals > 0; }

/* ---- agreement ---- */

int scan_agree(int status, dip_error *err, MPI_Comm comm) {
  int rank = 0, size = 1, first = 0;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  int mine = status != DIP_SUCCESS ? rank : size;
  MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm);
  if (first == size)
    return DIP_SUCCESS;
  MPI_Bcast(&status, 1, MPI_INT, first, comm);
  MPI_Bcast(err->msg, DIP_ERROR_MSG_LEN, MPI_CHAR, first, comm);
  err->status = status;
  return status;
}

/* ---- shared state of one run on one rank ---- */

typedef struct run_state {
  const scan_config *cfg;
  const scan_evaluator *ev;
  cube out;
  output_lock lock;        /* held from before prepare to the end of scan_run */
  MPI_Comm comm;
  int rank, size;
  unit_result result;      /* one unit's results (scratch) */
  uint64_t *batch;         /* [batch_size] */
  uint64_t *next;          /* [batch_size] (workers: prefetched batch) */
  size_t batch_size;
  size_t computed;         /* units computed by this rank */
  double t_start, t_sync;
  double t_open;           /* when this rank started opening the output */
  double cpu_open;         /* its CPU time then */
  double io, mpi;          /* seconds this rank spent in I/O and in MPI calls */
} run_state;

static double cpu_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Time spent since t0 into *acc; the expression's status passes through. */
static int timed(double *acc, double t0, int status) {
  *acc += MPI_Wtime() - t0;
  return status;
}

static int run_unit(run_state *st, size_t unit, dip_error *err) {
  const scan_config *cfg = st->cfg;
  size_t e, f, m;
  config_unit_coords(cfg, unit, &e, &f, &m);
  unit_result_reset(&st->result);
  int status = st->ev->eval(st->ev->ctx, e, cfg->couplings[f], cfg->m4[m], cfg->mu, cfg->n_mu,
                            &st->result, err);
  if (status != DIP_SUCCESS) {
    char label[512];
    config_entry_label(cfg, e, label, sizeof label);
    return dip_error_prefix(err, "rank %d: unit (%s, %s, m4 = %g %s)", st->rank, label,
                            config_coupling_name(cfg, f), cfg->m4[m], st->ev->m4_unit);
  }
  double t0 = MPI_Wtime();
  DIP_TRY(timed(&st->io, t0, cube_write_unit(&st->out, unit, &st->result, err)));
  st->computed++;
  double now = MPI_Wtime();
  if (now - st->t_sync >= SYNC_SECONDS) {
    st->t_sync = now;
    DIP_TRY(timed(&st->io, now, cube_sync(&st->out, err)));
  }
  return DIP_SUCCESS;
}

/* ---- rank 0: queue, dispatch, own work, progress ---- */

typedef struct queue {
  size_t *units;
  size_t n, next;
} queue;

static size_t take_batch(queue *q, uint64_t *out, size_t max) {
  size_t n = 0;
  while (n < max && q->next < q->n)
    out[n++] = q->units[q->next++];
  return n;
}

/* Pending units in dispatch order (m4, entry, coupling). */
static int build_queue(run_state *st, queue *q, size_t *before, dip_error *err) {
  const scan_config *cfg = st->cfg;
  size_t total = config_n_units(cfg);
  unsigned char *done = dip_calloc(total, 1, err);
  q->units = dip_calloc(total, sizeof *q->units, err);
  if (!done || !q->units) {
    free(done);
    return DIP_ENOMEM;
  }
  int status = cube_read_done(&st->out, done, err);
  q->n = q->next = 0;
  *before = 0;
  for (size_t m = 0; status == DIP_SUCCESS && m < cfg->n_m4; m++)
    for (size_t e = 0; e < config_n_entries(cfg); e++)
      for (size_t f = 0; f < cfg->n_couplings; f++) {
        size_t u = config_unit_index(cfg, e, f, m);
        if (done[u])
          (*before)++;
        else
          q->units[q->n++] = u;
      }
  free(done);
  return status;
}

typedef struct master {
  queue q;
  int active_workers;
  int stopping;
  size_t reported;         /* units reported finished by workers */
  size_t before, total;
  double t_progress;
  FILE *progress;
} master;

static void format_eta(double seconds, char *out, size_t n) {
  if (!isfinite(seconds) || seconds < 0) {
    snprintf(out, n, "unknown");
    return;
  }
  long s = (long)(seconds + 0.5);
  snprintf(out, n, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
}

static void print_progress(run_state *st, master *ms, int force) {
  double now = MPI_Wtime();
  if (!ms->progress || (!force && now - ms->t_progress < st->cfg->progress_seconds))
    return;
  ms->t_progress = now;
  size_t this_run = ms->reported + st->computed, done = ms->before + this_run;
  double elapsed = now - st->t_start, rate = elapsed > 0 ? (double)this_run / elapsed : 0.0;
  char eta[32];
  format_eta(rate > 0 ? (double)(ms->total - done) / rate : NAN, eta, sizeof eta);
  fprintf(ms->progress, "scan: %zu/%zu units (%.1f%%), %.0f points/s, ETA %s%s\n", done,
          ms->total, ms->total ? 100.0 * (double)done / (double)ms->total : 100.0,
          rate * (double)st->cfg->n_mu, eta, ms->stopping ? " (stopping)" : "");
  fflush(ms->progress);
}

/* Answer every pending request. */
static void serve_requests(run_state *st, master *ms) {
  double t0 = MPI_Wtime();
  for (;;) {
    int flag = 0;
    MPI_Status probe;
    MPI_Iprobe(MPI_ANY_SOURCE, TAG_REQUEST, st->comm, &flag, &probe);
    if (!flag)
      break;
    uint64_t req[2];
    MPI_Recv(req, 2, MPI_UINT64_T, probe.MPI_SOURCE, TAG_REQUEST, st->comm, MPI_STATUS_IGNORE);
    ms->reported += (size_t)req[0];
    if (req[1] & REQUEST_STOPPING)
      ms->stopping = 1;
    size_t n = ms->stopping ? 0 : take_batch(&ms->q, st->next, st->batch_size);
    MPI_Send(st->next, (int)n, MPI_UINT64_T, probe.MPI_SOURCE, TAG_BATCH, st->comm);
    if (n == 0)
      ms->active_workers--;
  }
  st->mpi += MPI_Wtime() - t0;
}

static void idle_wait(void) {
  struct timespec ts = {0, 1000000}; /* 1 ms */
  nanosleep(&ts, NULL);
}

static int run_master(run_state *st, master *ms, dip_error *err) {
  size_t own_n = 0, own_i = 0;
  for (;;) {
    serve_requests(st, ms);
    if (scan_stop_requested())
      ms->stopping = 1;
    if (own_i == own_n && !ms->stopping) {
      own_n = take_batch(&ms->q, st->batch, st->batch_size);
      own_i = 0;
    }
    if (own_i < own_n && !ms->stopping)
      DIP_TRY(run_unit(st, (size_t)st->batch[own_i++], err));
    else if (ms->active_workers == 0)
      break;
    else
      idle_wait();
    print_progress(st, ms, 0);
  }
  return DIP_SUCCESS;
}

/* ---- workers ---- */

static int run_worker(run_state *st, dip_error *err) {
  uint64_t req[2] = {0, 0};
  MPI_Status status;
  int n = 0;
  double t0 = MPI_Wtime();
  MPI_Send(req, 2, MPI_UINT64_T, 0, TAG_REQUEST, st->comm);
  MPI_Recv(st->batch, (int)st->batch_size, MPI_UINT64_T, 0, TAG_BATCH, st->comm, &status);
  MPI_Get_count(&status, MPI_UINT64_T, &n);
  st->mpi += MPI_Wtime() - t0;
  size_t finished_since_request = 0;
  while (n > 0) {
    int stopping = scan_stop_requested();
    req[0] = finished_since_request;
    req[1] = stopping ? REQUEST_STOPPING : 0;
    finished_since_request = 0;
    MPI_Request pending[2];
    t0 = MPI_Wtime();
    MPI_Isend(req, 2, MPI_UINT64_T, 0, TAG_REQUEST, st->comm, &pending[0]);
    MPI_Irecv(st->next, (int)st->batch_size, MPI_UINT64_T, 0, TAG_BATCH, st->comm, &pending[1]);
    st->mpi += MPI_Wtime() - t0;
    for (int i = 0; i < n && !stopping && !scan_stop_requested(); i++) {
      DIP_TRY(run_unit(st, (size_t)st->batch[i], err));
      finished_since_request++;
    }
    MPI_Status got[2];
    t0 = MPI_Wtime();
    MPI_Waitall(2, pending, got);
    MPI_Get_count(&got[1], MPI_UINT64_T, &n);
    st->mpi += MPI_Wtime() - t0;
    uint64_t *swap = st->batch;
    st->batch = st->next;
    st->next = swap;
  }
  return DIP_SUCCESS;
}

/* ---- the run ---- */

static size_t choose_batch(const scan_config *cfg, size_t pending, int size) {
  if (cfg->batch > 0)
    return (size_t)cfg->batch;
  size_t per_m4 = config_n_entries(cfg) * cfg->n_couplings;
  size_t fair = pending / (4 * (size_t)size);
  size_t b = per_m4 < fair ? per_m4 : fair;
  return b > 0 ? b : 1;
}

/* One writer per cube (lock.h): rank 0 takes the writer lock before anything looks at the output,
 * then every other rank the shared rank lock. */
static int lock_output(run_state *st, dip_error *err) {
  int status = st->rank == 0 ? output_lock_writer(&st->lock, st->cfg->output, err) : DIP_SUCCESS;
  DIP_TRY(scan_agree(status, err, st->comm));
  status = st->rank != 0 ? output_lock_rank(&st->lock, st->cfg->output, err) : DIP_SUCCESS;
  return scan_agree(status, err, st->comm);
}

static int prepare_output(run_state *st, const cube_meta *meta, int restart, scan_report *rep,
                          dip_error *err) {
  const scan_evaluator *ev = st->ev;
  int status = DIP_SUCCESS;
  double t0 = st->t_open = MPI_Wtime();
  st->cpu_open = cpu_seconds();
  DIP_TRY(lock_output(st, err));
  if (st->rank == 0)
    status = cube_prepare(st->cfg, meta, ev, restart, &rep->resume, err);
  st->io += MPI_Wtime() - t0;
  DIP_TRY(scan_agree(status, err, st->comm));
  t0 = MPI_Wtime();
  status = cube_open(&st->out, st->cfg, meta, ev, st->comm, err);
  st->io += MPI_Wtime() - t0;
  if (scan_agree(status, err, st->comm) != DIP_SUCCESS) {
    cube_close(&st->out, 0, st->size, NULL);
    return err->status;
  }
  return DIP_SUCCESS;
}

/* Rank 0 builds the queue; everyone learns the batch size. */
static int plan_work(run_state *st, master *ms, scan_report *rep, dip_error *err) {
  int status = DIP_SUCCESS;
  uint64_t b = 0;
  if (st->rank == 0) {
    status = build_queue(st, &ms->q, &ms->before, err);
    b = choose_batch(st->cfg, ms->q.n, st->size);
  }
  DIP_TRY(scan_agree(status, err, st->comm));
  MPI_Bcast(&b, 1, MPI_UINT64_T, 0, st->comm);
  st->batch_size = (size_t)b;
  st->batch = dip_calloc(st->batch_size, sizeof *st->batch, err);
  st->next = dip_calloc(st->batch_size, sizeof *st->next, err);
  status = st->batch && st->next ? unit_result_init(&st->result, st->ev->schema, st->cfg->n_mu, err)
                                 : DIP_ENOMEM;
  rep->units_before = ms->before;
  return scan_agree(status, err, st->comm);
}

/* Sum of every rank's I/O and MPI seconds, ranks x the wall time since opening the output, and
 * the largest peak RSS of any rank. */
static void account(run_state *st, scan_report *rep) {
  double t_end = MPI_Wtime(), mine[3] = {st->io, st->mpi, cpu_seconds() - st->cpu_open};
  double all[3] = {0.0, 0.0, 0.0};
  MPI_Allreduce(mine, all, 3, MPI_DOUBLE, MPI_SUM, st->comm);
  rep->io_seconds = all[0];
  rep->mpi_seconds = all[1];
  rep->cpu_seconds = all[2];
  rep->rank_seconds = (t_end - st->t_open) * st->size;
  struct rusage usage;
  long rss = getrusage(RUSAGE_SELF, &usage) == 0 ? usage.ru_maxrss : 0;
  MPI_Allreduce(&rss, &rep->peak_rss_kb, 1, MPI_LONG, MPI_MAX, st->comm);
}

static int finish(run_state *st, master *ms, scan_report *rep, dip_error *err) {
  unsigned long long mine = st->computed, all = 0;
  double t0 = MPI_Wtime();
  MPI_Reduce(&mine, &all, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, 0, st->comm);
  int complete = st->rank == 0 && ms->before + (size_t)all == rep->units_total;
  MPI_Bcast(&complete, 1, MPI_INT, 0, st->comm);
  MPI_Bcast(&all, 1, MPI_UNSIGNED_LONG_LONG, 0, st->comm);
  st->mpi += MPI_Wtime() - t0;
  rep->units_computed = (size_t)all;
  rep->seconds = MPI_Wtime() - st->t_start;
  rep->points_per_second =
      rep->seconds > 0 ? (double)all * (double)st->cfg->n_mu / rep->seconds : 0.0;
  rep->stopped = !complete;
  if (st->rank == 0) {
    ms->reported = (size_t)all - st->computed;
    print_progress(st, ms, 1);
  }
  t0 = MPI_Wtime();
  int status = cube_close(&st->out, complete, st->size, err);
  st->io += MPI_Wtime() - t0;
  status = scan_agree(status, err, st->comm);
  account(st, rep);
  return status;
}

int scan_run(const scan_config *cfg, const cube_meta *meta, int restart,
             const scan_evaluator *ev, MPI_Comm comm, FILE *progress, scan_report *rep,
             dip_error *err) {
  memset(rep, 0, sizeof *rep);
  rep->units_total = config_n_units(cfg);
  run_state st;
  memset(&st, 0, sizeof st);
  st.lock.fd = -1;
  st.cfg = cfg;
  st.ev = ev;
  MPI_Comm_dup(comm, &st.comm);
  MPI_Comm_rank(st.comm, &st.rank);
  MPI_Comm_size(st.comm, &st.size);
  master ms;
  memset(&ms, 0, sizeof ms);
  ms.total = rep->units_total;
  ms.active_workers = st.size - 1;
  ms.progress = st.rank == 0 ? progress : NULL;
  int status = prepare_output(&st, meta, restart, rep, err);
  if (status == DIP_SUCCESS) {
    status = plan_work(&st, &ms, rep, err);
    if (status != DIP_SUCCESS)
      cube_close(&st.out, 0, st.size, NULL);
  }
  if (status == DIP_SUCCESS) {
    st.t_start = st.t_sync = ms.t_progress = MPI_Wtime();
    status = st.rank == 0 ? run_master(&st, &ms, err) : run_worker(&st, err);
    rep->fatal = status != DIP_SUCCESS;
    if (status == DIP_SUCCESS)
      status = finish(&st, &ms, rep, err);
    else
      cube_abandon(&st.out);
  }
  output_lock_release(&st.lock);
  free(ms.q.units);
  free(st.batch);
  free(st.next);
  unit_result_free(&st.result);
  if (!rep->fatal)
    MPI_Comm_free(&st.comm);
  return status;
}
