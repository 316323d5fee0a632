/*
 * journal.c — encoding and checking the version-2 journal records (journal.h).
 *
 * The payload walks the result schema: each field contributes either its raw elements or one
 * 64-bit hash of them, so the journal covers every per-unit result without knowing what any of
 * them means.
 */
#include "engine/journal.h"

#include <stdlib.h>
#include <string.h>

enum { OFF_MAGIC = 0, OFF_UNIT = 8, OFF_VERSION = 16, OFF_PAYLOAD = 20, OFF_CONFIG = 24,
       OFF_RANK = 40 };

static size_t field_bytes(const journal_layout *l, size_t f) {
  return result_field_count(l->schema, f, l->n_mu) * result_type_size(l->schema->fields[f].type);
}

static size_t payload_bytes(const journal_layout *l, size_t f) {
  return l->schema->fields[f].journal == RESULT_JOURNAL_HASH ? sizeof(uint64_t) : field_bytes(l, f);
}

/* Offset of field f's payload inside a record. */
static size_t payload_offset(const journal_layout *l, size_t f) {
  size_t off = JOURNAL_HEADER_BYTES;
  for (size_t k = 0; k < f; k++)
    off += payload_bytes(l, k);
  return off;
}

void journal_layout_init(journal_layout *l, const result_schema *s, size_t n_mu,
                         const char *config_hash) {
  memset(l, 0, sizeof *l);
  l->schema = s;
  l->n_mu = n_mu;
  for (size_t f = 0; f < s->n_fields; f++)
    l->payload += payload_bytes(l, f);
  l->record_size = JOURNAL_HEADER_BYTES + l->payload + sizeof(uint64_t);
  memcpy(l->config_hash, config_hash, 16);
}

uint64_t journal_hash(const void *data, size_t len) {
  char hex[17];
  dip_hash_hex(data, len, hex);
  return (uint64_t)strtoull(hex, NULL, 16);
}

static void put(unsigned char *rec, size_t off, const void *v, size_t n) {
  memcpy(rec + off, v, n);
}

void journal_encode(const journal_layout *l, size_t unit, int rank, const unit_result *r,
                    unsigned char *rec) {
  memset(rec, 0, l->record_size);
  const uint64_t u = unit;
  const uint32_t version = JOURNAL_VERSION, payload = (uint32_t)l->payload;
  const int32_t rk = rank;
  put(rec, OFF_MAGIC, JOURNAL_MAGIC, 8);
  put(rec, OFF_UNIT, &u, sizeof u);
  put(rec, OFF_VERSION, &version, sizeof version);
  put(rec, OFF_PAYLOAD, &payload, sizeof payload);
  put(rec, OFF_CONFIG, l->config_hash, 16);
  put(rec, OFF_RANK, &rk, sizeof rk);
  size_t off = JOURNAL_HEADER_BYTES;
  for (size_t f = 0; f < l->schema->n_fields; f++) {
    const void *v = unit_result_field(r, f);
    if (l->schema->fields[f].journal == RESULT_JOURNAL_HASH) {
      uint64_t h = journal_hash(v, field_bytes(l, f));
      put(rec, off, &h, sizeof h);
    } else {
      put(rec, off, v, field_bytes(l, f));
    }
    off += payload_bytes(l, f);
  }
  uint64_t h = journal_hash(rec, off);
  put(rec, off, &h, sizeof h);
}

int journal_record_valid(const journal_layout *l, const unsigned char *rec, size_t n_units,
                         size_t *unit) {
  uint64_t u, stored;
  uint32_t version, payload;
  memcpy(&u, rec + OFF_UNIT, sizeof u);
  memcpy(&version, rec + OFF_VERSION, sizeof version);
  memcpy(&payload, rec + OFF_PAYLOAD, sizeof payload);
  memcpy(&stored, rec + l->record_size - sizeof stored, sizeof stored);
  *unit = (size_t)u;
  return memcmp(rec + OFF_MAGIC, JOURNAL_MAGIC, 8) == 0 && version == JOURNAL_VERSION &&
         payload == l->payload && memcmp(rec + OFF_CONFIG, l->config_hash, 16) == 0 &&
         u < n_units && stored == journal_hash(rec, l->record_size - sizeof stored);
}

void journal_field_value(const journal_layout *l, const unsigned char *rec, size_t f,
                         unit_result *r) {
  memcpy(unit_result_field(r, f), rec + payload_offset(l, f), field_bytes(l, f));
}

uint64_t journal_field_hash(const journal_layout *l, const unsigned char *rec, size_t f) {
  uint64_t h;
  memcpy(&h, rec + payload_offset(l, f), sizeof h);
  return h;
}

int journal_check_format(const journal_layout *l, const char *bytes, size_t len, const char *path,
                         dip_error *err) {
  if (len >= 8 && memcmp(bytes, "DIPJRNL1", 8) == 0)
    return dip_error_set(err, DIP_EMISMATCH,
                         "%s is a version-1 journal (written before journal format 2); rerun with "
                         "--restart to start the output over", path);
  uint32_t version = 0, payload = 0;
  if (len < JOURNAL_HEADER_BYTES || memcmp(bytes, JOURNAL_MAGIC, 8) != 0)
    return DIP_SUCCESS; /* empty, or a damaged first record: dropped like any other */
  memcpy(&version, bytes + OFF_VERSION, sizeof version);
  memcpy(&payload, bytes + OFF_PAYLOAD, sizeof payload);
  if (version != JOURNAL_VERSION || payload != l->payload)
    return dip_error_set(err, DIP_EMISMATCH,
                         "%s holds records of another format (version %u, %u payload bytes; this "
                         "dipscan writes version %u, %zu bytes); rerun with --restart",
                         path, version, payload, JOURNAL_VERSION, l->payload);
  return DIP_SUCCESS;
}
