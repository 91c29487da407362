# Table 7, no consistency term: the supervised student trained
# on labeled images with flips, 640x640.
_base_ = '../table3_adaptive_cost/ssmd_acc_r50_dsb_50pct_640.py'

model = dict(
    semi_train_cfg=dict(
        consistency_schedule='constant', consistency_weight=0.0))
