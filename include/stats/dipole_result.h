/*
 * dipole_result.h — the per-unit results of the dipole analysis as the engine stores them: the
 * field indices of dipole_result_schema (defined in src/stats/evaluator.c, described in
 * stats/evaluator.h).  Kept apart from the evaluator so that readers of a cube (the reducer) know
 * the fields without including any physics.
 */
#ifndef DIPSCAN_STATS_DIPOLE_RESULT_H
#define DIPSCAN_STATS_DIPOLE_RESULT_H

#include "engine/result.h"

/* The vector axes of dipole_result_schema. */
enum dipole_axis { DIPOLE_AXIS_NUISANCE, DIPOLE_AXIS_BAND, DIPOLE_N_AXES };

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
  DIPOLE_N_FIELDS
};

extern const result_schema dipole_result_schema;

#endif /* DIPSCAN_STATS_DIPOLE_RESULT_H */
