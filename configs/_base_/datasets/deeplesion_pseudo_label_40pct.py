# DeepLesion, pseudo-labeling stage 2,
# 40% of the train split labeled (Table 1).
# (the pseudo-labels of baselines/supervised_r50_deeplesion_40pct.py)
_base_ = './deeplesion_pseudo_label.py'

labeled_dataset = dict(
    _base_.labeled_dataset,
    ann_file='annotations/semi/instances_train.1@40.json')
pseudo_dataset = dict(
    _base_.pseudo_dataset,
    ann_file='annotations/pseudo/supervised_r50_deeplesion_40pct.json')
train_dataloader = dict(
    dataset=dict(datasets=[labeled_dataset, pseudo_dataset]))
