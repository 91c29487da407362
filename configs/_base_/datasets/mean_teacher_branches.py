# mmdet's mean-teacher branches (SemiBaseDetector), for the DSB and demo
# mean-teacher datasets: labeled images get the supervised augmentation
# ('sup'); each unlabeled image is resized once, then gives a weak view for
# the teacher ('unsup_teacher': flip) and a strong view for the student
# ('unsup_student': its own flip, rotation +-10 deg and five erased squares
# of 15.6% of the side, 70 px at 448 and 30 px at 192: the counterpart of
# SSMD's cutout). The views differ geometrically; SemiBaseDetector maps the
# teacher's boxes onto the student view with the homography matrices.
# The parts go around each dataset's Resize: see ./dsb2018_detection.py.
branch_field = ['sup', 'unsup_teacher', 'unsup_student']
unsup_meta_keys = ('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor', 'flip', 'flip_direction',
                   'homography_matrix')
flip_rotate = [
    dict(type='RandomFlip', prob=0.5),
    dict(type='Rotate', prob=1.0, min_mag=0.0, max_mag=10.0,
         img_border_value=0)
]
mt_labeled_tail = [
    *flip_rotate,
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
    *flip_rotate,
    dict(type='RandomErasing', n_patches=5, ratio=0.15625, squared=True,
         img_border_value=0),
    dict(type='PackDetInputs', meta_keys=unsup_meta_keys)
]
mt_unlabeled_head = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadEmptyAnnotations')
]
mt_unlabeled_tail = [
    dict(
        type='MultiBranch',
        branch_field=branch_field,
        unsup_teacher=weak_pipeline,
        unsup_student=strong_pipeline)
]
