# Table 10: SSMD on RetinaNet (the paper's detector), DSB 2018, 50%
# labeled, 448x448: Fig. 4's leaf (the same model as Table 9's 5-level row).
_base_ = '../../fig4_resolution/ssmd_r50_dsb_50pct_448.py'
