#!/usr/bin/env bash
# tests/slurm/cluster.sh — a throw-away single-node SLURM cluster (munged + slurmctld + slurmd on localhost)
# for testing dipscan's batch scripts for real: the standard single-node Slurm setup (Debian 12, Slurm 22.05, run as root).
#
# Usage: tests/slurm/cluster.sh up   SCRATCH    start the daemons; everything lives under SCRATCH
#        tests/slurm/cluster.sh down SCRATCH    stop them by PID (reverse order), kill leftover job processes
#                                               by PID, then delete SCRATCH
# After `up`, `source SCRATCH/env` sets SLURM_CONF for sbatch/squeue/scancel.
#
# Callers must run `down` from a trap (EXIT INT TERM) set *before* `up`, so no daemon outlives a failed test.
# `up` tears down what it started if any readiness check fails.
#
# Deviations from a default single-node slurm.conf, all for robustness of a test run on a shared host:
#  * NodeName=localhost, NodeAddr=127.0.0.1, SlurmctldHost=localhost (works when `hostname` does not resolve);
#  * the controller and slurmd ports default to 6817/6818 but move to the next free pair if those are taken
#    (another test cluster on the same host);
#  * the daemons carry DIPSCAN_TEST_CLUSTER=SCRATCH in their environment, which (with SLURM_CONF) lets `down`
#    find stray slurmstepd/job processes of *this* cluster by PID without matching on process names.
set -euo pipefail

usage() { echo "usage: $0 up|down SCRATCH_DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
action=$1
S=$(realpath -m "$2")
NODE=localhost
MARKER=.dipscan-test-cluster   # `down` deletes SCRATCH only if this file shows that `up` created the cluster there

waitfor() {  # TRIES COMMAND...   retry every 0.2 s
  local n=$1; shift
  for _ in $(seq 1 "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  return 1
}

# A process counts as gone once it is a zombie: PID 1 may reap orphans only every few seconds.
alive() { [ -r "/proc/$1/stat" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }

stop_pid() {  # NAME PID   SIGTERM, wait up to 15 s, then SIGKILL
  local name=$1 pid=$2
  alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 150); do alive "$pid" || return 0; sleep 0.1; done
  echo "cluster: $name (pid $pid) ignored SIGTERM, sending SIGKILL" >&2
  kill -KILL "$pid" 2>/dev/null || true
}

stop_pidfile() {  # NAME PIDFILE
  [ -s "$2" ] || return 0
  stop_pid "$1" "$(cat "$2")"
  rm -f "$2"
}

free_port_pair() {  # first P >= 6817 (step 10) with P and P+1 not listening
  local p
  for p in $(seq 6817 10 6997); do
    if [ -z "$(ss -Htln "( sport = :$p or sport = :$((p + 1)) )" 2>/dev/null)" ]; then echo "$p"; return 0; fi
  done
  return 1
}

write_slurm_conf() {  # CTLD_PORT
  local port=$1 hw
  # Node topology from `slurmd -C`; RealMemory must not exceed what slurmd detects, so take 90%.
  hw=$(slurmd -C | head -1 | cut -d' ' -f2- |
       awk '{for(i=1;i<=NF;i++){split($i,a,"="); if(a[1]=="RealMemory")$i="RealMemory=" int(a[2]*0.9)}; print}')
  cat > "$S/etc/slurm.conf" <<CONF
ClusterName=dipscantest
SlurmctldHost=$NODE
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$S/munge/munge.socket
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$port
SlurmdPort=$((port + 1))
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldLogFile=$S/log/slurmctld.log
SlurmdLogFile=$S/log/slurmd.log
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$S/log/jobcomp.txt
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=pmix
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
MinJobAge=300
NodeName=$NODE NodeAddr=127.0.0.1 $hw State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
}

cluster_up() {
  [ "$(id -u)" = 0 ] || { echo "cluster: must run as root (slurmd starts jobs as their owner)" >&2; return 1; }
  [ ! -e "$S/$MARKER" ] || { echo "cluster: $S already holds a test cluster; run '$0 down $S' first" >&2; return 1; }
  mkdir -p "$S"/{etc,munge,state,spool,log}
  : > "$S/$MARKER"
  chmod 755 "$S" "$S/munge"   # munged needs a+x on every parent of its socket
  export DIPSCAN_TEST_CLUSTER=$S
  trap 'echo "cluster: bring-up failed; tearing down" >&2; cluster_down' ERR

  # 1) munged with our own key and socket
  local msock=$S/munge/munge.socket
  mungekey --create --keyfile="$S/munge/munge.key"
  /usr/sbin/munged --socket="$msock" --key-file="$S/munge/munge.key" --pid-file="$S/munge/munged.pid" \
                   --log-file="$S/log/munged.log" --seed-file="$S/munge/munged.seed"
  waitfor 50 bash -c "munge -S '$msock' -n | unmunge -S '$msock'" || { echo "cluster: munged not ready" >&2; false; }

  # 2) slurm.conf, then slurmctld (-i: no state files yet) and slurmd
  local port
  port=$(free_port_pair) || { echo "cluster: no free port pair in 6817..6998" >&2; false; }
  write_slurm_conf "$port"
  export SLURM_CONF=$S/etc/slurm.conf
  printf 'export SLURM_CONF=%q\n' "$SLURM_CONF" > "$S/env"
  /usr/sbin/slurmctld -f "$SLURM_CONF" -i
  waitfor 150 bash -c 'scontrol ping | grep -q "is UP"' ||
    { echo "cluster: slurmctld not up" >&2; tail -n 20 "$S/log/slurmctld.log" >&2; false; }
  /usr/sbin/slurmd -f "$SLURM_CONF" -N "$NODE"
  waitfor 150 bash -c "[ \"\$(sinfo -h -n '$NODE' -o %T)\" = idle ]" ||
    { echo "cluster: node not idle" >&2; sinfo -R >&2; tail -n 20 "$S/log/slurmd.log" >&2; false; }
  trap - ERR
  echo "cluster: up in $S (ports $port/$((port + 1)), node $NODE: $(sinfo -h -n "$NODE" -o '%c CPUs %m MB'))"
}

# PIDs of processes this cluster started that may outlive slurmd: slurmstepd (inherits slurmd's environment,
# which carries DIPSCAN_TEST_CLUSTER=SCRATCH) and job processes (SLURM_JOB_ID set and SLURM_CONF pointing
# into SCRATCH).  This script and its ancestors are never listed.
cluster_pids() {
  local keep=" " p=$BASHPID e pid envs
  while [ -n "$p" ] && [ "$p" -gt 1 ]; do keep="$keep$p "; p=$(awk '/^PPid:/{print $2}' "/proc/$p/status" 2>/dev/null); done
  for e in /proc/[0-9]*/environ; do
    pid=${e#/proc/}; pid=${pid%/environ}
    case $keep in *" $pid "*) continue ;; esac
    envs=$(tr '\0' '\n' 2>/dev/null < "$e") || continue
    if grep -qxF "DIPSCAN_TEST_CLUSTER=$S" <<<"$envs" ||
       { grep -qxF "SLURM_CONF=$S/etc/slurm.conf" <<<"$envs" && grep -q '^SLURM_JOB_ID=' <<<"$envs"; }; then
      echo "$pid"
    fi
  done
}

cluster_down() {
  trap - ERR
  export SLURM_CONF=$S/etc/slurm.conf
  # Cancel any job still queued or running, so slurmstepd does not outlive slurmd.
  if [ -s "$S/slurmctld.pid" ] && alive "$(cat "$S/slurmctld.pid")"; then
    local jobs
    jobs=$(squeue -h -o %A 2>/dev/null | tr '\n' ' ')
    if [ -n "${jobs// }" ]; then
      # shellcheck disable=SC2086
      scancel $jobs 2>/dev/null || true
      waitfor 50 bash -c '[ -z "$(squeue -h 2>/dev/null)" ]' || true
    fi
  fi
  stop_pidfile slurmd "$S/slurmd.pid"
  stop_pidfile slurmctld "$S/slurmctld.pid"
  stop_pidfile munged "$S/munge/munged.pid"
  local pid
  for pid in $(cluster_pids); do stop_pid "stray process $(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null)" "$pid"; done
  if [ -e "$S/$MARKER" ]; then rm -rf "$S"; fi
  return 0
}

case $action in
  up) cluster_up ;;
  down) cluster_down ;;
  *) usage ;;
esac
