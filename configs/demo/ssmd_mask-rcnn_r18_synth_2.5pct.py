# Demo: SSMD on the demo's small Mask R-CNN (TwoStageSSMD with the
# supervised mask loss on the labeled images), 2.5% of the synthetic train
# split labeled and the rest unlabeled, 4 + 4 images per step, the demo's
# 2000 iterations, with the RetinaNet demo's SSMD settings
# (../_base_/synth_demo_table10.py); tested on boxes and masks.
# configs/ablations/table10_detectors/ keep the paper's.
_base_ = [
    '../_base_/models/ssmd_mask-rcnn_r50_fpn.py',
    '../_base_/datasets/synthetic_dsb_semi_instance.py',
    '../_base_/synth_demo_table10.py'
]

model = dict(
    detector=dict(
        _base_.synth_mask_rcnn_detector,
        backbone=dict(_base_.synth_backbone, perturbation=None)),
    semi_train_cfg=_base_.demo_ssmd_semi_train_cfg)
custom_hooks = _base_.demo_ssmd_hooks
