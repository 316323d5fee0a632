#!/usr/bin/env bash
# scan_kill.sh — kill -9 at random moments, then resume, until the scan completes: the final cube
# equals an uninterrupted run bit for bit (every dataset, cube_fingerprint.py); no unit recorded before a kill is evaluated again (the
# evaluator logs every unit it computes); the journal ends with exactly one record per unit.
SUITE=scan-kill
. "$(dirname "$0")/scan_lib.sh"
COST=25   # ms per unit: 96 units on 2 ranks take ~1.4 s, so kills land mid-run

mpirun -np 2 "$DRIVER" --drive "$SMALL" --output "$W/ref.h5" --cost-ms $COST >"$W/ref.log" 2>&1
ref=$(digest "$W/ref.h5")
FP="$DIPSCAN_ROOT/tests/regression/cube_fingerprint.py"   # every dataset and root attribute
ref_all=$(/usr/bin/python3 "$FP" "$W/ref.h5")

out=$W/k.h5 jr=$W/k.h5.journal
kills=0 twice=0 runs=0 complete=0
while [ $runs -lt 8 ] && [ $complete -eq 0 ]; do
  runs=$((runs + 1))
  # units whose records are already in the journal (whole records only) must not be evaluated again
  if [ -f "$jr" ]; then journal_units "$jr" | awk 'NF' | sort >"$W/before"; else : >"$W/before"; fi
  : >"$W/evals"
  mpirun -np 2 "$DRIVER" --drive "$SMALL" --output "$out" --cost-ms $COST --log-units "$W/evals" \
    >>"$W/k.log" 2>&1 &
  pid=$!
  # wait for the first evaluation (MPI start-up varies), then kill after a random 0 .. 0.5 s
  for _ in $(seq 100); do [ -s "$W/evals" ] || ! kill -0 $pid 2>/dev/null && break; sleep 0.05; done
  sleep "0.$((RANDOM % 5))"
  if [ $runs -le 4 ] && kill -0 $pid 2>/dev/null; then   # kill the first four runs, let the 5th finish
    kids=$(pgrep -P $pid)
    kill -9 $kids $pid 2>/dev/null
    wait $pid 2>/dev/null
    kills=$((kills + 1))
  else
    wait $pid && complete=1
  fi
  # the torn last record (if any) of a killed run is not "recorded": compare whole records only
  n=$(sort "$W/evals" | comm -12 - "$W/before" | wc -l)
  twice=$((twice + n))
done
check "the scan completed after resumes ($runs runs)" "[ $complete -eq 1 ]" "$(tail -n 3 "$W/k.log")"
check "at least 3 kill -9 landed mid-run" "[ $kills -ge 3 ]" "$kills kills"
check "no unit recorded before a kill was evaluated again" "[ $twice -eq 0 ]" "$twice re-evaluations"
d=$(digest "$out")
check "resumed cube bitwise identical to the uninterrupted run" '[ "$d" = "$ref" ]' "$d vs $ref"
all=$(/usr/bin/python3 "$FP" "$out")
check "every dataset and attribute of the resumed cube equals the uninterrupted run's ($(echo "$ref_all" | grep -c '^dataset') datasets)" \
  '[ "$all" = "$ref_all" ]' "$(diff <(echo "$ref_all") <(echo "$all") | head -5)"
check "journal holds exactly one record per unit" \
  "[ \"\$(journal_units '$jr' | sort -n | uniq | wc -l)\" = 96 ] && [ \"\$(journal_units '$jr' | wc -l)\" = 96 ]"
echo "# $runs runs, $kills kills"
