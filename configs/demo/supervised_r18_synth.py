# Demo: a small RetinaNet-R18 trained from scratch on the synthetic nuclei
# (tools/run_demo.sh), sized to train and evaluate on a 2-core CPU in minutes.
# Same pipeline as the DSB configs (rotation +-10 deg, flip, tight boxes);
# what differs is the size: 256x256 inputs, three pyramid levels with smaller
# anchors for the small nuclei, a half-width ResNet-18 and a narrower head, and a higher learning rate
# because there are no pretrained weights.
_base_ = '../baselines/fully_supervised_r50_dsb.py'

data_root = 'data/synthetic_dsb/'
image_size = (256, 256)

model = dict(
    backbone=dict(
        depth=18,
        base_channels=32,
        frozen_stages=-1,
        norm_eval=False,
        init_cfg=None),
    neck=dict(
        in_channels=[32, 64, 128, 256],
        out_channels=64,
        start_level=1,
        add_extra_convs=False,
        num_outs=3),
    bbox_head=dict(
        in_channels=64,
        feat_channels=64,
        stacked_convs=2,
        anchor_generator=dict(octave_base_scale=2, strides=[8, 16, 32])))

train_pipeline = _base_.train_pipeline
test_pipeline = _base_.test_pipeline
for __pipeline in (train_pipeline, test_pipeline):
    for __transform in __pipeline:
        if __transform.type == 'Resize':
            __transform.scale = image_size
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    dataset=dict(
        data_root=data_root,
        ann_file='annotations/instances_train.json',
        pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=1,
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = dict(
    num_workers=1,
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val.json')
test_evaluator = dict(ann_file=data_root + 'annotations/instances_test.json')

max_epochs = 12
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True,
         milestones=[9], gamma=0.1)
]
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
default_hooks = dict(
    logger=dict(interval=5),
    checkpoint=dict(interval=max_epochs, max_keep_ckpts=1, save_best=None))
