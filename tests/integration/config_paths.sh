#!/usr/bin/env bash
# config_paths.sh — relative paths in a scan configuration (card files, output) resolve against the
# configuration file's folder, not the working directory (issue 13, item 6); --output on the command
# line stays relative to the working directory; the config hash does not depend on the working
# directory, so a scan resumes from anywhere; the shipped scans write to results/ at the repository
# root (their `output: ../results/NAME.h5`).
SUITE=config-paths
. "$(dirname "$0")/scan_lib.sh"
[ -d "$DIPSCAN_ROOT/data/experiments" ] || { skip "config paths" "no data/experiments"; exit 0; }
mkdir -p "$W/proj/scans" "$W/proj/cards" "$W/elsewhere"
cp "$DIPSCAN_ROOT/tests/data/cards/onebin_1_2.yaml" "$W/proj/cards/"
cat >"$W/proj/scans/x.yaml" <<'Y'
experiments: [../cards/onebin_1_2.yaml, xenonnt_sr0]
m4: {values: [0.01, 0.1]}
mu: {from: 1.0e-12, to: 1.0e-8, points: 20, spacing: log}
output: ../out/x.h5
Y
cd "$W/elsewhere" || exit 1
"$DIPSCAN_BIN" scan ../proj/scans/x.yaml >"$W/a.log" 2>&1; rc=$?
check "run from another folder: the card and the output are found next to the config" \
  "[ $rc -eq 0 ] && [ -f '$W/proj/out/x.h5' ] && [ ! -e '$W/elsewhere/out' ] && [ ! -e '$W/out' ]" \
  "rc $rc: $(grep -m 1 error "$W/a.log"); files: $(cd "$W" && find . -name 'x.h5')"
check "the cube records the card file read from the config's folder (onebin_1_2)" \
  "/usr/bin/python3 -c \"import h5py; n = h5py.File('$W/proj/out/x.h5', 'r').attrs['card_names']; assert list(n) == [b'onebin_1_2', b'xenonnt_sr0'], n\" 2>/dev/null"
cd "$W/proj/scans" || exit 1
"$DIPSCAN_BIN" scan x.yaml >"$W/b.log" 2>&1; rc=$?
check "the same config from its own folder resumes the same cube (hash independent of the cwd)" \
  "[ $rc -eq 0 ] && grep -q 'resumed ../out/x.h5: 16 units already done' '$W/b.log'" \
  "rc $rc: $(grep -m 2 'error\|resumed' "$W/b.log")"
cd "$W/elsewhere" || exit 1
"$DIPSCAN_BIN" scan "$W/proj/scans/x.yaml" --output mine.h5 >"$W/c.log" 2>&1; rc=$?
check "--output on the command line is relative to the working directory" \
  "[ $rc -eq 0 ] && [ -f '$W/elsewhere/mine.h5' ]" "rc $rc: $(grep -m 1 error "$W/c.log")"
cd "$DIPSCAN_ROOT" || exit 1
plan=$("$DIPSCAN_BIN" scan scans/demo.yaml --dry-run 2>&1 | sed -n 's/^  output: \([^ ]*\) .*/\1/p')
check "the shipped scans, run from the repository root, write to results/ there ($plan)" \
  "[ \"\$(realpath -m '$plan')\" = '$DIPSCAN_ROOT/results/demo.h5' ]"
