#!/usr/bin/env bash
# scan_lock.sh — one writer per cube (issue 13, item 1), with the synthetic evaluator.
# Two runs started together, a run started 1–5 s into another, --restart while a run holds the
# output, and a new run started while the ranks of a killed mpirun still live (Open MPI gives each
# rank its own process group): the second run refuses at once with "OUTPUT is in use by a running
# scan (pid P on host H)", exit 1, and the cube ends bitwise equal (every dataset, see
# tests/regression/cube_fingerprint.py) to an uninterrupted run with one journal record per unit.
SUITE=scan-lock
. "$(dirname "$0")/scan_lib.sh"
FP="$DIPSCAN_ROOT/tests/regression/cube_fingerprint.py"
out=$W/l.h5
mpirun -np 2 "$DRIVER" --drive "$SMALL" --output "$W/ref.h5" >"$W/ref.log" 2>&1
ref=$(/usr/bin/python3 "$FP" "$W/ref.h5")
same_as_ref() { [ "$(/usr/bin/python3 "$FP" "$out")" = "$ref" ] &&
  [ "$(journal_units "$out.journal" | sort -n | uniq | wc -l)" = 96 ] &&
  [ "$(journal_units "$out.journal" | wc -l)" = 96 ]; }
ms() { echo $(( $(date +%s%N) / 1000000 )); }
refused() { grep -q "$out is in use by a running scan (pid [1-9][0-9]* on host $(hostname))" "$1"; }

# 1. double start: two runs launched together; exactly one computes, the other refuses
mpirun -np 2 "$DRIVER" --drive "$SMALL" --output "$out" --cost-ms 40 >"$W/a.log" 2>&1 & a=$!
mpirun -np 2 "$DRIVER" --drive "$SMALL" --output "$out" --cost-ms 40 >"$W/b.log" 2>&1 & b=$!
wait $a; ra=$?; wait $b; rb=$?
if [ $ra -eq 0 ]; then win=$W/a.log lose=$W/b.log rl=$rb; else win=$W/b.log lose=$W/a.log rl=$ra; fi
check "double start: one run completes, the other exits 1" \
  "grep -q '; complete' '$win' && [ $rl -eq 1 ]" "rc $ra/$rb: $(tail -n 2 "$W/a.log" "$W/b.log")"
check "double start: the refusal names the holder (one line, pid and host)" \
  "refused '$lose' && [ \"\$(grep -c 'in use' '$lose')\" = 1 ]" "$(cat "$lose")"
check "double start: cube bitwise equal to an uninterrupted run, 96 journal records" same_as_ref

# 2. delayed start (1–5 s into a ~12 s run) and --restart while the lock is held
rm -f "$out" "$out.journal"
: >"$W/evals"
mpirun -np 2 "$DRIVER" --drive "$SMALL" --output "$out" --cost-ms 250 --log-units "$W/evals" \
  >"$W/a.log" 2>&1 & a=$!
for _ in $(seq 200); do [ -s "$W/evals" ] && break; sleep 0.05; done
delay=$((1 + RANDOM % 5)); sleep $delay
holder=$(cat "$out.lock")
t0=$(ms)
mpirun -np 2 "$DRIVER" --drive "$SMALL" --output "$out" >"$W/b.log" 2>&1; rb=$?
kill -0 $a 2>/dev/null; alive=$?
mpirun -np 2 "$DRIVER" --drive "$SMALL" --output "$out" --restart >"$W/c.log" 2>&1; rc=$?
dt=$(( $(ms) - t0 ))
wait $a; ra=$?
check "delayed start (${delay} s): refused with exit 1 while the first run was still running" \
  "[ $rb -eq 1 ] && refused '$W/b.log' && [ $alive -eq 0 ]" "rc $rb, first alive $alive: $(cat "$W/b.log")"
check "--restart while the lock is held: refused with exit 1" \
  "[ $rc -eq 1 ] && refused '$W/c.log'" "rc $rc: $(cat "$W/c.log")"
check "both refusals at once (2 launches in ${dt} ms < 8000)" "[ $dt -lt 8000 ]"
check "the refusal names the pid the lock file names ($holder)" \
  "grep -q 'scan (pid $(echo "$holder" | awk '{print $2}') on host' '$W/b.log'"
check "delayed start: the first run completes, cube bitwise equal to an uninterrupted run" \
  "[ $ra -eq 0 ] && same_as_ref" "rc $ra"

# 3. orphaned ranks: kill -9 mpirun's process group; its ranks (own process groups) live on for a
#    moment, and a new run must not start while any of them can still write
rm -f "$out" "$out.journal"
: >"$W/evals"
setsid mpirun -np 2 "$DRIVER" --drive "$SMALL" --output "$out" --cost-ms 150 \
  --log-units "$W/evals" >"$W/a.log" 2>&1 & a=$!
for _ in $(seq 200); do [ -s "$W/evals" ] && break; sleep 0.05; done
sleep 0.5
ranks=$(pgrep -P $a | tr '\n' ' ')
own_groups=1
for r in $ranks; do [ "$(ps -o pgid= -p $r | tr -d ' ')" != "$a" ] || own_groups=0; done
kill -9 -- -$a
wait $a 2>/dev/null
t0=$(ms)
mpirun -np 2 "$DRIVER" --drive "$SMALL" --output "$out" >"$W/b.log" 2>&1; rb=$?
orphans=0
for r in $ranks; do kill -0 $r 2>/dev/null && orphans=$((orphans + 1)); done
check "orphaned ranks: each rank in its own process group, and alive after mpirun's group died" \
  "[ -n '$ranks' ] && [ $own_groups -eq 1 ] && ( [ $orphans -gt 0 ] || refused '$W/b.log' )" \
  "ranks '$ranks', own groups $own_groups, orphans $orphans"
if refused "$W/b.log"; then
  check "orphaned ranks: a new run refuses (exit 1) while they live" "[ $rb -eq 1 ]" "rc $rb"
else
  check "orphaned ranks: a new run started only after they had gone" \
    "[ $orphans -eq 0 ]" "$orphans orphans alive, rc $rb: $(tail -n 2 "$W/b.log")"
fi
for _ in $(seq 100); do
  left=0; for r in $ranks; do kill -0 $r 2>/dev/null && left=1; done
  [ $left -eq 0 ] && break; sleep 0.1
done
for r in $ranks; do kill -0 $r 2>/dev/null && kill -9 -- -"$(ps -o pgid= -p $r | tr -d ' ')"; done
mpirun -np 2 "$DRIVER" --drive "$SMALL" --output "$out" >"$W/c.log" 2>&1; rc=$?
check "after the orphans are gone the lock is stale: resume completes, cube bitwise equal" \
  "[ $rc -eq 0 ] && grep -q '; complete' '$W/c.log' && same_as_ref" "rc $rc: $(tail -n 2 "$W/c.log")"
echo "# orphans alive when the new run started: $orphans (ranks: $ranks); b: $(tail -n 1 "$W/b.log")"
