# Pseudo-labeling stage 2, ResNet-50, 40% labeled.
_base_ = './pseudo_label_r50_dsb_10pct.py'

labeled_dataset = _base_.labeled_dataset
pseudo_dataset = _base_.pseudo_dataset
labeled_dataset.ann_file = 'annotations/semi/instances_train.1@40.json'
pseudo_dataset.ann_file = 'annotations/pseudo/supervised_r50_dsb_40pct.json'
train_dataloader = dict(
    dataset=dict(datasets=[labeled_dataset, pseudo_dataset]))
