# The semi-supervised schedule (Adam, lr 1e-5, 100 epochs of 34 iterations,
# lr / 10 at epoch 75; see ssmd_adam_100e.py) for runs with a single
# network: no teacher, so no EMATeacherHook and a plain ValLoop. Used by CSD
# and by pseudo-labeling (8 labeled + 8 pseudo-labeled images per step).
_base_ = './ssmd_adam_100e.py'

val_cfg = dict(_delete_=True, type='ValLoop')
custom_hooks = []
