# Demo: the small RetinaNet (quarter-width ResNet-18 from scratch, 192 x 192,
# three levels) trained on every image of the synthetic train split: the
# fully supervised reference of the demo comparison (tools/run_demo.sh).
_base_ = [
    '../_base_/models/retinanet_r50_fpn_dsb.py',
    '../_base_/datasets/synthetic_dsb_detection.py',
    '../_base_/synth_demo.py'
]

model = dict(**_base_.synth_detector)
