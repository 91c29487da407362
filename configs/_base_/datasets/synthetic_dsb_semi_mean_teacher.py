# The demo's synthetic nuclei for mmdet's mean teacher: the branches of
# dsb2018_semi_mean_teacher.py (labeled 'sup'; unlabeled weak view for the
# teacher, strong view with its own flip, rotation and erased squares for
# the student) at 192 x 192, 4 labeled + 4 unlabeled images per step.
_base_ = './synthetic_dsb_semi.py'

branch_field = ['sup', 'unsup_teacher', 'unsup_student']
unsup_meta_keys = ('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor', 'flip', 'flip_direction',
                   'homography_matrix')
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
    # 5 squares of 30 px at 192 (70 at 448), as SSMD's demo cutout
    dict(type='RandomErasing', n_patches=5, ratio=0.15625, squared=True,
         img_border_value=0),
    dict(type='PackDetInputs', meta_keys=unsup_meta_keys)
]
unlabeled_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadEmptyAnnotations'),
    dict(type='Resize', scale={{_base_.image_size}}, keep_ratio=False),
    dict(
        type='MultiBranch',
        branch_field=branch_field,
        unsup_teacher=weak_pipeline,
        unsup_student=strong_pipeline)
]
labeled_dataset = _base_.labeled_dataset
labeled_dataset.pipeline = labeled_pipeline
unlabeled_dataset = _base_.unlabeled_dataset
unlabeled_dataset.pipeline = unlabeled_pipeline
train_dataloader = dict(
    dataset=dict(datasets=[labeled_dataset, unlabeled_dataset]))
