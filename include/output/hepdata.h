/*
 * hepdata.h — the limits of a reduced cube as a HEPData submission (hepdata.net's YAML format,
 * schemas 1.1.1): DIR/submission.yaml (a header document, then one document per table) and
 * DIR/table_N.yaml, one table per (entry, coupling).
 *
 * A table has m4 [MeV] as its independent variable and as dependent variables, all in mu_B: the
 * observed 1-dof limit; when the cube has an expected sensitivity, the expected median with its
 * 1- and 2-sigma bands as asymmetric errors, and the power-constrained limit; the observed 2-dof
 * upper edge; and the status of the 1-dof limit (text: ok, above_grid, ...).  Every dependent
 * variable carries the qualifiers CL, dof, threshold, Delta chi2, data, experiment (the cards'
 * titles), coupling, dipscan version, config hash and card checksums, taken from the provenance
 * list (output/provenance.h), so the export says the same as the CSV's sidecar.  Values: numbers,
 * "inf" (no sensitivity) or "-" (not available), as HEPData writes missing values.  Only finished
 * units are exported.
 */
#ifndef DIPSCAN_HEPDATA_H
#define DIPSCAN_HEPDATA_H

#include "output/provenance.h"
#include "output/reduce.h"
#include "util/common.h"

/* Write the submission into dir (created if absent; its parent must exist). */
int hepdata_write(const reduce_result *r, const reduce_cube *c, const provenance *p,
                  const char *dir, dip_error *err);

#endif /* DIPSCAN_HEPDATA_H */
