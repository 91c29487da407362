# DeepLesion, Table 9, consistency on the 3 finest pyramid level(s).
_base_ = '../../fig4_resolution/ssmd_r50_deeplesion_50pct_512.py'

model = dict(consistency_loss=dict(levels=(0, 1, 2)))
