# The paper's schedule for the semi-supervised (and pseudo-labeling) runs:
# Adam, lr 1e-5, 100 epochs, lr / 10 at epoch 75. The multi-source sampler
# is infinite, so the loop counts iterations: one epoch = one pass over the
# DSB train split (536 images) at 16 images per step = 34 iterations; 100
# epochs = 3400. The consistency ramp (Eq. 10) spans max_iters. The
# method's hooks and validation loop come with its model base.
iters_per_epoch = 34
max_iters = 100 * iters_per_epoch
train_cfg = dict(
    type='IterBasedTrainLoop',
    max_iters=max_iters,
    val_interval=10 * iters_per_epoch)
param_scheduler = [
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_iters,
        by_epoch=False,
        milestones=[75 * iters_per_epoch],
        gamma=0.1)
]
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-5))
auto_scale_lr = dict(enable=False, base_batch_size=16)
