# Table 1 "Supervised" on DeepLesion: trained on the labeled 50% of the
# official train split only.
_base_ = './fully_supervised_r50_deeplesion.py'

train_dataloader = dict(
    dataset=dict(ann_file='annotations/semi/instances_train.1@50.json'))
