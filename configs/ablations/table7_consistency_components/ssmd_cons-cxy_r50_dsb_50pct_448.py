# Table 7, consistency on c, x, y, 448x448.
_base_ = '../table2_incremental/ssmd_acc_r50_dsb_50pct_448.py'

model = dict(consistency_loss=dict(components=('c', 'x', 'y')))
