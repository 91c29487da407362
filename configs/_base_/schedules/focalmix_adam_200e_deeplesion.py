# ./focalmix_adam_200e.py sized for DeepLesion (./iter_adam_100e_deeplesion.py
# for 200 epochs): lr / 10 at 75% (epoch 150), as the DSB runs.
_base_ = './iter_adam_100e_deeplesion.py'

max_iters = 200 * _base_.iters_per_epoch
train_cfg = dict(max_iters=max_iters)
param_scheduler = [dict(_base_.param_scheduler[0], end=max_iters,
                        milestones=[150 * _base_.iters_per_epoch])]
