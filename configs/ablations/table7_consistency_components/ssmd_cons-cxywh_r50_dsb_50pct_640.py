# Table 7, consistency on c, x, y, w, h, 640x640.
_base_ = '../table3_adaptive_cost/ssmd_acc_r50_dsb_50pct_640.py'

model = dict(consistency_loss=dict(components=('c', 'x', 'y', 'w', 'h')))
