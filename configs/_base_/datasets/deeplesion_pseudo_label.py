# DeepLesion for the second stage of pseudo-labeling: the labeled split plus
# the unlabeled split with the pseudo-labels that
# tools/misc/generate_pseudo_labels.py wrote from a supervised checkpoint
# (score >= 0.9; boxes in original slice coordinates, image entries copied
# from the split, so the slice loader finds its fields). 8 labeled + 8
# pseudo-labeled key slices per step (MultiSourceSampler). Both use the
# supervised train pipeline. `pseudo_ann_file` (relative to data_root):
# annotations/pseudo/<supervised config name>.json.
_base_ = './deeplesion_detection.py'

dataset_type = 'DeepLesionDataset'
data_root = 'data/deeplesion/'
pseudo_ann_file = 'annotations/pseudo/supervised_r50_deeplesion_10pct.json'
train_pipeline = _base_.train_pipeline
# pipelines in parts as in ./deeplesion_detection.py
labeled_head = pseudo_head = _base_.train_head
labeled_tail = pseudo_tail = _base_.train_tail

labeled_dataset = dict(
    type=dataset_type,
    data_root=data_root,
    ann_file='annotations/semi/instances_train.1@10.json',
    data_prefix=dict(img=''),
    filter_cfg=dict(filter_empty_gt=True, min_size=1),
    pipeline=train_pipeline)
pseudo_dataset = dict(
    type=dataset_type,
    data_root=data_root,
    ann_file=pseudo_ann_file,
    data_prefix=dict(img=''),
    filter_cfg=dict(filter_empty_gt=True, min_size=1),
    pipeline=train_pipeline)

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
