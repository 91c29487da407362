# Table 10's reference (not in the paper): RetinaNet R50-FPN trained on the
# labeled 50% only, DSB 2018, 448x448: Fig. 4's leaf.
_base_ = '../../fig4_resolution/supervised_r50_dsb_50pct_448.py'
