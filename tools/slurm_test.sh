#!/usr/bin/env bash
# Usage: [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] \
#   tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [tools/test.py args]
# MMDetection's script: one task per GPU with srun (tools/_slurm.sh), then
# tools/test.py --launcher slurm. Without CUDA: gloo on CPU.
set -x

PARTITION=$1
JOB_NAME=$2
CONFIG=$3
CHECKPOINT=$4
PY_ARGS=${@:5}
TOOLS_DIR=$(cd "$(dirname "$0")" && pwd)
source "$TOOLS_DIR/_slurm.sh"

slurm_run test.py ${CONFIG} ${CHECKPOINT} --launcher="slurm" ${PY_ARGS}
