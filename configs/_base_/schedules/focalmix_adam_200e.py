# FocalMix's schedule: the SSMD paper trains it for 200 epochs (the best of
# 100/200/400/800), otherwise as SSMD: Adam, lr 1e-5, lr / 10 at 75% of
# the run, 8 labeled + 8 unlabeled images per step. One epoch = one pass
# over the DSB train split (536 images) at 16 images per step = 34
# iterations; 200 epochs = 6800. No teacher, hence no EMA hook and the
# plain ValLoop (metrics coco/...).
iters_per_epoch = 34
max_iters = 200 * iters_per_epoch
train_cfg = dict(
    type='IterBasedTrainLoop',
    max_iters=max_iters,
    val_interval=10 * iters_per_epoch)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

param_scheduler = [
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_iters,
        by_epoch=False,
        milestones=[150 * iters_per_epoch],
        gamma=0.1)
]
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-5))
auto_scale_lr = dict(enable=False, base_batch_size=16)
