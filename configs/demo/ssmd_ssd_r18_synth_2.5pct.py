# Demo: SSMD on the demo's small SSD (the softmax adaptive cost at every
# paired anchor of its four levels), 2.5% of the synthetic train split
# labeled and the rest unlabeled, 4 + 4 images per step, the demo's 2000
# iterations, with the RetinaNet demo's SSMD settings
# (../_base_/synth_demo_table10.py). configs/ablations/table10_detectors/
# keep the paper's.
_base_ = [
    '../_base_/models/ssmd_ssd_r50.py',
    '../_base_/datasets/synthetic_dsb_semi.py',
    '../_base_/synth_demo_table10.py'
]

model = dict(
    detector=dict(
        _base_.synth_ssd_detector,
        backbone=dict(_base_.synth_ssd_backbone, perturbation=None)),
    semi_train_cfg=_base_.demo_ssmd_semi_train_cfg)
custom_hooks = _base_.demo_ssmd_hooks
