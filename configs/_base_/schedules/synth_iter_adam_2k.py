# The demo's schedule, the same for every method: 2000 iterations (of 4
# labeled, or 4 labeled + 4 unlabeled images), Adam lr 1e-3 (the detector
# trains from scratch) with a 50-iteration warm-up, lr / 10 at 75%;
# validation every 500 iterations to show the curve. 2000 iterations is
# where the supervised runs have long converged and SSMD has (measured in
# docs/ssmd_gain.md); the lambda ramp (Eq. 10) spans them.
max_iters = 2000
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=500)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_iters,
        by_epoch=False,
        milestones=[1500],
        gamma=0.1)
]
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3))
auto_scale_lr = dict(enable=False, base_batch_size=8)
