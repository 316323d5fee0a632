#!/usr/bin/env bash
# scan_crash.sh — the real `dipscan scan` (dipole evaluator, scans/demo.yaml: 1440 units) killed
# with kill -9 at random moments, resumed until complete: every dataset and root attribute of the
# cube (tests/regression/cube_fingerprint.py, /units/nuisances_best included) equals an
# uninterrupted run's, and the journal holds exactly one record per unit (issue 13, item 2).
SUITE=scan-crash
. "$(dirname "$0")/scan_lib.sh"
FP="$DIPSCAN_ROOT/tests/regression/cube_fingerprint.py"
CFG="$DIPSCAN_ROOT/scans/demo.yaml"
[ -d "$DIPSCAN_ROOT/data/experiments" ] || { skip "real crash test" "no data/experiments"; exit 0; }
mpirun -np 2 "$DIPSCAN_BIN" scan "$CFG" --output "$W/ref.h5" >"$W/ref.log" 2>&1
ref=$(/usr/bin/python3 "$FP" "$W/ref.h5")
out=$W/c.h5 kills=0 runs=0 complete=0 mid=0
while [ $runs -lt 10 ] && [ $complete -eq 0 ]; do
  runs=$((runs + 1))
  mpirun -np 2 "$DIPSCAN_BIN" scan "$CFG" --output "$out" >>"$W/c.log" 2>&1 & pid=$!
  if [ $kills -lt 3 ]; then
    # Wait for the first journaled units (start-up and the analysis take ~1 s; the ranks write
    # their buffered units every ~0.25 s), then kill at a random moment of the next ~0.5 s.
    for _ in $(seq 200); do [ -s "$out.journal" ] && break; kill -0 $pid 2>/dev/null || break; sleep 0.05; done
    sleep "0.$((RANDOM % 5))"
    n0=$(journal_units "$out.journal" 2>/dev/null | wc -l)
    if kill -0 $pid 2>/dev/null; then
      kill -9 $(pgrep -P $pid) $pid 2>/dev/null; wait $pid 2>/dev/null; kills=$((kills + 1))
      [ "$n0" -gt 0 ] && [ "$n0" -lt 1440 ] && mid=$((mid + 1))
      continue
    fi
  fi
  wait $pid && complete=1
done
check "the scan completed after $kills kill -9 and $runs runs" "[ $complete -eq 1 ] && [ $kills -ge 2 ]" \
  "$(tail -n 3 "$W/c.log")"
check "kills landed mid-run (units journaled but not all): $mid" "[ $mid -ge 1 ]"
all=$(/usr/bin/python3 "$FP" "$out")
check "every dataset and attribute equals the uninterrupted run's ($(echo "$ref" | grep -c '^dataset') datasets)" \
  '[ "$all" = "$ref" ]' "$(diff <(echo "$ref") <(echo "$all") | head -5)"
check "journal holds exactly one record per unit" \
  "[ \"\$(journal_units '$out.journal' | sort -n | uniq | wc -l)\" = 1440 ] && [ \"\$(journal_units '$out.journal' | wc -l)\" = 1440 ]"
grep -h 'resumed' "$W/c.log" | sed 's/^/# /'
