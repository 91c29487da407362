# DeepLesion, semi-supervised, 20% of the train split labeled (Table 1).
_base_ = './deeplesion_semi.py'

labeled_dataset = dict(
    _base_.labeled_dataset,
    ann_file='annotations/semi/instances_train.1@20.json')
unlabeled_dataset = dict(
    _base_.unlabeled_dataset,
    ann_file='annotations/semi/instances_train.1@20-unlabeled.json')
train_dataloader = dict(
    dataset=dict(datasets=[labeled_dataset, unlabeled_dataset]))
