# Demo: FocalMix with the demo's small RetinaNet, data and budget (2.5%
# labeled, 4 + 4 images per step, 2000 iterations).
_base_ = [
    '../_base_/models/focalmix_retinanet_r50_fpn.py',
    '../_base_/datasets/synthetic_dsb_semi.py',
    '../_base_/synth_demo.py'
]

model = dict(**_base_.synth_detector)
