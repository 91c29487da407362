# DeepLesion for semi-supervised training: each batch holds 8 labeled and 8
# unlabeled key slices (MultiSourceSampler). Both go through the same
# geometric augmentation (flip, rotation); SSMD derives the teacher's
# mirrored view from the augmented tensor inside the model, so the two views
# stay pixel-aligned. Labeled / unlabeled splits of the official train split
# come from tools/misc/split_semi.py.
_base_ = './deeplesion_detection.py'

dataset_type = 'DeepLesionDataset'
data_root = 'data/deeplesion/'
image_size = (512, 512)

labeled_pipeline = [
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='LoadDeepLesionSlices',
        num_slices=3,
        slice_gap_mm=2.0,
        hu_range=(-1100, 1100),
        out_range=(0.0, 255.0),
        target_spacing=0.802,
        max_size=image_size[0]),
    dict(type='RandomFlip', prob=0.5),
    dict(type='Rotate', prob=1.0, min_mag=0.0, max_mag=10.0,
         img_border_value=0),
    # pad last (right / bottom) so flip / rotation act on the slice
    dict(type='Pad', size=image_size, pad_val=dict(img=0)),
    dict(type='FilterAnnotations', min_gt_bbox_wh=(1, 1), keep_empty=True),
    dict(
        type='MultiBranch',
        branch_field=['sup', 'unsup'],
        sup=dict(type='PackDetInputs'))
]
unlabeled_pipeline = [
    dict(
        type='LoadDeepLesionSlices',
        num_slices=3,
        slice_gap_mm=2.0,
        hu_range=(-1100, 1100),
        out_range=(0.0, 255.0),
        target_spacing=0.802,
        max_size=image_size[0]),
    dict(type='RandomFlip', prob=0.5),
    dict(type='Rotate', prob=1.0, min_mag=0.0, max_mag=10.0,
         img_border_value=0),
    # pad last (right / bottom) so flip / rotation act on the slice
    dict(type='Pad', size=image_size, pad_val=dict(img=0)),
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
