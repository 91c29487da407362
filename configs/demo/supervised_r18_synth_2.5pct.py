# Demo: the supervised baseline, trained on the 2.5% labeled split only (8
# of the 320 train images) with the same budget as SSMD's demo.
_base_ = './supervised_r18_synth.py'

train_dataloader = dict(
    dataset=dict(ann_file='annotations/semi/instances_train.1@2.5.json'))
