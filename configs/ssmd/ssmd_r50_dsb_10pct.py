# SSMD, RetinaNet-R50, DSB 2018 with 10% of the train split labeled.
_base_ = [
    '../_base_/models/ssmd_retinanet_r50_fpn.py',
    '../_base_/datasets/dsb2018_semi.py',
    '../_base_/schedules/ssmd_adam_100e.py', '../_base_/default_runtime.py'
]

iters_per_epoch = 34  # see _base_/schedules/ssmd_adam_100e.py
default_hooks = dict(
    checkpoint=dict(
        by_epoch=False,
        interval=10 * iters_per_epoch,
        max_keep_ckpts=3,
        save_best='student/coco/bbox_mAP'))  # the paper predicts with the student
log_processor = dict(by_epoch=False)
