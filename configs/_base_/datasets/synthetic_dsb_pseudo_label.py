# The demo's synthetic nuclei for the second stage of pseudo-labeling: the
# labeled split plus the unlabeled split with the pseudo-labels of the
# supervised demo's checkpoint (tools/run_demo_comparison.sh writes them to
# annotations/pseudo/supervised_r18_synth_2.5pct.json), 4 + 4 images per
# step, the pipelines of dsb2018_pseudo_label.py at 192 x 192.
_base_ = './synthetic_dsb_semi.py'

pseudo_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale={{_base_.image_size}}, keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='Rotate', prob=1.0, min_mag=0.0, max_mag=10.0,
         img_border_value=0),
    dict(type='FilterAnnotations', min_gt_bbox_wh=(1, 1), keep_empty=True),
    dict(type='PackDetInputs')
]
labeled_dataset = _base_.labeled_dataset
labeled_dataset.pipeline = _base_.train_pipeline
unlabeled_dataset = _base_.unlabeled_dataset
unlabeled_dataset.ann_file = \
    'annotations/pseudo/supervised_r18_synth_2.5pct.json'
unlabeled_dataset.filter_cfg = dict(filter_empty_gt=True, min_size=1)
unlabeled_dataset.pipeline = pseudo_pipeline
train_dataloader = dict(
    dataset=dict(datasets=[labeled_dataset, unlabeled_dataset]))
