# Pseudo-labeling stage 2 on DeepLesion, ResNet-50, 20% labeled.
_base_ = './pseudo_label_r50_deeplesion_10pct.py'

labeled_dataset = _base_.labeled_dataset
pseudo_dataset = _base_.pseudo_dataset
labeled_dataset.ann_file = 'annotations/semi/instances_train.1@20.json'
pseudo_dataset.ann_file = \
    'annotations/pseudo/supervised_r50_deeplesion_20pct.json'
train_dataloader = dict(
    dataset=dict(datasets=[labeled_dataset, pseudo_dataset]))
