#!/usr/bin/env bash
# tests/integration/slurm.sh — dipscan on a real single-node SLURM cluster: slurm/submit, the batch scripts,
# continuations after preemption, and the reducer, end to end.
#
# Brings up munged + slurmctld + slurmd in a scratch directory (tests/slurm/cluster.sh, a standard single-node setup),
# then:
#   A  submits a small 2-task scan through slurm/submit and checks the job states, the cube and the CSV;
#   B  submits the same scan again, stops the running job with `scancel --signal=USR1` (the ranks) and the
#      first continuation with `scancel -b --signal=USR1` (the batch shell, as `--signal=B:USR1@120` does at
#      the time limit), and checks that each exits resumable, the next continuation resumes, and the final
#      cube and CSV equal run A's;
#   F  checks that a broken configuration is refused by submit, and that a scan which fails only when it
#      runs (its output path taken by a non-cube file) fails once and cancels the rest of its chain (no
#      loop, nothing left queued);
# and finally tears the cluster down by PID and checks that no daemon and no scratch state is left.
# The teardown also runs from an EXIT trap, whatever happens.  Budget: under 3 minutes.
# SKIPs only where slurm/munge are missing and cannot be installed (no root or no apt-get).
set -u
suite=slurm
root=${DIPSCAN_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${DIPSCAN_BIN:-$root/build/bin/dipscan}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 HDF5_USE_FILE_LOCKING=FALSE
BUDGET=170   # seconds for the whole test; every wait is cut to what is left of it

pass() { echo "PASS $suite: $1"; }
fail() { echo "FAIL $suite: $1 ($2)"; }
skip() { echo "SKIP $suite: $1 ($2)"; }
left() { echo $((BUDGET - SECONDS)); }

# --- packages ---------------------------------------------------------------------------------------------
have_slurm() { command -v slurmctld && command -v slurmd && command -v munged && command -v sbatch; } >/dev/null 2>&1
if ! have_slurm && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "# installing slurm-wlm munge"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends \
    slurm-wlm munge >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        -o DPkg::Lock::Timeout=300 --no-install-recommends slurm-wlm munge >/dev/null 2>&1; }
fi
if ! have_slurm; then
  skip "cluster" "slurm-wlm/munge are not installed and cannot be installed here (needs root and apt-get)"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  skip "cluster" "a test cluster needs root (slurmd starts jobs as their owner); CI runs as root"
  exit 0
fi

# --- cluster ----------------------------------------------------------------------------------------------
scratch=$(mktemp -d /tmp/dipscan-slurm-test.XXXXXX)
chmod 755 "$scratch"   # munged wants a+x on every parent directory of its socket
cluster=$scratch/cluster work=$scratch/work
cleanup() { "$root/tests/slurm/cluster.sh" down "$cluster" >/dev/null 2>&1; rm -rf "$scratch"; }
trap cleanup EXIT
trap 'exit 1' INT TERM
mkdir -p "$work"
t0=$SECONDS
if ! "$root/tests/slurm/cluster.sh" up "$cluster"; then fail "cluster up" "see the messages above"; exit 1; fi
pass "cluster up: munged + slurmctld + slurmd idle in $((SECONDS - t0)) s"
# shellcheck disable=SC1091
. "$cluster/env"
daemon_pids=$(cat "$cluster/munge/munged.pid" "$cluster/slurmctld.pid" "$cluster/slurmd.pid" | tr '\n' ' ')

# Tear the cluster down (the EXIT trap would too) and check that nothing is left.
teardown_check() {
  local t0=$SECONDS alive="" p
  "$root/tests/slurm/cluster.sh" down "$cluster"
  for p in $daemon_pids; do
    # Still a live daemon of ours: not a zombie, and still munged/slurmctld/slurmd (not a reused PID).
    if [ -r "/proc/$p/stat" ] && [ "$(awk '{print $3}' "/proc/$p/stat")" != Z ] &&
       grep -qxE 'munged|slurmctld|slurmd' "/proc/$p/comm" 2>/dev/null; then alive="$alive $p($(cat "/proc/$p/comm" 2>/dev/null))"; fi
  done
  if [ -z "$alive" ] && [ ! -e "$cluster" ]; then
    pass "teardown in $((SECONDS - t0)) s: daemons (${daemon_pids% }) gone, scratch removed"
  else
    fail "teardown" "alive:${alive:- none}; scratch $( [ -e "$cluster" ] && echo left || echo removed)"
  fi
  echo "# slurm test wall time: ${SECONDS} s"
}

# --- helpers ----------------------------------------------------------------------------------------------
# Final "STATE EXIT" of a job from the jobcomp log (written when the job ends), empty while it is not done.
final_state() {
  sed -n "s/^JobId=$1 .*JobState=\([A-Z_]*\) .*ExitCode=\([0-9:]*\).*/\1 \2/p" "$cluster/log/jobcomp.txt" 2>/dev/null | tail -1
}
# Wait until none of the jobs is queued or running (at most SECONDS_MAX or what is left of the budget).
wait_jobs() {  # SECONDS_MAX ID...
  local max=$1; shift
  local ids end
  ids=$(IFS=,; echo "$*")
  end=$((SECONDS + (max < $(left) ? max : $(left))))
  while [ $SECONDS -lt $end ]; do
    [ -z "$(squeue -h -j "$ids" 2>/dev/null)" ] && return 0
    sleep 0.25
  done
  return 1
}
# Wait until a job is RUNNING and the cube's journal holds more than BEFORE finished units (so this job has
# finished at least one), at most MAX seconds.
wait_mid_run() {  # JOBID CUBE BEFORE MAX
  local id=$1 cube=$2 before=$3 end=$((SECONDS + $4))
  while [ $SECONDS -lt $end ]; do
    if [ "$(squeue -h -j "$id" -o %T 2>/dev/null)" = RUNNING ] && [ "$(units_done "$cube")" -gt "$before" ]; then
      return 0
    fi
    [ -n "$(final_state "$id")" ] && return 1
    sleep 0.1
  done
  return 1
}
field() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "$2"; }  # KEY SUBMIT_OUTPUT

# Submit CONFIG with slurm/submit; the submit output goes to FILE.
submit() {  # OUTFILE ARGS...
  local out=$1; shift
  (cd "$work" && "$root/slurm/submit" "$@" >"$out" 2>&1)
}

# --- scan configuration -----------------------------------------------------------------------------------
if ! "$bin" scan --help >/dev/null 2>&1 || ! "$bin" limits --help >/dev/null 2>&1; then
  skip "scan chain" "this build of $bin has no 'scan'/'limits' subcommands yet"
  teardown_check; exit 0
fi
. "$root/tests/slurm/scan_fixture.sh"   # write_scan_config, units_done, check_cube, check_csv, expected_units
config=$work/slurm_scan.yaml
write_scan_config "$config"
export DIPSCAN_BIN=$bin

# --- A: uninterrupted chain --------------------------------------------------------------------------------
t0=$SECONDS
if submit "$work/submit_a.txt" "$config" --ntasks 2 --time 5:00 --max-continuations 2 --output "$work/a.h5"; then
  pass "A: slurm/submit queued scan, 2 continuations and reducer"
else
  fail "A: slurm/submit" "$(tail -n 3 "$work/submit_a.txt" | tr '\n' ' ')"; exit 1
fi
a_scan=$(field scan "$work/submit_a.txt"); read -r -a a_cont <<<"$(field continuations "$work/submit_a.txt")"
a_red=$(field reduce "$work/submit_a.txt")
if wait_jobs 60 "$a_scan" "${a_cont[@]}" "$a_red"; then
  pass "A: chain finished in $((SECONDS - t0)) s"
else
  fail "A: chain finished" "jobs still queued after 60 s: $(squeue -h -o '%i %T %r' | tr '\n' ';')"; exit 1
fi
s=$(final_state "$a_scan"); [ "$s" = "COMPLETED 0:0" ] && pass "A: scan job $a_scan COMPLETED 0:0" ||
  fail "A: scan job state" "job $a_scan: '$s'; log: $(tail -n 5 "$work/slurm-$a_scan.out" | tr '\n' ' ')"
ok=1; for c in "${a_cont[@]}"; do [ "$(final_state "$c")" = "CANCELLED 0:0" ] || ok=0; done
[ $ok = 1 ] && pass "A: unneeded continuations ${a_cont[*]} cancelled by the completing job" ||
  fail "A: continuations" "states: $(for c in "${a_cont[@]}"; do echo -n "$c=$(final_state "$c") "; done)"
s=$(final_state "$a_red"); [ "$s" = "COMPLETED 0:0" ] && pass "A: reducer $a_red COMPLETED 0:0" ||
  fail "A: reducer state" "job $a_red: '$s'; log: $(tail -n 5 "$work/slurm-$a_red.out" | tr '\n' ' ')"
msg=$(check_cube "$work/a.h5" 2) && pass "A: cube complete: $msg" || fail "A: cube" "$msg"
msg=$(check_csv "$work/a_limits.csv") && pass "A: CSV: $msg" || fail "A: CSV" "$msg"
n=$(find "$work/a_plots" -type f -size +0 2>/dev/null | wc -l)
[ "$n" -ge 1 ] && pass "A: $n plot file(s) in a_plots/" || fail "A: plots" "no non-empty file in $work/a_plots"

# --- B: preempted twice, resumed by continuations -----------------------------------------------------------
t0=$SECONDS
submit "$work/submit_b.txt" "$config" --ntasks 2 --time 5:00 --max-continuations 2 --output "$work/b.h5" ||
  { fail "B: slurm/submit" "$(tail -n 3 "$work/submit_b.txt" | tr '\n' ' ')"; exit 1; }
b_scan=$(field scan "$work/submit_b.txt"); read -r -a b_cont <<<"$(field continuations "$work/submit_b.txt")"
b_red=$(field reduce "$work/submit_b.txt")
if wait_mid_run "$b_scan" "$work/b.h5" 0 40; then
  scancel --signal=USR1 "$b_scan"
  wait_jobs 30 "$b_scan"
  s=$(final_state "$b_scan")
  if [ "$s" = "FAILED 75:0" ] && grep -q 'stopped early' "$work/slurm-$b_scan.out"; then
    pass "B: scancel --signal=USR1 mid-run: job $b_scan stopped resumable after $(units_done "$work/b.h5") of $(expected_units) units (exit 75 -> continuation)"
  else
    fail "B: stop on USR1" "job $b_scan: '$s'; log: $(tail -n 5 "$work/slurm-$b_scan.out" | tr '\n' ' ')"
  fi
else
  fail "B: stop on USR1" "job $b_scan never ran mid-scan (state '$(final_state "$b_scan")', $(units_done "$work/b.h5") units)"
fi
c1=${b_cont[0]}
if wait_mid_run "$c1" "$work/b.h5" "$(units_done "$work/b.h5")" 40 && [ "$(units_done "$work/b.h5")" -lt "$(expected_units)" ]; then
  scancel -b --signal=USR1 "$c1"
  wait_jobs 30 "$c1"
  s=$(final_state "$c1")
  if [ "$s" = "FAILED 75:0" ] && grep -q 'SIGUSR1 received' "$work/slurm-$c1.out"; then
    pass "B: scancel -b --signal=USR1 (batch shell, as at the time limit): forwarded, continuation $c1 stopped resumable"
  else
    fail "B: batch-shell USR1" "job $c1: '$s'; log: $(tail -n 5 "$work/slurm-$c1.out" | tr '\n' ' ')"
  fi
else
  fail "B: batch-shell USR1" "continuation $c1 did not run mid-scan (state '$(final_state "$c1")')"
fi
if wait_jobs 60 "$b_scan" "${b_cont[@]}" "$b_red"; then
  pass "B: chain finished in $((SECONDS - t0)) s"
else
  fail "B: chain finished" "jobs still queued: $(squeue -h -o '%i %T %r' | tr '\n' ';')"; exit 1
fi
s="$(final_state "${b_cont[1]}") / $(final_state "$b_red")"
[ "$s" = "COMPLETED 0:0 / COMPLETED 0:0" ] && pass "B: second continuation ${b_cont[1]} completed the scan, reducer ran" ||
  fail "B: final jobs" "continuation ${b_cont[1]} / reducer $b_red: $s"
msg=$(check_cube "$work/b.h5" 2) && pass "B: cube complete: $msg" || fail "B: cube" "$msg"
if h5diff -q "$work/a.h5" "$work/b.h5" /chi2 /chi2 >/dev/null 2>&1 &&
   h5diff -q "$work/a.h5" "$work/b.h5" /limits /limits >/dev/null 2>&1; then
  pass "B: /chi2 and /limits of the preempted run equal the uninterrupted run (h5diff, exact)"
else
  fail "B: cube equality" "$(h5diff -r "$work/a.h5" "$work/b.h5" /limits /limits 2>&1 | head -n 5 | tr '\n' ' ')"
fi
if cmp -s "$work/a_limits.csv" "$work/b_limits.csv"; then
  pass "B: CSV of the preempted run is byte-identical to the uninterrupted run's"
else
  fail "B: CSV equality" "$(diff "$work/a_limits.csv" "$work/b_limits.csv" | head -n 4 | tr '\n' ' ')"
fi

# --- F: a broken configuration neither starts a chain nor loops; a scan that fails runs once -------------------
broken=$work/broken.yaml
write_scan_config "$broken"; echo "no_such_key: 1" >> "$broken"
if ! submit "$work/submit_f1.txt" "$broken" --ntasks 2 --time 5:00 --output "$work/f.h5" &&
   grep -q "nothing submitted" "$work/submit_f1.txt" && [ -z "$(squeue -h)" ]; then
  pass "F: slurm/submit refuses a broken config before queueing anything"
else
  fail "F: submit check" "$(tail -n 3 "$work/submit_f1.txt" | tr '\n' ' ')"
fi
# A scan that fails only once it runs (submit's dry run cannot see it): the output path holds a file that
# is not a dipscan cube, which `dipscan scan` refuses to touch.
echo "not a cube" > "$work/f_taken.h5"
submit "$work/submit_f2.txt" "$config" --ntasks 2 --time 5:00 --output "$work/f_taken.h5" --max-continuations 3 --rate 100000
f_scan=$(field scan "$work/submit_f2.txt"); read -r -a f_cont <<<"$(field continuations "$work/submit_f2.txt")"
f_red=$(field reduce "$work/submit_f2.txt")
if [ -n "$f_scan" ] && wait_jobs 30 "$f_scan" "${f_cont[@]}" "$f_red"; then
  s="$(final_state "$f_scan" | cut -d' ' -f1):"
  for j in "${f_cont[@]}" "$f_red"; do s="$s $(final_state "$j" | cut -d' ' -f1)"; done
  [ "$s" = "FAILED: CANCELLED CANCELLED CANCELLED CANCELLED" ] &&
    pass "F: a scan that fails when it runs: one FAILED scan job, its 3 continuations and reducer cancelled" ||
    fail "F: chain of a broken config" "states: $s"
else
  fail "F: chain of a broken config" "not finished: $(squeue -h -o '%i %T %r' | tr '\n' ';')"
fi

# --- G: a stop grace as long as the time limit is refused before queueing anything (issue 13, item 8) --------
if ! submit "$work/submit_g.txt" "$config" --ntasks 2 --time 00:01:00 --output "$work/g.h5" &&
   grep -q "is not well below --time 00:01:00.*nothing submitted" "$work/submit_g.txt" && [ -z "$(squeue -h)" ]; then
  pass "G: --time 00:01:00 with the default 120-s stop grace is refused, nothing queued"
else
  fail "G: grace vs --time" "$(tail -n 3 "$work/submit_g.txt" | tr '\n' ' '); queue: $(squeue -h | tr '\n' ';')"
fi

# --- teardown ------------------------------------------------------------------------------------------------
teardown_check
