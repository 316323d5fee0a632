#!/usr/bin/env bash
# reduce_safety.sh — `dipscan limits` on a kill and on repetition (issue 13, item 5), on the demo cube
# (1440 units).  Ten reductions must not grow the cube without bound (/limits_reduced is rewritten in
# place: the previous reduction is kept as /limits_reduced.spare and its space reused), and a reducer
# killed with -9 between writing its CSV and renaming it (held there by an LD_PRELOAD shim that
# sleeps in rename(2), so the kill lands there every time) leaves at most CSV.tmp, which the next
# run reuses: no CSV.tmp<PID> files pile up, and the CSV equals the uninterrupted one.
SUITE=reduce-safety
. "$(dirname "$0")/scan_lib.sh"
[ -d "$DIPSCAN_ROOT/data/experiments" ] || { skip "reducer safety" "no data/experiments"; exit 0; }
cube=$W/d.h5 csv=$W/d.csv
mpirun -np 2 "$DIPSCAN_BIN" scan "$DIPSCAN_ROOT/scans/demo.yaml" --output "$cube" >"$W/scan.log" 2>&1 ||
  { ko "demo scan" "$(tail -n 2 "$W/scan.log")"; exit 0; }

# 1. ten reductions: the file grows at most once (the second copy), then not at all
group_digest() { /usr/bin/python3 -c "import h5py, hashlib; g = h5py.File('$cube', 'r')['limits_reduced']
print(hashlib.sha256(b''.join(g[k][...].tobytes() for k in sorted(g))).hexdigest())"; }
sizes=""
for i in $(seq 10); do
  "$DIPSCAN_BIN" limits "$cube" --csv "$csv" >"$W/l.log" 2>&1 || ko "reduction $i" "$(tail -n 1 "$W/l.log")"
  sizes="$sizes $(stat -c %s "$cube")"
  [ $i = 1 ] && first=$(group_digest)
done
set -- $sizes
check "10 reductions: the cube stops growing after the 2nd (bytes:$sizes)" "[ $2 = ${10} ]"
echo "# cube size after reductions 1, 2, 10: $1 $2 ${10} bytes"
cp "$csv" "$W/ref.csv"
check "/limits_reduced after 10 rewrites in place holds exactly the first reduction's datasets" \
  '[ "$(group_digest)" = "$first" ]'

# 2. kill -9 while the CSV is written but not yet renamed
cat >"$W/slow_rename.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <string.h>
#include <unistd.h>
int rename(const char *from, const char *to) {
  int (*real)(const char *, const char *) = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
  size_t n = strlen(to);
  if (n > 4 && !strcmp(to + n - 4, ".csv"))
    sleep(30);
  return real(from, to);
}
C
gcc -shared -fPIC -o "$W/slow_rename.so" "$W/slow_rename.c" -ldl || { skip "kill during the CSV" "no gcc"; exit 0; }
preload=$W/slow_rename.so   # a sanitizer build needs its runtime first in LD_PRELOAD
asan=$(ldd "$DIPSCAN_BIN" 2>/dev/null | awk '/libasan/ {print $3}')
[ -n "$asan" ] && preload="$asan $preload"
rm -f "$csv"
killed=0
for i in 1 2 3; do
  LD_PRELOAD=$preload "$DIPSCAN_BIN" limits "$cube" --csv "$csv" --no-write >/dev/null 2>&1 & pid=$!
  for _ in $(seq 100); do ls "$csv".tmp* >/dev/null 2>&1 && break; sleep 0.05; done
  sleep 0.2
  kill -0 $pid 2>/dev/null && [ ! -e "$csv" ] && killed=$((killed + 1))
  kill -9 $pid; wait $pid 2>/dev/null
done
left=$(ls "$csv".tmp* 2>/dev/null | wc -l)
check "3 reducers killed between writing and renaming their CSV" "[ $killed -eq 3 ]" "$killed"
check "at most one temporary CSV left behind ($left)" "[ $left -le 1 ]" "$(ls "$csv".tmp*)"
"$DIPSCAN_BIN" limits "$cube" --csv "$csv" --no-write >"$W/l.log" 2>&1; rc=$?
check "a rerun reuses it: CSV equal to the uninterrupted one, no temporary file left" \
  "[ $rc -eq 0 ] && cmp -s '$csv' '$W/ref.csv' && [ \$(ls '$csv'.tmp* 2>/dev/null | wc -l) = 0 ]" \
  "rc $rc, left: $(ls "$csv".tmp* 2>/dev/null)"
