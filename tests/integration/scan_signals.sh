#!/usr/bin/env bash
# scan_signals.sh — graceful stop and the refusal paths, with the synthetic evaluator:
# SIGTERM to the ranks (what Slurm does) and SIGUSR1 to mpirun (forwarded) stop with exit 0 and a
# resumable file; a second signal aborts quickly; resume then completes to the uninterrupted
# result; a different configuration is refused naming the key; --restart starts over; an error on
# one rank ends the job with the message and no hang.  With the real binary (when the data cards
# exist): a bad card name gives one error message and exit 1.
SUITE=scan-signals
. "$(dirname "$0")/scan_lib.sh"
out=$W/s.h5

mpirun -np 2 "$DRIVER" --drive "$SMALL" --output "$W/ref.h5" >"$W/ref.log" 2>&1
ref=$(digest "$W/ref.h5")

start_scan() {  # cost_ms -> $pid; waits until units are being evaluated
  : >"$W/evals"
  mpirun -np 2 "$DRIVER" --drive "$SMALL" --output "$out" --cost-ms "$1" --log-units "$W/evals" \
    >"$W/run.log" 2>&1 &
  pid=$!
  for _ in $(seq 200); do [ -s "$W/evals" ] && break; sleep 0.05; done
}

# 1. SIGTERM to every rank mid-run
start_scan 25; sleep 0.3
kill -TERM $(pgrep -P $pid) 2>/dev/null; wait $pid; rc=$?
check "SIGTERM to the ranks: exit 0" "[ $rc -eq 0 ]" "rc $rc: $(tail -n 2 "$W/run.log")"
check "SIGTERM: says stopped and resumable" "grep -q 'stopped, resumable' '$W/run.log'"
check "SIGTERM: status attribute 'stopped'" "h5dump -a status '$out' | grep -q '\"stopped\"'"
mpirun -np 2 "$DRIVER" --drive "$SMALL" --output "$out" >"$W/run.log" 2>&1
check "resume after SIGTERM completes" "grep -q '; complete' '$W/run.log' && ! grep -q ' 0 before' '$W/run.log'"
check "resume after SIGTERM equals the uninterrupted run bitwise" '[ "$(digest "$out")" = "$ref" ]'

# 2. SIGUSR1 to mpirun (forwarded to the ranks)
rm -f "$out" "$out.journal"
start_scan 25; sleep 0.3
kill -USR1 $pid; wait $pid; rc=$?
check "SIGUSR1 to mpirun: exit 0, resumable" "[ $rc -eq 0 ] && grep -q 'stopped, resumable' '$W/run.log'" "rc $rc"

# 3. a second signal aborts at once: units of 2 s, so a graceful stop would take seconds; the
#    ranks must be gone within 0.5 s (mpirun itself then needs ~1 s to tear the job down)
start_scan 2000
kids=$(pgrep -P $pid)
kill -TERM $kids 2>/dev/null; sleep 0.05; kill -TERM $kids 2>/dev/null
t0=$(date +%s%N)
running() { local st; st=$(ps -o stat= -p "$1" 2>/dev/null); [ -n "$st" ] && [ "${st#Z}" = "$st" ]; }
for _ in $(seq 100); do alive=0; for k in $kids; do running $k && alive=1; done
  [ $alive -eq 0 ] && break; sleep 0.01; done
dt=$(( ($(date +%s%N) - t0) / 1000000 )); wait $pid; rc=$?
check "second signal aborts at once (ranks gone in < 500 ms, rc != 0)" "[ $alive -eq 0 ] && [ $dt -lt 500 ] && [ $rc -ne 0 ]" "rc $rc, ranks alive $alive after $dt ms"
mpirun -np 2 "$DRIVER" --drive "$SMALL" --output "$out" >"$W/run.log" 2>&1
check "resume after an abort equals the uninterrupted run bitwise" '[ "$(digest "$out")" = "$ref" ]'

# 4. mismatched configuration, then --restart
mpirun -np 2 "$DRIVER" --drive "$DIPSCAN_ROOT/tests/data/scan_small_cl95.yaml" --output "$out" \
  >"$W/run.log" 2>&1; rc=$?
check "a different configuration is refused (exit 1)" "[ $rc -eq 1 ]" "rc $rc"
check "the refusal names the differing key, once" \
  "[ \"\$(grep -c 'statistics.cl: 0.9 (existing output) vs 0.95 (this configuration)' '$W/run.log')\" = 1 ]" \
  "$(cat "$W/run.log")"
mpirun -np 2 "$DRIVER" --drive "$DIPSCAN_ROOT/tests/data/scan_small_cl95.yaml" --output "$out" \
  --restart >"$W/run.log" 2>&1; rc=$?
check "--restart starts over (all 96 units computed)" \
  "[ $rc -eq 0 ] && grep -q '96 units computed, 0 before' '$W/run.log'" "$(tail -n 1 "$W/run.log")"

# 5. an error inside the work loop on some rank: message and clean abort, no hang
timeout 30 mpirun -np 3 "$DRIVER" --drive "$SMALL" --output "$W/fail.h5" --fail >"$W/run.log" 2>&1
rc=$?
check "an evaluator error ends the job (rc != 0, no hang)" "[ $rc -ne 0 ] && [ $rc -ne 124 ]" "rc $rc"
check "the error names the unit and the cause" "grep -q 'unit (.*synthetic failure' '$W/run.log'"

# 6. the real binary: a bad card is one message and exit 1 on every rank
if [ -d "$DIPSCAN_ROOT/data/experiments" ]; then
  printf 'experiments: [no_such_card]\nm4: {values: [0.01]}\nmu: {values: [1.0e-11]}\n' >"$W/bad.yaml"
  timeout 60 mpirun -np 2 "$DIPSCAN_BIN" scan "$W/bad.yaml" --output "$W/bad.h5" >"$W/run.log" 2>&1
  rc=$?
  check "dipscan scan with a bad card: exit 1" "[ $rc -eq 1 ]" "rc $rc"
  check "dipscan scan with a bad card: exactly one error line" \
    "[ \"\$(grep -c 'dipscan scan: error' '$W/run.log')\" = 1 ]" "$(cat "$W/run.log")"
else
  skip "dipscan scan with a bad card" "data/experiments not present yet"
fi
