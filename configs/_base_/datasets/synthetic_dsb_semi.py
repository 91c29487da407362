# The demo's synthetic nuclei for semi-supervised training (SSMD, CSD,
# FocalMix): labeled and unlabeled images through the DSB semi pipelines at
# 192 x 192, 4 labeled + 4 unlabeled images per step.
_base_ = './synthetic_dsb_detection.py'

labeled_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale={{_base_.image_size}}, keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='Rotate', prob=1.0, min_mag=0.0, max_mag=10.0,
         img_border_value=0),
    dict(type='RecomputeBoxesFromMasks'),
    dict(type='FilterAnnotations', min_gt_bbox_wh=(1, 1), keep_empty=True),
    dict(
        type='MultiBranch',
        branch_field=['sup', 'unsup'],
        sup=dict(type='PackDetInputs'))
]
unlabeled_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale={{_base_.image_size}}, keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='Rotate', prob=1.0, min_mag=0.0, max_mag=10.0,
         img_border_value=0),
    dict(
        type='MultiBranch',
        branch_field=['sup', 'unsup'],
        unsup=dict(type='PackDetInputs'))
]
labeled_dataset = dict(
    type='DSBNucleiDataset',
    data_root={{_base_.data_root}},
    ann_file='annotations/semi/instances_train.1@2.5.json',
    data_prefix=dict(img=''),
    filter_cfg=dict(filter_empty_gt=True, min_size=1),
    pipeline=labeled_pipeline)
unlabeled_dataset = dict(
    type='DSBNucleiDataset',
    data_root={{_base_.data_root}},
    ann_file='annotations/semi/instances_train.1@2.5-unlabeled.json',
    data_prefix=dict(img=''),
    filter_cfg=dict(filter_empty_gt=False),
    pipeline=unlabeled_pipeline)
train_dataloader = dict(
    _delete_=True,
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='MultiSourceSampler', batch_size=8,
                 source_ratio=[1, 1]),  # 4 labeled + 4 unlabeled
    dataset=dict(
        type='ConcatDataset', datasets=[labeled_dataset, unlabeled_dataset]))
