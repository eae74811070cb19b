#!/usr/bin/env bash
# A real single-node SLURM on this machine, for the cluster test (tests/test_slurm.py).
#   tools/local-slurm.sh start DIR   install slurm-wlm and munge if missing (apt-get), write DIR/slurm.conf,
#                                     start munged, slurmctld and slurmd; prints the SLURM_CONF to export
#   tools/local-slurm.sh stop DIR    stop the daemons this script started, by the process ids in DIR
# Runs as root (as CI does). Outside DIR it writes only the packages, /run/munge and a link
# /etc/slurm/slurm.conf -> DIR/slurm.conf (removed on stop): jobs run by the Snakemake SLURM
# executor drop SLURM_* variables, so their srun reads the config from its default place.
set -euo pipefail
action=${1:?usage: local-slurm.sh start|stop DIR}
dir=$(mkdir -p "${2:?usage: local-slurm.sh start|stop DIR}" && cd "$2" && pwd)

stop() {
    for name in slurmd slurmctld munged; do
        if [[ -s "$dir/$name.pid" ]]; then
            pid=$(cat "$dir/$name.pid")
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            rm -f "$dir/$name.pid"
        fi
    done
    if [[ $(readlink /etc/slurm/slurm.conf 2>/dev/null) == "$dir/slurm.conf" ]]; then rm -f /etc/slurm/slurm.conf; fi
}

if [[ $action == stop ]]; then stop; exit 0; fi
[[ $action == start ]] || { echo "unknown action $action" >&2; exit 2; }

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi

mkdir -p "$dir/state" "$dir/spool" "$dir/log" /run/munge
cpus=$(nproc)
memory=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
cat > "$dir/slurm.conf" <<CONF
ClusterName=tinyrl
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
MinJobAge=600
NodeName=localhost CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=local Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF

if [[ -e /etc/slurm/slurm.conf && $(readlink /etc/slurm/slurm.conf) != "$dir/slurm.conf" ]]; then
    echo "/etc/slurm/slurm.conf exists and is not ours: refusing to replace it" >&2; exit 1
fi
mkdir -p /etc/slurm && ln -sfn "$dir/slurm.conf" /etc/slurm/slurm.conf
chown munge:munge /run/munge
munged --pid-file="$dir/munged.pid" --socket=/run/munge/munge.socket.2 --force
slurmctld -f "$dir/slurm.conf"
slurmd -f "$dir/slurm.conf"
export SLURM_CONF=$dir/slurm.conf
for _ in $(seq 100); do
    if sinfo -h -o %T 2>/dev/null | grep -qx idle; then echo "export SLURM_CONF=$SLURM_CONF"; exit 0; fi
    sleep 0.2
done
echo "local SLURM did not come up; logs in $dir/log" >&2
stop
exit 1
