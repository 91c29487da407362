_base_ = './ssmd_r50_deeplesion_50pct.py'

model = dict(
    detector=dict(
        backbone=dict(
            depth=101,
            init_cfg=dict(type='Pretrained',
                          checkpoint='torchvision://resnet101'))))
