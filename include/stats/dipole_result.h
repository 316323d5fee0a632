/*
 * dipole_result.h — the per-unit results of the dipole analysis as the engine stores them: the
 * field indices of dipole_result_schema (defined in src/stats/evaluator.c, described in
 * stats/evaluator.h).  Kept apart from the evaluator so that readers of a cube (the reducer) know
 * the fields without including any physics.
 */
#ifndef DIPSCAN_STATS_DIPOLE_RESULT_H
#define DIPSCAN_STATS_DIPOLE_RESULT_H

#include "engine/result.h"

/* The vector axes of dipole_result_schema; the Neyman schema adds its mu axis. */
enum dipole_axis { DIPOLE_AXIS_NUISANCE, DIPOLE_AXIS_BAND, DIPOLE_N_AXES };
enum { DIPOLE_AXIS_NEYMAN_MU = DIPOLE_N_AXES, DIPOLE_N_AXES_NEYMAN };

/* Field indices of dipole_result_schema. */
enum dipole_field {
  DIPOLE_CHI2,
  DIPOLE_MU_1DOF,
  DIPOLE_CHI2_MIN,
  DIPOLE_MU_BEST,
  DIPOLE_CHI2_ZERO,
  DIPOLE_SIGNAL_TOTAL,
  DIPOLE_N_PROFILES,
  DIPOLE_N_FALLBACKS,
  DIPOLE_NUISANCES_BEST,
  /* expected sensitivity (stats/bands.h; NaN when statistics.expected is none) */
  DIPOLE_EXPECTED_BAND,
  DIPOLE_EXPECTED_BAND_ERROR,
  DIPOLE_EXPECTED_POWER_EDGE,
  DIPOLE_MU_PCL,
  DIPOLE_Z_LOCAL,
  DIPOLE_P_LOCAL_TOYS,
  DIPOLE_STATUS,
  DIPOLE_N_FIELDS
};

/* The Neyman construction's fields (stats/neyman.h, docs/physics.md §12), after the others:
 * present only in dipole_neyman_result_schema, the schema of a scan with statistics.neyman on, so
 * a scan without it writes the cube (and journal records) it always did.  Vectors along the
 * neyman_mu axis (NEYMAN_MAX_POINTS slots, NaN beyond the configured points). */
enum dipole_neyman_field {
  DIPOLE_NEYMAN_MU = DIPOLE_N_FIELDS,
  DIPOLE_NEYMAN_TCRIT,
  DIPOLE_NEYMAN_TCRIT_ERROR,
  DIPOLE_NEYMAN_T_OBS,
  DIPOLE_NEYMAN_N_FAILED,
  DIPOLE_N_FIELDS_NEYMAN
};

/* /units/status (uint8): what became of a unit.  A unit's numerical trouble is its outcome, never
 * an error of the scan: the scan records it here and goes on. */
typedef enum {
  DIPOLE_UNIT_NOT_COMPUTED = 0, /* fill value: the unit has not run */
  DIPOLE_UNIT_OK = 1,
  DIPOLE_UNIT_NO_SENSITIVITY = 2, /* chi^2 never rises by the threshold up to the largest mu the
                                     fit accepts (or the signal is zero): limit +inf */
  DIPOLE_UNIT_FAILED_CHI2 = 3,    /* some mu point of the row could not be profiled: NaN there */
  DIPOLE_UNIT_FAILED_LIMIT = 4,   /* the best-fit or the Delta chi^2 root search failed: the
                                     /limits values and chi2_zero are NaN */
  DIPOLE_UNIT_FAILED_NUISANCES = 5, /* the re-profile at mu_best failed: nuisances_best NaN */
  DIPOLE_UNIT_FAILED_EXPECTED = 6,  /* a fit of the expected sensitivity (Asimov or a toy) failed:
                                       the /expected fields, mu_pcl and z_local are NaN */
  DIPOLE_N_UNIT_STATUS
} dipole_unit_status;

/* "not computed", "ok", "no sensitivity", "failed: chi2 profile", "failed: limit search",
 * "failed: best-fit nuisances", "failed: expected sensitivity" ("unknown" outside the range). */
const char *dipole_unit_status_name(int status);

extern const result_schema dipole_result_schema;
/* dipole_result_schema plus the Neyman fields and axis (a superset: the reducer reads any cube
 * with it; absent fields read as NULL). */
extern const result_schema dipole_neyman_result_schema;

#endif /* DIPSCAN_STATS_DIPOLE_RESULT_H */
