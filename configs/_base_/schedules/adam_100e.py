# The paper's schedule: Adam, lr 1e-5, 100 epochs, lr / 10 at epoch 75.
max_epochs = 100
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=10)

param_scheduler = [
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_epochs,
        by_epoch=True,
        milestones=[75],
        gamma=0.1)
]

optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-5))

# The paper's batch: 8 images on one device (e.g. 4 GPUs x 2 images).
auto_scale_lr = dict(enable=False, base_batch_size=8)
