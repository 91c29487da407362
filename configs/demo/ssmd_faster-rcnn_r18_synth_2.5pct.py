# Demo: SSMD on the demo's small Faster R-CNN (TwoStageSSMD: consistency on
# the RPN and on the RoI head), 2.5% of the synthetic train split labeled
# and the rest unlabeled, 4 + 4 images per step, the demo's 2000
# iterations, with the RetinaNet demo's SSMD settings
# (../_base_/synth_demo_table10.py). configs/ablations/table10_detectors/
# keep the paper's.
_base_ = [
    '../_base_/models/ssmd_faster-rcnn_r50_fpn.py',
    '../_base_/datasets/synthetic_dsb_semi.py',
    '../_base_/synth_demo_table10.py'
]

model = dict(
    detector=dict(
        _base_.synth_faster_rcnn_detector,
        backbone=dict(_base_.synth_backbone, perturbation=None)),
    semi_train_cfg=_base_.demo_ssmd_semi_train_cfg)
custom_hooks = _base_.demo_ssmd_hooks
