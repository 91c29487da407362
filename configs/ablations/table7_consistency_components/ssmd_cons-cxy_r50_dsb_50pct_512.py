# Table 7, consistency on c, x, y, 512x512.
_base_ = '../table3_adaptive_cost/ssmd_acc_r50_dsb_50pct_512.py'

model = dict(consistency_loss=dict(components=('c', 'x', 'y')))
