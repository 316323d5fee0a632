#!/usr/bin/env bash
# tests/bench/run.sh — run every micro-benchmark program built in BUILD_DIR/bench/.
# Usage: tests/bench/run.sh BUILD_DIR
set -eu
build=${1:?usage: tests/bench/run.sh BUILD_DIR}
for b in "$build"/bench/*; do
  [ -x "$b" ] || continue
  echo "# $(basename "$b")"
  "$b"
done
