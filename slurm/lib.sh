# slurm/lib.sh — shell functions shared by slurm/submit and the two batch scripts (sourced, not run).
#
# Site knobs are environment variables; slurm/site.env (or the file named by DIPSCAN_SITE_ENV) may set
# defaults for them, and a variable already set in the environment always wins over the file.
# See slurm/site.env.example for the list.

# Knobs that slurm/site.env may set.
DIPSCAN_SITE_KNOBS="DIPSCAN_PARTITION DIPSCAN_ACCOUNT DIPSCAN_SBATCH_ARGS DIPSCAN_MODULES DIPSCAN_LAUNCHER
  DIPSCAN_SRUN_MPI DIPSCAN_NTASKS DIPSCAN_TIME DIPSCAN_REDUCE_TIME DIPSCAN_MAX_CONTINUATIONS DIPSCAN_STOP_GRACE"

# Read the site file (if any) without overriding knobs already set in the environment.
dipscan_site_env() {  # ROOT
  local file=${DIPSCAN_SITE_ENV:-$1/slurm/site.env} knob saved=()
  [ -r "$file" ] || return 0
  for knob in $DIPSCAN_SITE_KNOBS; do
    if [ -n "${!knob+set}" ]; then saved+=("$knob=${!knob}"); fi
  done
  # shellcheck disable=SC1090
  . "$file" || { echo "dipscan: cannot read site file $file" >&2; return 1; }
  for knob in "${saved[@]}"; do export "${knob%%=*}=${knob#*=}"; done
  for knob in $DIPSCAN_SITE_KNOBS; do
    if [ -n "${!knob+set}" ]; then export "${knob?}"; fi
  done
}

# `module load $DIPSCAN_MODULES` (Environment Modules or Lmod), if any modules are configured.
dipscan_load_modules() {
  [ -n "${DIPSCAN_MODULES:-}" ] || return 0
  if ! type module >/dev/null 2>&1; then
    local init
    for init in /etc/profile.d/modules.sh /etc/profile.d/lmod.sh "${LMOD_PKG:-/nonexistent}/init/bash"; do
      # shellcheck disable=SC1090
      if [ -r "$init" ]; then . "$init"; break; fi
    done
  fi
  type module >/dev/null 2>&1 || { echo "dipscan: DIPSCAN_MODULES is set but there is no 'module' command" >&2; return 1; }
  # shellcheck disable=SC2086
  module load $DIPSCAN_MODULES
}

# Print the MPI launcher command for the current allocation (one word per token).
#   DIPSCAN_LAUNCHER=auto (default): srun --mpi=$DIPSCAN_SRUN_MPI if srun knows that plugin, else mpirun;
#   DIPSCAN_LAUNCHER=srun | mpirun: force one.
dipscan_launcher() {
  local mode=${DIPSCAN_LAUNCHER:-auto} mpi=${DIPSCAN_SRUN_MPI:-pmix}
  if [ "$mode" = auto ]; then
    if command -v srun >/dev/null && srun --mpi=list 2>&1 | grep -qw -- "$mpi"; then mode=srun; else mode=mpirun; fi
  fi
  case $mode in
    srun) echo "srun --mpi=$mpi" ;;
    mpirun) echo "mpirun" ;;  # reads the rank count and hosts from the SLURM allocation
    *) echo "dipscan: DIPSCAN_LAUNCHER must be auto, srun or mpirun (got '$mode')" >&2; return 1 ;;
  esac
}

# Cancel the jobs of a submit chain that come after chain step INDEX.
#   WHAT=continuations: only the later scan continuations (the scan is complete; the reducer must run);
#   WHAT=all: the later continuations and the reducer (the chain ends here without a complete cube).
# The chain file has one line "ROLE INDEX JOBID" per job: ROLE is scan, continuation or reduce.
dipscan_chain_cancel() {  # CHAIN_FILE INDEX WHAT
  local file=$1 index=$2 what=$3 role i id ids=()
  [ -r "$file" ] || { echo "dipscan: chain file $file not found; nothing cancelled" >&2; return 0; }
  while read -r role i id; do
    case $role in
      continuation) [ "$i" -gt "$index" ] && ids+=("$id") ;;
      reduce) [ "$what" = all ] && ids+=("$id") ;;
    esac
  done < "$file"
  [ ${#ids[@]} -gt 0 ] || return 0
  echo "dipscan: cancelling chain jobs ${ids[*]}"
  scancel "${ids[@]}" 2>/dev/null || true
}
