/*
 * scan.c — the MPI master/worker scan (scan.h).
 *
 * Work distribution.  Rank 0 keeps the queue of pending units in dispatch order: m4 outermost,
 * then entry, then coupling, so that consecutive units share m4 (an evaluator may cache per-m4
 * work, as the dipole analysis does) while every entry and coupling is interleaved through the
 * run (balance).  Workers ask for a batch of consecutive units (request = {units finished since
 * the last request, their compute time, flags}; reply = the unit indices, empty = no more work).
 * A worker keeps one request in flight: it asks for its next batch as soon as it starts the
 * current one, so it never waits for rank 0 as long as one batch takes longer than rank 0 needs
 * to answer.
 *
 * Rank 0 computes too on all but large jobs: it takes batches from the same queue and computes
 * them one unit at a time, and between two of its units it answers every pending request
 * (MPI_Iprobe).  A request therefore waits at most one unit of rank-0 compute, which the prefetch
 * hides since a batch holds at least two units.  From DISPATCH_ONLY_RANKS ranks on, rank 0's
 * share of the compute (1/N) is worth less than prompt answers, and it only dispatches (blocked
 * in MPI_Probe between requests; so is a rank 0 without work of its own).
 *
 * Batch sizes adapt to the measured unit cost (next_batch_size): workers report the compute time
 * of the units they finished, rank 0 adds its own, and every batch is sized between
 *   lo = the work of max(BATCH_MIN_SECONDS, N t_s / RANK0_SERVE_SHARE), at least 2 units, where
 *        t_s is rank 0's measured service time per request (so that N workers load rank 0 by
 *        at most RANK0_SERVE_SHARE whatever N), and
 *   hi = BATCH_MAX_SECONDS of work (progress and flush latency), within the buffer's capacity,
 * taking inside that range a guided share of the queue, remaining / (GUIDED_DIVISOR x N): large
 * batches early, small ones at the tail, so the ranks finish within about one small batch of each
 * other.  Until a cost is measured a batch is at most the units of one m4 value.  The capacity
 * model (docs/scaling.md): rank 0 serves 1 / t_s requests per second; the scheme holds while
 * the queue has units for every rank, i.e. up to N ~ units / (GUIDED_DIVISOR x lo).
 *
 * Results do not depend on the number of ranks or the order of completion: each unit is computed
 * from the configuration alone and written to its own hyperslab.
 *
 * Writes.  Finished units go to the cube's per-rank buffer (cube.h, "Batched writes"), written
 * at the end of a batch when max(FLUSH_SECONDS, N x FLUSH_SECONDS_PER_RANK) have passed since the
 * last write (so that N ranks together flush at most ~1000 times a second: a parallel file
 * system serialises the appends to the one journal), when the buffer is full (BUFFER_MAX_BYTES)
 * and when the rank stops; the journal is fdatasynced every SYNC_SECONDS.  Each flush writes one
 * block per (entry, coupling) row and dataset, so several batches per flush mean fewer
 * file-system writes per unit; a kill -9 costs at most a batch or that flush period of each
 * rank's work, whichever is longer (never consistency: cube.h).
 *
 * Cost accounting.  Every HDF5/journal call and every MPI call of the run is bracketed by
 * MPI_Wtime, so the final report can say which fraction of the ranks' time went to I/O and to
 * communication, how long rank 0 took per request and how long the workers waited (scan_report).
 *
 * Stop.  On the first SIGTERM/SIGUSR1/SIGINT rank 0 stops handing out units (empty replies);
 * a worker that got the signal finishes its current unit, skips the rest of its batch, writes
 * what it buffered and tells rank 0, which then stops everyone.  Units in flight are finished and
 * journaled; the others stay pending for the next run.
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
enum { REQ_FINISHED, REQ_COMPUTE_NS, REQ_FLAGS, REQ_LEN }; /* a request: REQ_LEN uint64 */
#define SYNC_SECONDS 10.0      /* journal fdatasync period */
#define FLUSH_SECONDS 0.25     /* a batch's end flushes the buffer if this long since the last, */
#define FLUSH_SECONDS_PER_RANK 1e-3 /* or N x this on N ranks (<= ~1000 flushes/s in all) */
#define BATCH_MIN_SECONDS 0.05 /* least work per batch once the unit cost is known */
#define BATCH_MAX_SECONDS 2.0  /* most work per batch (progress, flush latency) */
#define GUIDED_DIVISOR 4       /* a batch takes remaining / (GUIDED_DIVISOR x ranks) units */
#define RANK0_SERVE_SHARE 0.05 /* most of rank 0's time spent answering requests */
#define SERVE_SECONDS_GUESS 20e-6 /* service time per request assumed before one is measured */
#define DISPATCH_ONLY_RANKS 64 /* from this many ranks on rank 0 only dispatches */
#define BUFFER_MAX_BYTES (16u << 20) /* bound on the write buffer per rank */
#define MAX_RANGES 32          /* ranges per reply: 512 bytes, below any eager limit */

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
  uint64_t *batch;         /* [capacity] units of the current batch */
  uint64_t reply[2 * MAX_RANGES]; /* a batch as ranges of dispatch positions (see queue) */
  size_t capacity;         /* largest batch */
  double flush_seconds;    /* least time between two writes of the buffer (see Writes) */
  size_t computed;         /* units computed by this rank */
  double compute;          /* seconds this rank spent in the evaluator */
  double wait;             /* seconds this worker spent blocked for a reply */
  double t_start, t_sync, t_flush;
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

/* Write the buffered units (and fdatasync the journal when SYNC_SECONDS have passed). */
static int flush_units(run_state *st, dip_error *err) {
  double now = MPI_Wtime();
  st->t_flush = now;
  DIP_TRY(timed(&st->io, now, cube_flush(&st->out, err)));
  if (now - st->t_sync >= SYNC_SECONDS) {
    st->t_sync = now;
    DIP_TRY(timed(&st->io, now, cube_sync(&st->out, err)));
  }
  return DIP_SUCCESS;
}

static int run_unit(run_state *st, size_t unit, dip_error *err) {
  const scan_config *cfg = st->cfg;
  size_t e, f, m;
  config_unit_coords(cfg, unit, &e, &f, &m);
  unit_result_reset(&st->result);
  double t0 = MPI_Wtime();
  int status = st->ev->eval(st->ev->ctx, e, cfg->couplings[f], cfg->m4[m], cfg->mu, cfg->n_mu,
                            &st->result, err);
  if (status != DIP_SUCCESS) {
    char label[512];
    config_entry_label(cfg, e, label, sizeof label);
    return dip_error_prefix(err, "rank %d: unit (%s, %s, m4 = %g %s)", st->rank, label,
                            config_coupling_name(cfg, f), cfg->m4[m], st->ev->m4_unit);
  }
  double t1 = MPI_Wtime();
  st->compute += t1 - t0;
  DIP_TRY(timed(&st->io, t1, cube_buffer_unit(&st->out, unit, &st->result, err)));
  st->computed++;
  return DIP_SUCCESS;
}

/* At the end of a batch: write the buffer when flush_seconds have passed since the last write. */
static int batch_done(run_state *st, dip_error *err) {
  return MPI_Wtime() - st->t_flush >= st->flush_seconds ? flush_units(st, err) : DIP_SUCCESS;
}

/* ---- rank 0: queue, dispatch, own work, progress ---- */

/* The queue holds dispatch positions: position p = (m4 x entries + entry) x couplings + coupling
 * enumerates the units in dispatch order.  A batch, a run of consecutive queue entries, is sent
 * as ranges of consecutive positions (one range on a fresh scan; a resumed one has holes), so a
 * reply stays a few words whatever the batch size: small enough for MPI's eager protocol, which
 * delivers it while the worker computes (a large reply would wait in rendezvous until the
 * worker's next MPI call, stalling rank 0). */
typedef struct queue {
  size_t *positions;       /* pending positions, increasing */
  size_t n, next;
} queue;

static size_t position_unit(const scan_config *cfg, size_t p) {
  size_t per_m4 = config_n_entries(cfg) * cfg->n_couplings, r = p % per_m4;
  return config_unit_index(cfg, r / cfg->n_couplings, r % cfg->n_couplings, p / per_m4);
}

/* Up to max units from the queue as at most MAX_RANGES ranges {first position, count} into
 * ranges[2 x MAX_RANGES]; returns the units taken, *n_ranges the ranges. */
static size_t take_ranges(queue *q, size_t max, uint64_t *ranges, size_t *n_ranges) {
  size_t n = 0, r = 0;
  while (n < max && q->next < q->n) {
    size_t p = q->positions[q->next];
    if (r > 0 && ranges[2 * r - 2] + ranges[2 * r - 1] == p) {
      ranges[2 * r - 1]++;
    } else if (r < MAX_RANGES) {
      ranges[2 * r] = p;
      ranges[2 * r + 1] = 1;
      r++;
    } else {
      break;
    }
    q->next++;
    n++;
  }
  *n_ranges = r;
  return n;
}

/* The units of n_ranges ranges, in dispatch order, into units[]; returns their number. */
static size_t expand_ranges(const scan_config *cfg, const uint64_t *ranges, size_t n_ranges,
                            uint64_t *units) {
  size_t n = 0;
  for (size_t r = 0; r < n_ranges; r++)
    for (uint64_t i = 0; i < ranges[2 * r + 1]; i++)
      units[n++] = position_unit(cfg, (size_t)(ranges[2 * r] + i));
  return n;
}

/* Pending positions in dispatch order (m4, entry, coupling). */
static int build_queue(run_state *st, queue *q, size_t *before, dip_error *err) {
  const scan_config *cfg = st->cfg;
  size_t total = config_n_units(cfg);
  unsigned char *done = dip_calloc(total, 1, err);
  q->positions = dip_calloc(total, sizeof *q->positions, err);
  if (!done || !q->positions) {
    free(done);
    return DIP_ENOMEM;
  }
  int status = cube_read_done(&st->out, done, err);
  q->n = q->next = 0;
  *before = 0;
  for (size_t p = 0; status == DIP_SUCCESS && p < total; p++) {
    if (done[position_unit(cfg, p)])
      (*before)++;
    else
      q->positions[q->n++] = p;
  }
  free(done);
  return status;
}

typedef struct master {
  queue q;
  int active_workers;
  int stopping;
  int computes;            /* rank 0 computes units too (fewer than DISPATCH_ONLY_RANKS ranks) */
  size_t per_m4;           /* units of one m4 value: the batch before a cost is measured */
  size_t reported;         /* units reported finished by workers */
  double cost_seconds;     /* compute seconds of the units reported (workers and rank 0) */
  size_t cost_units;
  size_t cost_units_own;   /* rank 0's own units and seconds already counted in cost_* */
  double cost_seconds_own;
  size_t requests, batches, batched_units;
  double serve_seconds;    /* time spent answering requests */
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

/* Units in the next batch (see the header comment). */
static size_t next_batch_size(const run_state *st, const master *ms) {
  size_t remaining = ms->q.n - ms->q.next;
  if (st->cfg->batch > 0)
    return (size_t)st->cfg->batch < remaining ? (size_t)st->cfg->batch : remaining;
  size_t guided = remaining / (GUIDED_DIVISOR * (size_t)st->size), lo = 1, hi = ms->per_m4;
  if (ms->cost_units > 0 && ms->cost_seconds > 0.0) {
    double cost = ms->cost_seconds / (double)ms->cost_units;
    double t_serve =
        ms->requests > 0 ? ms->serve_seconds / (double)ms->requests : SERVE_SECONDS_GUESS;
    double least = fmax(BATCH_MIN_SECONDS, (double)st->size * t_serve / RANK0_SERVE_SHARE);
    lo = (size_t)fmax(2.0, ceil(least / cost));
    hi = (size_t)fmax((double)lo, ceil(BATCH_MAX_SECONDS / cost));
  }
  size_t b = guided < lo ? lo : guided > hi ? hi : guided;
  b = b < st->capacity ? b : st->capacity;
  return b < remaining ? b : remaining;
}

/* The next batch as ranges into ranges[2 x MAX_RANGES]; returns its units, *n_ranges. */
static size_t take_next(const run_state *st, master *ms, uint64_t *ranges, size_t *n_ranges) {
  size_t n = take_ranges(&ms->q, next_batch_size(st, ms), ranges, n_ranges);
  ms->batches += n > 0;
  ms->batched_units += n;
  return n;
}

/* Answer one request from `source` (probed): record what it reports, send the next batch. */
static void answer(run_state *st, master *ms, int source) {
  uint64_t req[REQ_LEN];
  MPI_Recv(req, REQ_LEN, MPI_UINT64_T, source, TAG_REQUEST, st->comm, MPI_STATUS_IGNORE);
  ms->reported += (size_t)req[REQ_FINISHED];
  ms->cost_units += (size_t)req[REQ_FINISHED];
  ms->cost_seconds += 1e-9 * (double)req[REQ_COMPUTE_NS];
  if (req[REQ_FLAGS] & REQUEST_STOPPING)
    ms->stopping = 1;
  size_t n_ranges = 0, n = ms->stopping ? 0 : take_next(st, ms, st->reply, &n_ranges);
  MPI_Send(st->reply, (int)(2 * n_ranges), MPI_UINT64_T, source, TAG_BATCH, st->comm);
  if (n == 0)
    ms->active_workers--;
}

/* Answer every pending request; with `block`, first wait for one (idle time, not service). */
static void serve_requests(run_state *st, master *ms, int block) {
  for (;;) {
    int flag = 0;
    MPI_Status probe;
    double t0 = MPI_Wtime();
    if (block) {
      MPI_Probe(MPI_ANY_SOURCE, TAG_REQUEST, st->comm, &probe);
      flag = 1;
      block = 0;
      double t1 = MPI_Wtime();
      st->mpi += t1 - t0;
      t0 = t1;
    } else {
      MPI_Iprobe(MPI_ANY_SOURCE, TAG_REQUEST, st->comm, &flag, &probe);
    }
    if (flag)
      answer(st, ms, probe.MPI_SOURCE);
    double dt = MPI_Wtime() - t0;
    st->mpi += dt;
    if (!flag)
      break;
    ms->requests++;
    ms->serve_seconds += dt;
  }
}

/* Rank 0's own cost so far into the estimate (what it computed since the last call). */
static void count_own_cost(run_state *st, master *ms) {
  ms->cost_units += st->computed - ms->cost_units_own;
  ms->cost_seconds += st->compute - ms->cost_seconds_own;
  ms->cost_units_own = st->computed;
  ms->cost_seconds_own = st->compute;
}

static int run_master(run_state *st, master *ms, dip_error *err) {
  size_t own_n = 0, own_i = 0;
  for (;;) {
    serve_requests(st, ms, 0);
    if (scan_stop_requested())
      ms->stopping = 1;
    if (own_i == own_n && ms->computes && !ms->stopping) {
      DIP_TRY(batch_done(st, err));
      count_own_cost(st, ms);
      size_t n_ranges = 0;
      take_next(st, ms, st->reply, &n_ranges);
      own_n = expand_ranges(st->cfg, st->reply, n_ranges, st->batch);
      own_i = 0;
    }
    if (own_i < own_n && !ms->stopping)
      DIP_TRY(run_unit(st, (size_t)st->batch[own_i++], err));
    else if (ms->active_workers == 0)
      break;
    else
      serve_requests(st, ms, 1);
    print_progress(st, ms, 0);
  }
  return flush_units(st, err);
}

/* ---- workers ---- */

/* Post the request for the next batch, reporting `finished` units of `compute` seconds. */
static void post_request(run_state *st, uint64_t req[REQ_LEN], size_t finished, double compute,
                         int stopping, MPI_Request pending[2]) {
  double t0 = MPI_Wtime();
  req[REQ_FINISHED] = finished;
  req[REQ_COMPUTE_NS] = (uint64_t)(compute * 1e9 + 0.5);
  req[REQ_FLAGS] = stopping ? REQUEST_STOPPING : 0;
  MPI_Isend(req, REQ_LEN, MPI_UINT64_T, 0, TAG_REQUEST, st->comm, &pending[0]);
  MPI_Irecv(st->reply, 2 * MAX_RANGES, MPI_UINT64_T, 0, TAG_BATCH, st->comm, &pending[1]);
  st->mpi += MPI_Wtime() - t0;
}

/* Wait for the reply to the request in flight and expand it into the current batch (the
 * previous one is finished by then); returns its size. */
static int await_batch(run_state *st, MPI_Request pending[2]) {
  MPI_Status got[2];
  int n = 0;
  double t0 = MPI_Wtime();
  MPI_Waitall(2, pending, got);
  MPI_Get_count(&got[1], MPI_UINT64_T, &n);
  double dt = MPI_Wtime() - t0;
  st->mpi += dt;
  st->wait += dt;
  return (int)expand_ranges(st->cfg, st->reply, (size_t)n / 2, st->batch);
}

static int run_worker(run_state *st, dip_error *err) {
  uint64_t req[REQ_LEN];
  MPI_Request pending[2];
  post_request(st, req, 0, 0.0, 0, pending);
  int n = await_batch(st, pending);
  size_t finished = 0;
  double compute = 0.0;
  while (n > 0) {
    int stopping = scan_stop_requested();
    post_request(st, req, finished, compute, stopping, pending);
    size_t before = st->computed;
    double compute_before = st->compute;
    for (int i = 0; i < n && !stopping && !scan_stop_requested(); i++)
      DIP_TRY(run_unit(st, (size_t)st->batch[i], err));
    DIP_TRY(batch_done(st, err));
    finished = st->computed - before;
    compute = st->compute - compute_before;
    n = await_batch(st, pending);
  }
  return flush_units(st, err);
}

/* ---- the run ---- */

/* Units the write buffer holds: BUFFER_MAX_BYTES of results and journal records, at least one m4
 * value's units and one configured batch, never more than the pending units. */
static size_t buffer_units(const run_state *st, size_t pending) {
  const scan_config *cfg = st->cfg;
  const result_schema *s = st->ev->schema;
  size_t per_unit = st->out.journal.record_size + 1;
  for (size_t f = 0; f < s->n_fields; f++)
    per_unit += result_field_count(s, f, cfg->n_mu) * result_type_size(s->fields[f].type);
  size_t cap = BUFFER_MAX_BYTES / per_unit, per_m4 = config_n_entries(cfg) * cfg->n_couplings;
  cap = cap > per_m4 ? cap : per_m4;
  cap = cap > (size_t)cfg->batch ? cap : (size_t)cfg->batch;
  cap = cap < pending ? cap : pending;
  return cap > 0 ? cap : 1;
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

/* Rank 0 builds the queue; everyone learns the largest batch and sizes its buffers. */
static int plan_work(run_state *st, master *ms, scan_report *rep, dip_error *err) {
  int status = DIP_SUCCESS;
  uint64_t sizes[2] = {0, 0}; /* the write buffer's units, the largest batch */
  if (st->rank == 0) {
    status = build_queue(st, &ms->q, &ms->before, err);
    sizes[0] = buffer_units(st, ms->q.n);
    sizes[1] = st->cfg->batch > 0 ? (uint64_t)st->cfg->batch : sizes[0];
    ms->per_m4 = config_n_entries(st->cfg) * st->cfg->n_couplings;
    ms->computes = st->size < DISPATCH_ONLY_RANKS;
  }
  DIP_TRY(scan_agree(status, err, st->comm));
  MPI_Bcast(sizes, 2, MPI_UINT64_T, 0, st->comm);
  st->capacity = (size_t)sizes[1];
  st->flush_seconds = fmax(FLUSH_SECONDS, (double)st->size * FLUSH_SECONDS_PER_RANK);
  st->batch = dip_calloc(st->capacity, sizeof *st->batch, err);
  status = st->batch ? unit_result_init(&st->result, st->ev->schema, st->cfg->n_mu, err)
                     : DIP_ENOMEM;
  if (status == DIP_SUCCESS)
    status = cube_buffer_reserve(&st->out, (size_t)sizes[0], err);
  rep->units_before = ms->before;
  return scan_agree(status, err, st->comm);
}

/* Sum of every rank's I/O, MPI and compute seconds and write counts, ranks x the wall time since
 * opening the output, the largest peak RSS of any rank, and rank 0's dispatch figures. */
static void account(run_state *st, const master *ms, scan_report *rep) {
  double t_end = MPI_Wtime();
  double mine[5] = {st->io, st->mpi, cpu_seconds() - st->cpu_open, st->wait, st->compute};
  double all[5] = {0.0, 0.0, 0.0, 0.0, 0.0};
  MPI_Allreduce(mine, all, 5, MPI_DOUBLE, MPI_SUM, st->comm);
  rep->io_seconds = all[0];
  rep->mpi_seconds = all[1];
  rep->cpu_seconds = all[2];
  rep->wait_seconds = all[3];
  rep->unit_seconds = rep->units_computed > 0 ? all[4] / (double)rep->units_computed : 0.0;
  rep->rank_seconds = (t_end - st->t_open) * st->size;
  const cube_io_count *c = &rep->io;
  unsigned long long io_mine[7] = {c->flushes, c->units, c->data_writes, c->journal_writes,
                                   c->syncs, c->data_bytes, c->journal_bytes},
                     io_all[7];
  MPI_Allreduce(io_mine, io_all, 7, MPI_UNSIGNED_LONG_LONG, MPI_SUM, st->comm);
  rep->io = (cube_io_count){io_all[0], io_all[1], io_all[2], io_all[3], io_all[4], io_all[5],
                            io_all[6]};
  if (st->rank == 0) {
    rep->requests = ms->requests;
    rep->batches = ms->batches;
    rep->batched_units = ms->batched_units;
    rep->serve_seconds = ms->serve_seconds;
  }
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
  rep->io = st->out.io; /* this rank's, summed by account() */
  t0 = MPI_Wtime();
  int status = cube_close(&st->out, complete, st->size, err);
  st->io += MPI_Wtime() - t0;
  status = scan_agree(status, err, st->comm);
  account(st, ms, rep);
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
    st.t_start = st.t_sync = st.t_flush = ms.t_progress = MPI_Wtime();
    status = st.rank == 0 ? run_master(&st, &ms, err) : run_worker(&st, err);
    rep->fatal = status != DIP_SUCCESS;
    if (status == DIP_SUCCESS)
      status = finish(&st, &ms, rep, err);
    else
      cube_abandon(&st.out);
  }
  output_lock_release(&st.lock);
  free(ms.q.positions);
  free(st.batch);
  unit_result_free(&st.result);
  if (!rep->fatal)
    MPI_Comm_free(&st.comm);
  return status;
}

/* ---- cost model (scan.h) ---- */

void scan_estimate_cost(size_t units, double unit_seconds, double setup_seconds, int ranks,
                        scan_estimate *out) {
  memset(out, 0, sizeof *out);
  out->ranks = ranks > 0 ? ranks : 1;
  out->computing_ranks = out->ranks < DISPATCH_ONLY_RANKS ? out->ranks : out->ranks - 1;
  out->units = units;
  out->unit_seconds = unit_seconds;
  out->setup_seconds = setup_seconds;
  out->core_seconds = (double)units * unit_seconds;
  size_t per_rank = (units + (size_t)out->computing_ranks - 1) / (size_t)out->computing_ranks;
  double loop = (double)per_rank * unit_seconds;
  double least_batch = fmax(2.0 * unit_seconds, BATCH_MIN_SECONDS);
  double tail = units > (size_t)out->computing_ranks ? 0.5 * fmin(least_batch, loop) : 0.0;
  out->wall_seconds = setup_seconds + loop + tail;
  out->efficiency = out->wall_seconds > 0.0
                        ? out->core_seconds / ((double)out->ranks * out->wall_seconds)
                        : 0.0;
}
