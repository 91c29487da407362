# Runtime of the iteration-based semi-supervised runs.
_base_ = './default_runtime.py'

default_hooks = dict(
    checkpoint=dict(
        by_epoch=False,
        interval=340,  # 10 epochs of 34 iterations (the schedule)
        max_keep_ckpts=3,
        save_best='student/coco/bbox_mAP'))  # the paper predicts with it
log_processor = dict(by_epoch=False)
