#!/usr/bin/env bash
# Usage: tools/dist_train_folds.sh CONFIG GPUS FOLD [FOLD...] [-- OPTION...]
#
# Trains and tests CONFIG on each fold, one after another, with
# tools/dist_train.sh and tools/dist_test.sh: fold K trains with the
# --cfg-options of `tools/misc/fold_options.py CONFIG K` (every training
# annotation file on fold K, randomness.seed=K) into
#   $WORK_ROOT/<CONFIG without configs/ and .py>/fold_K
# (WORK_ROOT defaults to work_dirs), then tests its best checkpoint
# (best_*.pth; the last one if the config keeps no best) with the same
# options and writes the test metrics next to it, as
# fold_K/test_metrics.json. OPTIONs after `--` are more --cfg-options
# (key=value) for training and testing every fold, after the fold's (e.g.
# a shorter schedule or another data_root). A fold whose test_metrics.json exists is
# skipped; a fold whose training stopped resumes (--resume).
# tools/analysis/collect_results.py turns the folds into the paper's tables.
#
# DIST_TRAIN / DIST_TEST replace tools/dist_{train,test}.sh (e.g. a wrapper
# around tools/slurm_*.sh); the rest of the environment (PORT, NNODES, ...)
# passes through to them.
set -euo pipefail
if [[ $# -lt 3 ]]; then
    echo "Usage: $0 CONFIG GPUS FOLD [FOLD...] [-- OPTION...]" >&2
    exit 2
fi
CONFIG=$1
GPUS=$2
shift 2
FOLDS=()
while [[ $# -gt 0 && $1 != -- ]]; do
    FOLDS+=("$1")
    shift
done
[[ $# -gt 0 ]] && shift  # the --
EXTRA=("$@")
TOOLS_DIR=$(cd "$(dirname "$0")" && pwd)
source "$TOOLS_DIR/_python.sh"
DIST_TRAIN=${DIST_TRAIN:-$TOOLS_DIR/dist_train.sh}
DIST_TEST=${DIST_TEST:-$TOOLS_DIR/dist_test.sh}
WORK_ROOT=${WORK_ROOT:-work_dirs}
if [[ ! -f $CONFIG ]]; then
    echo "dist_train_folds: config $CONFIG not found" >&2
    exit 1
fi
if [[ ${#FOLDS[@]} -eq 0 ]]; then
    echo "dist_train_folds: no fold given" >&2
    exit 2
fi
for FOLD in "${FOLDS[@]}"; do
    if ! [[ $FOLD =~ ^[1-9][0-9]*$ ]]; then
        echo "dist_train_folds: fold '$FOLD' is not a positive integer" >&2
        exit 1
    fi
done
NAME=${CONFIG#./}
NAME=${NAME#configs/}
NAME=${NAME%.py}

for FOLD in "${FOLDS[@]}"; do
    WORK_DIR=$WORK_ROOT/$NAME/fold_$FOLD
    if [[ -f $WORK_DIR/test_metrics.json ]]; then
        echo "dist_train_folds: fold $FOLD done before ($WORK_DIR), skipped"
        continue
    fi
    FOLD_OPTIONS=$(PYTHONPATH="$TOOLS_DIR/..${PYTHONPATH:+:$PYTHONPATH}" \
        "$PYTHON" "$TOOLS_DIR/misc/fold_options.py" "$CONFIG" "$FOLD")
    # one option per word (the options hold no spaces)
    read -r -a OPTIONS <<< "$FOLD_OPTIONS"
    OPTIONS+=(${EXTRA[@]+"${EXTRA[@]}"})
    RESUME=()
    [[ -f $WORK_DIR/last_checkpoint ]] && RESUME=(--resume)
    echo "dist_train_folds: fold $FOLD -> $WORK_DIR"
    "$DIST_TRAIN" "$CONFIG" "$GPUS" --work-dir "$WORK_DIR" ${RESUME[@]+"${RESUME[@]}"} \
        --cfg-options "${OPTIONS[@]}"
    CHECKPOINT=$(ls -t "$WORK_DIR"/best_*.pth 2>/dev/null | head -n 1 || true)
    if [[ -z $CHECKPOINT ]]; then
        CHECKPOINT=$(cat "$WORK_DIR/last_checkpoint")
    fi
    "$DIST_TEST" "$CONFIG" "$CHECKPOINT" "$GPUS" --work-dir "$WORK_DIR/test" \
        --metrics-out "$WORK_DIR/test_metrics.json" --cfg-options "${OPTIONS[@]}"
done
