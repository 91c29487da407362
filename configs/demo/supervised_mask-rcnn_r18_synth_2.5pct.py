# Demo: Table 10's Mask R-CNN at the demo's scale (the small Faster R-CNN
# with a narrow mask head, trained on the nuclei's masks) trained on the
# 2.5% labeled split only (8 of the 320 train images), the demo's budget;
# tested on boxes and masks.
_base_ = [
    '../_base_/models/mask-rcnn_r50_fpn_dsb.py',
    '../_base_/datasets/synthetic_dsb_instance.py',
    '../_base_/synth_demo_table10.py'
]

model = dict(**_base_.synth_mask_rcnn_detector)
train_dataloader = dict(
    dataset=dict(ann_file='annotations/semi/instances_train.1@2.5.json'))
