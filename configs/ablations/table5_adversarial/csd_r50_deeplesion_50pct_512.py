# DeepLesion, Table 5, xi = eps = 0: CSD: one network sees the image and its mirror
# (the CSD cell of Table 1 at 50% labeled), 512x512.
_base_ = '../../fig4_resolution/csd_r50_deeplesion_50pct_512.py'
