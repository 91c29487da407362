# ./iter_adam_100e.py sized for DeepLesion: one epoch = one pass over the
# official train split (22,496 key slices) at 16 images per step = 1406
# iterations; 100 epochs = 140,600, lr / 10 at epoch 75.
_base_ = './iter_adam_100e.py'

iters_per_epoch = 1406
max_iters = 100 * iters_per_epoch
train_cfg = dict(max_iters=max_iters, val_interval=10 * iters_per_epoch)
param_scheduler = [
    dict(
        _base_.param_scheduler[0],
        end=max_iters,
        milestones=[75 * iters_per_epoch])
]
