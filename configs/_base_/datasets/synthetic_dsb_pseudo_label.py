# The demo's synthetic nuclei for the second stage of pseudo-labeling: the
# labeled split plus the unlabeled split with the pseudo-labels of the
# supervised demo's checkpoint (tools/run_demo_comparison.sh writes them to
# annotations/pseudo/supervised_r18_synth_2.5pct.json), 4 + 4 images per
# step, the pipelines of dsb2018_pseudo_label.py at 192 x 192.
_base_ = './synthetic_dsb_semi.py'

pseudo_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True), _base_.resize,
    *_base_.aug_steps, _base_.mask_box_steps[1],
    dict(type='PackDetInputs')
]
labeled_dataset = dict(_base_.labeled_dataset, pipeline=_base_.train_pipeline)
unlabeled_dataset = dict(
    _base_.unlabeled_dataset,
    ann_file='annotations/pseudo/supervised_r18_synth_2.5pct.json',
    filter_cfg=dict(filter_empty_gt=True, min_size=1),
    pipeline=pseudo_pipeline)
train_dataloader = dict(
    dataset=dict(datasets=[labeled_dataset, unlabeled_dataset]))
