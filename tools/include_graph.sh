#!/usr/bin/env bash
# tools/include_graph.sh — which stage folders each stage's headers and sources include, from the
# compiler's own dependency output (gcc -MM), so docs/architecture.md's layering can be checked:
#     tools/include_graph.sh            one line per (stage -> stage) edge with the files behind it
# Run from the repository root after `make` (needs mpicc and the pkg-config flags the Makefile uses).
set -eu
cd "$(dirname "$0")/.."
flags="-std=c11 -D_XOPEN_SOURCE=700 -Iinclude -Ibuild $(pkg-config --cflags hdf5-openmpi gsl yaml-0.1)"
for f in $(git ls-files 'src/*/*.c' 'include/*/*.h'); do
  from=$(echo "$f" | cut -d/ -f2)
  mpicc $flags -MM "$f" 2>/dev/null | tr ' \\' '\n\n' | { grep -E "^include/[a-z]+/" || true; } |
    while read -r dep; do
      to=$(echo "$dep" | cut -d/ -f2)
      if [ "$from" != "$to" ]; then echo "$from -> $to $f"; fi
    done
done | sort -u | awk '{ k = $1 " " $2 " " $3; files[k] = files[k] " " $4 } END { for (k in files) print k ":" files[k] }' | sort
