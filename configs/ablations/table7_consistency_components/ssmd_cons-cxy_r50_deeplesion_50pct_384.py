# DeepLesion, Table 7, consistency on c, x, y, 384x384.
_base_ = '../table3_adaptive_cost/ssmd_acc_r50_deeplesion_50pct_384.py'

model = dict(consistency_loss=dict(components=('c', 'x', 'y')))
