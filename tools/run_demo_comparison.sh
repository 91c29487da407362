#!/usr/bin/env bash
# Every method's demo config on the synthetic nuclei with 2.5% of the train
# split labeled and the same small RetinaNet, data and budget (2000
# iterations of 4 labeled (+ 4 unlabeled) images), for N seeds, compared by
# tools/analysis/compare_methods.py (mean +- std, gap closed, Welch p of
# SSMD against the best other method). Pseudo-labeling runs its two stages
# per seed: that seed's supervised checkpoint labels the unlabeled images
# (score >= 0.9), then a new detector trains on labeled + pseudo-labeled.
#   bash tools/run_demo_comparison.sh [--seeds N] [METHOD ...]
#   METHOD in: supervised ssmd csd focalmix mmdet_mean_teacher pseudo_label
#              full (default: all)
# Runs are shared with tools/run_demo.sh (same work dir): finished runs are
# not trained again. Figures measured on a 2-core CPU: docs/benchmarks.md.
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${MMSSMD_VENV:-$REPO_ROOT/.venv}
DATA=${DEMO_DATA:-data/synthetic_dsb}
OUT=${DEMO_WORK_DIR:-work_dirs/demo_comparison}
JOBS=${DEMO_JOBS:-2}
SEEDS=1
METHODS=()
while [[ $# -gt 0 ]]; do
    case $1 in
    --seeds) SEEDS=$2; shift 2 ;;
    *) METHODS+=("$1"); shift ;;
    esac
done
[[ ${#METHODS[@]} -gt 0 ]] || METHODS=(supervised ssmd csd focalmix
                                       mmdet_mean_teacher pseudo_label full)
bash "$REPO_ROOT/tools/setup_env.sh"
cd "$REPO_ROOT"
PY=$VENV/bin/python
bash tools/misc/prepare_demo_data.sh "$DATA" "${DEMO_NUM_IMAGES:-400}"
seeds=$(seq 0 $(( SEEDS - 1 )))

configs=() names=()
add() { configs+=("$1"); names+=("$2"); }
for method in "${METHODS[@]}"; do
    case $method in
    supervised) add configs/demo/supervised_r18_synth_2.5pct.py supervised-2.5% ;;
    full) add configs/demo/supervised_r18_synth.py supervised-100% ;;
    ssmd) add configs/demo/ssmd_r18_synth_2.5pct.py SSMD-2.5% ;;
    csd) add configs/demo/csd_r18_synth_2.5pct.py CSD-2.5% ;;
    focalmix) add configs/demo/focalmix_r18_synth_2.5pct.py FocalMix-2.5% ;;
    mmdet_mean_teacher)
        add configs/demo/mmdet_mean_teacher_r18_synth_2.5pct.py mmdet-MT-2.5% ;;
    pseudo_label) ;;
    *) echo "unknown method $method" >&2; exit 2 ;;
    esac
done

compare() {
    "$PY" tools/analysis/compare_methods.py "$@" --seeds $seeds \
        --jobs "$JOBS" --work-dir "$OUT"
}
if [[ " ${METHODS[*]} " == *" pseudo_label "* ]]; then
    # stage 1 (the supervised runs), then pseudo-labels per seed, stage 2
    compare configs/demo/supervised_r18_synth_2.5pct.py \
        --names supervised-2.5% --report stage1 > /dev/null
    for seed in $seeds; do
        pseudo=$DATA/annotations/pseudo/supervised_r18_synth_2.5pct.seed$seed.json
        if [[ ! -f $pseudo ]]; then
            "$PY" tools/misc/generate_pseudo_labels.py \
                configs/demo/supervised_r18_synth_2.5pct.py \
                "$(cat "$OUT/supervised-2.5%/seed_$seed/last_checkpoint")" \
                --ann-file "$DATA/annotations/semi/instances_train.1@2.5-unlabeled.json" \
                --out "$pseudo"
        fi
    done
    compare configs/demo/pseudo_label_r18_synth_2.5pct.py \
        --names pseudo-label-2.5% --cfg-options \
        'train_dataloader.dataset.datasets.1.ann_file=annotations/pseudo/supervised_r18_synth_2.5pct.seed{seed}.json' \
        --report stage2 > /dev/null
    add configs/demo/pseudo_label_r18_synth_2.5pct.py pseudo-label-2.5%
fi

args=()
[[ " ${names[*]} " == *" supervised-2.5% "* ]] && args+=(--baseline supervised-2.5%)
[[ " ${names[*]} " == *" supervised-100% "* ]] && args+=(--reference supervised-100%)
[[ " ${names[*]} " == *" SSMD-2.5% "* ]] && args+=(--target SSMD-2.5%)
compare "${configs[@]}" --names "${names[@]}" "${args[@]}" \
    --title "Synthetic nuclei, 2.5% labeled: every method" --report all_methods
