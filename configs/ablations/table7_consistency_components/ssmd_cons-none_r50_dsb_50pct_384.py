# Table 7, no consistency term: the supervised student trained
# on labeled images with flips, 384x384.
_base_ = '../table3_adaptive_cost/ssmd_acc_r50_dsb_50pct_384.py'

model = dict(
    semi_train_cfg=dict(
        consistency_schedule='constant', consistency_weight=0.0))
