#!/usr/bin/env bash
# The README's demo command: sets up .venv if needed, generates the synthetic
# DSB-format nuclei data, converts it with the real converter, writes the
# labeled/unlabeled splits, trains the demo config and evaluates it.
#   bash tools/run_demo.sh [CONFIG]     (default: configs/demo/supervised_r18_synth.py)
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${MMSSMD_VENV:-$REPO_ROOT/.venv}
CONFIG=${1:-configs/demo/supervised_r18_synth.py}
DATA=${DEMO_DATA:-data/synthetic_dsb}
NUM_IMAGES=${DEMO_NUM_IMAGES:-200}
bash "$REPO_ROOT/tools/setup_env.sh"
cd "$REPO_ROOT"
PY=$VENV/bin/python
start=$(date +%s)

if [[ ! -d $DATA/stage1_train ]]; then
    "$PY" tools/misc/generate_synthetic_dsb.py --out-dir "$DATA" \
        --num-images "$NUM_IMAGES" --seed 0
fi
if [[ ! -f $DATA/annotations/instances_test.json ]]; then
    "$PY" tools/dataset_converters/dsb2018_to_coco.py --data-root "$DATA" --seed 0
fi
if [[ ! -f $DATA/annotations/semi/instances_train.1@10-unlabeled.json ]]; then
    "$PY" tools/misc/split_semi.py \
        --ann-file "$DATA/annotations/instances_train.json" \
        --out-dir "$DATA/annotations/semi" --percents 10 20 30 40 50 --folds 1
fi

NAME=$(basename "$CONFIG" .py)
WORK_DIR=work_dirs/demo/$NAME
"$PY" tools/train.py "$CONFIG" --work-dir "$WORK_DIR"
CKPT=$(cat "$WORK_DIR/last_checkpoint")
echo "[demo] evaluating $CKPT on the test split"
"$PY" tools/test.py "$CONFIG" "$CKPT" --work-dir "$WORK_DIR/test" \
    | tee "$WORK_DIR/test.log"
echo "[demo] done in $(( $(date +%s) - start )) s; test metrics above" \
     "(coco/bbox_mAP, coco/bbox_mAP_50, coco/bbox_mAP_75)."
