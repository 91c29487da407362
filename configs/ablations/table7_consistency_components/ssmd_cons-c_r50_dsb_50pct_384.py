# Table 7, consistency on c, 384x384.
_base_ = '../table3_adaptive_cost/ssmd_acc_r50_dsb_50pct_384.py'

model = dict(consistency_loss=dict(components=('c',)))
