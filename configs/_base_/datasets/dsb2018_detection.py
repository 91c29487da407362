# DSB 2018 nuclei as written by tools/dataset_converters/dsb2018_to_coco.py:
#   data/dsb2018/stage1_train/<id>/images/<id>.png
#   data/dsb2018/annotations/instances_{train,val,test}.json  (80/10/10)
#   data/dsb2018/annotations/semi/instances_train.<fold>@<pct>[-unlabeled].json
dataset_type = 'DSBNucleiDataset'
data_root = 'data/dsb2018/'
image_size = (448, 448)
backend_args = None

# The pipelines in parts around the one size-dependent step (`resize`), so
# that a base at another size (dsb2018_*_50pct_<size>.py) composes the same
# steps around its own Resize.
load_steps = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True)
]
resize = dict(type='Resize', scale=image_size, keep_ratio=False)
aug_steps = [
    dict(type='RandomFlip', prob=0.5),
    # uniform angle in [-10, 10] degrees
    dict(type='Rotate', prob=1.0, min_mag=0.0, max_mag=10.0,
         img_border_value=0)
]
# tight boxes from the rotated masks, then drop nuclei rotated away
mask_box_steps = [
    dict(type='RecomputeBoxesFromMasks'),
    dict(type='FilterAnnotations', min_gt_bbox_wh=(1, 1), keep_empty=True)
]
# each pipeline = [*<name>_head, resize, *<name>_tail]
train_head = load_steps
train_tail = [*aug_steps, *mask_box_steps, dict(type='PackDetInputs')]
test_head = [load_steps[0]]
test_tail = [
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
# the packing of the semi-supervised bases (MultiBranch: labeled 'sup',
# unlabeled 'unsup')
sup_branch = dict(
    type='MultiBranch',
    branch_field=['sup', 'unsup'],
    sup=dict(type='PackDetInputs'))
unsup_branch = dict(
    type='MultiBranch',
    branch_field=['sup', 'unsup'],
    unsup=dict(type='PackDetInputs'))
train_pipeline = [*train_head, resize, *train_tail]
test_pipeline = [*test_head, resize, *test_tail]

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
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = dict(
    val_dataloader,
    dataset=dict(
        val_dataloader['dataset'], ann_file='annotations/instances_test.json'))

# COCO box AP with every AP at 1000 detections per image (crowded images).
val_evaluator = dict(
    type='DenseCocoMetric',
    ann_file=data_root + 'annotations/instances_val.json',
    metric='bbox',
    max_dets=(100, 300, 1000),
    backend_args=backend_args)
test_evaluator = dict(
    val_evaluator, ann_file=data_root + 'annotations/instances_test.json')
