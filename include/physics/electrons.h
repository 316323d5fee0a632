/*
 * electrons.h — how many xenon electrons a recoil of energy T can come from.
 *
 * ELECTRONS_FREE: all 54 electrons of a xenon atom scatter as free electrons at rest (the reference
 * analysis, arXiv:2511.00701).  ELECTRONS_STEPPING: only electrons whose shell binding energy is
 * below T contribute (the stepping approximation; shell energies from the RRPA calculation of
 * Chen et al., arXiv:1610.04177).  The differential rate is N_e/tonne x Z_eff(T)/54 x (free rate).
 */
#ifndef DIPSCAN_ELECTRONS_H
#define DIPSCAN_ELECTRONS_H

#include <stddef.h>

typedef enum { ELECTRONS_FREE = 0, ELECTRONS_STEPPING = 1 } electrons_model;

/* Effective number of electrons per xenon atom available to a recoil of T_keV [keV]. */
double electrons_per_atom(electrons_model model, double T_keV);

/* The xenon absorption edges [keV], sorted, into keV[cap] (returns the count; cap >=
 * ELECTRONS_MAX_EDGES holds them all): the RRPA binding energies of the subshells from 4s inward
 * (the table electrons_per_atom steps on) merged with the measured M1, L3, L2, L1 and K edges, so
 * that either set of steps falls on a quadrature breakpoint (docs/physics.md §4). */
#define ELECTRONS_MAX_EDGES 32
size_t electrons_xenon_edges(double *keV, size_t cap);

/* Xenon atoms per tonne (natural isotopic mix): N_A x 1e6 g / 131.293 g/mol = 4.587e27. */
double electrons_xe_atoms_per_tonne(void);

#endif /* DIPSCAN_ELECTRONS_H */
