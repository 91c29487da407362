# Demo: Table 10's SSD at the demo's scale (quarter-width ResNet-18 from
# scratch, four levels at 192 x 192) trained on the 2.5% labeled split only
# (8 of the 320 train images), the demo's budget.
_base_ = [
    '../_base_/models/ssd_r50_dsb.py',
    '../_base_/datasets/synthetic_dsb_detection.py',
    '../_base_/synth_demo_table10.py'
]

model = dict(**_base_.synth_ssd_detector)
train_dataloader = dict(
    dataset=dict(ann_file='annotations/semi/instances_train.1@2.5.json'))
