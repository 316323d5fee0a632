/*
 * journal.h — the cube's append-only journal of finished units, format version 2.
 *
 * One fixed-size record per finished unit, appended with one write(2) (O_APPEND) after the unit's
 * data is in the cube.  A record (native byte order) is
 *     header   magic "DIPJRNL2" (8 bytes), unit index (u64), format version (u32 = 2),
 *              payload length P (u32), config hash (16 hex digits, no NUL), rank (i32),
 *              reserved (u32, 0)                                            48 bytes
 *     payload  for every field of the result schema, in schema order: its elements as stored
 *              (RESULT_JOURNAL_VALUE) or an FNV-1a hash of them (u64, RESULT_JOURNAL_HASH)
 *     hash     FNV-1a (u64) of everything before it
 * so the record size, 48 + P + 8 bytes, is fixed per file by the schema (and the mu axis when a
 * per-mu row is journaled by value).  Every per-unit result is either replayed from the record or
 * checked against its hash on resume (cube.h).  A version-1 journal (magic "DIPJRNL1", 128-byte
 * records without the nuisances) is refused: such an output is restarted with --restart.
 */
#ifndef DIPSCAN_JOURNAL_H
#define DIPSCAN_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "util/common.h"
#include "engine/result.h"

#define JOURNAL_MAGIC "DIPJRNL2"
#define JOURNAL_VERSION 2u
#define JOURNAL_HEADER_BYTES 48

typedef struct journal_layout {
  const result_schema *schema;  /* not owned */
  size_t n_mu;
  size_t payload;               /* P */
  size_t record_size;           /* 48 + P + 8 */
  char config_hash[16];
} journal_layout;

void journal_layout_init(journal_layout *l, const result_schema *s, size_t n_mu,
                         const char *config_hash);

/* FNV-1a of a byte range as a 64-bit number (the hash used throughout the journal). */
uint64_t journal_hash(const void *data, size_t len);

/* Encode unit's results as one record into rec[l->record_size]. */
void journal_encode(const journal_layout *l, size_t unit, int rank, const unit_result *r,
                    unsigned char *rec);

/* A record is intact when magic, version, payload length, config hash and record hash match
 * and its unit index is below n_units; returns 1 and the unit in *unit. */
int journal_record_valid(const journal_layout *l, const unsigned char *rec, size_t n_units,
                         size_t *unit);

/* Field f of an intact record: its journaled value (copied into r's field f) for
 * RESULT_JOURNAL_VALUE fields, or its stored hash for RESULT_JOURNAL_HASH fields. */
void journal_field_value(const journal_layout *l, const unsigned char *rec, size_t f,
                         unit_result *r);
uint64_t journal_field_hash(const journal_layout *l, const unsigned char *rec, size_t f);

/* Refuse a journal (bytes[len], path for the message) whose records this layout cannot read: a
 * version-1 journal, or version-2 records of another schema. */
int journal_check_format(const journal_layout *l, const char *bytes, size_t len, const char *path,
                         dip_error *err);

#endif /* DIPSCAN_JOURNAL_H */
