_base_ = './mean_teacher_r50_dsb_10pct.py'

model = dict(
    detector=dict(
        backbone=dict(
            depth=101,
            init_cfg=dict(type='Pretrained',
                          checkpoint='torchvision://resnet101'))))
