# Fig. 4: supervised, ResNet-101, DSB 2018, 50% labeled, 512x512.
_base_ = '../baselines/supervised_r101_dsb_50pct.py'

image_size = (512, 512)
train_pipeline = _base_.train_pipeline
test_pipeline = _base_.test_pipeline
for __pipeline in (train_pipeline, test_pipeline):
    for __transform in __pipeline:
        if __transform.type == 'Resize':
            __transform.scale = image_size
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
