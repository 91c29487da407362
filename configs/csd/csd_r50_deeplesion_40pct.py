# Table 1 "CSD" on DeepLesion, ResNet-50, 40% labeled.
_base_ = './csd_r50_deeplesion_10pct.py'

labeled_dataset = _base_.labeled_dataset
unlabeled_dataset = _base_.unlabeled_dataset
labeled_dataset.ann_file = 'annotations/semi/instances_train.1@40.json'
unlabeled_dataset.ann_file = \
    'annotations/semi/instances_train.1@40-unlabeled.json'
train_dataloader = dict(
    dataset=dict(datasets=[labeled_dataset, unlabeled_dataset]))
