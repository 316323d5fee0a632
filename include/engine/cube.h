/*
 * cube.h — the scan's output: one parallel-HDF5 file (the "cube") plus an append-only journal.
 *
 * Layout (E entries, F flavors, M m4 values, U mu values; doubles unless noted; NaN = not computed):
 *   /axes/experiment [E] fixed-length strings (card names; joint fits as "a+b")
 *   /axes/flavor     [F] fixed-length strings (universal, e, mu, tau)
 *   /axes/m4         [M] MeV            (attribute units = "MeV")
 *   /axes/mu         [U] Bohr magnetons (attribute units = "mu_B")
 *   /axes/nuisance   [E][N] fixed-length strings, N = ANALYSIS_MAX_NUISANCES: names of the entry's
 *                    nuisances (alpha_<source>, beta_<card>_<component>; "" = unused slot)
 *   /chi2            [E][F][M][U]  profiled chi^2 (nuisances profiled at every point)
 *   /limits/mu_1dof  [E][F][M]     root-found 1-dof limit at the file's cl/threshold (+inf: none)
 *   /limits/chi2_min [E][F][M]     profiled chi^2 at the best fit mu_best >= 0
 *   /limits/mu_best  [E][F][M]     best-fit mu
 *   /units/chi2_zero, /units/signal_total [E][F][M]   chi^2 at mu = 0; unit-coupling signal counts
 *   /units/n_profiles, /units/n_fallbacks [E][F][M]   int64 cost diagnostics
 *   /units/nuisances_best [E][F][M][N]  nuisances (relative normalisations, see chi2.h) profiled
 *                    cold at mu_best, per unit; NaN in unused slots and unfinished units
 *   /done            [E][F][M]     uint8, 1 = unit finished (mirrors the journal)
 * Root attributes: config (resolved text), config_hash, dipscan_version, card_names[],
 * card_checksums[], mu_unit, m4_unit, xsec_normalisation, cl, threshold, threshold_delta_chi2,
 * data, electrons, split, solar_model, start_time, end_time ("" while incomplete), status
 * ("running" | "stopped" | "complete"), ranks (of the last run), runs (number of runs).
 * Nuisances are stored per unit at the best fit only (not per mu point: that would multiply the
 * file by up to N = 32 for little use; the profile at any mu is cheap to recompute).
 *
 * Crash safety.  The file is created collectively under NAME.partial, closed, and renamed, so a
 * file named NAME always has complete metadata.  During the scan only raw data is written
 * (contiguous datasets allocated at creation, independent hyperslab writes through MPI-IO), so the
 * HDF5 metadata is never dirty and a kill -9 cannot leave it inconsistent.  After the unit's data,
 * each rank appends one 128-byte record to NAME.journal (O_APPEND, one write(2)): the unit index,
 * its summary, an FNV-1a hash of its chi^2 row, the config hash and a hash of the record itself.
 * The journal — not /done — says which units are finished: resume (cube_prepare, rank 0, serial)
 * keeps the valid records whose chi^2 row still hashes right, rewrites the journal with exactly
 * those, rewrites /done and the summaries from them, and resets (NaN / 0) every other unit,
 * including rows half-written when the job died (their nuisances_best rows too).  cube_sync()
 * fdatasyncs the journal.
 */
#ifndef DIPSCAN_CUBE_H
#define DIPSCAN_CUBE_H

#include <hdf5.h>
#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "stats/analysis.h"
#include "util/common.h"
#include "engine/config.h"

/* What the cube records besides the configuration. */
typedef struct cube_meta {
  const char *version;                 /* dipscan version string */
  const char *const *card_names;       /* [n_cards] */
  const char *const *card_checksums;   /* [n_cards], 16 hex digits each */
  size_t n_cards;
  const char *const *entry_names;      /* [config_n_entries] */
  const char *const *nuisance_names;   /* [config_n_entries][ANALYSIS_MAX_NUISANCES] (NULL or ""
                                          = unused slot); NULL = no names (all "") */
  double threshold_delta_chi2;         /* 1-dof threshold used for mu_1dof */
} cube_meta;

/* What cube_prepare found. */
typedef struct cube_resume_info {
  int existed;            /* an output with this config existed (resume) */
  size_t units_done;      /* finished units kept from it */
  size_t units_reset;     /* units with data but no valid journal record, reset to NaN */
  size_t records_dropped; /* journal records dropped (torn, corrupt, duplicate, bad row hash) */
} cube_resume_info;

typedef struct cube {
  hid_t file;
  hid_t chi2, mu_1dof, chi2_min, mu_best, chi2_zero, signal_total, n_profiles, n_fallbacks,
      nuisances, done;
  size_t n_entries, n_couplings, n_m4, n_mu;
  char config_hash[17];
  char *path;
  char *journal_path;
  int journal_fd;
  int rank;
  MPI_Comm comm;          /* not owned */
} cube;

/* Rank 0 only, before cube_open, serial HDF5: with restart, delete any existing output;
 * otherwise, if the output exists, check that it belongs to this configuration and these cards
 * (DIP_EMISMATCH naming the first differing key) and replay its journal as described above. */
int cube_prepare(const scan_config *cfg, const cube_meta *meta, int restart,
                 cube_resume_info *info, dip_error *err);

/* Collective over comm: create the output if it does not exist (atomically, see above), then open
 * it for parallel independent writes and open the journal for appending. */
int cube_open(cube *c, const scan_config *cfg, const cube_meta *meta, MPI_Comm comm,
              dip_error *err);

/* Read the done mask ([n_units], caller-allocated); any rank, independent. */
int cube_read_done(const cube *c, unsigned char *done, dip_error *err);

/* Any rank, independent: write one unit's chi^2 row and summary, then append its journal record. */
int cube_write_unit(cube *c, size_t unit, const double *chi2, const unit_summary *s,
                    dip_error *err);

/* Make the journal durable (fdatasync); cheap, called periodically by the scan. */
int cube_sync(cube *c, dip_error *err);

/* Collective: record the run's end (status "complete" or "stopped", end time, ranks) and close.
 * Also releases everything cube_open acquired (safe on a failed/partial open). */
int cube_close(cube *c, int complete, int n_ranks, dip_error *err);

/* Not collective: after a fatal error inside the work loop (the other ranks may never reach
 * cube_close; the job is about to be aborted) release the memory and the journal fd.  The HDF5
 * file is left open: the journal already describes everything that was written. */
void cube_abandon(cube *c);

/* ---- serial reader (reducers, tests) ---- */
typedef struct cube_data {
  size_t n_entries, n_couplings, n_m4, n_mu;
  char **entry_names, **flavor_names;
  double *m4, *mu;
  double *chi2;                          /* [E][F][M][U] */
  double *mu_1dof, *chi2_min, *mu_best;  /* [E][F][M] */
  unsigned char *done;                   /* [E][F][M] */
  double threshold_delta_chi2;
  char config_hash[17];
  char status[16];
} cube_data;

int cube_read(cube_data *d, const char *path, dip_error *err);
void cube_data_free(cube_data *d);

/* Journal record layout (native byte order), exposed for tests. */
#define CUBE_JOURNAL_RECORD 128
#define CUBE_JOURNAL_MAGIC "DIPJRNL1"
typedef struct cube_journal_record {
  char magic[8];          /* CUBE_JOURNAL_MAGIC without its NUL */
  uint64_t unit;
  double mu_1dof, chi2_min, mu_best, chi2_zero, signal_total;
  int64_t n_profiles, n_fallbacks;
  uint64_t chi2_hash;     /* FNV-1a of the unit's U chi^2 doubles */
  char config_hash[16];
  int32_t rank;           /* which rank computed it (diagnostic) */
  char reserved[20];
  uint64_t record_hash;   /* FNV-1a of the 120 bytes before it */
} cube_journal_record;

#endif /* DIPSCAN_CUBE_H */
