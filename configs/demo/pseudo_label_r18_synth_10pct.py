# Demo: pseudo-labeling on the synthetic nuclei, 10% labeled. Stage 1 is
# demo/supervised_r18_synth_10pct.py; its checkpoint labels the unlabeled
# 90% (tools/misc/generate_pseudo_labels.py, score >= 0.9) into
# data/synthetic_dsb/annotations/pseudo/supervised_r18_synth_10pct.json.
# Stage 2 (this config) trains the same small detector from scratch with the
# budget of demo/ssmd_r18_synth_10pct.py: 240 iterations of 4 labeled + 4
# pseudo-labeled images.
_base_ = '../pseudo_label/pseudo_label_r50_dsb_10pct.py'

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

labeled_dataset = _base_.labeled_dataset
pseudo_dataset = _base_.pseudo_dataset
test_pipeline = _base_.test_pipeline
labeled_dataset.data_root = data_root
pseudo_dataset.data_root = data_root
pseudo_dataset.ann_file = \
    'annotations/pseudo/supervised_r18_synth_10pct.json'
for __pipeline in (labeled_dataset.pipeline, pseudo_dataset.pipeline,
                   test_pipeline):
    for __transform in __pipeline:
        if __transform.type == 'Resize':
            __transform.scale = image_size
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    sampler=dict(batch_size=8),  # 4 labeled + 4 pseudo-labeled
    dataset=dict(datasets=[labeled_dataset, pseudo_dataset]))

val_dataloader = dict(
    num_workers=1,
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = dict(
    num_workers=1,
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val.json')
test_evaluator = dict(ann_file=data_root + 'annotations/instances_test.json')

max_iters = 240
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='MultiStepLR', begin=0, end=max_iters, by_epoch=False,
         milestones=[180], gamma=0.1)
]
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=max_iters, max_keep_ckpts=1, save_best=None))
