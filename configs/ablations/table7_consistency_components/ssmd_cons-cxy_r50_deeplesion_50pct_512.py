# DeepLesion, Table 7, consistency on c, x, y, 512x512.
_base_ = '../table2_incremental/ssmd_acc_r50_deeplesion_50pct_512.py'

model = dict(consistency_loss=dict(components=('c', 'x', 'y')))
