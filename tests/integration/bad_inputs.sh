#!/usr/bin/env bash
# tests/integration/bad_inputs.sh — the bad-input table: every case must fail cleanly.
#
# A case passes when the command (1) exits non-zero, but not by a signal, a sanitizer report or the
# 120 s timeout, (2) prints on stderr a line starting with "dipscan" that matches the case's pattern
# (the message names the problem), and (3) leaves every file that existed before it (the result files
# in $W/results, which the cases try to overwrite) byte-identical (sha256 before/after).
#
# Sections: CLI options (rates, limit), environment and output streams, experiment cards, scan
# configurations and existing output files (when `dipscan scan` / `dipscan limits` exist).  To add a
# case, add one `bad NAME PATTERN COMMAND...` line to the right section; fixtures are made by the
# small helpers below from the shipped files (never edited in place).
set -u
root=${DIPSCAN_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${DIPSCAN_BIN:-$root/bin/dipscan}
suite=bad-inputs
W=$(mktemp -d /tmp/dipscan-bad.XXXXXX)
trap 'umount "$W/ro" "$W/full" 2>/dev/null; rm -rf "$W"' EXIT
mkdir -p "$W/results" "$W/cards" "$W/configs"

# (OUTPUT.lock is the scan's lock file, rewritten by every run that takes it: not a result)
snapshot() { (cd "$W/results" && find . -type f ! -name '*.lock' -exec sha256sum {} + | sort); }

# bad NAME PATTERN COMMAND...   (PATTERN: extended regex, case-insensitive)
bad() {
  local name=$1 pattern=$2; shift 2
  local before after rc msg
  before=$(snapshot)
  local t0; t0=$(date +%s%N)
  timeout 120 "$@" >"$W/stdout" 2>"$W/stderr"; rc=$?
  local ms=$((($(date +%s%N) - t0) / 1000000))
  after=$(snapshot)
  msg=$(grep -Ei -m 1 "^dipscan.*($pattern)" "$W/stderr")
  local changed
  changed=$(comm -23 <(echo "$before") <(echo "$after") | awk '{print $2}' | tr '\n' ' ')
  if [ "$rc" -eq 0 ]; then
    echo "FAIL $suite: $name (exit 0; stderr: $(head -c 200 "$W/stderr"))"
  elif [ "$rc" -eq 124 ]; then
    echo "FAIL $suite: $name (timed out after 120 s)"
  elif [ "$rc" -ge 128 ] || grep -Eq 'Sanitizer|runtime error|Segmentation|core dumped' "$W/stderr"; then
    echo "FAIL $suite: $name (crashed: exit $rc; $(grep -Em 1 'Sanitizer|runtime error|Segmentation' "$W/stderr"))"
  elif [ -z "$msg" ]; then
    echo "FAIL $suite: $name (exit $rc, no 'dipscan ...' line matching /$pattern/; stderr: $(head -c 300 "$W/stderr"))"
  elif [ -n "$changed" ]; then
    echo "FAIL $suite: $name (existing result file(s) changed: $changed)"
  else
    echo "PASS $suite: $name"
    echo "    exit $rc after $ms ms: $msg"
  fi
}

has_command() { "$bin" --help 2>/dev/null | grep -q "^  $1 "; }

# Card fixture: the shipped XENONnT card with one sed edit.  card_variant NAME SED_SCRIPT
card_variant() {
  sed -e "$2" "$root/data/experiments/xenonnt_sr0.yaml" >"$W/cards/$1.yaml"
  echo "$W/cards/$1.yaml"
}

# Existing result files the cases must not touch.
"$bin" limit --experiment xenonnt_sr0 --m4 0.01 --data asimov >"$W/results/existing.csv" 2>/dev/null

# ---------------------------------------------------------------- CLI options
bad "limit --m4 nan" "m4.*finite" "$bin" limit --experiment xenonnt_sr0 --m4 nan
bad "limit --m4 inf" "m4.*finite" "$bin" limit --experiment xenonnt_sr0 --m4 inf
bad "limit negative m4" "m4.*>= 0" "$bin" limit --experiment xenonnt_sr0 --m4=-0.1
bad "limit empty m4 list" "m4" "$bin" limit --experiment xenonnt_sr0 --m4 ""
bad "limit duplicate m4 values" "twice" "$bin" limit --experiment xenonnt_sr0 --m4 0.01,0.01
bad "limit m4 not a number" "m4.*finite number" "$bin" limit --experiment xenonnt_sr0 --m4 10keV
bad "limit --cl out of (0,1)" "--cl" "$bin" limit --experiment xenonnt_sr0 --m4 0.01 --cl 1.5
bad "limit --dof 3" "dof" "$bin" limit --experiment xenonnt_sr0 --m4 0.01 --dof 3
bad "limit unknown --threshold" "threshold" "$bin" limit --experiment xenonnt_sr0 --m4 0.01 --threshold sideways
bad "limit empty joint member" "empty card name" "$bin" limit --experiment xenonnt_sr0+ --m4 0.01
bad "limit card twice in a joint fit" "appears twice" "$bin" limit --experiment xenonnt_sr0+xenonnt_sr0 --m4 0.01
bad "rates negative mu" "mu" "$bin" rates --experiment xenonnt_sr0 --mu -1e-11
bad "rates unknown coupling" "coupling|allowed" "$bin" rates --experiment xenonnt_sr0 --coupling nue
bad "rates unknown option" "unknown option" "$bin" rates --experiment xenonnt_sr0 --m5 1
bad "rates option without value" "missing value" "$bin" rates --experiment
bad "unknown subcommand" "unknown subcommand" "$bin" frobnicate

# ---------------------------------------------------------------- environment, output streams
bad "DIPSCAN_DATA points nowhere" "DIPSCAN_DATA" env DIPSCAN_DATA="$W/nowhere" "$bin" rates --experiment xenonnt_sr0
mkdir -p "$W/data_truncated"
cp -r "$root/data/solar" "$root/data/experiments" "$W/data_truncated/"
head -c 300 "$root/data/solar/fluxes_b16.yaml" >"$W/data_truncated/solar/fluxes_b16.yaml"
bad "truncated solar data file" "fluxes_b16" env DIPSCAN_DATA="$W/data_truncated" "$bin" rates --experiment xenonnt_sr0
bad "disk full on stdout (/dev/full)" "No space left" sh -c "exec '$bin' rates --experiment xenonnt_sr0 >/dev/full"
bad "file size limit on stdout (ulimit -f)" "too large" \
  sh -c "trap '' XFSZ; ulimit -f 1; exec '$bin' rates --experiment xenonnt_sr0 >'$W/big.csv'"

# ---------------------------------------------------------------- experiment cards
bad "missing card" "cannot open" "$bin" rates --experiment no_such_experiment
bad "card is a directory" "read error|directory" "$bin" rates --experiment "$W/cards/"
bad "card with unknown key" "unknown key 'expsure'" \
  "$bin" rates --experiment "$(card_variant typo 's/^exposure:/expsure:/')"
bad "card exposure of wrong type" "t_yr.*finite number" \
  "$bin" rates --experiment "$(card_variant t_yr_word 's/t_yr: 1.16/t_yr: one/')"
bad "card NaN count" "counts.*nan" \
  "$bin" rates --experiment "$(card_variant nan_count 's/^  counts: \[4,/  counts: [nan,/')"
bad "card infinite exposure" "t_yr.*finite" \
  "$bin" rates --experiment "$(card_variant inf_exposure 's/t_yr: 1.16/t_yr: .inf/')"
bad "card negative exposure" "t_yr.*> 0" \
  "$bin" rates --experiment "$(card_variant neg_exposure 's/t_yr: 1.16/t_yr: -1.16/')"
bad "card duplicate key" "duplicate key 'target'" \
  "$bin" rates --experiment "$(card_variant dup_key 's/^target: xenon/target: xenon\ntarget: xenon/')"
bad "card efficiency above 1" "\[0, 1\]" \
  "$bin" rates --experiment "$(card_variant eff_above_one 's/value: \[0, /value: [1.5, /')"
bad "card resolution growing faster than T/6" "grows faster" \
  "$bin" rates --experiment "$(card_variant wide_resolution 's/^  b: 0.0015/  b: 0.5/')"
head -c 1200 "$root/data/experiments/xenonnt_sr0.yaml" >"$W/cards/truncated.yaml"
bad "truncated card" "missing required key|syntax|expects" "$bin" rates --experiment "$W/cards/truncated.yaml"
: >"$W/cards/empty.yaml"
bad "empty card file" "empty" "$bin" rates --experiment "$W/cards/empty.yaml"

# ---------------------------------------------------------------- existing output files (reducer)
if has_command limits && /usr/bin/python3 -c 'import h5py' 2>/dev/null; then
  cube=$W/results/cube.h5
  /usr/bin/python3 "$root/tests/integration/make_synthetic_cube.py" "$cube"
  "$bin" limits "$cube" --csv "$W/results/cube_limits.csv" >/dev/null 2>&1
  echo "not an HDF5 file" >"$W/results/text.h5"
  head -c 20000 "$cube" >"$W/results/truncated.h5"
  cp "$cube" "$W/results/corrupt.h5"
  # Scribble over object headers just after the superblock.  (Scribbling over the global heap of
  # this h5py cube's variable-length strings instead makes HDF5 itself allocate ~4 GB and spend
  # ~20 s before failing -- inside H5T__conv_vlen, not in dipscan; dipscan's own cubes use
  # fixed-length strings, see the scan section.)
  /usr/bin/python3 - "$W/results/corrupt.h5" <<'PY'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(800)
    f.write(b"\xff" * 64)
PY
  /usr/bin/python3 -c "import h5py, sys; h5py.File(sys.argv[1], 'w')['x'] = 1" "$W/results/not_a_cube.h5"
  bad "limits: cube missing" "cannot open" "$bin" limits "$W/results/none.h5"
  bad "limits: text file as cube" "cannot open as an HDF5 file" "$bin" limits "$W/results/text.h5"
  bad "limits: truncated cube" "cannot open as an HDF5 file" "$bin" limits "$W/results/truncated.h5"
  bad "limits: corrupt cube" "cannot read|HDF5" "$bin" limits "$W/results/corrupt.h5"
  bad "limits: HDF5 file that is not a cube" "HDF5 error|axes" "$bin" limits "$W/results/not_a_cube.h5"
  bad "limits: --cl 2" "--cl" "$bin" limits "$cube" --cl 2
  bad "limits: output directory missing" "cannot open for writing" \
    "$bin" limits "$cube" --no-write --csv "$W/nowhere/limits.csv"
  bad "limits: disk full on CSV (/dev/full)" "No space left" "$bin" limits "$cube" --no-write --csv /dev/full
  bad "limits: file size limit while overwriting a result CSV" "too large" \
    sh -c "trap '' XFSZ; ulimit -f 4; exec '$bin' limits '$cube' --no-write --csv '$W/results/cube_limits.csv'"
else
  echo "SKIP $suite: reducer cases (dipscan limits or python3-h5py missing)"
fi

# ---------------------------------------------------------------- scan configs and result files
# Config fixture: tests/data/scan_small.yaml with one sed edit.  config_variant NAME SED_SCRIPT
config_variant() {
  sed -e "$2" "$root/tests/data/scan_small.yaml" >"$W/configs/$1.yaml"
  echo "$W/configs/$1.yaml"
}
small_m4='m4: {from: 0.001, to: 0.6, points: 16, spacing: log}'
m4_axis() { config_variant "$1" "s/$small_m4/m4: $2/"; }
scan_cfg=$root/tests/data/scan_small.yaml
if has_command scan; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 HDF5_USE_FILE_LOCKING=FALSE
  # An existing, complete result the cases below aim at (and a corrupt / truncated / text copy).
  good=$W/results/small.h5
  "$bin" scan "$scan_cfg" --output "$good" >/dev/null 2>&1 || echo "FAIL $suite: fixture scan did not run"
  cp "$good" "$W/results/small_corrupt.h5"
  /usr/bin/python3 - "$W/results/small_corrupt.h5" <<'PY'
import os, sys
path = sys.argv[1]
with open(path, "r+b") as f:  # scribble over the B-tree / heap blocks after the superblock
    for off in range(2048, os.path.getsize(path), 8192):
        f.seek(off)
        f.write(b"\xff" * 64)
PY
  head -c 20000 "$good" >"$W/results/small_truncated.h5"
  echo "not an HDF5 file" >"$W/results/small_text.h5"

  bad "scan: config value of wrong type" "'cl' expects a finite number" \
    "$bin" scan "$(config_variant cl_word 's/cl: 0.90/cl: high/')" --output "$good"
  bad "scan: NaN axis bound" "'from' expects a finite number, got 'nan'" \
    "$bin" scan "$(m4_axis nan_from '{from: nan, to: 0.6, points: 16, spacing: log}')" --output "$good"
  bad "scan: infinite axis bound" "'to' expects a finite number" \
    "$bin" scan "$(m4_axis inf_to '{from: 0.001, to: .inf, points: 16, spacing: log}')" --output "$good"
  bad "scan: negative m4" "m4.from' must be >= 0" \
    "$bin" scan "$(m4_axis neg_m4 '{from: -0.1, to: 0.6, points: 16, spacing: linear}')" --output "$good"
  bad "scan: empty m4 axis" "m4.values' must be a non-empty" \
    "$bin" scan "$(m4_axis empty_m4 '{values: []}')" --output "$good"
  bad "scan: duplicate m4 values" "strictly increasing" \
    "$bin" scan "$(m4_axis dup_m4 '{values: [0.01, 0.01, 0.3]}')" --output "$good"
  bad "scan: generated axis with duplicate values" "duplicate axis values" \
    "$bin" scan "$(m4_axis dup_generated '{from: 1, to: 1.000000000001, points: 100000, spacing: linear}')" --output "$good"
  bad "scan: 10^9 points on one axis" "points' must be in 1..1000000" \
    "$bin" scan "$(m4_axis points_1e9 '{from: 0.001, to: 0.6, points: 1000000000, spacing: log}')" --output "$good"
  bad "scan: 6x10^12-point grid" "chi2 points" \
    "$bin" scan "$(config_variant grid_huge "s/$small_m4/m4: {from: 0.001, to: 0.6, points: 1000000, spacing: log}/;s/points: 40,/points: 1000000,/")" --output "$good"
  bad "scan: zero points" "points' must be in 1..1000000" \
    "$bin" scan "$(m4_axis points_0 '{from: 0.001, to: 0.6, points: 0, spacing: log}')" --output "$good"
  bad "scan: unknown config key" "unknown key 'flavours'" \
    "$bin" scan "$(config_variant typo_key 's/^flavors:/flavours:/')" --output "$good"
  bad "scan: unknown flavour" "must be one of|allowed" \
    "$bin" scan "$(config_variant bad_flavor 's/flavors: \[universal, e\]/flavors: [universal, nue]/')" --output "$good"
  bad "scan: missing card" "no_such_card.yaml: cannot open" \
    "$bin" scan "$(config_variant missing_card 's/pandax4t_run1/no_such_card/g')" --output "$good"
  bad "scan: joint fit of an unlisted experiment" "joint" \
    "$bin" scan "$(config_variant joint_unknown 's/joint: \[\[xenonnt_sr0, pandax4t_run1\]\]/joint: [[xenonnt_sr0, lz_ws2022]]/')" --output "$good"
  bad "scan: existing output from another config" "different configuration.*statistics.cl" \
    "$bin" scan "$(config_variant cl95 's/cl: 0.90/cl: 0.95/')" --output "$good"
  bad "scan: existing output is a text file" "small_text.h5 is not an HDF5 file; nothing was changed" \
    "$bin" scan "$scan_cfg" --output "$W/results/small_text.h5"
  bad "scan: existing output truncated" "HDF5 cannot open it \\(damaged or truncated" \
    "$bin" scan "$scan_cfg" --output "$W/results/small_truncated.h5"
  bad "scan: existing output corrupt" "HDF5 error|HDF5 cannot open it" \
    "$bin" scan "$scan_cfg" --output "$W/results/small_corrupt.h5"
  bad "scan: output is a directory" "results is not a regular file" \
    "$bin" scan "$scan_cfg" --output "$W/results"
  bad "scan: output under a regular file" "Not a directory" \
    "$bin" scan "$scan_cfg" --output "$good/x.h5"
  bad "scan: unknown option" "unknown option|unexpected" "$bin" scan "$scan_cfg" --resume
  bad "scan: two config files" "unexpected argument" "$bin" scan "$scan_cfg" "$scan_cfg"
  bad "scan: config file missing" "cannot open" "$bin" scan "$W/configs/none.yaml"
  # Read-only and full file systems: small tmpfs mounts (root only; skipped elsewhere).
  mkdir -p "$W/ro" "$W/full"
  if mount -t tmpfs -o ro,size=64k tmpfs "$W/ro" 2>/dev/null; then
    bad "scan: output directory not writable (read-only fs)" "Read-only file system|cannot" \
      "$bin" scan "$scan_cfg" --output "$W/ro/small.h5"
    umount "$W/ro"
  else
    echo "SKIP $suite: scan: output directory not writable (cannot mount a tmpfs here)"
  fi
  if mount -t tmpfs -o size=16k tmpfs "$W/full" 2>/dev/null; then
    bad "scan: disk full (16 KiB tmpfs)" "not enough disk space" \
      "$bin" scan "$scan_cfg" --output "$W/full/small.h5"
    umount "$W/full"
  else
    echo "SKIP $suite: scan: disk full (cannot mount a tmpfs here)"
  fi
else
  echo "SKIP $suite: scan configs and cube files (dipscan scan is not built yet)"
fi
