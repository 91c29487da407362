#!/usr/bin/env bash
# Generate, convert and split the demo's synthetic nuclei unless present:
#   bash tools/misc/prepare_demo_data.sh [DATA_DIR [NUM_IMAGES]]
# 192 x 192 images (nuclei of radius 4-12 px) in three imaging styles
# (fluorescence, brightfield, H&E-like) with unlabeled debris, 80/10/10
# train/val/test, labeled splits of 2.5, 5 and 10% of the train split
# (fold 1). Uses .venv's python.
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PY=${MMSSMD_VENV:-$REPO_ROOT/.venv}/bin/python
DATA=${1:-data/synthetic_dsb}
NUM_IMAGES=${2:-400}
cd "$REPO_ROOT"
if [[ ! -d $DATA/stage1_train ]]; then
    "$PY" tools/misc/generate_synthetic_dsb.py --out-dir "$DATA" \
        --num-images "$NUM_IMAGES" --seed 0 --workers 2 \
        --size 192 192 --radius 4 12 \
        --styles fluorescence brightfield histology --debris 0 20
fi
if [[ ! -f $DATA/annotations/instances_test.json ]]; then
    "$PY" tools/dataset_converters/dsb2018_to_coco.py --data-root "$DATA" \
        --seed 0
fi
if [[ ! -f $DATA/annotations/semi/instances_train.1@10-unlabeled.json ]]; then
    "$PY" tools/misc/split_semi.py \
        --ann-file "$DATA/annotations/instances_train.json" \
        --out-dir "$DATA/annotations/semi" --percents 2.5 5 10 --folds 1
fi
