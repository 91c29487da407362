# DSB 2018 for the second stage of pseudo-labeling (STAC-style): the labeled
# split with its annotations plus the unlabeled split with the pseudo-labels
# that tools/misc/generate_pseudo_labels.py wrote from a supervised
# checkpoint (score >= 0.9). 8 labeled + 8 pseudo-labeled images per step
# (MultiSourceSampler), the sampling of the semi-supervised runs.
#
# `pseudo_ann_file` (relative to data_root) names the json the recipe
# writes; by convention annotations/pseudo/<supervised config name>.json,
# i.e. the pseudo-labels of that checkpoint.
#
# Pseudo-labels are boxes without masks, so their images skip
# RecomputeBoxesFromMasks: mmdet's Rotate maps a box to the box enclosing
# its rotated corners (slightly looser than the tight box of a rotated
# mask). Images without any pseudo-box are dropped (filter_empty_gt),
# rather than trained on as all-background.
_base_ = './dsb2018_detection.py'

dataset_type = 'DSBNucleiDataset'
data_root = 'data/dsb2018/'
pseudo_ann_file = 'annotations/pseudo/supervised_r50_dsb_10pct.json'

# pipelines in parts as in ./dsb2018_detection.py
labeled_head = [dict(type='LoadImageFromFile'), _base_.load_steps[1]]
labeled_tail = _base_.train_tail
pseudo_head = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True)
]
pseudo_tail = [
    *_base_.aug_steps, _base_.mask_box_steps[1],
    dict(type='PackDetInputs')
]

labeled_dataset = dict(
    type=dataset_type,
    data_root=data_root,
    ann_file='annotations/semi/instances_train.1@10.json',
    data_prefix=dict(img=''),
    filter_cfg=dict(filter_empty_gt=True, min_size=1),
    pipeline=[*labeled_head, _base_.resize, *labeled_tail])
pseudo_dataset = dict(
    type=dataset_type,
    data_root=data_root,
    ann_file=pseudo_ann_file,
    data_prefix=dict(img=''),
    filter_cfg=dict(filter_empty_gt=True, min_size=1),
    pipeline=[*pseudo_head, _base_.resize, *pseudo_tail])

batch_size = 16  # 8 labeled + 8 pseudo-labeled
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
        type='ConcatDataset', datasets=[labeled_dataset, pseudo_dataset]))
