#!/usr/bin/env bash
# slurm_submit.sh — slurm/submit's checks of the time limit against the stop grace, and its estimate
# of the jobs a scan needs (issue 13, item 8), through `submit --dry-run` (no cluster needed; the
# refusal on a real cluster is case G of slurm.sh).
SUITE=slurm-submit
. "$(dirname "$0")/scan_lib.sh"
export DIPSCAN_BIN
CFG=$DIPSCAN_ROOT/scans/mass_scan.yaml   # 960000 chi2 points
sub() { (cd "$W" && "$DIPSCAN_ROOT/slurm/submit" "$CFG" --dry-run "$@" >"$W/out" 2>&1); }

sub --time 00:01:00; rc=$?
check "--time 00:01:00 with the default 120-s grace: refused (exit 1), nothing submitted" \
  "[ $rc -eq 1 ] && grep -q 'stop grace (DIPSCAN_STOP_GRACE = 120 s) is not well below --time 00:01:00 (60 s).*nothing submitted' '$W/out' && ! grep -q '^sbatch' '$W/out'" \
  "rc $rc: $(cat "$W/out")"
DIPSCAN_STOP_GRACE=30 sub --time 1:00; rc=$?
check "grace 30 s with --time 1:00 (half of it): refused" "[ $rc -eq 1 ]" "rc $rc"
DIPSCAN_STOP_GRACE=20 sub --time 1:00; rc=$?
check "grace 20 s with --time 1:00 (more than a fifth): warned, submitted" \
  "[ $rc -eq 0 ] && grep -q 'warning: the stop grace (20 s) is more than a fifth' '$W/out'" "rc $rc: $(head -n 3 "$W/out")"
sub --time 2-00:00:00; rc=$?
check "--time 2-00:00:00 (172800 s) parsed, no warning" "[ $rc -eq 0 ] && ! grep -q warning '$W/out'" "$(head -n 3 "$W/out")"
sub --time 00:08:00 --ntasks 2 --rate 1000 --max-continuations 1; rc=$?
check "estimate: 960000 points at 1000 points/s/rank on 2 ranks, 330 s per job -> 2 jobs, 1 continuation" \
  "[ $rc -eq 0 ] && grep -q '~480 s of compute, 330 s per job -> 2 job(s), i.e. 1 continuation' '$W/out' && ! grep -q 'not enough' '$W/out'" \
  "$(grep submit: "$W/out")"
sub --time 00:08:00 --ntasks 1 --rate 1000 --max-continuations 1; rc=$?
check "too few continuations for the estimate: warned with the number needed (2)" \
  "[ $rc -eq 0 ] && grep -q 'max-continuations 1 is not enough at that rate: use --max-continuations 2' '$W/out'" \
  "$(grep submit: "$W/out")"
sub --time 4; rc=$?
check "a time limit of 4 minutes is refused with the default grace" "[ $rc -eq 1 ]" "rc $rc"
sub --time soon; rc=$?
check "a malformed --time is refused" "[ $rc -eq 1 ] && grep -q 'must be a SLURM time limit' '$W/out'" "$(cat "$W/out")"

# Every value comes from `dipscan scan --dry-run`, never from reading the YAML here: a flow-style
# configuration (no 'name:' or 'output:' line to grep) gets its job name and its cube (relative to the
# configuration's folder), and the reducer the cube and the CSV/plots next to it.
mkdir -p "$W/cfg"
printf '%s\n' '{name: flowy, output: out/flow.h5, experiments: [xenonnt_sr0],' \
  '  m4: {values: [0.01, 0.1]}, mu: {from: 1.0e-12, to: 1.0e-9, points: 10, spacing: log}}' >"$W/cfg/flow.yaml"
(cd "$W" && "$DIPSCAN_ROOT/slurm/submit" "$W/cfg/flow.yaml" --dry-run --time 00:05:00 --rate 1000 >"$W/out" 2>&1); rc=$?
check "flow-style config: the job name from the resolved 'name' (dipscan-flowy)" \
  "[ $rc -eq 0 ] && grep -q '^sbatch .*--job-name=dipscan-flowy ' '$W/out' && grep -q -- '--job-name=dipscan-flowy-reduce' '$W/out'" \
  "rc $rc: $(tail -n 3 "$W/out")"
check "flow-style config: the reducer reads the resolved cube $W/cfg/out/flow.h5 and writes flow_limits.csv and flow_plots next to it (the default names of dipscan limits)" \
  "grep -q 'dipscan-reduce.sbatch $W/cfg/out/flow.h5 $W/cfg/out/flow_limits.csv $W/cfg/out/flow_plots' '$W/out'" \
  "$(grep reduce.sbatch "$W/out")"

# Without --rate the chain is sized from the dry run's calibration (units timed on this machine):
# --speed 0.0002 pretends the cluster's cores are 5000 times slower, so that several jobs are needed;
# the number of continuations queued must be the estimate's jobs - 1 plus one spare.
(cd "$W" && "$DIPSCAN_ROOT/slurm/submit" "$W/cfg/flow.yaml" --dry-run --time 00:05:00 --speed 0.0002 --calibrate 0.5 \
  >"$W/out" 2>&1); rc=$?
read -r need per jobs <<<"$(sed -n 's/.*~\([0-9]*\) s of compute, \([0-9]*\) s per job -> \([0-9]*\) job(s).*/\1 \2 \3/p' "$W/out")"
n_scan=$(grep -c '^sbatch .*dipscan-scan.sbatch' "$W/out")
check "calibrated estimate: $need s of compute at 150 s per job -> $jobs jobs = ceil(need / per job)" \
  "[ $rc -eq 0 ] && grep -q 'dry-run estimate ([0-9]* units timed here' '$W/out' && [ \"\${need:-0}\" -gt 150 ] && [ \"\$jobs\" -eq \$(( (need + per - 1) / per )) ]" \
  "rc $rc: $(grep submit: "$W/out")"
check "calibrated estimate: $((n_scan - 1)) continuations queued = $jobs jobs - 1 + 1 spare" \
  "[ \"$n_scan\" -eq \$(( jobs + 1 )) ] && grep -q 'DIPSCAN_CHAIN_MAX=$jobs' '$W/out'" "$(grep submit: "$W/out")"
