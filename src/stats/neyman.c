/*
 * neyman.c — the Neyman axis, the critical value of the toys and the limit (see neyman.h).
 */
#include "stats/neyman.h"

#include <gsl/gsl_sort.h>
#include <math.h>

#include "stats/bands.h"

void neyman_spec_default(neyman_spec *s) {
  *s = (neyman_spec){.n_toys = 0, .from = 1e-11, .to = 1e-9, .points = 12, .log_spacing = 1};
}

int neyman_axis(const neyman_spec *s, double *mu, size_t *n, dip_error *err) {
  if (s->points < 2 || s->points > NEYMAN_MAX_POINTS)
    return dip_error_set(err, DIP_EINVAL, "neyman.mu.points must be in [2, %d], got %ld",
                         NEYMAN_MAX_POINTS, s->points);
  if (!isfinite(s->from) || (s->log_spacing ? !(s->from > 0) : !(s->from >= 0)))
    return dip_error_set(err, DIP_EINVAL, "neyman.mu.from must be %s 0 for %s spacing, got %g",
                         s->log_spacing ? ">" : ">=", s->log_spacing ? "log" : "linear", s->from);
  if (!isfinite(s->to) || !(s->to > s->from))
    return dip_error_set(err, DIP_EINVAL, "neyman.mu.to must be finite and > from (%g), got %g",
                         s->from, s->to);
  *n = (size_t)s->points;
  for (size_t i = 0; i < *n; i++) {
    double t = (double)i / (double)(*n - 1);
    mu[i] = s->log_spacing ? exp(log(s->from) + t * (log(s->to) - log(s->from)))
                           : s->from + t * (s->to - s->from);
  }
  mu[0] = s->from; /* the ends exactly as written */
  mu[*n - 1] = s->to;
  return DIP_SUCCESS;
}

int neyman_critical(double *t, size_t n, double cl, double *t_crit, double *t_crit_err,
                    dip_error *err) {
  if (n == 0 || !(cl > 0 && cl < 1))
    return dip_error_set(err, DIP_EINVAL, "neyman: need toys and 0 < cl < 1 (got %zu, %g)", n, cl);
  for (size_t i = 0; i < n; i++)
    if (isnan(t[i]))
      return dip_error_set(err, DIP_EINVAL, "neyman: toy %zu has no test statistic", i);
  gsl_sort(t, 1, n);
  *t_crit = bands_quantile(t, n, cl);
  *t_crit_err = bands_quantile_error(t, n, cl);
  return DIP_SUCCESS;
}

/* t_c at mu, linear between the Neyman points around it; NaN outside the axis or next to a NaN. */
static double t_crit_at(const double *mu_n, const double *t_crit, size_t n_neyman, double mu) {
  if (n_neyman == 0 || !(mu >= mu_n[0] && mu <= mu_n[n_neyman - 1]))
    return NAN;
  size_t k = 0;
  while (k + 2 < n_neyman && mu > mu_n[k + 1])
    k++;
  if (n_neyman == 1)
    return t_crit[0];
  double w = (mu - mu_n[k]) / (mu_n[k + 1] - mu_n[k]);
  return w == 0 ? t_crit[k] : w == 1 ? t_crit[k + 1] : (1 - w) * t_crit[k] + w * t_crit[k + 1];
}

double neyman_upper_limit(const double *mu_n, const double *t_crit, size_t n_neyman,
                          const double *mu, const double *t_obs, size_t n) {
  size_t last = n, next = n; /* largest accepted grid point, and the first usable one above it */
  double d_last = NAN, d_next = NAN;
  int usable = 0;
  for (size_t i = 0; i < n; i++) {
    double d = t_obs[i] - t_crit_at(mu_n, t_crit, n_neyman, mu[i]);
    if (isnan(d))
      continue;
    usable = 1;
    if (d <= 0) {
      last = i;
      d_last = d;
      next = n;
    } else if (last < n && next == n) {
      next = i;
      d_next = d;
    }
  }
  if (!usable || last == n)
    return NAN;
  if (next == n)
    return INFINITY;
  return mu[last] + (mu[next] - mu[last]) * (-d_last) / (d_next - d_last);
}
