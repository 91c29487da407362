# Table 1 "CSD": RetinaNet-R50, DSB 2018 with 10% of the train split labeled,
# the rest unlabeled; 8 + 8 images per step, 3400 iterations.
_base_ = [
    '../_base_/models/csd_retinanet_r50_fpn.py',
    '../_base_/datasets/dsb2018_semi.py',
    '../_base_/schedules/iter_adam_100e.py', '../_base_/iter_runtime.py'
]
