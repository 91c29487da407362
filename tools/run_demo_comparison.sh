#!/usr/bin/env bash
# Trains and tests every method's demo config on the synthetic nuclei with
# 10% of the train split labeled and the same budget (240 iterations of 4
# labeled (+ 4 unlabeled) images, the same small RetinaNet), then prints the
# test AP of each. Pseudo-labeling runs its two stages: the supervised demo's
# checkpoint labels the unlabeled 90% (score >= 0.9), then a new detector
# trains on labeled + pseudo-labeled images.
#   bash tools/run_demo_comparison.sh [METHOD ...]
#   METHOD in: supervised ssmd csd focalmix mmdet_mean_teacher pseudo_label
# Figures measured on a 2-core CPU are in docs/benchmarks.md.
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${MMSSMD_VENV:-$REPO_ROOT/.venv}
DATA=${DEMO_DATA:-data/synthetic_dsb}
OUT=${DEMO_WORK_DIR:-work_dirs/demo_comparison}
METHODS=${*:-supervised ssmd csd focalmix mmdet_mean_teacher pseudo_label}
bash "$REPO_ROOT/tools/setup_env.sh"
cd "$REPO_ROOT"
PY=$VENV/bin/python

if [[ ! -d $DATA/stage1_train ]]; then
    "$PY" tools/misc/generate_synthetic_dsb.py --out-dir "$DATA" \
        --num-images 200 --seed 0
fi
if [[ ! -f $DATA/annotations/instances_test.json ]]; then
    "$PY" tools/dataset_converters/dsb2018_to_coco.py --data-root "$DATA" --seed 0
fi
if [[ ! -f $DATA/annotations/semi/instances_train.1@10-unlabeled.json ]]; then
    "$PY" tools/misc/split_semi.py \
        --ann-file "$DATA/annotations/instances_train.json" \
        --out-dir "$DATA/annotations/semi" --percents 10 20 30 40 50 --folds 1
fi
mkdir -p "$OUT"

# train + test one config; append "name seconds metrics" to the summary
run() {
    local name=$1 config=$2 start wd ckpt
    start=$(date +%s)
    wd=$OUT/$name
    echo "[compare] $name: training $config"
    "$PY" tools/train.py "$config" --work-dir "$wd" > "$wd.train.log" 2>&1
    ckpt=$(cat "$wd/last_checkpoint")
    "$PY" tools/test.py "$config" "$ckpt" --work-dir "$wd/test" \
        > "$wd.test.log" 2>&1
    echo "$name $(( $(date +%s) - start ))s $(grep -o \
        'coco/bbox_mAP: [0-9.]*\|coco/bbox_mAP_50: [0-9.]*' "$wd.test.log" \
        | tr '\n' ' ')" | tee -a "$OUT/summary.txt"
}

for method in $METHODS; do
    case $method in
    supervised) run supervised configs/demo/supervised_r18_synth_10pct.py ;;
    pseudo_label)
        if [[ ! -f $OUT/supervised/last_checkpoint ]]; then
            run supervised configs/demo/supervised_r18_synth_10pct.py
        fi
        "$PY" tools/misc/generate_pseudo_labels.py \
            configs/demo/supervised_r18_synth_10pct.py \
            "$(cat "$OUT/supervised/last_checkpoint")" \
            --ann-file "$DATA/annotations/semi/instances_train.1@10-unlabeled.json" \
            --out "$DATA/annotations/pseudo/supervised_r18_synth_10pct.json"
        run pseudo_label configs/demo/pseudo_label_r18_synth_10pct.py ;;
    *) run "$method" "configs/demo/${method}_r18_synth_10pct.py" ;;
    esac
done
echo "[compare] test AP per method (also in $OUT/summary.txt):"
cat "$OUT/summary.txt"
