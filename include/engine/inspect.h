/*
 * inspect.h — what is at an output path, before anything is opened for writing or deleted.
 *
 * A scan resumes or deletes (`--restart`) only what it recognises: an HDF5 file with the cube's
 * `config_hash` root attribute, a journal that starts with the journal magic (or is empty), a
 * `.partial` that is an HDF5 file (or empty).  Anything else is refused with the real cause —
 * permission, locked by another process (an HDF5 program such as h5py holding it open: HDF5's
 * own flock), not an HDF5 file, an HDF5 file that is not a dipscan cube — instead of one generic
 * "cannot be read" and instead of deleting a user's file.
 */
#ifndef DIPSCAN_INSPECT_H
#define DIPSCAN_INSPECT_H

#include "util/common.h"

typedef enum { OUTPUT_CUBE, OUTPUT_JOURNAL, OUTPUT_PARTIAL } output_kind;

/* DIP_SUCCESS with *exists = 0 when nothing is at path, *exists = 1 when it is recognisably of
 * this kind, writable and not locked; otherwise DIP_EIO (permission, lock) or DIP_EMISMATCH (not
 * ours) with the cause in err ("PATH is not an HDF5 file", ...). */
int output_inspect(const char *path, output_kind kind, int *exists, dip_error *err);

#endif /* DIPSCAN_INSPECT_H */
