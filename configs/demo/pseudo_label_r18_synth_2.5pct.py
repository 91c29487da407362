# Demo: pseudo-labeling, stage 2. Stage 1 is
# demo/supervised_r18_synth_2.5pct.py; its checkpoint labels the unlabeled
# 97.5% (tools/misc/generate_pseudo_labels.py, score >= 0.9) into
# annotations/pseudo/supervised_r18_synth_2.5pct.json
# (tools/run_demo_comparison.sh runs both stages). Stage 2 trains the same
# small RetinaNet from scratch on 4 labeled + 4 pseudo-labeled images per
# step, the demo's 2000 iterations.
_base_ = [
    '../_base_/models/retinanet_r50_fpn_dsb.py',
    '../_base_/datasets/synthetic_dsb_pseudo_label.py',
    '../_base_/synth_demo.py'
]

model = dict(**_base_.synth_detector)
