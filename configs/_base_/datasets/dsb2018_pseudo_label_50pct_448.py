# DSB 2018, pseudo-labeling stage 2 (the pseudo-labels of
# fig4_resolution/supervised_r50_dsb_50pct_448.py), 50% labeled, at 448x448
# (Fig. 4). The dataset base's pipeline parts composed around this size's
# Resize.
_base_ = './dsb2018_pseudo_label_50pct.py'

image_size = (448, 448)
resize = dict(type='Resize', scale=image_size, keep_ratio=False)
labeled_dataset = dict(
    _base_.labeled_dataset,
    pipeline=[*_base_.labeled_head, resize, *_base_.labeled_tail])
pseudo_dataset = dict(
    _base_.pseudo_dataset,
    ann_file='annotations/pseudo/supervised_r50_dsb_50pct_448.json',
    pipeline=[*_base_.pseudo_head, resize, *_base_.pseudo_tail])
test_pipeline = [*_base_.test_head, resize, *_base_.test_tail]
train_dataloader = dict(
    dataset=dict(datasets=[labeled_dataset, pseudo_dataset]))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
