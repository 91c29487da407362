# ./ssmd_adam_100e_iap.py (the SSMD schedule with the instance-level
# adversarial perturbation) sized for DeepLesion like
# ./ssmd_adam_100e_deeplesion.py: 1406 iterations per epoch (22,496 train
# key slices at 16 images per step), 100 epochs, lr / 10 at epoch 75.
_base_ = './ssmd_adam_100e_iap.py'

iters_per_epoch = 1406
max_iters = 100 * iters_per_epoch
train_cfg = dict(max_iters=max_iters, val_interval=10 * iters_per_epoch)
param_scheduler = [
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_iters,
        by_epoch=False,
        milestones=[75 * iters_per_epoch],
        gamma=0.1)
]
