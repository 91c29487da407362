# DSB 2018 for mmdet's mean teacher (SemiBaseDetector): 8 labeled + 8
# unlabeled images per step (MultiSourceSampler), as dsb2018_semi.py, with
# mmdet's three branches. Labeled images ('sup') get the supervised
# augmentation. Each unlabeled image is resized once, then gives a weak view
# for the teacher ('unsup_teacher': flip) and a strong view for the student
# ('unsup_student': its own flip, rotation +-10 deg and five erased squares
# of 70 px at 448, the counterpart of SSMD's cutout). The two views differ
# geometrically; SemiBaseDetector maps the teacher's boxes onto the student
# view with the recorded homography matrices.
_base_ = './dsb2018_semi.py'

dataset_type = 'DSBNucleiDataset'
data_root = 'data/dsb2018/'
image_size = (448, 448)
branch_field = ['sup', 'unsup_teacher', 'unsup_student']
unsup_meta_keys = ('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor', 'flip', 'flip_direction',
                   'homography_matrix')

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
        branch_field=branch_field,
        sup=dict(type='PackDetInputs'))
]
weak_pipeline = [
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs', meta_keys=unsup_meta_keys)
]
strong_pipeline = [
    dict(type='RandomFlip', prob=0.5),
    dict(type='Rotate', prob=1.0, min_mag=0.0, max_mag=10.0,
         img_border_value=0),
    # 70 / 448: the side is relative to the image (70 px at 448)
    dict(type='RandomErasing', n_patches=5, ratio=0.15625, squared=True,
         img_border_value=0),
    dict(type='PackDetInputs', meta_keys=unsup_meta_keys)
]
unlabeled_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadEmptyAnnotations'),
    dict(type='Resize', scale=image_size, keep_ratio=False),
    dict(
        type='MultiBranch',
        branch_field=branch_field,
        unsup_teacher=weak_pipeline,
        unsup_student=strong_pipeline)
]

labeled_dataset = dict(
    type=dataset_type,
    data_root=data_root,
    ann_file='annotations/semi/instances_train.1@10.json',
    data_prefix=dict(img=''),
    filter_cfg=dict(filter_empty_gt=True, min_size=1),
    pipeline=labeled_pipeline)
unlabeled_dataset = dict(
    type=dataset_type,
    data_root=data_root,
    ann_file='annotations/semi/instances_train.1@10-unlabeled.json',
    data_prefix=dict(img=''),
    filter_cfg=dict(filter_empty_gt=False),
    pipeline=unlabeled_pipeline)
train_dataloader = dict(
    dataset=dict(datasets=[labeled_dataset, unlabeled_dataset]))
