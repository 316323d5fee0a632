#!/usr/bin/env bash
# expected_cli.sh — `dipscan limit --expected` (issue 14): the columns, the Asimov median equal to the
# Asimov-data limit as printed, toys reproducible from the seed and different for another seed, the
# PCL never below the observed limit, and the refusals (2 dof, bad counts and thresholds).
set -u
root=${DIPSCAN_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${DIPSCAN_BIN:-$root/bin/dipscan}
suite=expected-cli
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
check() { if eval "$2"; then echo "PASS $suite: $1"; else echo "FAIL $suite: $1"; fi; }
old=experiment,coupling,m4_MeV,data,cl,dof,mu_limit_muB,chi2_min,mu_best_muB
new=$old,expected_m2_muB,expected_m1_muB,expected_median_muB,expected_p1_muB,expected_p2_muB,mu_limit_pcl_muB,z_local
"$bin" limit --experiment xenonnt_sr0,pandax4t_run1 --m4 0.01,0.3 --expected none >"$w/none.csv"
"$bin" limit --experiment xenonnt_sr0,pandax4t_run1 --m4 0.01,0.3 >"$w/asimov.csv"
"$bin" limit --experiment xenonnt_sr0,pandax4t_run1 --m4 0.01,0.3 --data asimov --expected none >"$w/adata.csv"
check "--expected none: the old header" '[ "$(head -1 "$w/none.csv")" = "$old" ]'
check "default (asimov): the band, PCL and Z columns appended" '[ "$(head -1 "$w/asimov.csv")" = "$new" ]'
check "asimov: the observed columns unchanged by the band" \
  '[ "$(cut -d, -f1-9 "$w/asimov.csv" | tail -n +2)" = "$(tail -n +2 "$w/none.csv")" ]'
check "asimov: expected median = the limit of --data asimov, as printed" \
  '[ "$(cut -d, -f12 "$w/asimov.csv" | tail -n +2)" = "$(cut -d, -f7 "$w/adata.csv" | tail -n +2)" ]'
toys() { "$bin" limit --experiment xenonnt_sr0,pandax4t_run1 --m4 0.01,0.3 --expected toys --toys 200 "$@"; }
toys --seed 7 >"$w/t1.csv" 2>"$w/t1.err"; toys --seed 7 >"$w/t2.csv" 2>/dev/null
toys --seed 8 >"$w/t3.csv" 2>/dev/null
check "toys: the same seed gives the same bytes" 'cmp -s "$w/t1.csv" "$w/t2.csv"'
check "toys: another seed gives another band" '! cmp -s "$w/t1.csv" "$w/t3.csv"'
check "toys: MC errors and the local p-value of every row on stderr" \
  '[ "$(grep -c "200 toys; MC errors of the edges.*local p-value" "$w/t1.err")" = 4 ]'
check "PCL >= observed limit and edges increasing on every row (asimov and toys)" \
  'awk -F, "FNR > 1 && !(\$15 >= \$7 && \$10 < \$11 && \$11 < \$12 && \$12 < \$13 && \$13 < \$14) { bad++ } END { exit bad > 0 }" "$w/asimov.csv" "$w/t1.csv"'
refused() {  # name pattern args...
  local name=$1 pattern=$2; shift 2
  "$bin" limit "$@" >/dev/null 2>"$w/err"; local rc=$?
  check "$name" '[ $rc = 2 ] && grep -q -- "$pattern" "$w/err"'
}
refused "--expected toys with --dof 2 refused" "needs --dof 1" --experiment xenonnt_sr0 --m4 0.01,0.3 --dof 2 --expected toys
refused "--toys 0 refused" "toys must be" --experiment xenonnt_sr0 --m4 0.01 --expected toys --toys 0
refused "--power-threshold 1 refused" "power_threshold" --experiment xenonnt_sr0 --m4 0.01 --power-threshold 1
refused "--expected cls refused with the allowed words" "none, asimov, toys" --experiment xenonnt_sr0 --m4 0.01 --expected cls
