# Table 1 "Supervised": trained on the labeled 50% of the train split only.
_base_ = './fully_supervised_r50_dsb.py'

train_dataloader = dict(
    dataset=dict(ann_file='annotations/semi/instances_train.1@50.json'))
