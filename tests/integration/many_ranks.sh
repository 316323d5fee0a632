#!/usr/bin/env bash
# many_ranks.sh — the scan engine with 16 ranks oversubscribed on this machine (synthetic evaluator,
# tests/unit/test_scan.c --drive; 288 units of 40 mu): it finishes without deadlock and writes a
# cube bitwise identical to a 1-rank run, with every unit journaled exactly once and the work
# spread over the ranks; a SIGUSR1 to mpirun mid-run stops it gracefully (exit 0, resumable, part
# of the units journaled) and a 16-rank resume completes it to the same bitwise cube.
SUITE=many-ranks
. "$(dirname "$0")/scan_lib.sh"
RANKS=16 UNITS=288
cfg=$W/many.yaml
sed -e 's/^m4: .*/m4: {from: 0.001, to: 0.6, points: 48, spacing: log}/' -e 's/^name: .*/name: many/' \
  "$SMALL" >"$cfg"
journal_ranks() {  # distinct ranks (i32 at offset 40) of the journal's whole records
  /usr/bin/python3 -c "
import struct, sys
b = open(sys.argv[1], 'rb').read(); n = $(journal_record_size "$1")
print(len({struct.unpack_from('<i', b, i * n + 40)[0] for i in range(len(b) // n)}))" "$1"
}
one_record_per_unit() {  # FILE: UNITS records, UNITS distinct units
  [ "$(journal_units "$1" | wc -l)" = $UNITS ] && [ "$(journal_units "$1" | sort -n | uniq | wc -l)" = $UNITS ]
}

mpirun -np 1 "$DRIVER" --drive "$cfg" --output "$W/ref.h5" >"$W/ref.log" 2>&1
ref=$(digest "$W/ref.h5")
check "1-rank reference completes" "grep -q '$UNITS units computed, 0 before.*complete' '$W/ref.log'" \
  "$(tail -n 2 "$W/ref.log")"

# 1. a full run on 16 ranks (2 ms per unit: every rank gets work)
timeout 60 mpirun -np $RANKS "$DRIVER" --drive "$cfg" --output "$W/a.h5" --cost-ms 2 >"$W/a.log" 2>&1
rc=$?
check "$RANKS ranks: finishes, no deadlock (exit 0 within 60 s)" "[ $rc -eq 0 ]" "rc $rc: $(tail -n 2 "$W/a.log")"
check "$RANKS ranks: cube bitwise identical to 1 rank" '[ "$(digest "$W/a.h5")" = "$ref" ]'
check "$RANKS ranks: every unit journaled exactly once" "one_record_per_unit '$W/a.h5.journal'"
spread=$(journal_ranks "$W/a.h5.journal")
check "$RANKS ranks: the units were computed by $spread ranks (>= 8)" "[ ${spread:-0} -ge 8 ]"

# 2. SIGUSR1 to mpirun mid-run (20 ms per unit: ~3 s of work on 2 cores), then a 16-rank resume
out=$W/s.h5
: >"$W/evals"
mpirun -np $RANKS "$DRIVER" --drive "$cfg" --output "$out" --cost-ms 20 --log-units "$W/evals" \
  >"$W/s.log" 2>&1 &
pid=$!
(sleep 60; kill -9 $pid) >/dev/null 2>&1 & watchdog=$!  # a deadlock fails the test, never hangs it
for _ in $(seq 400); do [ -s "$out.journal" ] && break; sleep 0.05; done
sleep 0.2
kill -USR1 $pid; wait $pid; rc=$?
kill $watchdog 2>/dev/null
n_stop=$(journal_units "$out.journal" | wc -l)
check "SIGUSR1 on $RANKS ranks: exit 0, stopped and resumable" \
  "[ $rc -eq 0 ] && grep -q 'stopped, resumable' '$W/s.log'" "rc $rc: $(tail -n 2 "$W/s.log")"
check "SIGUSR1 landed mid-run: $n_stop of $UNITS units journaled" "[ $n_stop -gt 0 ] && [ $n_stop -lt $UNITS ]"
timeout 60 mpirun -np $RANKS "$DRIVER" --drive "$cfg" --output "$out" >"$W/r.log" 2>&1; rc=$?
check "resume on $RANKS ranks completes the rest ($((UNITS - n_stop)) units)" \
  "[ $rc -eq 0 ] && grep -q '$((UNITS - n_stop)) units computed, $n_stop before.*complete' '$W/r.log'" \
  "rc $rc: $(tail -n 2 "$W/r.log")"
check "stop + resume: cube bitwise identical to 1 rank" '[ "$(digest "$out")" = "$ref" ]'
check "stop + resume: every unit journaled exactly once" "one_record_per_unit '$out.journal'"
