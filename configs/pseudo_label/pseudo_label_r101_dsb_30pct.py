# Pseudo-labeling stage 2, ResNet-101, 30% labeled: the pseudo-labels of
# baselines/supervised_r101_dsb_30pct.py.
_base_ = './pseudo_label_r50_dsb_30pct.py'

model = dict(backbone=_base_.r101_backbone)

pseudo_dataset = _base_.pseudo_dataset
pseudo_dataset.ann_file = \
    'annotations/pseudo/supervised_r101_dsb_30pct.json'
train_dataloader = dict(
    dataset=dict(datasets=[_base_.labeled_dataset, pseudo_dataset]))
