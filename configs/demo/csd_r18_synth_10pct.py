# Demo: CSD on the synthetic nuclei, 10% of the train split labeled, with the
# detector, data and budget of demo/ssmd_r18_synth_10pct.py (half-width
# ResNet-18 from scratch, 256x256, three levels; 240 iterations of 4 labeled
# + 4 unlabeled images) so the three compare.
_base_ = '../csd/csd_r50_dsb_10pct.py'

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
unlabeled_dataset = _base_.unlabeled_dataset
test_pipeline = _base_.test_pipeline
labeled_dataset.data_root = data_root
unlabeled_dataset.data_root = data_root
for __pipeline in (labeled_dataset.pipeline, unlabeled_dataset.pipeline,
                   test_pipeline):
    for __transform in __pipeline:
        if __transform.type == 'Resize':
            __transform.scale = image_size
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    sampler=dict(batch_size=8),  # 4 labeled + 4 unlabeled
    dataset=dict(datasets=[labeled_dataset, unlabeled_dataset]))

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
