#!/usr/bin/env bash
# CLI behaviour: help, version, usage errors (exit 2), runtime errors (exit 1), CSV contracts.
set -u
bin=${DIPSCAN_BIN:-bin/dipscan}
suite=cli
expect() {  # name expected_rc command...
  local name=$1 want=$2; shift 2
  "$@" >/tmp/dipscan-cli.$$ 2>&1; local rc=$?
  if [ "$rc" = "$want" ]; then echo "PASS $suite: $name"; else
    echo "FAIL $suite: $name (exit $rc, want $want: $(head -c 300 /tmp/dipscan-cli.$$))"; fi
}
expect "--help exits 0" 0 "$bin" --help
expect "--version exits 0" 0 "$bin" --version
"$bin" --version | grep -Eq '^dipscan [^ ]+$' && echo "PASS $suite: --version prints 'dipscan VERSION'" \
  || echo "FAIL $suite: --version prints 'dipscan VERSION'"
expect "no arguments is a usage error" 2 "$bin"
expect "unknown subcommand exits 2" 2 "$bin" frobnicate
expect "unknown top-level option exits 2" 2 "$bin" --frobnicate
for sub in rates limit; do
  expect "$sub --help exits 0" 0 "$bin" "$sub" --help
  expect "$sub unknown option exits 2" 2 "$bin" "$sub" --bogus 1
done
for sub in rates limit limits scan; do
  if "$bin" $sub --help 2>&1 | grep -q '%%'; then echo "FAIL $suite: $sub --help prints a doubled %%"; else
    echo "PASS $suite: $sub --help prints no doubled %"; fi
done
expect "rates without --experiment exits 2" 2 "$bin" rates
expect "rates with a non-number m4 exits 2" 2 "$bin" rates --experiment xenonnt_sr0 --m4 abc
expect "rates with a bad coupling exits 2" 2 "$bin" rates --experiment xenonnt_sr0 --coupling nue
grep -q "allowed: universal, e, mu, tau" /tmp/dipscan-cli.$$ && echo "PASS $suite: enum error lists allowed values" \
  || echo "FAIL $suite: enum error lists allowed values ($(cat /tmp/dipscan-cli.$$))"
expect "rates with a missing card exits 1" 1 "$bin" rates --experiment no_such_experiment
expect "limit with a bad --dof exits 2" 2 "$bin" limit --experiment xenonnt_sr0 --m4 0.01 --dof 3
expect "limit with a negative m4 exits 2" 2 "$bin" limit --experiment xenonnt_sr0 --m4=-0.1
# One options path: limit and rates take the same physics words as the scan YAML (--solar-model,
# --sources), and they change the answer (AGSS09met has fewer CNO/7Be neutrinos; two sources give
# fewer SM events than all).
lim_gs98=$("$bin" limit --experiment xenonnt_sr0 --m4 0.3 --data asimov 2>/dev/null | awk -F, 'NR == 2 { print $7 }')
lim_agss=$("$bin" limit --experiment xenonnt_sr0 --m4 0.3 --data asimov --solar-model b16-agss09met 2>/dev/null | awk -F, 'NR == 2 { print $7 }')
sm_all=$("$bin" rates --experiment xenonnt_sr0 2>&1 >/dev/null | sed -n 's/.*SM solar nu \([0-9.]*\),.*/\1/p' | head -1)
sm_two=$("$bin" rates --experiment xenonnt_sr0 --sources pp,7Be 2>&1 >/dev/null | sed -n 's/.*SM solar nu \([0-9.]*\),.*/\1/p' | head -1)
if [ -n "$lim_gs98" ] && [ -n "$lim_agss" ] && [ "$lim_gs98" != "$lim_agss" ] &&
   awk -v a="${sm_all:-0}" -v b="${sm_two:-0}" 'BEGIN { exit !(b > 0 && b < a) }'; then
  echo "PASS $suite: --solar-model and --sources reach the physics (limit $lim_gs98 vs $lim_agss; SM $sm_all vs $sm_two)"
else
  echo "FAIL $suite: --solar-model/--sources had no effect (limit '$lim_gs98' vs '$lim_agss'; SM '$sm_all' vs '$sm_two')"
fi
expect "rates refuses a statistics flag it cannot use" 2 "$bin" rates --experiment xenonnt_sr0 --data asimov
# One 2-dof convention: --threshold only changes the 1-dof rule, never gives "everything excluded".
two=$("$bin" limit --experiment xenonnt_sr0 --m4 0.01,0.3 --dof 2 2>/dev/null)
one=$("$bin" limit --experiment xenonnt_sr0 --m4 0.01,0.3 --dof 2 --threshold one-sided 2>/dev/null)
if [ -n "$two" ] && [ "$two" = "$one" ] && ! echo "$one" | awk -F, 'NR > 1 && $7 + 0 == 0 { bad = 1 } END { exit !bad }'; then
  echo "PASS $suite: limit --dof 2 --threshold one-sided = the chi^2_2 region (no all-excluded zeros)"
else
  echo "FAIL $suite: limit --dof 2 one-sided differs from two-sided or gives zeros: $one"
fi
# rates on stderr: the card's flags and the collaboration's SM count next to ours, with a ratio only
# where the bins cover the quoted window (LZ: 0-20 keV quoted, bins 1-20; XENONnT: 1-140 quoted, bins 1-30).
if "$bin" rates --experiment lz_ws2024 2>&1 >/dev/null | grep -q "quoted by the collaboration 151 .*(ratio 1\.[0-9]*)" &&
   "$bin" rates --experiment lz_ws2024 2>&1 >/dev/null | grep -q "exposure marked 'to check'; some tables digitised" &&
   "$bin" rates --experiment xenonnt_sr0 2>&1 >/dev/null | grep -q "quoted by the collaboration 300 .*not comparable"; then
  echo "PASS $suite: rates reports card flags and the quoted SM count (ratio only where comparable)"
else
  echo "FAIL $suite: rates card flags / quoted SM count lines missing"
fi
# rates CSV: header, 29 rows, nothing else on stdout; signal scales exactly as mu^2.
"$bin" rates --experiment xenonnt_sr0 --mu 1e-11 2>/dev/null >/tmp/dipscan-r1.$$
"$bin" rates --experiment xenonnt_sr0 --mu 3e-11 2>/dev/null >/tmp/dipscan-r3.$$
[ "$(head -1 /tmp/dipscan-r1.$$)" = "bin_lo_keV,bin_hi_keV,observed,background,sm_solar_nu,signal" ] &&
  [ "$(wc -l </tmp/dipscan-r1.$$)" = 30 ] && echo "PASS $suite: rates CSV header and 29 rows" ||
  echo "FAIL $suite: rates CSV header and 29 rows"
paste -d, /tmp/dipscan-r1.$$ /tmp/dipscan-r3.$$ | awk -F, 'NR > 1 && $6 > 0 { r = $12 / $6; if (r < 9 * (1 - 1e-8) || r > 9 * (1 + 1e-8)) bad++ } END { exit bad > 0 }' &&
  echo "PASS $suite: signal scales as mu^2 (x3 in mu -> x9)" || echo "FAIL $suite: signal scales as mu^2"
# limit CSV: header, joint entry name, --coupling all gives 4 rows per entry and m4.
"$bin" limit --experiment xenonnt_sr0+pandax4t_run1 --m4 0.01,0.2 --coupling all --data asimov >/tmp/dipscan-l.$$ 2>/dev/null
[ "$(head -1 /tmp/dipscan-l.$$)" = "experiment,coupling,m4_MeV,data,cl,dof,mu_limit_muB,chi2_min,mu_best_muB,expected_m2_muB,expected_m1_muB,expected_median_muB,expected_p1_muB,expected_p2_muB,mu_limit_pcl_muB,z_local" ] &&
  [ "$(grep -c '^xenonnt_sr0+pandax4t_run1,' /tmp/dipscan-l.$$)" = 8 ] &&
  echo "PASS $suite: limit CSV header, joint name, 4 couplings x 2 masses" ||
  echo "FAIL $suite: limit CSV header, joint name, 4 couplings x 2 masses ($(cat /tmp/dipscan-l.$$))"
# 2-dof limit is weaker than (>=) the 1-dof one at the best-fit mass of an Asimov set.
l1=$("$bin" limit --experiment xenonnt_sr0 --m4 0.01,0.2 --data asimov --dof 1 | awk -F, 'NR==2{print $7}')
l2=$("$bin" limit --experiment xenonnt_sr0 --m4 0.01,0.2 --data asimov --dof 2 | awk -F, 'NR==2{print $7}')
awk -v a="$l1" -v b="$l2" 'BEGIN { exit !(b > a) }' && echo "PASS $suite: 2-dof limit (4.605) weaker than 1-dof (2.706) at Asimov minimum" ||
  echo "FAIL $suite: 2-dof limit weaker than 1-dof ($l2 vs $l1)"
rm -f /tmp/dipscan-cli.$$ /tmp/dipscan-r1.$$ /tmp/dipscan-r3.$$ /tmp/dipscan-l.$$
# Every bad-card fixture through the CLI: exit 1, one message naming FILE:LINE:COL, nothing on stdout.
root=${DIPSCAN_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
for card in "$root"/tests/data/bad_cards/*.yaml; do
  name=$(basename "$card" .yaml)
  "$bin" rates --experiment "$card" >/tmp/dipscan-bc-out.$$ 2>/tmp/dipscan-bc-err.$$; rc=$?
  if [ "$rc" = 1 ] && [ ! -s /tmp/dipscan-bc-out.$$ ] && [ "$(wc -l </tmp/dipscan-bc-err.$$)" = 1 ] &&
     grep -q "$(basename "$card"):[0-9]*:[0-9]*: " /tmp/dipscan-bc-err.$$; then
    echo "PASS $suite: bad card $name -> exit 1, one line with file:line:col"
  else
    echo "FAIL $suite: bad card $name (exit $rc: $(head -c 300 /tmp/dipscan-bc-err.$$))"
  fi
done
rm -f /tmp/dipscan-bc-out.$$ /tmp/dipscan-bc-err.$$
