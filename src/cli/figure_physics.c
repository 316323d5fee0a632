/*
 * figure_physics.c — what the physics tells the figures (see figure_physics.h).
 *
 * The analysis window and the legend labels (the cards' titles) are read from the cards
 * themselves, so an LZ cube (1-20 keV) is drawn with its own window and reach; the reach marks are the inverse of the kinematic threshold E_min(T, m4)
 * (docs/physics.md, kinematics) for the sources whose reach falls in the scanned m4 range of the
 * shipped scans; the E_min curves are the reference paper's Fig. 1.
 */
#include "cli/figure_physics.h"

#include <math.h>
#include <string.h>

#include "detector/card.h"
#include "physics/constants.h"
#include "physics/xsec.h"

/* Neutrino energies marked (MeV): the pp endpoint and the 7Be(862) and pep lines. */
static const plot_mark marked_sources[] = {{"pp", DIP_PP_ENDPOINT_MEV},
                                           {"^{7}Be", DIP_BE7_LINE_MEV},
                                           {"pep", DIP_PEP_LINE_MEV}};
/* E_min curves: the massless case, the reference paper's 0.01 and 0.3 MeV, and steps through the
 * pp / 7Be reach; recoils from 0.1 to 100 keV. */
static const double curve_m4[] = {0.0, 0.01, 0.1, 0.2, 0.3, 0.5};
static const double curve_T_keV[2] = {0.1, 100.0};

/* Append the card's short title (its title up to the first comma, else its name) to label. */
static void append_title(char *label, const card *c) {
  size_t used = strlen(label);
  const char *title = c->title && c->title[0] ? c->title : c->name;
  int len = (int)strcspn(title, ",");
  snprintf(label + used, PLOT_LABEL_LEN - used, "%s%.*s", used ? " + " : "", len, title);
}

/* For entry e ("a+b" joins card names): widen ph->window_keV by the bins of every card and build
 * the entry's legend label from the cards' titles (the entry name if a card is missing). */
static void read_entry_cards(plot_physics *ph, size_t e, const char *entry, const char *data_dir,
                             FILE *warn) {
  char names[1024], *label = ph->entry_label[e];
  int complete = 1;
  snprintf(names, sizeof names, "%s", entry);
  for (char *save = NULL, *name = strtok_r(names, "+", &save); name;
       name = strtok_r(NULL, "+", &save)) {
    card c;
    dip_error err;
    dip_error_clear(&err);
    if (card_load(&c, name, data_dir, &err) != DIP_SUCCESS) {
      if (warn)
        fprintf(warn, "limits: card %s not found for the figures (%s); its analysis window is "
                      "not drawn\n", name, err.msg);
      complete = 0;
      continue;
    }
    append_title(label, &c);
    double lo = c.edges[0], hi = c.edges[c.n_bins];
    ph->window_keV[0] = isnan(ph->window_keV[0]) || lo < ph->window_keV[0] ? lo : ph->window_keV[0];
    ph->window_keV[1] = isnan(ph->window_keV[1]) || hi > ph->window_keV[1] ? hi : ph->window_keV[1];
    card_free(&c);
  }
  if (!complete)
    snprintf(label, PLOT_LABEL_LEN, "%s", entry);
}

static void fill_reach(plot_physics *ph) {
  ph->n_sources = ph->n_reach = sizeof marked_sources / sizeof *marked_sources;
  ph->reach_recoil_keV = ph->window_keV[1];
  for (size_t s = 0; s < ph->n_sources; s++) {
    ph->source[s] = marked_sources[s];
    ph->reach[s] = marked_sources[s];
    ph->reach[s].value =
        xsec_m4_reach(marked_sources[s].value, ph->reach_recoil_keV / DIP_KEV_PER_MEV);
  }
  if (isnan(ph->window_keV[1]))
    ph->n_reach = 0;
}

static void fill_curves(plot_physics *ph) {
  ph->n_T = PLOT_KIN_N_T;
  ph->n_curves = sizeof curve_m4 / sizeof *curve_m4;
  snprintf(ph->formula, sizeof ph->formula,
           "E_min(T, m4) = (1 + m4^2/(2 m_e T)) (T + sqrt(T^2 + 2 m_e T))/2 (xsec_emin)");
  for (size_t i = 0; i < ph->n_T; i++)
    ph->T_keV[i] = curve_T_keV[0] * pow(curve_T_keV[1] / curve_T_keV[0], (double)i / (ph->n_T - 1));
  for (size_t k = 0; k < ph->n_curves; k++) {
    ph->m4[k] = curve_m4[k];
    for (size_t i = 0; i < ph->n_T; i++)
      ph->E_min[k][i] = xsec_emin(ph->T_keV[i] / DIP_KEV_PER_MEV, curve_m4[k]);
  }
}

void figure_physics_fill(plot_physics *ph, const char *const *entries, size_t n_entries, FILE *warn) {
  memset(ph, 0, sizeof *ph);
  ph->window_keV[0] = ph->window_keV[1] = NAN;
  char data_dir[4096];
  dip_error err;
  dip_error_clear(&err);
  ph->n_entries = n_entries < PLOT_MAX_ENTRIES ? n_entries : PLOT_MAX_ENTRIES;
  if (dip_data_dir(data_dir, sizeof data_dir, &err) == DIP_SUCCESS)
    for (size_t e = 0; e < ph->n_entries; e++)
      read_entry_cards(ph, e, entries[e], data_dir, warn);
  else if (warn)
    fprintf(warn, "limits: %s; the figures show no analysis window\n", err.msg);
  fill_reach(ph);
  fill_curves(ph);
}
