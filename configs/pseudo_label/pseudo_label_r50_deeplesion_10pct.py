# Table 1 "Pseudo-labeling" on DeepLesion, stage 2: a new RetinaNet-R50
# trained on the labeled 10% plus the unlabeled 90% with the pseudo-labels
# of baselines/supervised_r50_deeplesion_10pct.py (score >= 0.9), written
# by tools/misc/generate_pseudo_labels.py to
# data/deeplesion/annotations/pseudo/supervised_r50_deeplesion_10pct.json.
_base_ = [
    '../_base_/models/retinanet_r50_fpn_deeplesion.py',
    '../_base_/datasets/deeplesion_pseudo_label.py',
    '../_base_/schedules/iter_adam_100e_deeplesion.py',
    '../_base_/iter_runtime_deeplesion.py'
]
