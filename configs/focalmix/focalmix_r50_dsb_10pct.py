# FocalMix, RetinaNet-R50, DSB 2018 with 10% of the train split labeled
# (Table 1). 200 epochs, as the SSMD paper reports for FocalMix.
_base_ = [
    '../_base_/models/focalmix_retinanet_r50_fpn.py',
    '../_base_/datasets/dsb2018_semi.py',
    '../_base_/schedules/focalmix_adam_200e.py',
    '../_base_/iter_runtime.py'
]
