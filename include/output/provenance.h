/*
 * provenance.h — what a table of limits records about how it was made.
 *
 * One list of (key, value) texts, collected once from a reduced cube: the reduction's conventions
 * (cl, threshold, Delta chi^2 of 1 and 2 dof), the scan's physics and statistics choices (data,
 * split, electrons, solar model, sources, day_night, background, expected), the dipscan versions of
 * the scan and of the reduction, the config hash, and per card its name, checksum, title and flags
 * (digitised, exposure_to_check).  The same list is the CSV's sidecar (provenance_write_json:
 * CSV.json next to the CSV) and the qualifiers of the HEPData tables (output/hepdata.h), so the two
 * can never disagree.
 */
#ifndef DIPSCAN_PROVENANCE_H
#define DIPSCAN_PROVENANCE_H

#include <stddef.h>
#include <stdio.h>

#include "output/reduce.h"
#include "util/common.h"

#define PROVENANCE_MAX_ITEMS 64

typedef struct provenance {
  size_t n;
  char *key[PROVENANCE_MAX_ITEMS];   /* owned */
  char *value[PROVENANCE_MAX_ITEMS]; /* owned */
  const reduce_cube *cube;           /* not owned: its card lists */
} provenance;

/* Collect the list from a reduction of cube (read from cube_path) by `version`. */
int provenance_init(provenance *p, const reduce_result *r, const reduce_cube *c,
                    const char *cube_path, const char *version, dip_error *err);
void provenance_free(provenance *p);

/* The value of key ("" if absent). */
const char *provenance_get(const provenance *p, const char *key);

/* `text` as a JSON string literal (quotes and escapes). */
void provenance_json_string(FILE *fp, const char *text);

/* CSV_PATH.json: {"format": ..., every item, "cards": [{name, checksum, title, flags}],
 * "columns": {...}, "status": {...}} — written to .tmp and renamed. */
int provenance_write_json(const provenance *p, const char *csv_path, dip_error *err);

#endif /* DIPSCAN_PROVENANCE_H */
