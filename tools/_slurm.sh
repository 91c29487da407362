# Sourced by tools/slurm_{train,test}.sh after they set TOOLS_DIR,
# PARTITION and JOB_NAME: MMDetection's Slurm variables (GPUS, GPUS_PER_NODE,
# CPUS_PER_TASK, SRUN_ARGS) and `slurm_run TOOL ARGS...`, which starts
# "$PYTHON -u tools/TOOL ARGS..." as GPUS tasks with srun.
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}
source "$TOOLS_DIR/_python.sh"

slurm_run() {
    local tool=$1
    shift
    PYTHONPATH="$TOOLS_DIR/..${PYTHONPATH:+:$PYTHONPATH}" \
    srun -p ${PARTITION} \
        --job-name=${JOB_NAME} \
        --gres=gpu:${GPUS_PER_NODE} \
        --ntasks=${GPUS} \
        --ntasks-per-node=${GPUS_PER_NODE} \
        --cpus-per-task=${CPUS_PER_TASK} \
        --kill-on-bad-exit=1 \
        ${SRUN_ARGS} \
        "$PYTHON" -u "$TOOLS_DIR/$tool" "$@"
}
