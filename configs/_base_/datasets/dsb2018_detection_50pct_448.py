# DSB 2018, supervised on the labeled 50% only, 50% labeled, at 448x448 (Fig.
# 4). The dataset base's pipeline parts composed around this size's Resize.
_base_ = './dsb2018_detection.py'

image_size = (448, 448)
resize = dict(type='Resize', scale=image_size, keep_ratio=False)
test_pipeline = [*_base_.test_head, resize, *_base_.test_tail]
train_dataloader = dict(
    dataset=dict(
        ann_file='annotations/semi/instances_train.1@50.json',
        pipeline=[*_base_.train_head, resize, *_base_.train_tail]))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
