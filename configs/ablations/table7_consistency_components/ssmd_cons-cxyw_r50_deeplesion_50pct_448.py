# DeepLesion, Table 7, consistency on c, x, y, w, 448x448.
_base_ = '../table3_adaptive_cost/ssmd_acc_r50_deeplesion_50pct_448.py'

model = dict(consistency_loss=dict(components=('c', 'x', 'y', 'w')))
