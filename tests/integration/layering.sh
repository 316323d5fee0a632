#!/usr/bin/env bash
# The stage layering of docs/architecture.md, checked on the compiler's own include graph
# (tools/include_graph.sh, from gcc -MM): a stage may include only the stages listed for it below.
# In particular the engine includes nothing but util, and the output stage no physics or detector
# header (it knows the dipole result fields through stats/dipole_result.h, which is physics-free).
# stats may include the engine: the dipole evaluator and options implement its interfaces.
set -u
root=${DIPSCAN_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
suite=layering
declare -A allowed=(
  [util]=""
  [physics]="util"
  [detector]="util physics"
  [stats]="util physics detector engine"
  [engine]="util"
  [output]="util engine stats"
  [cli]="util physics detector stats engine output"
)
graph=$(cd "$root" && tools/include_graph.sh) || { echo "FAIL $suite: tools/include_graph.sh failed"; exit 1; }
[ -n "$graph" ] || { echo "FAIL $suite: empty include graph (is mpicc there?)"; exit 1; }
edges=$(echo "$graph" | wc -l)
bad=0
while IFS= read -r line; do
  from=$(echo "$line" | awk '{print $1}'); to=$(echo "$line" | awk '{print $3}' | tr -d :)
  case " ${allowed[$from]-} " in
    *" $to "*) ;;
    *) echo "FAIL $suite: $from includes $to, which it may not (${line#*: })"; bad=1 ;;
  esac
done <<<"$graph"
[ "$bad" = 0 ] && echo "PASS $suite: all $edges stage-to-stage include edges follow docs/architecture.md"
