# DeepLesion for semi-supervised training: each batch holds 8 labeled and 8
# unlabeled key slices (MultiSourceSampler). Both go through the same
# geometric augmentation (flip, rotation); SSMD derives the teacher's
# mirrored view from the augmented tensor inside the model, so the two views
# stay pixel-aligned. Labeled / unlabeled splits of the official train split
# come from tools/misc/split_semi.py.
_base_ = './deeplesion_detection.py'

dataset_type = 'DeepLesionDataset'
data_root = 'data/deeplesion/'
# pipelines in parts as in ./deeplesion_detection.py
labeled_head = [
    dict(type='LoadAnnotations', with_bbox=True), _base_.load_slices
]
labeled_tail = [
    *_base_.filter_steps,
    dict(
        type='MultiBranch',
        branch_field=['sup', 'unsup'],
        sup=dict(type='PackDetInputs'))
]
unlabeled_head = [_base_.load_slices]
unlabeled_tail = [
    dict(
        type='MultiBranch',
        branch_field=['sup', 'unsup'],
        unsup=dict(type='PackDetInputs'))
]
labeled_pipeline = [
    *labeled_head, _base_.resize, *_base_.aug_steps, _base_.pad,
    *labeled_tail
]
unlabeled_pipeline = [
    *unlabeled_head, _base_.resize, *_base_.aug_steps, _base_.pad,
    *unlabeled_tail
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
