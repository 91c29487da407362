#!/usr/bin/env bash
# Usage: [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] \
#   tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [tools/train.py args]
# MMDetection's script: one task per GPU with srun (tools/_slurm.sh), then
# tools/train.py --launcher slurm (ranks from SLURM_PROCID / SLURM_NTASKS /
# SLURM_LOCALID, master from SLURM_NODELIST). Without CUDA: gloo on CPU.
set -x

PARTITION=$1
JOB_NAME=$2
CONFIG=$3
WORK_DIR=$4
PY_ARGS=${@:5}
TOOLS_DIR=$(cd "$(dirname "$0")" && pwd)
source "$TOOLS_DIR/_slurm.sh"

slurm_run train.py ${CONFIG} --work-dir=${WORK_DIR} --launcher="slurm" ${PY_ARGS}
