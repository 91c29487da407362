# ./ssmd_runtime_deeplesion.py for single-network runs (CSD,
# pseudo-labeling): best checkpoint by the model's own sensitivity at 4 FPs.
_base_ = './ssmd_runtime_deeplesion.py'

default_hooks = dict(
    checkpoint=dict(save_best='deeplesion/sensitivity_at_4fp'))
