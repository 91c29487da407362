# DSB 2018 for semi-supervised training: each batch holds 8 labeled and 8
# unlabeled images (MultiSourceSampler). Both go through the same geometric
# augmentation (resize, flip, rotation); SSMD derives the teacher's mirrored
# view from the augmented tensor inside the model, so the two views stay
# pixel-aligned. Pipelines in parts as in ./dsb2018_detection.py.
_base_ = './dsb2018_detection.py'

dataset_type = 'DSBNucleiDataset'
data_root = 'data/dsb2018/'

labeled_head = [dict(type='LoadImageFromFile'), _base_.load_steps[1]]
labeled_tail = [*_base_.aug_steps, *_base_.mask_box_steps, _base_.sup_branch]
unlabeled_head = [dict(type='LoadImageFromFile')]
unlabeled_tail = [*_base_.aug_steps, _base_.unsup_branch]

labeled_dataset = dict(
    type=dataset_type,
    data_root=data_root,
    ann_file='annotations/semi/instances_train.1@10.json',
    data_prefix=dict(img=''),
    filter_cfg=dict(filter_empty_gt=True, min_size=1),
    pipeline=[*labeled_head, _base_.resize, *labeled_tail])
# the split tool keeps the unlabeled images' annotations; nothing loads them
unlabeled_dataset = dict(
    type=dataset_type,
    data_root=data_root,
    ann_file='annotations/semi/instances_train.1@10-unlabeled.json',
    data_prefix=dict(img=''),
    filter_cfg=dict(filter_empty_gt=False),
    pipeline=[*unlabeled_head, _base_.resize, *unlabeled_tail])

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
