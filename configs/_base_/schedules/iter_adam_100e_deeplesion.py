# ./iter_adam_100e.py (single network: no EMA hook, plain ValLoop) sized for
# DeepLesion as ./ssmd_adam_100e_deeplesion.py: 1406 iterations per epoch,
# 140,600 in all, lr / 10 at epoch 75.
_base_ = './ssmd_adam_100e_deeplesion.py'

val_cfg = dict(_delete_=True, type='ValLoop')
custom_hooks = []
