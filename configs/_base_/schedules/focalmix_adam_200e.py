# FocalMix's schedule: the SSMD paper trains it for 200 epochs (the best of
# 100/200/400/800), otherwise as SSMD (./iter_adam_100e.py): Adam, lr 1e-5,
# lr / 10 at 75% of the run (epoch 150); 200 epochs = 6800 iterations.
_base_ = './iter_adam_100e.py'

max_iters = 200 * _base_.iters_per_epoch
train_cfg = dict(max_iters=max_iters)
param_scheduler = [dict(_base_.param_scheduler[0], end=max_iters,
                        milestones=[150 * _base_.iters_per_epoch])]
