#!/usr/bin/env bash
# resume_memory.sh — rank 0's memory when it resumes a finished cube grows by ~10 bytes per unit, not
# by a journal record plus every journaled value per unit (issue 13, item 9): the journal is replayed
# in chunks (engine/cube.c).  Two finished synthetic cubes of 2000 and 20000 units (2 mu points) are
# resumed on one rank; the peak RSS (/usr/bin/time) may differ by at most 2 MB (100 B per extra
# unit; before: ~250 B per unit with the synthetic schema, ~650 B with the dipole one — 91 MB to
# resume a finished 1e5-unit dipole cube, 27.6 MB now; see README "Outputs").
SUITE=resume-memory
. "$(dirname "$0")/scan_lib.sh"
[ -x /usr/bin/time ] || { skip "resume memory" "no /usr/bin/time"; exit 0; }
if ldd "$DRIVER" 2>/dev/null | grep -q libasan; then   # its shadow memory and quarantine dominate
  skip "resume memory" "sanitizer build: RSS is measured in the normal build"; exit 0
fi
rss() {  # M4_POINTS -> peak RSS [KiB] of a resume of the finished cube
  printf 'experiments: [xenonnt_sr0]\nflavors: [universal, e, mu, tau]\nm4: {from: 20, to: 100, points: %s, spacing: linear}\nmu: {values: [1.0e-11, 1.0e-10]}\n' \
    "$1" >"$W/m$1.yaml"
  mpirun -np 2 "$DRIVER" --drive "$W/m$1.yaml" --output "$W/m$1.h5" >"$W/m$1.log" 2>&1 || return 1
  mpirun -np 1 /usr/bin/time -f "maxrss %M" "$DRIVER" --drive "$W/m$1.yaml" --output "$W/m$1.h5" \
    >"$W/r$1.log" 2>&1 || return 1
  grep -q "0 units computed, $(( $1 * 4 )) before" "$W/r$1.log" && sed -n 's/^maxrss //p' "$W/r$1.log"
}
small=$(rss 500) big=$(rss 5000)
check "both finished cubes resumed (2000 and 20000 units)" "[ -n '$small' ] && [ -n '$big' ]" \
  "$(tail -n 2 "$W/r500.log" "$W/r5000.log")"
d=$(( ${big:-0} - ${small:-0} ))
check "peak RSS on resume: 2000 units $small KiB, 20000 units $big KiB: +$d KiB for 18000 units (< 2048)" \
  "[ $d -lt 2048 ]"
