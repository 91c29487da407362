# Pseudo-labeling stage 2 on DeepLesion, ResNet-101, 50% labeled: the
# pseudo-labels of baselines/supervised_r101_deeplesion_50pct.py.
_base_ = './pseudo_label_r50_deeplesion_50pct.py'

model = dict(backbone=_base_.r101_backbone)

pseudo_dataset = _base_.pseudo_dataset
pseudo_dataset.ann_file = \
    'annotations/pseudo/supervised_r101_deeplesion_50pct.json'
train_dataloader = dict(
    dataset=dict(datasets=[_base_.labeled_dataset, pseudo_dataset]))
