# DSB 2018, pseudo-labeling stage 2, 50% of the train split labeled (Table 1).
# (the pseudo-labels of baselines/supervised_r50_dsb_50pct.py)
_base_ = './dsb2018_pseudo_label.py'

labeled_dataset = dict(
    _base_.labeled_dataset,
    ann_file='annotations/semi/instances_train.1@50.json')
pseudo_dataset = dict(
    _base_.pseudo_dataset,
    ann_file='annotations/pseudo/supervised_r50_dsb_50pct.json')
train_dataloader = dict(
    dataset=dict(datasets=[labeled_dataset, pseudo_dataset]))
