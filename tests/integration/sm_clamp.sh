#!/usr/bin/env bash
# A card whose background "contains the SM solar-nu events" but holds fewer of them than dipscan
# predicts (here: XENONnT SR0 with its exposure scaled tenfold and its background left alone, the
# classic projection mistake) must not be clamped silently into a too-strong limit: `rates`,
# `limit` and `scan` refuse it with the numbers (exit 1), while the shipped card passes untouched.
set -u
root=${DIPSCAN_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${DIPSCAN_BIN:-$root/bin/dipscan}
suite=sm_clamp
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
sed 's/^\(  t_yr: \)1\.16/\111.6/' "$root/data/experiments/xenonnt_sr0.yaml" >"$work/scaled.yaml"
if ! grep -q 't_yr: 11.6' "$work/scaled.yaml"; then echo "FAIL $suite: could not scale the card"; exit 1; fi
check() {  # name command...
  local name=$1; shift
  "$@" >"$work/out" 2>"$work/err"; local rc=$?
  if [ "$rc" = 1 ] && grep -q "holds fewer SM solar-nu events than the model predicts in [0-9]* bins" "$work/err" &&
     grep -q "refused" "$work/err"; then
    echo "PASS $suite: $name refuses the scaled card: $(grep -o '[0-9.e+]* of the [0-9.e+]* predicted events' "$work/err" | head -1)"
  else
    echo "FAIL $suite: $name (exit $rc): $(head -c 300 "$work/err")"
  fi
}
check "rates" "$bin" rates --experiment "$work/scaled.yaml"
check "limit" "$bin" limit --experiment "$work/scaled.yaml" --m4 0.01
printf 'experiments: [%s]\nm4: {values: [0.01]}\nmu: {from: 1e-12, to: 1e-9, points: 20}\noutput: %s\n' \
  "$work/scaled.yaml" "$work/s.h5" >"$work/scan.yaml"
check "scan" "$bin" scan "$work/scan.yaml"
if "$bin" rates --experiment xenonnt_sr0 2>"$work/err" >/dev/null && ! grep -q warning "$work/err"; then
  echo "PASS $suite: the shipped card needs no clamping (no warning)"
else
  echo "FAIL $suite: shipped card: $(head -c 300 "$work/err")"
fi
