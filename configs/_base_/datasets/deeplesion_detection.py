# DeepLesion (NIH) CT lesions as written by
# tools/dataset_converters/deeplesion_to_coco.py:
#   data/deeplesion/DL_info.csv
#   data/deeplesion/Images_png/<patient>_<study>_<series>/<slice>.png
#   data/deeplesion/annotations/instances_{train,val,test}.json
#       (the official Train_Val_Test split, one image per key slice)
#   data/deeplesion/annotations/semi/
#       instances_train.<fold>@<pct>[-unlabeled].json  (split_semi.py)
#
# LoadDeepLesionSlices reads the key slice and the slices 2 mm above and
# below as the channels [-2 mm, key, +2 mm] and clips HU to [-1100, 1100];
# ResizeToSpacing resamples to 0.802 mm per pixel (scaled down further if
# needed to fit image_size) and records the scale factor. Flip and rotation
# act on the slice; Pad then fills image_size at the right / bottom, so
# scale_factor alone maps predictions back to the original pixels of the slice.
# The loader maps the HU window onto [0, 255] (not [-1, 1]) so that mmdet's
# Pad and Rotate, whose fill values must lie in [0, 255], fill with air
# (0 = -1100 HU); the model's data preprocessor then maps [0, 255] to the
# paper's [-1, 1] and standardises with the training-set mean / std
# (configs/_base_/models/deeplesion_data_preprocessor.py).
# Rotated boxes are the hull of the rotated corners (DeepLesion has no
# masks to re-tighten them).
dataset_type = 'DeepLesionDataset'
data_root = 'data/deeplesion/'
image_size = (512, 512)
backend_args = None

# The pipelines in parts around the two size-dependent steps (`resize`,
# `pad`), so that a base at another size (deeplesion_*_50pct_<size>.py)
# composes the same steps around its own: each training pipeline is
# [*<name>_head, resize, *aug_steps, pad, *<name>_tail], the test pipeline
# [*test_head, resize, pad, *test_tail].
load_slices = dict(
    type='LoadDeepLesionSlices',
    num_slices=3,
    slice_gap_mm=2.0,
    hu_range=(-1100, 1100),
    out_range=(0.0, 255.0))
resize = dict(
    type='ResizeToSpacing', target_spacing=0.802, max_size=image_size[0])
aug_steps = [
    dict(type='RandomFlip', prob=0.5),
    # uniform angle in [-10, 10] degrees; boxes: rotated corners' hull
    dict(type='Rotate', prob=1.0, min_mag=0.0, max_mag=10.0,
         img_border_value=0)
]
# pad last (right / bottom) so flip / rotation act on the slice
pad = dict(type='Pad', size=image_size, pad_val=dict(img=0))
filter_steps = [
    dict(type='FilterAnnotations', min_gt_bbox_wh=(1, 1), keep_empty=True)
]

train_head = [
    # before the slice loader, whose resampling rescales the boxes
    dict(type='LoadAnnotations', with_bbox=True),
    dict(load_slices, backend_args=backend_args)
]
train_tail = [*filter_steps, dict(type='PackDetInputs')]
test_head = [dict(load_slices, backend_args=backend_args)]
test_tail = [
    # after the loader: ground truth stays in original slice coordinates
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
train_pipeline = [*train_head, resize, *aug_steps, pad, *train_tail]
test_pipeline = [*test_head, resize, pad, *test_tail]

train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=None,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/instances_train.json',
        data_prefix=dict(img=''),
        filter_cfg=dict(filter_empty_gt=True, min_size=1),
        pipeline=train_pipeline,
        backend_args=backend_args))
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/instances_val.json',
        data_prefix=dict(img=''),
        test_mode=True,
        # possibly-noisy lesions -> ignored_instances, not gt_instances
        noisy_as_ignored=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = dict(
    val_dataloader,
    dataset=dict(
        val_dataloader['dataset'], ann_file='annotations/instances_test.json'))

# Sensitivity at 0.5, 1, 2, 4, 8, 16 false positives per image; the paper
# reports the value at 4 (deeplesion/sensitivity_at_4fp). The metric reads
# the ground truth, with the noisy flags, from the converter's json and
# removes the possibly-noisy lesions (and images left without lesions).
val_evaluator = dict(
    type='DeepLesionFROCMetric',
    ann_file=data_root + 'annotations/instances_val.json',
    backend_args=backend_args)
test_evaluator = dict(
    val_evaluator, ann_file=data_root + 'annotations/instances_test.json')
