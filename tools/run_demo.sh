#!/usr/bin/env bash
# The README's demo command: sets up .venv if needed, generates the synthetic
# DSB-format nuclei (three imaging styles, debris), converts them with the
# real converter, writes the labeled/unlabeled splits, then compares SSMD with
# training on the labeled images alone and with the fully supervised
# reference (same detector, data and budget), and prints the table and the
# path of the plot.
#
#   bash tools/run_demo.sh                one seed of each (about 15 minutes
#                                         on 2 cores after set-up)
#   bash tools/run_demo.sh --seeds 3      three seeds: mean +- std, the gap
#                                         closed and Welch's p-value
#   bash tools/run_demo.sh CONFIG         train and test one config only
#
# Environment: DEMO_DATA (data/synthetic_dsb), DEMO_WORK_DIR
# (work_dirs/demo_comparison), DEMO_JOBS (2 runs at a time), DEMO_NUM_IMAGES.
# A finished run is not trained again (tools/analysis/compare_methods.py
# resumes), so --seeds 3 after the default run only trains seeds 1 and 2.
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${MMSSMD_VENV:-$REPO_ROOT/.venv}
DATA=${DEMO_DATA:-data/synthetic_dsb}
NUM_IMAGES=${DEMO_NUM_IMAGES:-400}
OUT=${DEMO_WORK_DIR:-work_dirs/demo_comparison}
JOBS=${DEMO_JOBS:-2}
SEEDS=1
CONFIG=
while [[ $# -gt 0 ]]; do
    case $1 in
    --seeds) SEEDS=$2; shift 2 ;;
    *.py) CONFIG=$1; shift ;;
    *) echo "usage: bash tools/run_demo.sh [--seeds N | CONFIG]" >&2; exit 2 ;;
    esac
done
bash "$REPO_ROOT/tools/setup_env.sh"
cd "$REPO_ROOT"
PY=$VENV/bin/python
start=$(date +%s)

bash tools/misc/prepare_demo_data.sh "$DATA" "$NUM_IMAGES"

if [[ -n $CONFIG ]]; then
    NAME=$(basename "$CONFIG" .py)
    WORK_DIR=work_dirs/demo/$NAME
    "$PY" tools/train.py "$CONFIG" --work-dir "$WORK_DIR"
    CKPT=$(cat "$WORK_DIR/last_checkpoint")
    echo "[demo] evaluating $CKPT on the test split"
    "$PY" tools/test.py "$CONFIG" "$CKPT" --work-dir "$WORK_DIR/test" \
        | tee "$WORK_DIR/test.log"
    echo "[demo] done in $(( $(date +%s) - start )) s; test metrics above."
    exit 0
fi

"$PY" tools/analysis/compare_methods.py \
    configs/demo/supervised_r18_synth_2.5pct.py \
    configs/demo/ssmd_r18_synth_2.5pct.py \
    configs/demo/supervised_r18_synth.py \
    --names supervised-2.5% SSMD-2.5% supervised-100% \
    --baseline supervised-2.5% --reference supervised-100% --target SSMD-2.5% \
    --seeds $(seq 0 $(( SEEDS - 1 ))) --jobs "$JOBS" --work-dir "$OUT" \
    --title "Synthetic nuclei, 2.5% labeled: SSMD vs supervised"
echo "[demo] done in $(( $(date +%s) - start )) s"
