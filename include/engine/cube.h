/*
 * cube.h — the scan's output: one parallel-HDF5 file (the "cube") plus an append-only journal.
 *
 * Layout (E entries, F couplings, M m4 values, U mu values; the per-unit results come from the
 * evaluator's result schema, result.h):
 *   /experiment      [E] UTF-8 strings (the evaluator's entry names; joint fits as "a+b")
 *   /coupling        [F] UTF-8 strings (the configuration's coupling names)
 *   /m4              [M] doubles (attribute units: the evaluator's m4 unit)
 *   /mu              [U] doubles (attribute units: the evaluator's mu unit)
 *   /NAME            [L] int index 0..L-1, one per vector axis (NAME, L) of the schema
 *   /axes/NAME       [E][L] UTF-8 strings: the evaluator's per-entry labels of that axis ("" =
 *                    unused slot)
 *   These root axes are HDF5 dimension scales attached to every dimension of every dataset, so
 *   netCDF-4 readers see named dimensions (docs/output.md); every dataset has `units` and
 *   `long_name`.  Cubes from before the scales keep /axes/{experiment,flavor,m4,mu}: the reader
 *   still reads them, resume refuses them.
 *   /PATH            one dataset per schema field: [E][F][M] (scalar per unit), [E][F][M][U]
 *                    (one value per mu point), or [E][F][M][L] (vector on axis NAME); its type,
 *                    fill value (= the value of unfinished units) and its `units` and `long_name`
 *                    attributes come from the schema
 *   /done            [E][F][M] uint8, 1 = unit finished (mirrors the journal; engine-owned)
 * For the dipole analysis (stats/evaluator.h) the fields are /chi2 [E][F][M][U],
 * /limits/{mu_1dof, chi2_min, mu_best}, /units/{chi2_zero, signal_total} (doubles),
 * /units/{n_profiles, n_fallbacks} (int64), /units/status (uint8, stats/dipole_result.h) and
 * /units/nuisances_best [E][F][M][N] on the axis /nuisance (labels /axes/nuisance) (N = ANALYSIS_MAX_NUISANCES).
 * Root attributes: the engine's — config (resolved text), config_run, config_hash,
 * dipscan_version, card_names[], card_checksums[], card_titles[], card_flags[], start_time, end_time ("" while incomplete),
 * status ("running" | "stopped" | "complete"), ranks (of the last run), runs (number of runs) —
 * and the evaluator's
 * (for the dipole analysis: mu_unit, m4_unit, xsec_normalisation, cl, threshold,
 * threshold_delta_chi2, data, electrons, split, solar_model).
 *
 * Crash safety.  The file is created collectively under NAME.partial, closed, and renamed, so a
 * file named NAME always has complete metadata.  During the scan only raw data is written
 * (contiguous datasets allocated at creation, independent hyperslab writes through MPI-IO), so the
 * HDF5 metadata is never dirty and a kill -9 cannot leave it inconsistent.  After the unit's data,
 * each rank appends one record to NAME.journal (format version 2, journal.h): the unit index, the
 * config hash, every schema field's value (or, for per-mu rows, its hash) and a hash of the record.
 * The journal — not /done — says which units are finished: resume (cube_prepare, rank 0, serial)
 * keeps the valid records whose hashed rows still hash right, rewrites the journal with exactly
 * those, rewrites /done and every journaled field from them, and resets every other unit to the
 * fill values (including rows half-written when the job died), so after a crash and a resume
 * every dataset equals that of an uninterrupted run.  The replay streams the journal (chunks of
 * records, blocks of units), so rank 0 needs ~10 bytes per unit for it, not the whole journal.
 * cube_sync() fdatasyncs the journal.
 *
 * Batched writes.  A rank does not write each unit as it finishes: cube_buffer_unit copies the
 * unit's results and encodes its journal record into a per-rank buffer, and cube_flush (the scan
 * calls it every few seconds, when the buffer is full and when it stops) writes the buffer with
 * one H5Dwrite per dataset (a union of hyperslabs: the buffered units sorted by index, runs of
 * consecutive m4 merged into one block) and then appends all its journal records with one
 * write(2).  The order "data, then journal" is that of the unbuffered scheme, so the guarantee
 * is unchanged: a unit is finished when its record is in the journal, and a kill -9 between the
 * data and the journal (or in the middle of either) leaves units that resume resets or keeps,
 * exactly as before; buffered units of a killed rank are simply recomputed.  The file-system
 * writes per unit fall from about (fields + 2) to (fields x rows + 1) / (units per flush), rows
 * being the (entry, coupling) rows the flush touches.
 */
#ifndef DIPSCAN_CUBE_H
#define DIPSCAN_CUBE_H

#include <hdf5.h>
#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "util/common.h"
#include "engine/config.h"
#include "engine/evaluator.h"
#include "engine/journal.h"
#include "engine/result.h"

/* The root datasets that are the cube's dimension scales (H5DS), attached to every dataset. */
#define CUBE_AXIS_ENTRY "experiment"
#define CUBE_AXIS_COUPLING "coupling"
#define CUBE_AXIS_M4 "m4"
#define CUBE_AXIS_MU "mu"

/* Serial HDF5 only (the reducer, rank 0 before the rename): attach /experiment, /coupling, /m4 to
 * the first (up to three) dimensions of dataset d of file, and the root scale `last` to a fourth
 * one; scales already attached are left alone.  0 or -1. */
int cube_attach_scales(hid_t file, hid_t d, const char *last);

/* Provenance the cube records besides the configuration and the evaluator's metadata. */
typedef struct cube_meta {
  const char *version;                 /* dipscan version string */
  const char *const *card_names;       /* [n_cards] input files */
  const char *const *card_checksums;   /* [n_cards], 16 hex digits each */
  size_t n_cards;
  const char *const *card_titles;      /* [n_cards] human-readable titles (NULL: none) */
  const char *const *card_flags;       /* [n_cards] what a card says about its own numbers,
                                          space-separated words ("none", "digitised",
                                          "exposure_to_check"); NULL: none */
} cube_meta;

/* What cube_prepare found. */
typedef struct cube_resume_info {
  int existed;            /* an output with this config existed (resume) */
  size_t units_done;      /* finished units kept from it */
  size_t units_reset;     /* units with data but no valid journal record, reset to fill values */
  size_t records_dropped; /* journal records dropped (torn, corrupt, duplicate, bad row hash) */
} cube_resume_info;

/* The per-unit write path's file-system operations and bytes on one rank (cube_flush). */
typedef struct cube_io_count {
  size_t flushes;         /* cube_flush calls that wrote something */
  size_t units;           /* units written */
  size_t data_writes;     /* H5Dwrite calls (one per dataset and flush) */
  size_t journal_writes;  /* write(2) calls on the journal (one per flush) */
  size_t syncs;           /* fdatasync calls on the journal */
  size_t data_bytes, journal_bytes;
} cube_io_count;

typedef struct cube {
  hid_t file;
  hid_t *fields;          /* [schema->n_fields] datasets */
  hid_t done;
  const result_schema *schema; /* not owned */
  journal_layout journal;
  unsigned char *record;  /* [journal.record_size] scratch */
  size_t n_entries, n_couplings, n_m4, n_mu;
  char *path;
  char *journal_path;
  int journal_fd;
  int rank;
  MPI_Comm comm;          /* not owned */
  /* the per-rank write buffer (cube_buffer_reserve, cube_buffer_unit, cube_flush) */
  unit_result slot;       /* layout of one unit's results (offsets, counts, size) */
  size_t buf_capacity, buf_n;
  size_t *buf_units;      /* [capacity] unit index of each buffered unit */
  size_t *buf_order;      /* [capacity] buffer slots sorted by unit index */
  unsigned char *buf_results; /* [capacity][slot.size] */
  unsigned char *buf_records; /* [capacity][journal.record_size] */
  unsigned char *buf_stage;   /* [capacity][largest field] one field's values in file order */
  cube_io_count io;       /* what this rank wrote during the scan */
} cube;

/* Rank 0 only, before cube_open, serial HDF5: with restart, delete any existing output;
 * otherwise, if the output exists, check that it belongs to this configuration and these cards
 * (DIP_EMISMATCH naming the first differing key) and replay its journal as described above. */
int cube_prepare(const scan_config *cfg, const cube_meta *meta, const scan_evaluator *ev,
                 int restart, cube_resume_info *info, dip_error *err);

/* Collective over comm: create the output if it does not exist (atomically, see above), then open
 * it for parallel independent writes and open the journal for appending. */
int cube_open(cube *c, const scan_config *cfg, const cube_meta *meta, const scan_evaluator *ev,
              MPI_Comm comm, dip_error *err);

/* Read the done mask ([n_units], caller-allocated); any rank, independent. */
int cube_read_done(const cube *c, unsigned char *done, dip_error *err);

/* Any rank, after cube_open: room for `units` buffered units (replaces any smaller buffer;
 * flushes first). */
int cube_buffer_reserve(cube *c, size_t units, dip_error *err);

/* Any rank, independent: buffer one finished unit (its results and journal record); flushes
 * when the buffer is full.  Nothing of the unit is in the file before the next cube_flush. */
int cube_buffer_unit(cube *c, size_t unit, const unit_result *r, dip_error *err);

/* Any rank, independent: write every buffered unit (one H5Dwrite per dataset, /done, then one
 * journal append) and empty the buffer.  A no-op on an empty buffer. */
int cube_flush(cube *c, dip_error *err);

/* Make the journal durable (fdatasync); cheap, called periodically by the scan. */
int cube_sync(cube *c, dip_error *err);

/* Collective: record the run's end (status "complete" or "stopped", end time, ranks) and close.
 * Also releases everything cube_open acquired (safe on a failed/partial open). */
int cube_close(cube *c, int complete, int n_ranks, dip_error *err);

/* Not collective: after a fatal error inside the work loop (the other ranks may never reach
 * cube_close; the job is about to be aborted) release the memory and the journal fd (units
 * still buffered are dropped: they were never journaled, so a resume recomputes them).  The HDF5
 * file is left open: the journal already describes everything that was written. */
void cube_abandon(cube *c);

/* ---- the cube reader (serial; the reducer and the tests) ---- */

/* A scalar root attribute: text, or (text NULL) a number. */
typedef struct cube_attribute {
  char *name;
  char *text;
  double number;
} cube_attribute;

typedef struct cube_data {
  size_t n_entries, n_couplings, n_m4, n_mu;
  char **entry_names, **coupling_names;  /* [E], [F] (fixed- or variable-length strings) */
  double *m4, *mu;                       /* [M], [U] */
  const result_schema *schema;           /* not owned */
  void **fields;          /* [schema->n_fields]: field f as [E][F][M][count] of its type, or
                             NULL when the file has no such dataset */
  unsigned char *done;    /* [E][F][M] */
  cube_attribute *attributes;            /* scalar root attributes */
  size_t n_attributes;
  /* the provenance lists (cube_meta), [n_cards] each; NULL when the cube has none */
  char **card_names, **card_checksums, **card_titles, **card_flags;
  size_t n_cards;
} cube_data;

/* Read a cube: the axes, /done, every schema field present (shape-checked against the axes) and
 * the scalar root attributes. */
int cube_read(cube_data *d, const char *path, const result_schema *s, dip_error *err);
void cube_data_free(cube_data *d);
/* A root attribute as text ("" if absent or numeric) or as a number (NaN if absent or text). */
const char *cube_data_text(const cube_data *d, const char *name);
double cube_data_number(const cube_data *d, const char *name);

#endif /* DIPSCAN_CUBE_H */
