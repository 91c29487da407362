# DSB 2018, Table 8, n = s = 0: the vanilla CSD model: one network sees the image and its mirror
# (the CSD cell of Table 1 at 50% labeled), 448x448.
_base_ = '../../fig4_resolution/csd_r50_dsb_50pct_448.py'
