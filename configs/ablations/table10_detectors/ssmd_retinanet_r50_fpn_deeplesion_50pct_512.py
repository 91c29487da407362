# Table 10: SSMD on RetinaNet (the paper's detector), DeepLesion, 50%
# labeled, 512x512: Fig. 4's leaf (the same model as Table 9's 5-level row).
_base_ = '../../fig4_resolution/ssmd_r50_deeplesion_50pct_512.py'
