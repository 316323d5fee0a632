#!/usr/bin/env bash
# neyman_slurm.sh — a Neyman scan (statistics.neyman, docs/physics.md §12) through slurm/submit on a real
# single-node SLURM cluster (tests/slurm/cluster.sh), preempted mid-run with `scancel --signal=USR1`: the
# scan job stops resumable (exit 75), the continuation resumes it, the reducer runs, and the final cube —
# every dataset and root attribute but the run-dependent ones (tests/regression/cube_fingerprint.py) — is
# bitwise the cube of an uninterrupted `mpirun -np 2` run; the CSV carries mu_limit_neyman_muB.
# Runs in every `make check` (~25 s: the cluster and two runs); DIPSCAN_NEYMAN_SLURM=0 skips it.
set -u
suite=neyman-slurm
root=${DIPSCAN_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${DIPSCAN_BIN:-$root/build/bin/dipscan}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 HDF5_USE_FILE_LOCKING=FALSE
export OMPI_MCA_rmaps_base_oversubscribe=1
pass() { echo "PASS $suite: $1"; }
fail() { echo "FAIL $suite: $1 ($2)"; }
skip() { echo "SKIP $suite: $1 ($2)"; }
if [ "${DIPSCAN_NEYMAN_SLURM:-1}" = 0 ]; then
  skip "preempted Neyman scan under SLURM" "DIPSCAN_NEYMAN_SLURM=0"; exit 0
fi
for c in slurmctld slurmd munged sbatch; do
  command -v $c >/dev/null || { skip "cluster" "$c not installed (apt-get install slurm-wlm munge)"; exit 0; }
done
[ "$(id -u)" = 0 ] || { skip "cluster" "a test cluster needs root"; exit 0; }
[ -f "$root/data/experiments/xenonnt_sr0.yaml" ] || { skip "cluster" "no XENONnT card"; exit 0; }

scratch=$(mktemp -d /tmp/dipscan-neyman-slurm.XXXXXX); chmod 755 "$scratch"
cluster=$scratch/cluster work=$scratch/work
cleanup() { "$root/tests/slurm/cluster.sh" down "$cluster" >/dev/null 2>&1; rm -rf "$scratch"; }
trap cleanup EXIT
trap 'exit 1' INT TERM
mkdir -p "$work"
"$root/tests/slurm/cluster.sh" up "$cluster" || { fail "cluster up" "see above"; exit 1; }
# shellcheck disable=SC1091
. "$cluster/env"
. "$root/tests/slurm/scan_fixture.sh"   # units_done
export DIPSCAN_BIN=$bin

cfg=$work/neyman_slurm.yaml   # 12 units x 4 Neyman points x 400 toys: a few seconds on 2 ranks
cat >"$cfg" <<YAML
name: neyman_slurm
experiments: [xenonnt_sr0]
couplings: [universal, e, mu, tau]
m4: {values: [0.001, 0.01, 0.2]}
mu: {from: 1.0e-12, to: 1.0e-9, points: 60, spacing: log}
statistics:
  expected: none
  neyman: {toys: 400, mu: {from: 3.0e-12, to: 3.0e-11, points: 4, spacing: log}}
run: {batch: 1, progress_seconds: 1}
YAML
mpirun -np 2 "$bin" scan "$cfg" --output "$work/ref.h5" >"$work/ref.log" 2>&1 ||
  { fail "reference run" "$(tail -n 2 "$work/ref.log")"; exit 1; }
FP="$root/tests/regression/cube_fingerprint.py"
ref=$(/usr/bin/python3 "$FP" "$work/ref.h5")

final_state() { sed -n "s/^JobId=$1 .*JobState=\([A-Z_]*\) .*ExitCode=\([0-9:]*\).*/\1 \2/p" "$cluster/log/jobcomp.txt" 2>/dev/null | tail -1; }
field() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "$2"; }
wait_gone() { local end=$((SECONDS + $1)) ids; shift; ids=$(IFS=,; echo "$*")
  while [ $SECONDS -lt $end ]; do [ -z "$(squeue -h -j "$ids" 2>/dev/null)" ] && return 0; sleep 0.25; done; return 1; }

(cd "$work" && "$root/slurm/submit" "$cfg" --ntasks 2 --time 5:00 --max-continuations 2 \
  --output "$work/b.h5" >"$work/submit.txt" 2>&1) || { fail "slurm/submit" "$(tail -n 3 "$work/submit.txt")"; exit 1; }
scan=$(field scan "$work/submit.txt"); read -r -a cont <<<"$(field continuations "$work/submit.txt")"
red=$(field reduce "$work/submit.txt")
end=$((SECONDS + 60))
until [ "$(squeue -h -j "$scan" -o %T 2>/dev/null)" = RUNNING ] && [ "$(units_done "$work/b.h5")" -gt 0 ]; do
  [ $SECONDS -lt $end ] && [ -z "$(final_state "$scan")" ] || break; sleep 0.1
done
n=$(units_done "$work/b.h5")
scancel --signal=USR1 "$scan"; wait_gone 60 "$scan"
s=$(final_state "$scan")
if [ "$s" = "FAILED 75:0" ] && [ "$n" -lt 12 ]; then
  pass "scan job $scan stopped by USR1 after $n of 12 Neyman units, resumable (exit 75)"
else
  fail "preemption mid-run" "state '$s' after $n units; $(tail -n 3 "$work/slurm-$scan.out" | tr '\n' ' ')"
fi
wait_gone 120 "$scan" "${cont[@]}" "$red" || fail "chain" "still queued: $(squeue -h | tr '\n' ';')"
s=$(final_state "$red")
[ "$s" = "COMPLETED 0:0" ] && pass "continuation resumed the Neyman scan, reducer $red completed" ||
  fail "reducer" "'$s'"
fp=$(/usr/bin/python3 "$FP" "$work/b.h5")
# the reducer's /limits_reduced group is in b.h5 only: compare everything else
if [ "$(echo "$fp" | grep -v limits_reduced)" = "$(echo "$ref" | grep -v limits_reduced)" ]; then
  pass "preempted + resumed cube bitwise identical to the uninterrupted mpirun cube ($(echo "$ref" | grep -c '^dataset') datasets)"
else
  fail "cube identity" "$(diff <(echo "$ref" | grep -v limits_reduced) <(echo "$fp" | grep -v limits_reduced) | head -4 | tr '\n' ' ')"
fi
head -1 "$work/b_limits.csv" 2>/dev/null | grep -q ',mu_limit_neyman_muB,status$' && pass "reducer CSV (default name b_limits.csv, as dipscan limits) has mu_limit_neyman_muB before status" ||
  fail "reducer CSV" "$(head -2 "$work/b_limits.csv" 2>&1 | tr '\n' ' ')"
