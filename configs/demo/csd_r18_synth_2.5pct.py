# Demo: CSD with the demo's small RetinaNet, data and budget (2.5% labeled,
# 4 + 4 images per step, 2000 iterations).
_base_ = [
    '../_base_/models/csd_retinanet_r50_fpn.py',
    '../_base_/models/synth_r18_parts.py',
    '../_base_/datasets/synthetic_dsb_semi.py',
    '../_base_/schedules/synth_iter_adam_2k.py', '../_base_/synth_runtime.py'
]

model = dict(
    backbone=_base_.synth_backbone,
    neck=_base_.synth_neck,
    bbox_head=_base_.synth_bbox_head)
