# Table 9, consistency on the 5 finest pyramid level(s).
_base_ = '../../fig4_resolution/ssmd_r50_dsb_50pct_448.py'

model = dict(consistency_loss=dict(levels=(0, 1, 2, 3, 4)))
