# DSB 2018 for semi-supervised training: each batch holds 8 labeled and 8
# unlabeled images (MultiSourceSampler). Both go through the same geometric
# augmentation (resize, flip, rotation); SSMD derives the teacher's mirrored
# view from the augmented tensor inside the model, so the two views stay
# pixel-aligned.
_base_ = './dsb2018_detection.py'

dataset_type = 'DSBNucleiDataset'
data_root = 'data/dsb2018/'
image_size = (448, 448)

labeled_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=image_size, keep_ratio=False),
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
    dict(type='Resize', scale=image_size, keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='Rotate', prob=1.0, min_mag=0.0, max_mag=10.0,
         img_border_value=0),
    dict(
        type='MultiBranch',
        branch_field=['sup', 'unsup'],
        unsup=dict(type='PackDetInputs'))
]

labeled_dataset = dict(
    type=dataset_type,
    data_root=data_root,
    ann_file='annotations/semi/instances_train.1@10.json',
    data_prefix=dict(img=''),
    filter_cfg=dict(filter_empty_gt=True, min_size=1),
    pipeline=labeled_pipeline)
# the split tool keeps the unlabeled images' annotations; nothing loads them
unlabeled_dataset = dict(
    type=dataset_type,
    data_root=data_root,
    ann_file='annotations/semi/instances_train.1@10-unlabeled.json',
    data_prefix=dict(img=''),
    filter_cfg=dict(filter_empty_gt=False),
    pipeline=unlabeled_pipeline)

batch_size = 16  # 8 labeled + 8 unlabeled
train_dataloader = dict(
    _delete_=True,
    batch_size=batch_size,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(
        type='MultiSourceSampler',
        batch_size=batch_size,
        source_ratio=[1, 1]),
    dataset=dict(
        type='ConcatDataset', datasets=[labeled_dataset, unlabeled_dataset]))
