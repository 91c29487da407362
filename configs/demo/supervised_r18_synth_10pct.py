# The supervised demo trained on the 10% labeled split only: the baseline
# that demo/ssmd_r18_synth_10pct.py is compared with.
_base_ = './supervised_r18_synth.py'

train_dataloader = dict(
    batch_size=4,
    dataset=dict(ann_file='annotations/semi/instances_train.1@10.json'))
# as many iterations as the SSMD demo (240 steps of 4 labeled images)
max_epochs = 60
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True,
         milestones=[45], gamma=0.1)
]
default_hooks = dict(checkpoint=dict(interval=max_epochs))
