#!/usr/bin/env bash
# limits_cli.sh — `dipscan limits` end to end on a synthetic cube written by h5py (variable-length
# UTF-8 strings, two unfinished units): exit codes, stderr report, CSV round trip against the
# engine values stored in the cube, /limits_reduced, and the plot files (magic bytes).
set -u
bin=${DIPSCAN_BIN:-$(dirname "$0")/../../build/bin/dipscan}
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
S=limits_cli
if ! $py -c 'import h5py' 2>/dev/null; then echo "SKIP $S: all (python3-h5py not installed)"; exit 0; fi
if ! command -v gnuplot >/dev/null; then echo "SKIP $S: all (gnuplot not installed)"; exit 0; fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [ "$1" = 0 ]; then echo "PASS $S: $2"; else echo "FAIL $S: $2 (${3:-})"; fi; }

$py "$here/make_synthetic_cube.py" "$tmp/cube.h5"
"$bin" limits "$tmp/cube.h5" --plot "$tmp/plots" 2>"$tmp/err"; rc=$?
check $rc "exit 0 on a partly finished cube" "rc $rc: $(tail -1 "$tmp/err")"
grep -q "2 of 480 units not finished" "$tmp/err"; check $? "unfinished units reported" "$(cat "$tmp/err")"
grep -q "pandax4t_run1/tau: 2 of 40 m4 missing" "$tmp/err"; check $? "missing units listed"
grep -q "478 of 478 units" "$tmp/err"; check $? "engine 1-dof values agree within grid spacing"

$py - "$tmp/cube.h5" "$tmp/cube_limits.csv" >"$tmp/py" 2>&1 <<'PY'
import csv, math, sys
import h5py, numpy as np
h = h5py.File(sys.argv[1], "r")
ent = [s.decode() if isinstance(s, bytes) else s for s in h["experiment"][()]]
fl = [s.decode() if isinstance(s, bytes) else s for s in h["coupling"][()]]
m4 = h["m4"][()]; eng = h["limits/mu_1dof"][()]; red = h["limits_reduced/mu_1dof"][()]
rows = list(csv.reader(open(sys.argv[2])))
assert rows[0] == "experiment,coupling,m4_MeV,data,cl,dof,mu_limit_muB,status".split(","), rows[0]
n1 = 0
for r in rows[1:]:
    e, f, m = ent.index(r[0]), fl.index(r[1]), int(np.argmin(abs(np.log(m4 / float(r[2])))))
    assert r[3] == "asimov" and float(r[4]) == 0.9, r
    if r[5] == "1":
        n1 += 1
        v, want = float(r[6]), eng[e, f, m]
        assert (math.isinf(v) and math.isinf(want)) or abs(v / want - 1) < 1e-6, (r, want)
        assert (math.isinf(v) and math.isinf(red[e, f, m])) or abs(v / red[e, f, m] - 1) < 1e-6
assert n1 == 478, n1
assert h["limits_reduced"].attrs["units_missing"] == 2
assert "limits_reduced.tmp" not in h
print("ok")
PY
check $? "CSV round-trips against the cube (1 dof = engine values, /limits_reduced)" "$(tail -3 "$tmp/py")"

ok=0
for f in exclusion profile_m4_0.00993768 profile_m4_0.311324 kinematics; do
  [ "$(head -c 8 "$tmp/plots/$f.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || ok=1
  [ "$(head -c 5 "$tmp/plots/$f.pdf")" = "%PDF-" ] || ok=1
done
check $ok "exclusion, profile and kinematics PNG/PDF files" "$(ls "$tmp/plots" | tr '\n' ' ')"

"$bin" limits "$tmp/cube.h5" --dof 2 --cl 0.95 --threshold one-sided --csv "$tmp/c95.csv" \
  --no-write 2>"$tmp/err"; rc=$?
n2=$(grep -c ',0.95,2,' "$tmp/c95.csv"); nall=$(($(wc -l <"$tmp/c95.csv") - 1))
[ $rc = 0 ] && [ "$n2" = "$nall" ] && [ "$n2" -gt 400 ]; check $? "--dof 2 --cl 0.95 rows only" "rc $rc, $n2 of $nall"
grep -q "1 dof one-sided, Delta chi^2 = 2.7055" "$tmp/err"; check $? "one-sided 95% threshold = 1.645^2"

# --overlay: a published limit (comments and a header allowed) drawn in the e panels only; the
# single-column PDFs: one panel each, 3.4 in wide, no text below 7 pt.
printf '# a published limit\nm4_MeV,mu_muB\n0.001,2e-11\n0.1,3e-11\n0.5,1e-9\n' >"$tmp/pub.csv"
"$bin" limits "$tmp/cube.h5" --no-write --csv "$tmp/o.csv" --plot "$tmp/oplots" \
  --overlay "$tmp/pub.csv:Published 2025:e" 2>"$tmp/oerr"; rc=$?
check $rc "--overlay FILE:LABEL:COUPLING draws" "$(tail -1 "$tmp/oerr")"
n_e=$(grep -c "overlay_1.dat' using 1:2 with lines.*title 'Published 2025'" "$tmp/oplots/exclusion.gp")
[ "$n_e" = 2 ] && grep -q "overlay_1.dat" "$tmp/oplots/exclusion_e_column.gp" &&
  ! grep -q "overlay_1.dat" "$tmp/oplots/exclusion_mu_column.gp" && [ "$(grep -cv '^#' "$tmp/oplots/overlay_1.dat")" = 3 ]
check $? "the overlay is in the e panel (PNG and PDF passes) and its column PDF only, with its 3 points" "$n_e"
w=$(pdfinfo "$tmp/oplots/exclusion_e_column.pdf" 2>/dev/null | awk '/Page size/ {print $3}')
small=$(grep -ho "font '[^']*,[0-9.]*'\|font ',[0-9.]*'" "$tmp/oplots"/*_column.gp | grep -o '[0-9.]*' | awk '$1 < 7' | wc -l)
[ "$(ls "$tmp/oplots"/exclusion_*_column.pdf | wc -l)" = 4 ] && [ "${w%.*}" = 244 ] && [ "$small" = 0 ] &&
  ! grep -q multiplot "$tmp/oplots/exclusion_e_column.gp"
check $? "single-column PDFs: one per coupling, 3.4 in (244.8 pt) wide, one panel, fonts >= 7 pt" \
  "width $w pt, $small fonts below 7 pt"
printf '0.001 2e-11\n0.1 abc\n' >"$tmp/bad.csv"
"$bin" limits "$tmp/cube.h5" --no-write --csv "$tmp/b.csv" --plot "$tmp/bplots" --overlay "$tmp/bad.csv:X" 2>"$tmp/berr"; rc=$?
[ $rc = 1 ] && grep -q "bad.csv:2: expected two positive numbers" "$tmp/berr" && [ ! -e "$tmp/b.csv" ]
check $? "a malformed overlay is refused with FILE:LINE, exit 1, before any output is written" "rc $rc: $(cat "$tmp/berr" | tail -1)"
"$bin" limits "$tmp/cube.h5" --no-write --csv "$tmp/b.csv" --plot "$tmp/bplots" --overlay "$tmp/pub.csv:X:nope" 2>"$tmp/berr"; rc=$?
[ $rc = 1 ] && grep -q "coupling 'nope' is not in the cube" "$tmp/berr" && [ ! -e "$tmp/b.csv" ]
check $? "an overlay for a coupling the cube lacks is refused" "rc $rc: $(tail -1 "$tmp/berr")"

$py "$here/make_synthetic_cube.py" "$tmp/old.h5" old
"$bin" limits "$tmp/old.h5" --no-write --csv "$tmp/old.csv" 2>/dev/null; rc=$?
cmp -s "$tmp/old.csv" "$tmp/cube_limits.csv"
check $? "a cube in the older layout (/axes/flavor, no scales) reduces to the same CSV" "rc $rc"
"$bin" limits "$tmp/cube.h5" --dof 3 >/dev/null 2>&1; rc=$?; [ $rc = 2 ]; check $? "bad option value exits 2" "rc $rc"
"$bin" limits "$tmp/cube.h5" --frobnicate >/dev/null 2>&1; rc=$?; [ $rc = 2 ]; check $? "unknown option exits 2" "rc $rc"
"$bin" limits "$tmp/none.h5" 2>"$tmp/err"; rc=$?
[ $rc = 1 ] && [ "$(wc -l <"$tmp/err")" = 1 ]; check $? "missing cube exits 1 with one line" "rc $rc"
"$bin" limits --help | grep -q -- "--profile-m4"; check $? "--help lists the options"
