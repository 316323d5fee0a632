#!/usr/bin/env bash
# restart_safety.sh — a scan deletes (`--restart`) or resumes only what it recognises, and names the
# real cause otherwise (issue 13, item 4): a text file, an HDF5 file that is not a cube, a foreign
# file in the journal's place, and a cube held open by h5py (HDF5's own file lock, so the HDF5
# locking of this test's environment is switched back on for those runs).  Nothing is changed in
# any refused case.  (Permission problems are named the same way — "Permission denied" — but CI runs
# as root, which bypasses file modes, so they are not exercised here.)
SUITE=restart-safety
. "$(dirname "$0")/scan_lib.sh"
FP="$DIPSCAN_ROOT/tests/regression/cube_fingerprint.py"
run() { mpirun -np 1 "$DRIVER" --drive "$SMALL" --output "$@" >"$W/run.log" 2>&1; }
unchanged() { [ "$(md5sum <"$1")" = "$2" ]; }

# 1. a text file: neither resumed nor deleted
echo "my notes" >"$W/notes.txt"; sum=$(md5sum <"$W/notes.txt")
run "$W/notes.txt"; rc=$?
check "resume onto a text file: exit 1, 'is not an HDF5 file', unchanged" \
  "[ $rc -eq 1 ] && grep -q 'notes.txt is not an HDF5 file; nothing was changed' '$W/run.log' && unchanged '$W/notes.txt' '$sum'" \
  "rc $rc: $(tail -n 1 "$W/run.log")"
run "$W/notes.txt" --restart; rc=$?
check "--restart onto a text file: refused, nothing deleted" \
  "[ $rc -eq 1 ] && grep -q 'is not an HDF5 file; --restart deletes only a dipscan cube.*nothing was deleted' '$W/run.log' && unchanged '$W/notes.txt' '$sum'" \
  "rc $rc: $(tail -n 1 "$W/run.log")"

# 2. an HDF5 file that is not a dipscan cube
/usr/bin/python3 -c "import h5py; h5py.File('$W/other.h5', 'w')['x'] = 1"; sum=$(md5sum <"$W/other.h5")
run "$W/other.h5" --restart; rc=$?
check "--restart onto a foreign HDF5 file: 'not a dipscan cube', nothing deleted" \
  "[ $rc -eq 1 ] && grep -q 'other.h5 is an HDF5 file but not a dipscan cube' '$W/run.log' && unchanged '$W/other.h5' '$sum'" \
  "rc $rc: $(tail -n 1 "$W/run.log")"

# 3. a foreign file where the journal would be
echo "not a journal" >"$W/j.h5.journal"; sum=$(md5sum <"$W/j.h5.journal")
run "$W/j.h5" --restart; rc=$?
check "--restart with a foreign file in the journal's place: refused, kept" \
  "[ $rc -eq 1 ] && grep -q 'j.h5.journal is not a dipscan journal' '$W/run.log' && unchanged '$W/j.h5.journal' '$sum'" \
  "rc $rc: $(tail -n 1 "$W/run.log")"

# 4. a cube held open by h5py (a notebook): named as locked, refused both ways, untouched
run "$W/c.h5"; fp=$(/usr/bin/python3 "$FP" "$W/c.h5"); jsum=$(md5sum <"$W/c.h5.journal")
env -u HDF5_USE_FILE_LOCKING /usr/bin/python3 -c "
import h5py, sys, time
f = h5py.File('$W/c.h5', 'r'); print('open', flush=True); time.sleep(60)" >"$W/py.log" 2>&1 & py=$!
for _ in $(seq 100); do grep -q open "$W/py.log" && break; sleep 0.05; done
HDF5_USE_FILE_LOCKING=TRUE run "$W/c.h5"; r1=$?; cp "$W/run.log" "$W/resume.log"
HDF5_USE_FILE_LOCKING=TRUE run "$W/c.h5" --restart; r2=$?
kill $py; wait $py 2>/dev/null
check "h5py holds the cube: resume refused, 'locked by another process'" \
  "[ $r1 -eq 1 ] && grep -q 'c.h5 is locked by another process (an HDF5 program such as h5py' '$W/resume.log'" \
  "rc $r1: $(tail -n 1 "$W/resume.log")"
check "h5py holds the cube: --restart refused, nothing deleted" \
  "[ $r2 -eq 1 ] && grep -q 'locked by another process.*nothing was deleted' '$W/run.log'" "rc $r2: $(tail -n 1 "$W/run.log")"
check "the held cube and its journal are untouched" \
  "[ \"\$(/usr/bin/python3 '$FP' '$W/c.h5')\" = \"\$fp\" ] && unchanged '$W/c.h5.journal' '$jsum'"
HDF5_USE_FILE_LOCKING=TRUE run "$W/c.h5"; rc=$?
check "once h5py closed it, the cube resumes (nothing left to do)" \
  "[ $rc -eq 0 ] && grep -q '0 units computed, 96 before' '$W/run.log'" "rc $rc: $(tail -n 1 "$W/run.log")"
run "$W/c.h5" --restart; rc=$?
check "--restart on a dipscan cube still starts it over" \
  "[ $rc -eq 0 ] && grep -q '96 units computed, 0 before' '$W/run.log'" "rc $rc: $(tail -n 1 "$W/run.log")"
