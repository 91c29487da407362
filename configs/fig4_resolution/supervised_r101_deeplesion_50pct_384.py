# Fig. 4: supervised, ResNet-101, DeepLesion, 50% labeled, 384x384 (slices
# resampled to 0.802 * 512 / 384 mm per pixel).
_base_ = '../baselines/supervised_r101_deeplesion_50pct.py'

image_size = (384, 384)
train_pipeline = _base_.train_pipeline
test_pipeline = _base_.test_pipeline
for __pipeline in (train_pipeline, test_pipeline):
    for __transform in __pipeline:
        if __transform.type == 'LoadDeepLesionSlices':
            __transform.target_spacing = 0.802 * 512 / image_size[0]
            __transform.max_size = image_size[0]
        elif __transform.type == 'Pad':
            __transform.size = image_size
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
