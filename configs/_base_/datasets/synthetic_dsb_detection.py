# The demo's synthetic nuclei (tools/run_demo.sh: tools/misc/generate_synthetic_dsb.py
# with three imaging styles and debris, converted and split by the DSB
# tools) at their native 192 x 192: the DSB pipelines at the demo's size.
# Iteration-based runs sample with InfiniteSampler (an epoch-based sampler
# would make IterBasedTrainLoop pause 2 s at every pass over a small split).
_base_ = './dsb2018_detection.py'

data_root = 'data/synthetic_dsb/'
image_size = (192, 192)

# pipelines in parts as in ./dsb2018_detection.py
resize = dict(_base_.resize, scale=image_size)
train_head = [dict(type='LoadImageFromFile'), _base_.load_steps[1]]
test_head = [dict(type='LoadImageFromFile')]
train_pipeline = [*train_head, resize, *_base_.train_tail]
test_pipeline = [*test_head, resize, *_base_.test_tail]

train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=1,
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val.json')
test_evaluator = dict(ann_file=data_root + 'annotations/instances_test.json')
