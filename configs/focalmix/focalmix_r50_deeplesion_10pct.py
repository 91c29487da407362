# FocalMix, RetinaNet-R50, DeepLesion with 10% of the train split labeled
# (Table 1), 512x512, 200 epochs.
_base_ = [
    '../_base_/models/focalmix_retinanet_r50_fpn.py',
    '../_base_/models/deeplesion_data_preprocessor.py',
    '../_base_/datasets/deeplesion_semi.py',
    '../_base_/schedules/focalmix_adam_200e.py',
    '../_base_/ssmd_runtime_deeplesion.py'
]

# the DeepLesion (CT) input normalisation inside the multi-branch wrapper
model = dict(
    data_preprocessor=dict(
        data_preprocessor=_base_.deeplesion_data_preprocessor))

# 200 epochs of the DeepLesion train split (22,496 key slices at 16 images
# per step = 1406 iterations), lr / 10 at 75% (epoch 150), as the DSB runs.
iters_per_epoch = 1406
max_iters = 200 * iters_per_epoch
train_cfg = dict(max_iters=max_iters, val_interval=10 * iters_per_epoch)
param_scheduler = [
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_iters,
        by_epoch=False,
        milestones=[150 * iters_per_epoch],
        gamma=0.1)
]
# one model (no teacher): the plain ValLoop's metric names
default_hooks = dict(
    checkpoint=dict(save_best='deeplesion/sensitivity_at_4fp'))
