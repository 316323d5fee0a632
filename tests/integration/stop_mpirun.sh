#!/usr/bin/env bash
# stop_mpirun.sh — what each stop signal does under plain `mpirun` (Open MPI 4), measured with the
# synthetic evaluator; the README table ("Stopping a scan") quotes these cases (issue 13, item 7).
#   SIGUSR1 to mpirun: forwarded to every rank at once -> graceful stop after the unit in flight,
#     exit 0, status "stopped".
#   SIGTERM (or SIGINT, Ctrl-C) to mpirun: mpirun sends the ranks SIGCONT, then SIGTERM after
#     odls_base_sigkill_timeout (1 s), then SIGKILL 1 s later, and exits 1 after ~2 s.  Units that end
#     within that second are journaled and the cube is marked "stopped"; a unit longer than that is
#     lost and the status stays "running".  Either way the cube resumes to the uninterrupted result.
SUITE=stop-mpirun
. "$(dirname "$0")/scan_lib.sh"
FP="$DIPSCAN_ROOT/tests/regression/cube_fingerprint.py"
mpirun -np 2 "$DRIVER" --drive "$SMALL" --output "$W/ref.h5" >"$W/ref.log" 2>&1
ref=$(/usr/bin/python3 "$FP" "$W/ref.h5")
out=$W/s.h5
status_of() { /usr/bin/python3 -c "import h5py; print(h5py.File('$out', 'r').attrs['status'].decode())" 2>/dev/null; }
# stop SIGNAL COST_MS -> rc, dt (ms from the signal to mpirun's exit), st (cube status)
stop() {
  rm -f "$out" "$out.journal"; : >"$W/evals"
  mpirun -np 2 "$DRIVER" --drive "$SMALL" --output "$out" --cost-ms "$2" --log-units "$W/evals" \
    >"$W/run.log" 2>&1 & local pid=$!
  for _ in $(seq 200); do [ -s "$W/evals" ] && break; sleep 0.05; done
  sleep 0.3
  local t0; t0=$(date +%s%N)
  kill -"$1" $pid; wait $pid; rc=$?
  dt=$(( ($(date +%s%N) - t0) / 1000000 )); st=$(status_of)
  echo "# SIGNAL $1 to mpirun, units of $2 ms: exit $rc after $dt ms, status '$st', $(grep -c . "$W/evals") units evaluated"
}
resumes() {
  mpirun -np 2 "$DRIVER" --drive "$SMALL" --output "$out" >"$W/run.log" 2>&1 &&
    [ "$(/usr/bin/python3 "$FP" "$out")" = "$ref" ]
}

stop USR1 300
check "SIGUSR1 to mpirun: graceful (exit 0, status stopped) within one unit + 1 s ($dt ms)" \
  "[ $rc -eq 0 ] && [ '$st' = stopped ] && [ $dt -lt 1300 ] && grep -q 'stopped, resumable' '$W/run.log'" "rc $rc, status $st"
stop TERM 100
check "SIGTERM to mpirun, 100-ms units: the ranks stop in the 1-s window (status stopped), mpirun exits 1 after ~2 s ($dt ms)" \
  "[ $rc -eq 1 ] && [ '$st' = stopped ] && grep -q 'stopped, resumable' '$W/run.log' && [ $dt -ge 1500 ] && [ $dt -lt 4000 ]" \
  "rc $rc, status $st"
check "... and the cube resumes to the uninterrupted result" resumes
stop TERM 3000
check "SIGTERM to mpirun, 3-s units: SIGKILL before the unit ends (exit 1 after ~2 s, status running) ($dt ms)" \
  "[ $rc -eq 1 ] && [ '$st' = running ] && [ $dt -lt 4000 ]" "rc $rc, status $st"
check "... and the cube resumes to the uninterrupted result" resumes
