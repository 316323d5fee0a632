/*
 * analysis.c — the wiring behind a work unit (see analysis.h); the physics lives in the modules.
 *
 * Built once per rank (analysis_init):
 *   solar model; cards; the detector sites the cards name (one "site" without a place when
 *   day_night is off): per site the oscillation tables -> spectrum engine (dR/dT per source).  With
 *   day_night on, the Earth's regeneration table (physics/earth.h) is built once and averaged over
 *   each site's year (docs/physics.md §3.4).
 *   cards -> one shared true-recoil grid -> a response matrix per card
 *   binned SM counts per (card, source); each card's background components with the SM solar-nu
 *   part removed where the card says they contain it (detector/background.h).
 * Per entry: its chi^2 problem (templates of its cards), a workspace, a count buffer, and the views
 *   the dataset provider makes its data from (stats/dataset.h).
 * Per m4 (cached, so the units of one m4 — all couplings and entries — pay once):
 *   unit-coupling signal spectra per (site, source, flavour) on the grid, folded into counts per card
 *   across the kinematic edges of the line sources (response_fold_steps).
 * Per unit: the signal template of the unit's coupling is written into the entry's chi^2 problem,
 * the dataset (the configured kind) is made and bound to the workspace, the chi^2 is profiled
 * along the mu axis with warm starts, and the 1-dof limit is root-found.
 */
#include "stats/analysis.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detector/background.h"
#include "detector/card.h"
#include "detector/response.h"
#include "physics/constants.h"
#include "physics/earth.h"
#include "physics/oscillation.h"
#include "physics/solar.h"
#include "physics/spectrum.h"
#include "physics/xsec.h"
#include "stats/chi2.h"
#include "stats/dataset.h"
#include "stats/dipole_result.h"
#include "stats/limit.h"

typedef struct entry {
  char *name;
  size_t n_cards;
  size_t *cards;               /* indices into an->cards */
  chi2_experiment *exp;        /* [n_cards] */
  dataset_card *data_cards;    /* [n_cards] what the entry's datasets are made of */
  double *counts;              /* [sum of the cards' n_bins] the dataset being fitted */
  double *sig;                 /* [n_cards][n_src][max_bins] signal templates of the current unit */
  chi2_problem problem;
  chi2_workspace *ws;
} entry;

/* Where cards sit: the flavour composition there and the rates it implies. */
typedef struct site_model {
  const char *name;            /* borrowed from the first card at the site; NULL: day only */
  double latitude_deg;
  oscillation osc;
  spectrum sp;
  double *spec;                /* [SOLAR_N_SOURCES][N_FLAVORS][n_T] scratch for signal spectra */
  double spec_m4;              /* m4 of spec (NAN: none) */
} site_model;

typedef struct card_model {
  card c;
  size_t site;                 /* index into an->sites */
  response resp;
  double *sm;                  /* [n_src][n_bins] binned SM counts of the included sources */
  background bkg;              /* the card's components, SM removed where included */
  double *sig_flavor;          /* [n_src][N_FLAVORS][n_bins] unit signal for the cached m4 */
  double sig_m4;               /* m4 of sig_flavor (NAN: none) */
  char warning[512];           /* background_report's line, "" when nothing was clamped */
} card_model;

struct analysis {
  analysis_options opt;
  solar_model sun;
  size_t n_sites;
  site_model *sites;           /* [n_sites] */
  tgrid grid;
  size_t n_src;
  solar_source_id src_ids[SOLAR_N_SOURCES];
  double src_sigma[SOLAR_N_SOURCES];
  size_t n_cards;
  card_model *cards;
  size_t n_entries;
  entry *entries;
};

void analysis_options_default(analysis_options *opt) {
  opt->electrons = ELECTRONS_FREE;
  opt->split = OSC_SPLIT_SIMPLE;
  opt->metallicity = SOLAR_B16_GS98;
  opt->source_mask = (1u << SOLAR_N_SOURCES) - 1u;
  opt->data = DATA_OBSERVED;
  opt->cl = 0.90;
  opt->threshold = THRESHOLD_TWO_SIDED;
  opt->day_night = 1;
  opt->background = BACKGROUND_FREE;
  opt->expected = EXPECTED_ASIMOV;
  opt->n_toys = 1000;
  opt->seed = 1;
  opt->power_threshold = BANDS_DEFAULT_POWER_THRESHOLD;
  neyman_spec_default(&opt->neyman);
}

/* ---- once per rank: physics stages ----------------------------------------------------------- */

static int build_physics(analysis *an, const char *data_dir, dip_error *err) {
  DIP_TRY(solar_init(&an->sun, data_dir, (solar_metallicity)an->opt.metallicity, err));
  for (int s = 0; s < SOLAR_N_SOURCES; s++)
    if (an->opt.source_mask & (1u << s)) {
      an->src_ids[an->n_src] = (solar_source_id)s;
      an->src_sigma[an->n_src] = an->sun.src[s].sigma_rel;
      an->n_src++;
    }
  if (an->n_src == 0)
    return dip_error_set(err, DIP_EINVAL, "no solar source selected");
  return DIP_SUCCESS;
}

/* Binned SM counts per included source for one card. */
static int card_sm_counts(analysis *an, card_model *cm, dip_error *err) {
  size_t n_T = an->grid.n, nb = cm->c.n_bins;
  double *dRdT = dip_calloc((size_t)SOLAR_N_SOURCES * n_T, sizeof *dRdT, err);
  cm->sm = dip_calloc(an->n_src * nb, sizeof *cm->sm, err);
  int status = dRdT && cm->sm ? DIP_SUCCESS : DIP_ENOMEM;
  if (status == DIP_SUCCESS)
    status = spectrum_sm(&an->sites[cm->site].sp, n_T, an->grid.T, dRdT, err);
  for (size_t i = 0; status == DIP_SUCCESS && i < an->n_src; i++)
    response_fold(&cm->resp, dRdT + (size_t)an->src_ids[i] * n_T, cm->sm + i * nb);
  free(dRdT);
  return status;
}

/* Background components without the SM part (background.h): the SM removed from a bin is the sum
 * of the included sources' counts there.  With background: free every normalisation loses its pull
 * (sigma = INFINITY, as a card's `sigma_rel: free`); with background: card the card's widths stay. */
static int card_backgrounds(analysis *an, card_model *cm, dip_error *err) {
  size_t nb = cm->c.n_bins;
  double *sm_total = dip_calloc(nb, sizeof *sm_total, err);
  if (!sm_total)
    return DIP_ENOMEM;
  for (size_t k = 0; k < nb; k++)
    for (size_t i = 0; i < an->n_src; i++)
      sm_total[k] += cm->sm[i * nb + k];
  int status = background_init(&cm->bkg, &cm->c, sm_total, err);
  free(sm_total);
  if (status == DIP_SUCCESS &&
      background_report(&cm->bkg, &cm->c, cm->warning, sizeof cm->warning) != DIP_SUCCESS)
    status = dip_error_set(err, DIP_EINVAL, "%s (more than %g%%: refused; fix the card's background "
                                            "or drop its includes_sm flag)",
                           cm->warning, 100.0 * BACKGROUND_MAX_SHORTFALL);
  for (size_t j = 0; status == DIP_SUCCESS && an->opt.background == BACKGROUND_FREE && j < cm->bkg.n_bkg; j++)
    cm->bkg.sigma[j] = INFINITY;
  return status;
}

/* ---- once per rank: detector sites ---------------------------------------------------------- */

/* The site of card cm: an existing one of the same name, or a new one.  Refused without a site, or
 * with a latitude that contradicts another card's for the same laboratory. */
static int assign_site(analysis *an, card_model *cm, dip_error *err) {
  const card *c = &cm->c;
  if (!c->site_name)
    return dip_error_set(err, DIP_EINVAL,
                         "experiment %s: physics.day_night: on needs the card's site: {name, "
                         "latitude_deg} (docs/physics.md §3.4), or day_night: off", c->name);
  for (size_t k = 0; k < an->n_sites; k++)
    if (!strcmp(an->sites[k].name, c->site_name)) {
      if (an->sites[k].latitude_deg != c->site_latitude_deg)
        return dip_error_set(err, DIP_EINVAL, "experiment %s: site %s at latitude %g, another card says %g",
                             c->name, c->site_name, c->site_latitude_deg, an->sites[k].latitude_deg);
      cm->site = k;
      return DIP_SUCCESS;
    }
  cm->site = an->n_sites++;
  an->sites[cm->site].name = c->site_name;
  an->sites[cm->site].latitude_deg = c->site_latitude_deg;
  return DIP_SUCCESS;
}

/* Each site's flavour tables: the year's day and night through the Earth (one regeneration table
 * for all sites). */
static int build_earth_sites(analysis *an, const char *data_dir, osc_params params, dip_error *err) {
  earth_model earth;
  earth_regen regen;
  DIP_TRY(earth_init(&earth, data_dir, err));
  int status = earth_regen_init(&regen, &earth, params, err);
  earth_free(&earth);
  for (size_t k = 0; status == DIP_SUCCESS && k < an->n_sites; k++) {
    earth_site year;
    status = earth_site_init(&year, &regen, an->sites[k].latitude_deg, EARTH_YEAR, err);
    if (status == DIP_SUCCESS)
      status = osc_init_earth(&an->sites[k].osc, &an->sun, params, (osc_split)an->opt.split, &year, err);
    earth_site_free(&year);
  }
  earth_regen_free(&regen);
  return status;
}

/* Sites and their physics: with day_night off one site without a place (daytime flavours) serves
 * every card; with it on, one site per laboratory the cards name. */
static int build_sites(analysis *an, const char *data_dir, dip_error *err) {
  an->sites = dip_calloc(an->n_cards, sizeof *an->sites, err);
  if (!an->sites)
    return DIP_ENOMEM;
  osc_params params = osc_params_nufit53();
  if (an->opt.day_night) {
    for (size_t i = 0; i < an->n_cards; i++)
      DIP_TRY(assign_site(an, &an->cards[i], err));
    DIP_TRY(build_earth_sites(an, data_dir, params, err));
  } else {
    an->n_sites = 1;
    DIP_TRY(osc_init(&an->sites[0].osc, &an->sun, params, (osc_split)an->opt.split, err));
  }
  for (size_t k = 0; k < an->n_sites; k++)
    DIP_TRY(spectrum_init(&an->sites[k].sp, &an->sun, &an->sites[k].osc, an->opt.electrons, err));
  return DIP_SUCCESS;
}

/* ---- once per rank: experiments -------------------------------------------------------------- */

static int build_cards(analysis *an, const char *data_dir, const char *const *names, size_t n,
                       dip_error *err) {
  an->cards = dip_calloc(n, sizeof *an->cards, err);
  if (!an->cards)
    return DIP_ENOMEM;
  an->n_cards = n;
  const card *ptrs[64];
  if (n > 64)
    return dip_error_set(err, DIP_EINVAL, "at most 64 experiment cards per run (got %zu)", n);
  for (size_t i = 0; i < n; i++) {
    an->cards[i].sig_m4 = NAN;
    DIP_TRY(card_load(&an->cards[i].c, names[i], data_dir, err));
    for (size_t j = 0; j < i; j++)
      if (!strcmp(an->cards[j].c.name, an->cards[i].c.name))
        return dip_error_set(err, DIP_EINVAL, "experiment '%s' is listed twice", names[i]);
    ptrs[i] = &an->cards[i].c;
  }
  DIP_TRY(build_sites(an, data_dir, err));
  DIP_TRY(tgrid_init(&an->grid, ptrs, n, err));
  for (size_t i = 0; i < n; i++) {
    card_model *cm = &an->cards[i];
    int status = response_init(&cm->resp, &cm->c, &an->grid, err);
    if (status == DIP_SUCCESS)
      status = card_sm_counts(an, cm, err);
    if (status == DIP_SUCCESS)
      status = card_backgrounds(an, cm, err);
    if (status == DIP_SUCCESS) {
      cm->sig_flavor = dip_calloc(an->n_src * N_FLAVORS * cm->c.n_bins, sizeof(double), err);
      status = cm->sig_flavor ? DIP_SUCCESS : DIP_ENOMEM;
    }
    if (status != DIP_SUCCESS)
      return dip_error_prefix(err, "experiment %s", cm->c.name);
  }
  for (size_t k = 0; k < an->n_sites; k++) {
    site_model *site = &an->sites[k];
    site->spec = dip_calloc((size_t)SOLAR_N_SOURCES * N_FLAVORS * an->grid.n, sizeof *site->spec, err);
    site->spec_m4 = NAN;
    if (!site->spec)
      return DIP_ENOMEM;
  }
  return DIP_SUCCESS;
}

int analysis_init(analysis **out, const char *data_dir, const analysis_options *opt,
                  const char *const *cards, size_t n_cards, dip_error *err) {
  *out = NULL;
  if (n_cards == 0)
    return dip_error_set(err, DIP_EINVAL, "no experiment given");
  if (!(opt->cl > 0 && opt->cl < 1))
    return dip_error_set(err, DIP_EINVAL, "confidence level must be in (0, 1), got %g", opt->cl);
  analysis *an = dip_calloc(1, sizeof *an, err);
  if (!an)
    return DIP_ENOMEM;
  an->opt = *opt;
  int status = build_physics(an, data_dir, err);
  if (status == DIP_SUCCESS)
    status = build_cards(an, data_dir, cards, n_cards, err);
  if (status != DIP_SUCCESS) {
    analysis_free(an);
    return status;
  }
  *out = an;
  return DIP_SUCCESS;
}

static void entry_free(entry *e) {
  chi2_workspace_free(e->ws);
  free(e->name);
  free(e->cards);
  free(e->exp);
  free(e->data_cards);
  free(e->counts);
  free(e->sig);
}

void analysis_free(analysis *an) {
  if (!an)
    return;
  for (size_t i = 0; i < an->n_entries; i++)
    entry_free(&an->entries[i]);
  free(an->entries);
  for (size_t i = 0; i < an->n_cards; i++) {
    card_model *cm = &an->cards[i];
    response_free(&cm->resp);
    card_free(&cm->c);
    free(cm->sm);
    background_free(&cm->bkg);
    free(cm->sig_flavor);
  }
  free(an->cards);
  for (size_t k = 0; k < an->n_sites; k++) {
    free(an->sites[k].spec);
    spectrum_free(&an->sites[k].sp);
    osc_free(&an->sites[k].osc);
  }
  free(an->sites);
  tgrid_free(&an->grid);
  solar_free(&an->sun);
  free(an);
}

/* ---- entries ------------------------------------------------------------------------------- */

static int entry_build(analysis *an, entry *e, const size_t *idx, size_t n, dip_error *err) {
  size_t name_len = 1, max_bins = 0, n_counts = 0;
  for (size_t i = 0; i < n; i++) {
    if (idx[i] >= an->n_cards)
      return dip_error_set(err, DIP_EINVAL, "entry refers to card %zu of %zu", idx[i], an->n_cards);
    for (size_t j = 0; j < i; j++)
      if (idx[j] == idx[i])
        return dip_error_set(err, DIP_EINVAL, "experiment '%s' appears twice in one joint fit",
                             an->cards[idx[i]].c.name);
    name_len += strlen(an->cards[idx[i]].c.name) + 1;
    n_counts += an->cards[idx[i]].c.n_bins;
    if (an->cards[idx[i]].c.n_bins > max_bins)
      max_bins = an->cards[idx[i]].c.n_bins;
  }
  e->n_cards = n;
  e->name = dip_calloc(name_len, 1, err);
  e->cards = dip_calloc(n, sizeof *e->cards, err);
  e->exp = dip_calloc(n, sizeof *e->exp, err);
  e->data_cards = dip_calloc(n, sizeof *e->data_cards, err);
  e->counts = dip_calloc(n_counts, sizeof *e->counts, err);
  e->sig = dip_calloc(n * an->n_src * max_bins, sizeof *e->sig, err);
  if (!e->name || !e->cards || !e->exp || !e->data_cards || !e->counts || !e->sig)
    return DIP_ENOMEM;
  for (size_t i = 0; i < n; i++) {
    const card_model *cm = &an->cards[idx[i]];
    e->cards[i] = idx[i];
    if (i)
      strcat(e->name, "+");
    strcat(e->name, cm->c.name);
    e->exp[i] = (chi2_experiment){.n_bins = cm->c.n_bins, .n_bkg = cm->bkg.n_bkg,
                                  .bkg = cm->bkg.counts, .bkg_sigma = cm->bkg.sigma,
                                  .sm = cm->sm, .sig = e->sig + i * an->n_src * max_bins};
    e->data_cards[i] = (dataset_card){.n_bins = cm->c.n_bins, .n_src = an->n_src,
                                      .n_bkg = cm->bkg.n_bkg, .observed = cm->c.observed,
                                      .sm = cm->sm, .bkg = cm->bkg.counts,
                                      .src_sigma = an->src_sigma, .bkg_sigma = cm->bkg.sigma};
  }
  e->problem = (chi2_problem){.n_src = an->n_src, .src_sigma = an->src_sigma, .n_exp = n,
                              .exp = e->exp};
  DIP_TRY(chi2_workspace_alloc(&e->ws, &e->problem, err));
  if (chi2_n_nuisances(e->ws) > ANALYSIS_MAX_NUISANCES)
    return dip_error_set(err, DIP_EINVAL,
                         "entry %s has %zu nuisance parameters, more than the %d the output stores",
                         e->name, chi2_n_nuisances(e->ws), ANALYSIS_MAX_NUISANCES);
  return DIP_SUCCESS;
}

int analysis_add_entry(analysis *an, const size_t *idx, size_t n, size_t *entry_index,
                       dip_error *err) {
  if (n == 0)
    return dip_error_set(err, DIP_EINVAL, "an entry needs at least one experiment");
  entry *grown = realloc(an->entries, (an->n_entries + 1) * sizeof *grown);
  if (!grown)
    return dip_error_set(err, DIP_ENOMEM, "out of memory adding an entry");
  an->entries = grown;
  entry *e = &an->entries[an->n_entries];
  memset(e, 0, sizeof *e);
  int status = entry_build(an, e, idx, n, err);
  if (status != DIP_SUCCESS) {
    entry_free(e);
    return status;
  }
  *entry_index = an->n_entries++;
  return DIP_SUCCESS;
}

size_t analysis_n_entries(const analysis *an) { return an->n_entries; }
const char *analysis_entry_name(const analysis *an, size_t e) { return an->entries[e].name; }
size_t analysis_n_cards(const analysis *an) { return an->n_cards; }
size_t analysis_n_nuisances(const analysis *an, size_t e) {
  return e < an->n_entries ? chi2_n_nuisances(an->entries[e].ws) : 0;
}

int analysis_nuisance_name(const analysis *an, size_t entry_index, size_t p, char *out, size_t n) {
  if (entry_index >= an->n_entries || n == 0)
    return DIP_EINVAL;
  const entry *e = &an->entries[entry_index];
  int len = -1;
  if (p < an->n_src)
    len = snprintf(out, n, "alpha_%s", an->sun.src[an->src_ids[p]].name);
  for (size_t i = 0, q = an->n_src; len < 0 && i < e->n_cards; i++) {
    const card *c = &an->cards[e->cards[i]].c;
    if (p < q + c->n_bkg)
      len = snprintf(out, n, "beta_%s_%s", c->name, c->bkg[p - q].name);
    q += c->n_bkg;
  }
  if (len < 0 || (size_t)len >= n) {
    out[0] = '\0';
    return DIP_EINVAL;
  }
  return DIP_SUCCESS;
}
const char *analysis_card_name(const analysis *an, size_t c) { return an->cards[c].c.name; }
const char *analysis_card_warning(const analysis *an, size_t c) { return an->cards[c].warning; }
const char *analysis_card_checksum(const analysis *an, size_t c) {
  return an->cards[c].c.checksum;
}
const card *analysis_card(const analysis *an, size_t c) { return &an->cards[c].c; }

double analysis_threshold_1dof(const analysis *an) {
  return limit_threshold(an->opt.cl, 1, an->opt.threshold);
}

/* ---- per m4: signal templates ----------------------------------------------------------------- */

/* Kinematic edges [keV] of a source's lines at m4: a line of energy E gives recoils only in
 * [T_min(E, m4), T_max(E, m4)], so its signal steps there (folded by response_fold_steps). */
static size_t line_edges_keV(const solar_source *src, double m4, double *edges) {
  size_t n = 0;
  for (size_t q = 0; q < src->n_lines; q++) {
    double Tmin, Tmax;
    if (xsec_recoil_range(src->line_energy[q], m4, &Tmin, &Tmax)) {
      edges[n++] = Tmin * DIP_KEV_PER_MEV;
      edges[n++] = Tmax * DIP_KEV_PER_MEV;
    }
  }
  return n;
}

/* One source's unit-coupling signal at m4, per flavour, at any T (a response_spectrum_fn). */
typedef struct source_signal {
  const spectrum *sp;
  double m4;
  size_t src;
} source_signal;

static int source_signal_at(void *ctx, double T_keV, double *values, dip_error *err) {
  const source_signal *a = ctx;
  double all[SOLAR_N_SOURCES * N_FLAVORS];
  DIP_TRY(spectrum_signal(a->sp, a->m4, 1, &T_keV, all, err));
  memcpy(values, all + a->src * N_FLAVORS, N_FLAVORS * sizeof *values);
  return DIP_SUCCESS;
}

static int card_signal(analysis *an, card_model *cm, double m4, dip_error *err) {
  if (cm->sig_m4 == m4)
    return DIP_SUCCESS;
  size_t n_T = an->grid.n, nb = cm->c.n_bins;
  site_model *site = &an->sites[cm->site];
  if (!(site->spec_m4 == m4)) {
    DIP_TRY(spectrum_signal(&site->sp, m4, n_T, an->grid.T, site->spec, err));
    site->spec_m4 = m4;
  }
  for (size_t i = 0; i < an->n_src; i++) {
    size_t s = an->src_ids[i];
    double edges[2 * SOLAR_MAX_LINES];
    size_t n_edges = line_edges_keV(&an->sun.src[s], m4, edges);
    source_signal at = {&site->sp, m4, s};
    DIP_TRY(response_fold_steps(&cm->resp, &an->grid, N_FLAVORS, site->spec + s * N_FLAVORS * n_T,
                                edges, n_edges, source_signal_at, &at,
                                cm->sig_flavor + i * N_FLAVORS * nb, err));
  }
  cm->sig_m4 = m4;
  return DIP_SUCCESS;
}

/* Signal counts per (source, bin) of one card for a coupling: the sum over the coupled flavours. */
static void coupling_template(const analysis *an, const card_model *cm, dip_coupling coupling,
                              double *out /* [n_src][n_bins] */) {
  size_t nb = cm->c.n_bins;
  for (size_t i = 0; i < an->n_src; i++)
    for (size_t k = 0; k < nb; k++) {
      const double *f = cm->sig_flavor + i * N_FLAVORS * nb + k;
      out[i * nb + k] = coupling == COUPLING_UNIVERSAL ? f[0] + f[nb] + f[2 * nb]
                                                       : f[(size_t)(coupling - COUPLING_E) * nb];
    }
}

int analysis_card_rates(analysis *an, size_t c, dip_coupling coupling, double m4_MeV,
                        double *sm, double *signal_unit, double *background, dip_error *err) {
  if (!(m4_MeV >= 0) || !isfinite(m4_MeV))
    return dip_error_set(err, DIP_EINVAL, "m4 must be a finite mass >= 0 MeV, got %g", m4_MeV);
  card_model *cm = &an->cards[c];
  size_t nb = cm->c.n_bins;
  DIP_TRY(card_signal(an, cm, m4_MeV, err));
  double *tmpl = dip_calloc(an->n_src * nb, sizeof *tmpl, err);
  if (!tmpl)
    return DIP_ENOMEM;
  coupling_template(an, cm, coupling, tmpl);
  for (size_t k = 0; k < nb; k++) {
    sm[k] = signal_unit[k] = background[k] = 0;
    for (size_t i = 0; i < an->n_src; i++) {
      sm[k] += cm->sm[i * nb + k];
      signal_unit[k] += tmpl[i * nb + k];
    }
    for (size_t j = 0; j < cm->c.n_bkg; j++)
      background[k] += cm->c.bkg[j].counts[k];
  }
  free(tmpl);
  return DIP_SUCCESS;
}

/* ---- per unit ------------------------------------------------------------------------------ */

static int entry_set_signal(analysis *an, entry *e, dip_coupling coupling, double m4,
                            double *total, dip_error *err) {
  *total = 0;
  for (size_t i = 0; i < e->n_cards; i++) {
    card_model *cm = &an->cards[e->cards[i]];
    DIP_TRY(card_signal(an, cm, m4, err));
    double *out = (double *)e->exp[i].sig;
    coupling_template(an, cm, coupling, out);
    for (size_t j = 0; j < an->n_src * cm->c.n_bins; j++)
      *total += out[j];
  }
  return DIP_SUCCESS;
}

/* The dataset the options configure (observed or Asimov). */
static dataset_spec configured_dataset(const analysis *an) {
  return (dataset_spec){.kind = an->opt.data};
}

/* Make dataset `spec` of entry e and bind it to the entry's workspace (resets the nuisances). */
static int entry_set_data(entry *e, const dataset_spec *spec, dip_error *err) {
  DIP_TRY(dataset_fill(spec, e->data_cards, e->n_cards, e->counts, err));
  return chi2_set_data(e->ws, e->counts, err);
}

/* The nuisances at the best fit: a cold re-profile at mu_best (limit_1dof leaves the workspace at
 * whatever mu it evaluated last).  Only the nuisances are kept; chi2_min stays limit_1dof's. */
static int profile_best_fit(chi2_workspace *ws, double mu_best, unit_summary *summary,
                            dip_error *err) {
  double chi2;
  chi2_reset(ws);
  DIP_TRY(chi2_profile(ws, mu_best, &chi2, err));
  const double *x = chi2_nuisances(ws);
  summary->n_nuisances = chi2_n_nuisances(ws);
  for (size_t p = 0; p < ANALYSIS_MAX_NUISANCES; p++)
    summary->nuisances[p] = p < summary->n_nuisances ? x[p] : NAN;
  return DIP_SUCCESS;
}

/* A numerical failure of the fit (DIP_ENUMERIC, or DIP_EINVAL from a template the profile cannot
 * take) is the unit's outcome, not an error: the first one sets summary->status to `failed` (with
 * the message as reason), the workspace restarts cold, and the unit goes on.  Other failures
 * (memory, inputs) pass through. */
static int unit_trouble(chi2_workspace *ws, int status, dipole_unit_status failed,
                        unit_summary *summary, dip_error *err) {
  if (status != DIP_ENUMERIC && status != DIP_EINVAL)
    return status;
  if (summary->status == DIPOLE_UNIT_OK) {
    summary->status = failed;
    snprintf(summary->reason, sizeof summary->reason, "%s", err->msg);
  }
  dip_error_clear(err);
  chi2_reset(ws);
  return DIP_SUCCESS;
}

/* chi^2 at each mu[i] (NaN where the profile fails). */
static int fit_row(entry *e, const double *mu, size_t n_mu, double *chi2, unit_summary *summary,
                   dip_error *err) {
  double mu_max = chi2_mu_max(e->ws);
  for (size_t i = 0; i < n_mu; i++) {
    if (mu[i] > mu_max && isfinite(mu[i])) { /* see analysis.h: not profiled, an upper bound */
      chi2[i] = chi2_fixed(e->ws, mu[i], NULL);
      continue;
    }
    int status = chi2_profile(e->ws, mu[i], &chi2[i], err);
    if (status != DIP_SUCCESS) {
      chi2[i] = NAN;
      DIP_TRY(unit_trouble(e->ws, status, DIPOLE_UNIT_FAILED_CHI2, summary, err));
    }
  }
  return DIP_SUCCESS;
}

/* The 1-dof limit, the best fit and its nuisances (NaN where they fail). */
static int fit_limit(analysis *an, entry *e, unit_summary *summary, dip_error *err) {
  limit_result lim;
  int status = limit_1dof(e->ws, analysis_threshold_1dof(an), &lim, err);
  if (status != DIP_SUCCESS) {
    summary->mu_limit = summary->mu_best = summary->chi2_min = summary->chi2_zero = NAN;
    return unit_trouble(e->ws, status, DIPOLE_UNIT_FAILED_LIMIT, summary, err);
  }
  summary->mu_limit = lim.mu_limit;
  summary->mu_best = lim.mu_best;
  summary->chi2_min = lim.chi2_min;
  summary->chi2_zero = lim.chi2_zero;
  status = profile_best_fit(e->ws, lim.mu_best, summary, err);
  if (status != DIP_SUCCESS)
    DIP_TRY(unit_trouble(e->ws, status, DIPOLE_UNIT_FAILED_NUISANCES, summary, err));
  if (summary->status == DIPOLE_UNIT_OK && isinf(summary->mu_limit))
    summary->status = DIPOLE_UNIT_NO_SENSITIVITY;
  return DIP_SUCCESS;
}

/* The unit whose signal is in e's problem, fitted to dataset `spec`: chi^2 at each mu[i], the 1-dof
 * limit, the best fit and its nuisances, and the unit's status into summary (all but
 * signal_total). */
static int fit_dataset(analysis *an, entry *e, const dataset_spec *spec, const double *mu,
                       size_t n_mu, double *chi2, unit_summary *summary, dip_error *err) {
  long profiles0 = chi2_n_profiles(e->ws), fallbacks0 = chi2_n_fallbacks(e->ws);
  DIP_TRY(entry_set_data(e, spec, err));
  summary->status = DIPOLE_UNIT_OK;
  DIP_TRY(fit_row(e, mu, n_mu, chi2, summary, err));
  DIP_TRY(fit_limit(an, e, summary, err));
  summary->n_profiles = chi2_n_profiles(e->ws) - profiles0;
  summary->n_fallbacks = chi2_n_fallbacks(e->ws) - fallbacks0;
  return DIP_SUCCESS;
}

int analysis_eval_unit(analysis *an, size_t entry_index, dip_coupling coupling, double m4_MeV,
                       const double *mu, size_t n_mu, double *chi2, unit_summary *summary,
                       dip_error *err) {
  if (entry_index >= an->n_entries)
    return dip_error_set(err, DIP_EINVAL, "entry %zu out of range", entry_index);
  if (!(m4_MeV >= 0) || !isfinite(m4_MeV))
    return dip_error_set(err, DIP_EINVAL, "m4 must be a finite mass >= 0 MeV, got %g", m4_MeV);
  entry *e = &an->entries[entry_index];
  memset(summary, 0, sizeof *summary);
  DIP_TRY(entry_set_signal(an, e, coupling, m4_MeV, &summary->signal_total, err));
  dataset_spec data = configured_dataset(an);
  return fit_dataset(an, e, &data, mu, n_mu, chi2, summary, err);
}

/* ---- expected sensitivity (stats/bands.h) ------------------------------------------------- */

/* Limits (and one-sided q0) of the entry's background-only toys, each fitted like the data. */
static int fit_toys(analysis *an, entry *e, uint64_t unit, double *limits, double *q0,
                    dip_error *err) {
  double threshold = analysis_threshold_1dof(an);
  for (long k = 0; k < an->opt.n_toys; k++) {
    dataset_spec toy = {.kind = DATA_TOY, .seed = an->opt.seed, .unit = unit, .toy = (uint64_t)k};
    limit_result lim;
    DIP_TRY(entry_set_data(e, &toy, err));
    DIP_TRY(limit_1dof(e->ws, threshold, &lim, err));
    limits[k] = lim.mu_limit;
    q0[k] = bands_q0(lim.mu_best, lim.chi2_zero, lim.chi2_min);
  }
  return DIP_SUCCESS;
}

static int toys_band(analysis *an, entry *e, uint64_t unit, bands_result *b, double **q0,
                     dip_error *err) {
  if (an->opt.n_toys < 1)
    return dip_error_set(err, DIP_EINVAL, "toys: need at least one, got %ld", an->opt.n_toys);
  double *limits = dip_calloc((size_t)an->opt.n_toys, sizeof *limits, err);
  *q0 = dip_calloc((size_t)an->opt.n_toys, sizeof **q0, err);
  int status = limits && *q0 ? fit_toys(an, e, unit, limits, *q0, err) : DIP_ENOMEM;
  if (status == DIP_SUCCESS)
    status = bands_toys(limits, (size_t)an->opt.n_toys, an->opt.power_threshold, b, err);
  free(limits);
  return status;
}

uint64_t analysis_unit_key(size_t entry_index, dip_coupling coupling, double m4_MeV) {
  uint64_t bits;
  memcpy(&bits, &m4_MeV, sizeof bits);
  return (((uint64_t)entry_index * N_COUPLINGS + (uint64_t)coupling) * 0x9e3779b97f4a7c15ULL) ^
         bits;
}

int analysis_expected(analysis *an, size_t entry_index, dip_coupling coupling, double m4_MeV,
                      const unit_summary *observed, bands_result *b, dip_error *err) {
  if (an->opt.expected == EXPECTED_NONE)
    return DIP_SUCCESS;
  if (entry_index >= an->n_entries)
    return dip_error_set(err, DIP_EINVAL, "entry %zu out of range", entry_index);
  entry *e = &an->entries[entry_index];
  double total, *q0 = NULL;
  DIP_TRY(entry_set_signal(an, e, coupling, m4_MeV, &total, err));
  int status;
  if (an->opt.expected == EXPECTED_TOYS) {
    status = toys_band(an, e, analysis_unit_key(entry_index, coupling, m4_MeV), b, &q0, err);
  } else {
    dataset_spec asimov = {.kind = DATA_ASIMOV};
    limit_result lim;
    status = entry_set_data(e, &asimov, err);
    if (status == DIP_SUCCESS)
      status = limit_1dof(e->ws, analysis_threshold_1dof(an), &lim, err);
    if (status == DIP_SUCCESS)
      bands_asimov(lim.mu_limit, analysis_threshold_1dof(an), an->opt.power_threshold, b);
  }
  if (status == DIP_SUCCESS)
    bands_observed(b, observed->mu_limit, observed->mu_best, observed->chi2_zero,
                   observed->chi2_min, q0);
  free(q0);
  return status;
}

/* ---- Neyman construction (stats/neyman.h) ------------------------------------------------ */

/* t(mu) = chi^2(mu) - chi^2_min of the data bound to e (never below 0: the minimum is over
 * mu >= 0, a rounding below it is no information), with the conditional nuisances at mu into
 * theta (may be NULL).  DIP_ENUMERIC / DIP_EINVAL: the fit failed. */
static int neyman_t(entry *e, double mu, double *t, double *theta, dip_error *err) {
  limit_result best;
  double chi2;
  if (mu > chi2_mu_max(e->ws))
    return dip_error_set(err, DIP_EINVAL, "neyman: mu = %g above the largest mu the fit takes (%g)",
                         mu, chi2_mu_max(e->ws));
  DIP_TRY(limit_best_fit(e->ws, &best, err));
  chi2_reset(e->ws);
  DIP_TRY(chi2_profile(e->ws, mu, &chi2, err));
  *t = fmax(0.0, chi2 - best.chi2_min);
  if (theta)
    memcpy(theta, chi2_nuisances(e->ws), chi2_n_nuisances(e->ws) * sizeof *theta);
  return DIP_SUCCESS;
}

/* A fit failure of the construction is the point's outcome: counted, NaN, cleared. */
static int neyman_trouble(int status, long *n_failed, double *value, dip_error *err) {
  if (status != DIP_ENUMERIC && status != DIP_EINVAL)
    return status;
  (*n_failed)++;
  *value = NAN;
  dip_error_clear(err);
  return DIP_SUCCESS;
}

/* The signal templates of e's cards, for signal toys (build_cards: at most 64 cards). */
typedef struct entry_signals {
  const double *sig[64];
} entry_signals;

static entry_signals signals_of(const entry *e) {
  entry_signals s;
  for (size_t i = 0; i < e->n_cards && i < 64; i++)
    s.sig[i] = e->exp[i].sig;
  return s;
}

/* One Neyman point for dataset `data`: t_obs and the centres from it, then the toys (keyed by
 * (seed, unit, k, toy)) and their quantile. */
static int neyman_point_eval(analysis *an, entry *e, const dataset_spec *data, uint64_t unit,
                             size_t k, double mu, long n_toys, double *t_toys, double *theta,
                             neyman_point *out, dip_error *err) {
  *out = (neyman_point){.t_crit = NAN, .t_crit_err = NAN, .t_obs = NAN, .n_failed = 0};
  DIP_TRY(entry_set_data(e, data, err));
  int status = neyman_t(e, mu, &out->t_obs, theta, err);
  if (status != DIP_SUCCESS) { /* no centres: no toys, each counted as failed */
    out->n_failed = n_toys - 1;
    return neyman_trouble(status, &out->n_failed, &out->t_obs, err);
  }
  entry_signals sig = signals_of(e);
  for (long j = 0; j < n_toys; j++) {
    dataset_spec toy = {.kind = DATA_TOY_SIGNAL, .seed = an->opt.seed, .unit = unit, .point = k,
                        .toy = (uint64_t)j, .mu = mu, .centre = theta, .sig = sig.sig};
    DIP_TRY(entry_set_data(e, &toy, err));
    status = neyman_t(e, mu, &t_toys[j], NULL, err);
    if (status != DIP_SUCCESS)
      DIP_TRY(neyman_trouble(status, &out->n_failed, &t_toys[j], err));
  }
  if (out->n_failed == 0)
    DIP_TRY(neyman_critical(t_toys, (size_t)n_toys, an->opt.cl, &out->t_crit, &out->t_crit_err,
                            err));
  return DIP_SUCCESS;
}

int analysis_neyman(analysis *an, size_t entry_index, dip_coupling coupling, double m4_MeV,
                    const double *mu, size_t n_mu, long n_toys, neyman_point *out, long *n_fits,
                    dip_error *err) {
  if (entry_index >= an->n_entries)
    return dip_error_set(err, DIP_EINVAL, "entry %zu out of range", entry_index);
  if (n_toys < 1 || n_mu > NEYMAN_MAX_POINTS)
    return dip_error_set(err, DIP_EINVAL, "neyman: need toys >= 1 and at most %d points (got %ld, %zu)",
                         NEYMAN_MAX_POINTS, n_toys, n_mu);
  entry *e = &an->entries[entry_index];
  double total, theta[ANALYSIS_MAX_NUISANCES];
  DIP_TRY(entry_set_signal(an, e, coupling, m4_MeV, &total, err));
  double *t_toys = dip_calloc((size_t)n_toys, sizeof *t_toys, err);
  if (!t_toys)
    return DIP_ENOMEM;
  uint64_t unit = analysis_unit_key(entry_index, coupling, m4_MeV);
  dataset_spec data = configured_dataset(an);
  int status = DIP_SUCCESS;
  *n_fits = 0;
  for (size_t k = 0; status == DIP_SUCCESS && k < n_mu; k++) {
    status = neyman_point_eval(an, e, &data, unit, k, mu[k], n_toys, t_toys, theta, &out[k], err);
    *n_fits += n_toys;
  }
  free(t_toys);
  return status;
}

/* ---- coverage (docs/physics.md §12.4) ------------------------------------------------------ */

/* The Neyman point of pseudo-experiment `pe` of mu_true (drawn around `truth`): its own
 * conditional fit centres its own toys, keyed apart from the data's construction. */
static int coverage_one(analysis *an, entry *e, uint64_t unit, double mu_true, const double *truth,
                        long pe, long n_toys, double *t_toys, double *theta, neyman_point *pt,
                        dip_error *err) {
  entry_signals sig = signals_of(e);
  dataset_spec pseudo = {.kind = DATA_TOY_SIGNAL, .seed = an->opt.seed, .unit = unit,
                         .point = NEYMAN_MAX_POINTS, .toy = (uint64_t)pe, .mu = mu_true,
                         .centre = truth, .sig = sig.sig};
  uint64_t inner = unit ^ (0x9e3779b97f4a7c15ULL * (uint64_t)(pe + 1));
  return neyman_point_eval(an, e, &pseudo, inner, 0, mu_true, n_toys, t_toys, theta, pt, err);
}

int analysis_coverage(analysis *an, size_t entry_index, dip_coupling coupling, double m4_MeV,
                      double mu_true, long n_pseudo, long n_toys, coverage_result *out,
                      dip_error *err) {
  if (entry_index >= an->n_entries || n_pseudo < 1 || n_toys < 1)
    return dip_error_set(err, DIP_EINVAL, "coverage: need a valid entry, pseudo-experiments >= 1 "
                                          "and toys >= 1");
  entry *e = &an->entries[entry_index];
  double total, truth[ANALYSIS_MAX_NUISANCES], theta[ANALYSIS_MAX_NUISANCES], t_obs;
  DIP_TRY(entry_set_signal(an, e, coupling, m4_MeV, &total, err));
  dataset_spec data = configured_dataset(an);
  DIP_TRY(entry_set_data(e, &data, err));
  DIP_TRY(neyman_t(e, mu_true, &t_obs, truth, err)); /* the truth: the data's conditional fit */
  double *t_toys = dip_calloc((size_t)n_toys, sizeof *t_toys, err);
  if (!t_toys)
    return DIP_ENOMEM;
  uint64_t unit = analysis_unit_key(entry_index, coupling, m4_MeV);
  double wilks = analysis_threshold_1dof(an);
  *out = (coverage_result){.n_pseudo = 0};
  int status = DIP_SUCCESS;
  for (long pe = 0; status == DIP_SUCCESS && pe < n_pseudo; pe++) {
    neyman_point pt;
    status = coverage_one(an, e, unit, mu_true, truth, pe, n_toys, t_toys, theta, &pt, err);
    if (status != DIP_SUCCESS || isnan(pt.t_obs) || isnan(pt.t_crit)) {
      out->n_failed += status == DIP_SUCCESS;
      continue;
    }
    out->n_pseudo++;
    out->covered_wilks += pt.t_obs <= wilks;
    out->covered_neyman += pt.t_obs <= pt.t_crit;
  }
  free(t_toys);
  return status;
}

int analysis_crossing(analysis *an, size_t entry_index, dip_coupling coupling, double m4_MeV,
                      double chi2_ref, double threshold, double mu_from, double *mu_cross,
                      dip_error *err) {
  if (entry_index >= an->n_entries)
    return dip_error_set(err, DIP_EINVAL, "entry %zu out of range", entry_index);
  entry *e = &an->entries[entry_index];
  double total;
  DIP_TRY(entry_set_signal(an, e, coupling, m4_MeV, &total, err));
  dataset_spec data = configured_dataset(an);
  DIP_TRY(entry_set_data(e, &data, err));
  return limit_crossing(e->ws, chi2_ref, threshold, mu_from, mu_cross, err);
}

/* ---- names (the util/common.h registry) ----------------------------------------------------- */

static const char *const coupling_words[] = {"universal", "e", "mu", "tau"};
static const char *const electrons_words[] = {"free", "stepping"};
static const char *const day_night_words[] = {"off", "on"};
static const char *const background_words[] = {"free", "card"};
const dip_names coupling_names = DIP_NAMES("coupling", coupling_words);
const dip_names electrons_names = DIP_NAMES("electrons model", electrons_words);
const dip_names day_night_names = DIP_NAMES("day_night", day_night_words);
const dip_names background_names = DIP_NAMES("background", background_words);

int coupling_from_name(const char *name, dip_coupling *out, dip_error *err) {
  int v = 0;
  DIP_TRY(dip_names_find(&coupling_names, name, &v, err));
  *out = (dip_coupling)v;
  return DIP_SUCCESS;
}
const char *coupling_name(dip_coupling c) { return dip_names_get(&coupling_names, c); }

const char *electrons_name(electrons_model e) { return dip_names_get(&electrons_names, e); }
