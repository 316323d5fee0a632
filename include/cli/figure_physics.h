/*
 * figure_physics.h — the physics a figure shows besides the cube, computed here in the CLI (which
 * may know every stage) and handed to the output stage as a plot_physics (output/plot.h).
 */
#ifndef DIPSCAN_FIGURE_PHYSICS_H
#define DIPSCAN_FIGURE_PHYSICS_H

#include <stdio.h>

#include "output/plot.h"

/* Fill ph for a cube with these entries (card names; joint fits "a+b"): the analysis window spans
 * the bins of every card found in the data directory (a card that cannot be loaded is named on
 * warn and left out; with none, the window is unknown and no reach is marked), a legend label per
 * entry from its cards' titles (the entry name when a card is missing), the m4 reach of
 * the pp endpoint and the 7Be and pep lines at the window's top recoil, and the E_min(T) curves. */
void figure_physics_fill(plot_physics *ph, const char *const *entries, size_t n_entries, FILE *warn);

#endif /* DIPSCAN_FIGURE_PHYSICS_H */
