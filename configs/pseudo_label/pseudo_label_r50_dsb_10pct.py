# Table 1 "Pseudo-labeling", stage 2: a new RetinaNet-R50 (ImageNet init,
# not the stage-1 weights) trained on the labeled 10% plus the unlabeled 90%
# with the pseudo-labels of baselines/supervised_r50_dsb_10pct.py (score >=
# 0.9), written by tools/misc/generate_pseudo_labels.py to
# data/dsb2018/annotations/pseudo/supervised_r50_dsb_10pct.json.
# 8 labeled + 8 pseudo-labeled images per step, 3400 iterations (as SSMD).
_base_ = [
    '../_base_/models/retinanet_r50_fpn_dsb.py',
    '../_base_/datasets/dsb2018_pseudo_label.py',
    '../_base_/schedules/iter_adam_100e.py', '../_base_/iter_runtime.py'
]
