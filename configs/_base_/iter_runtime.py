# Runtime of the iteration-based runs with a single network (CSD,
# pseudo-labeling): as ssmd_runtime.py, best checkpoint by the model's own
# COCO mAP (there is no student/ or teacher/ prefix).
_base_ = './ssmd_runtime.py'

default_hooks = dict(checkpoint=dict(save_best='coco/bbox_mAP'))
